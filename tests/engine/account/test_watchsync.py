"""The watchlist sync rules as data (engine.account.watchsync): three-way merge, messages,
isolating the symbol behind a 422, and the persisted links."""

from __future__ import annotations

import json

import pytest

from engine.account.watchsync import (
    MAX_IGNORED,
    Link,
    RefusalSearch,
    links_from_json,
    links_to_json,
    merge,
    merged_message,
    normalise,
)

BASE = ("AAPL", "MSFT", "NVDA")


def test_no_change_on_either_side() -> None:
    m = merge(BASE, BASE, BASE)
    assert m.symbols == BASE
    assert not m.local_changed
    assert not m.remote_changed
    assert not m.conflict
    assert merged_message("Demo", m) is None


def test_local_only_change_wins_with_its_order() -> None:
    local = ("NVDA", "AAPL", "MSFT", "TSLA")  # reordered and one added here
    m = merge(BASE, local, BASE)
    assert m.symbols == local
    assert m.local_changed
    assert not m.remote_changed
    assert m.added_local == ("TSLA",)
    assert merged_message("Demo", m) is None  # a push, nothing to tell


def test_remote_only_change_is_pulled() -> None:
    remote = ("MSFT", "AAPL", "SPY")  # NVDA removed, SPY added, order changed, in Alpaca
    m = merge(BASE, BASE, remote)
    assert m.symbols == remote
    assert m.remote_changed
    assert not m.conflict
    assert merged_message("Demo", m) == "Demo: updated from Alpaca \u2014 added SPY, removed NVDA"


def test_both_sides_keep_every_addition() -> None:
    m = merge(BASE, [*BASE, "TSLA"], [*BASE, "SPY"])
    assert m.conflict
    assert m.symbols == ("AAPL", "MSFT", "NVDA", "SPY", "TSLA")  # server order, then ours
    assert merged_message("Demo", m) == (
        "Demo: merged \u2014 added SPY from Alpaca, kept TSLA added here"
    )


def test_delete_on_one_side_and_add_on_the_other() -> None:
    # Removed MSFT here, added SPY in Alpaca: both happen.
    m = merge(BASE, ("AAPL", "NVDA"), (*BASE, "SPY"))
    assert m.symbols == ("AAPL", "NVDA", "SPY")
    # Removed MSFT in Alpaca, added TSLA here: both happen.
    m = merge(BASE, (*BASE, "TSLA"), ("AAPL", "NVDA"))
    assert m.symbols == ("AAPL", "NVDA", "TSLA")
    assert merged_message("W", m) == (
        "W: merged \u2014 removed MSFT (removed in Alpaca), kept TSLA added here"
    )


def test_removed_on_both_sides_and_same_addition_on_both() -> None:
    m = merge(BASE, ("AAPL", "NVDA", "SPY"), ("SPY", "NVDA", "AAPL"))
    assert set(m.symbols) == {"AAPL", "NVDA", "SPY"}
    m = merge(BASE, ("AAPL", "SPY", "TSLA"), ("NVDA", "AAPL", "SPY"))
    # MSFT gone on both sides, NVDA removed here, SPY added on both (once), TSLA ours.
    assert m.symbols == ("AAPL", "SPY", "TSLA")


def test_order_is_the_servers_then_local_additions() -> None:
    m = merge(BASE, ("TSLA", "NVDA", "MSFT", "AAPL", "QQQ"), ("NVDA", "MSFT", "AAPL", "IWM"))
    assert m.symbols == ("NVDA", "MSFT", "AAPL", "IWM", "TSLA", "QQQ")


def test_no_base_merges_to_the_union() -> None:
    # A local tab first linked to an existing server list of its name: nothing lost.
    m = merge((), ("TSLA", "AAPL"), ("AAPL", "MSFT"))
    assert m.symbols == ("AAPL", "MSFT", "TSLA")


def test_symbols_are_normalised() -> None:
    assert normalise([" aapl", "AAPL", "", "msft "]) == ("AAPL", "MSFT")
    assert merge(["aapl"], ["AAPL"], ["aapl "]).symbols == ("AAPL",)


def test_long_lists_of_names_are_shortened() -> None:
    added = [f"S{i}" for i in range(9)]
    text = merged_message("Big", merge((), (), added))
    assert text is not None
    assert "and 3 more" in text


# --- RefusalSearch: which symbol did Alpaca refuse? -------------------------------------


def drive(search: RefusalSearch, bad: set[str]) -> list[tuple[str, ...]]:
    """Answer like the server: a list with a bad symbol is refused as a whole."""
    tried = []
    while (attempt := search.attempt()) is not None:
        tried.append(attempt)
        if bad & set(attempt):
            search.refused()
        else:
            search.accepted()
    return tried


def test_one_new_symbol_refused_then_the_rest_sent() -> None:
    search = RefusalSearch(["AAPL", "MSFT", "ZZZZ"], known_good=["AAPL", "MSFT"])
    tried = drive(search, {"ZZZZ"})
    assert tried == [("AAPL", "MSFT", "ZZZZ"), ("AAPL", "MSFT")]
    assert search.refused_symbols == ["ZZZZ"]
    assert not search.gave_up
    assert search.final == ("AAPL", "MSFT")


def test_nothing_refused_costs_one_put() -> None:
    search = RefusalSearch(["AAPL", "TSLA"], known_good=["AAPL"])
    assert drive(search, set()) == [("AAPL", "TSLA")]
    assert search.refused_symbols == []


@pytest.mark.parametrize("bad", [{"B"}, {"A", "D"}, {"A", "B", "C", "D", "E"}])
def test_several_suspects_are_bisected(bad: set[str]) -> None:
    wanted = ["X", "A", "B", "C", "D", "E"]
    search = RefusalSearch(wanted, known_good=["X"])
    tried = drive(search, bad)
    assert set(search.refused_symbols) == bad
    assert tried[-1] == tuple(s for s in wanted if s not in bad)  # the rest is sent
    assert not search.gave_up


def test_a_refused_known_good_list_gives_up_bounded() -> None:
    # The server refuses even what it held (a delisted symbol): no endless retries.
    search = RefusalSearch(["AAPL"], known_good=["AAPL"])
    tried = drive(search, {"AAPL"})
    assert len(tried) == 1
    assert search.gave_up


# --- persisted links ----------------------------------------------------------------------


def test_links_round_trip() -> None:
    link = Link("Demo", "id-1", "Demo", ("AAPL", "MSFT"), 123, ("ZZZZ",), "Renamed")
    links, ignored, problems = links_from_json(links_to_json([link], ["id-9"]))
    assert links == [link]
    assert ignored == ["id-9"]
    assert problems == []


@pytest.mark.parametrize(
    "text",
    ["not json", "[]", json.dumps({"links": [{"tab": 3}, "x", {"tab": "A"}]}), '{"links": 5}'],
)
def test_bad_settings_never_raise_and_say_so(text: str) -> None:
    links, ignored, problems = links_from_json(text)
    assert links == []
    assert ignored == []
    if text != '{"links": 5}':
        assert problems
        assert all(isinstance(p, str) and p for p in problems)


def test_bad_fields_fall_back_and_ignored_is_bounded() -> None:
    data = {
        "links": [
            {"tab": "A", "id": "1", "name": 5, "base": ["aapl", 7], "updated_ns": True},
            {"tab": "A", "id": "2"},  # a second link for the same tab: skipped
        ],
        "ignored": [f"id{i}" for i in range(MAX_IGNORED + 10)],
    }
    links, ignored, problems = links_from_json(json.dumps(data))
    assert links == [Link("A", "1", "A", ("AAPL",), None)]
    assert len(problems) == 1
    assert len(ignored) == MAX_IGNORED
    assert ignored[-1] == f"id{MAX_IGNORED + 9}"
