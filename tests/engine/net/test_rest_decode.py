"""Snapshot decoding (engine/rest.py) with byte strings: one bad entry costs only itself."""

from __future__ import annotations

import json

from engine.events import BarKind
from engine.net.rest import decode_snapshots

GOOD = {
    "AAPL": {
        "latestTrade": {
            "t": "2021-02-22T15:51:44.208123456Z",
            "x": "D",
            "p": 126.55,
            "s": 100,
            "c": ["@"],
            "i": 96921,
            "z": "C",
        },
        "latestQuote": {
            "t": "2021-02-22T15:51:45.335689322Z",
            "ax": "Q",
            "ap": 126.57,
            "as": 4,
            "bx": "U",
            "bp": 126.54,
            "bs": 1,
            "c": ["R"],
            "z": "C",
        },
        "minuteBar": {
            "t": "2021-02-22T15:51:00Z",
            "o": 126.5,
            "h": 126.6,
            "l": 126.4,
            "c": 126.55,
            "v": 5000,
            "n": 40,
            "vw": 126.52,
        },
        "dailyBar": {
            "t": "2021-02-22T05:00:00Z",
            "o": 125.0,
            "h": 127.0,
            "l": 124.5,
            "c": 126.55,
            "v": 9000000,
            "n": 90000,
            "vw": 126.1,
        },
        "prevDailyBar": {
            "t": "2021-02-19T05:00:00Z",
            "o": 124.0,
            "h": 126.0,
            "l": 123.5,
            "c": 125.2,
            "v": 8000000,
            "n": 80000,
            "vw": 125.0,
        },
    }
}


def test_full_snapshot_decodes_exactly() -> None:
    snapshots, problems = decode_snapshots(json.dumps(GOOD).encode())
    assert problems == []
    snap = snapshots["AAPL"]
    assert snap.latest_trade is not None
    assert snap.latest_trade.price == 126.55
    assert snap.latest_trade.timestamp_ns == 1614009104208123456
    assert snap.latest_quote is not None
    assert snap.latest_quote.ask_size == 4  # "as" is the ask SIZE
    assert snap.latest_quote.timestamp_ns % 1_000_000_000 == 335689322
    assert snap.prev_daily_bar is not None
    assert snap.prev_daily_bar.close == 125.2
    assert snap.daily_bar is not None
    assert snap.daily_bar.kind is BarKind.DAILY


def test_bad_entry_is_skipped_and_reported() -> None:
    body: dict[str, object] = dict(GOOD)
    body["MSFT"] = {"latestTrade": {"t": "not a time", "p": 1.0, "s": 1}}
    body["TSLA"] = {
        "latestQuote": {"t": "2021-02-22T15:51:45Z", "bp": -1.0, "bs": 1, "ap": 1.0, "as": 1}
    }
    body["AMD"] = None
    snapshots, problems = decode_snapshots(json.dumps(body).encode())
    assert set(snapshots) == {"AAPL"}
    assert len(problems) == 2
    assert any(p.startswith("MSFT") for p in problems)
    assert any(p.startswith("TSLA") for p in problems)


def test_wrapped_and_garbage_replies() -> None:
    snapshots, problems = decode_snapshots(json.dumps({"snapshots": GOOD}).encode())
    assert set(snapshots) == {"AAPL"}
    assert problems == []
    for garbage in (b"", b"[]", b"{", b"\xff\xfe", b"null"):
        snapshots, problems = decode_snapshots(garbage)
        assert snapshots == {}
        assert len(problems) == 1


def test_partial_snapshot_is_fine() -> None:
    snapshots, problems = decode_snapshots(
        b'{"SPY": {"prevDailyBar": {"t": "2021-02-19T05:00:00Z",'
        b' "o": 1, "h": 2, "l": 0.5, "c": 1.5, "v": 10}}}'
    )
    assert problems == []
    assert snapshots["SPY"].latest_trade is None
    assert snapshots["SPY"].prev_daily_bar is not None


def test_go_zero_time_makes_only_that_part_absent_with_a_problem() -> None:
    """Issue 12, #10: `0001-01-01T00:00:00Z` (Go's zero time) once ended the REST poller."""
    entry = json.loads(json.dumps(GOOD["AAPL"]))
    entry["latestTrade"]["t"] = "0001-01-01T00:00:00Z"
    entry["minuteBar"]["t"] = "1969-12-31T23:59:59Z"
    entry["dailyBar"]["t"] = "yesterday"
    del entry["latestQuote"]["t"]
    snapshots, problems = decode_snapshots(json.dumps({"AAPL": entry}).encode())
    snap = snapshots["AAPL"]
    assert snap.latest_trade is None
    assert snap.latest_quote is None
    assert snap.minute_bar is None
    assert snap.daily_bar is None
    assert snap.prev_daily_bar is not None  # the rest of the entry still applies
    assert snap.prev_daily_bar.close == 125.2
    assert sorted(problems) == [
        "AAPL: daily bar has an unreadable time 'yesterday'; ignored",
        "AAPL: latest quote has no time; ignored",
        "AAPL: latest trade has no valid time (0001-01-01T00:00:00Z); ignored",
        "AAPL: minute bar has no valid time (1969-12-31T23:59:59Z); ignored",
    ]


def test_an_entry_with_nothing_usable_is_skipped() -> None:
    body = {"AAPL": {"latestTrade": {"t": "0001-01-01T00:00:00Z", "p": 1.0, "s": 1}}}
    snapshots, problems = decode_snapshots(json.dumps(body).encode())
    assert snapshots == {}
    assert problems == ["AAPL: latest trade has no valid time (0001-01-01T00:00:00Z); ignored"]


def test_a_zero_time_snapshot_applies_without_raising() -> None:
    from engine.market.store import MarketDataStore, Source

    body = {
        "AAPL": {
            "latestTrade": {"t": "0001-01-01T00:00:00Z", "p": 1.0, "s": 1},
            "dailyBar": GOOD["AAPL"]["dailyBar"],
            "prevDailyBar": GOOD["AAPL"]["prevDailyBar"],
        }
    }
    snapshots, _ = decode_snapshots(json.dumps(body).encode())
    store = MarketDataStore()
    store.watch(["AAPL"])
    store.apply(snapshots["AAPL"], 1.0, Source.REST)  # raised OverflowError before the fix
    snap = store.get("AAPL")
    assert snap is not None
    assert snap.prev_close == 125.2
    assert snap.last_price is None
