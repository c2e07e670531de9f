"""The asset list, sans-I/O: ranking search, filters, validation without any network,
the cache file and the daily refresh rule (engine/account/assets.py)."""

from __future__ import annotations

import msgspec
import pytest

from engine.account.assets import (
    MAX_RESULTS,
    REFRESH_S,
    AssetList,
    CachedAssets,
    decode_cache,
    encode_cache,
    refresh_due,
    seconds_until_refresh,
)
from engine.account.models import Asset


def asset(
    symbol: str,
    name: str,
    *,
    tradable: bool = True,
    status: str = "active",
    asset_class: str = "us_equity",
    exchange: str = "NASDAQ",
) -> Asset:
    return Asset(symbol, name, exchange, tradable, status, asset_class)


UNIVERSE = [
    asset("AAPL", "Apple Inc."),
    asset("APP", "AppLovin Corporation Class A Common Stock"),
    asset("APPF", "AppFolio, Inc. Class A Common Stock"),
    asset("APPN", "Appian Corporation Class A Common Stock"),
    asset("APLE", "Apple Hospitality REIT, Inc. Common Shares", exchange="NYSE"),
    asset("AMAT", "Applied Materials, Inc. Common Stock"),
    asset("APLD", "Applied Digital Corporation Common Stock"),
    asset("XAPP", "Snappy Widgets Inc."),
    asset("MSFT", "Microsoft Corporation Common Stock"),
    asset("MS", "Morgan Stanley Common Stock", exchange="NYSE"),
    asset("MSTR", "MicroStrategy Incorporated Class A Common Stock"),
    asset("F", "Ford Motor Company Common Stock", exchange="NYSE"),
    asset("FORD", "Forward Industries, Inc. Common Stock"),
    asset("BRK.B", "Berkshire Hathaway Inc. Class B", exchange="NYSE"),
    asset("BRK.A", "Berkshire Hathaway Inc. Class A", exchange="NYSE"),
    asset("T", "AT&T Inc.", exchange="NYSE"),
    asset("GOOGL", "Alphabet Inc. Class A Common Stock"),
    asset("GOOG", "Alphabet Inc. Class C Capital Stock"),
    # never offered: inactive, not tradable, not a US equity
    asset("APPX", "Apptix Old Corp", status="inactive"),
    asset("APPZ", "Appz Holdings OTC", tradable=False, exchange="OTC"),
    asset("BTC/USD", "Bitcoin", asset_class="crypto", exchange="CRYPTO"),
    asset("APPC", "Apple Crypto Coin", asset_class="crypto", exchange="CRYPTO"),
]


@pytest.fixture(scope="module")
def assets() -> AssetList:
    return AssetList(UNIVERSE)


@pytest.mark.parametrize(
    ("query", "first"),
    [
        # exact symbol first, then symbol prefix (shorter first), then a name word's
        # prefix (the name's first word first, the shorter word first), then substring
        ("app", ["APP", "APPF", "APPN", "AAPL", "APLE", "AMAT", "APLD", "XAPP"]),
        ("APP", ["APP", "APPF", "APPN", "AAPL"]),
        ("apple", ["AAPL", "APLE"]),
        ("appl", ["AAPL", "APLE", "AMAT", "APLD", "APP"]),  # "applovin": the longest word
        ("applied", ["AMAT", "APLD"]),
        ("ms", ["MS", "MSFT", "MSTR"]),
        ("msft", ["MSFT"]),
        ("micro", ["MSFT", "MSTR"]),
        ("f", ["F", "FORD", "APPF"]),
        ("ford", ["FORD", "F"]),  # the symbol FORD first, then Ford Motor by name
        ("brk.b", ["BRK.B"]),
        ("brk/b", ["BRK.B"]),  # the slash form the field accepts (engine.config)
        ("brk", ["BRK.A", "BRK.B"]),
        ("berkshire", ["BRK.A", "BRK.B"]),
        ("hathaway", ["BRK.A", "BRK.B"]),
        ("at&t", ["T"]),  # substring of the name
        ("t", ["T"]),
        ("alphabet", ["GOOGL", "GOOG"]),  # equal words: the shorter name first
        ("  Apple  ", ["AAPL", "APLE"]),
        ("nappy", ["XAPP"]),  # substring inside a word
    ],
)
def test_ranking_table(assets: AssetList, query: str, first: list[str]) -> None:
    found = [a.symbol for a in assets.search(query)]
    assert found[: len(first)] == first


def test_nothing_for_nothing(assets: AssetList) -> None:
    assert assets.search("") == []
    assert assets.search("   ") == []
    assert assets.search("zzzzzz") == []
    assert assets.search("app", limit=0) == []
    assert assets.search("x" * 10_000) == []  # long input: bounded, no match


def test_results_are_capped_and_distinct() -> None:
    many = AssetList(
        [asset(f"A{chr(65 + i // 26)}{chr(65 + i % 26)}", f"Apex Fund {i}") for i in range(300)]
    )
    found = many.search("a")
    assert len(found) == MAX_RESULTS
    assert len({a.symbol for a in found}) == MAX_RESULTS
    assert [a.symbol for a in found][:3] == ["AAA", "AAB", "AAC"]
    by_name = many.search("apex")
    assert len(by_name) == MAX_RESULTS
    assert len({a.symbol for a in by_name}) == MAX_RESULTS


def test_an_asset_matching_several_ways_is_shown_once(assets: AssetList) -> None:
    found = [a.symbol for a in assets.search("app", limit=50)]
    assert len(found) == len(set(found))
    assert "APP" in found


def test_inactive_untradable_and_other_classes_are_left_out(assets: AssetList) -> None:
    listed = {a.symbol for a in assets.assets}
    assert {"APPX", "APPZ", "BTC/USD", "APPC"}.isdisjoint(listed)
    assert assets.excluded == 4
    for query in ("appx", "appz", "apptix", "btc", "bitcoin", "crypto", "appc"):
        assert all(a.symbol not in {"APPX", "APPZ", "APPC", "BTC/USD"}
                   for a in assets.search(query)), query  # fmt: skip
    assert "APPX" not in assets
    assert "AAPL" in assets
    assert "aapl" in assets


def test_validation_in_words_without_any_network(assets: AssetList) -> None:
    # No REST client exists in this test at all: the list alone decides.
    assert assets.refusals(["AAPL", "MSFT", "BRK.B"]) == []
    assert assets.refusals(["ZZZZ"]) == ["ZZZZ: not a tradable US stock on Alpaca"]
    assert assets.refusal("APPX") == "APPX: inactive on Alpaca"
    assert assets.refusal("APPZ") == "APPZ: not tradable on Alpaca"
    assert assets.refusal("APPC") == "APPC: not a US stock (crypto)"
    assert assets.refusal("aapl") is None


def test_duplicates_and_the_cap_are_bounded_and_said() -> None:
    listed = AssetList(
        [asset("AAPL", "Apple Inc."), asset("aapl", "Apple again"), asset("MSFT", "Microsoft"),
         asset("IBM", "IBM"), asset("", "no symbol")],
        limit=2,
    )  # fmt: skip
    assert listed.duplicates == 1
    assert listed.dropped == 1
    assert len(listed) == 2
    assert [a.symbol for a in listed.assets] == ["IBM", "AAPL"]  # shorter symbols kept
    assert any("over the limit" in note for note in listed.notes())
    assert listed.refusal("MSFT") == "MSFT: not a tradable US stock on Alpaca"


def test_cache_round_trip_keeps_the_listable_assets(assets: AssetList) -> None:
    cached = CachedAssets("paper-api.alpaca.markets", 1_700_000_000.5, tuple(UNIVERSE))
    back, problems = decode_cache(encode_cache(cached))
    assert problems == []
    assert back is not None
    assert back.source == cached.source
    assert back.fetched_at == cached.fetched_at
    assert {a.symbol for a in back.assets} == {a.symbol for a in assets.assets}
    again = AssetList(back.assets)
    assert [a.symbol for a in again.search("app")] == [a.symbol for a in assets.search("app")]
    aapl = again.get("AAPL")
    assert aapl == asset("AAPL", "Apple Inc.")


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "not JSON"),
        (b"{nope", "not JSON"),
        (b"[]", "expected an object"),
        (b'{"version": 99}', "version"),
        (b'{"version": 1, "source": "x", "assets": []}', "fetched_at"),
        (b'{"version": 1, "source": "x", "fetched_at": true, "assets": []}', "fetched_at"),
        (b'{"version": 1, "fetched_at": 1, "assets": []}', "source"),
    ],
)
def test_a_bad_cache_file_is_refused_in_words(data: bytes, why: str) -> None:
    cached, problems = decode_cache(data)
    assert cached is None
    assert why in problems[0]


def test_bad_cache_rows_are_skipped_and_counted() -> None:
    rows = [["AAPL", "Apple Inc.", "NASDAQ"], ["MSFT"], 7, ["", "x", "y"], ["IBM", 1, "NYSE"]]
    data = msgspec.json.encode({"version": 1, "source": "x", "fetched_at": 5, "assets": rows})
    cached, problems = decode_cache(data)
    assert cached is not None
    assert [a.symbol for a in cached.assets] == ["AAPL"]
    assert len(problems) == 4
    capped, problems = decode_cache(data, limit=1)
    assert capped is not None
    assert len(capped.assets) == 1
    assert "over the limit" in problems[-1]


def test_daily_refresh_rule() -> None:
    day = REFRESH_S
    assert refresh_due(None, 1_000.0)
    assert not refresh_due(1_000.0, 1_000.0)
    assert not refresh_due(1_000.0, 1_000.0 + day - 1)
    assert refresh_due(1_000.0, 1_000.0 + day)
    assert refresh_due(1_000.0 + 3_600, 1_000.0)  # stamped an hour in the future
    assert not refresh_due(1_000.0 + 60, 1_000.0)  # a minute of clock skew is fine
    assert seconds_until_refresh(1_000.0, 1_000.0 + 3_600) == day - 3_600
    assert seconds_until_refresh(1_000.0, 1_000.0 + day + 5) == 0.0
    assert seconds_until_refresh(None, 0.0) == 0.0
