"""Tests for engine.market.store: merge rules, TTL freshness, change sets (fake clock, no sleep)."""

from __future__ import annotations

import math
import sys

import pytest

from engine.events import (
    Authenticated,
    Bar,
    BarKind,
    CancelError,
    Connected,
    Correction,
    DecodeError,
    Imbalance,
    Luld,
    Quote,
    ServerError,
    Snapshot,
    Subscription,
    Trade,
    TradingStatus,
    UnknownMessage,
)
from engine.market.store import (
    DEFAULT_TTLS,
    Freshness,
    MarketDataStore,
    Source,
    SymbolSnapshot,
    TtlPolicy,
)

DAY = 1_700_000_000 * 1_000_000_000  # a day start (ns) used as the daily bar timestamp
S = 1_000_000_000


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def trade(price: float, t: int, size: int = 100, tid: int = 1, symbol: str = "AAPL") -> Trade:
    return Trade(symbol, price, size, DAY + t * S, trade_id=tid, exchange="V")


def quote(bid: float, ask: float, t: int, symbol: str = "AAPL") -> Quote:
    return Quote(symbol, bid, 3, ask, 5, DAY + t * S)


def bar(kind: BarKind, o: float, h: float, lo: float, c: float, v: int, t_ns: int) -> Bar:
    return Bar(kind, "AAPL", o, h, lo, c, v, t_ns, vwap=(h + lo) / 2)


def status(code: str, t: int, reason: str = "", message: str = "msg") -> TradingStatus:
    return TradingStatus("AAPL", code, message, "T1", reason, DAY + t * S)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(clock: FakeClock) -> MarketDataStore:
    s = MarketDataStore(clock=clock)
    s.watch(["AAPL"])
    s.drain_changes()
    return s


def snap(store: MarketDataStore, symbol: str = "AAPL") -> SymbolSnapshot:
    result = store.get(symbol)
    assert result is not None
    return result


# --- merge rules ----------------------------------------------------------------------


def test_trade_then_quote_keeps_both(store: MarketDataStore) -> None:
    assert store.apply(trade(100.0, 1))
    assert store.apply(quote(99.9, 100.1, 2))
    s = snap(store)
    assert (s.last_price, s.last_size, s.last_exchange, s.last_trade_id) == (100.0, 100, "V", 1)
    assert (s.bid_price, s.bid_size, s.ask_price, s.ask_size) == (99.9, 3, 100.1, 5)
    assert s.last_trade_ns == DAY + S
    assert s.quote_ns == DAY + 2 * S
    assert s.updates == 2
    assert store.applied == 2


def test_quote_then_trade_keeps_both(store: MarketDataStore) -> None:
    store.apply(quote(10.0, 10.2, 1))
    store.apply(trade(10.1, 2))
    store.apply(quote(10.05, 10.15, 3))
    s = snap(store)
    assert s.last_price == 10.1  # a quote never moves the last price
    assert (s.bid_price, s.ask_price) == (10.05, 10.15)  # a trade never clears the quote


@pytest.mark.parametrize(
    ("newer", "older", "field", "expected"),
    [
        (trade(50.0, 10), trade(49.0, 5), "last_price", 50.0),
        (quote(1.0, 2.0, 10), quote(3.0, 4.0, 5), "bid_price", 1.0),
        (status("H", 10, "news"), status("T", 5), "halted", True),
        (
            Luld("AAPL", 11.0, 9.0, "B", DAY + 10 * S),
            Luld("AAPL", 20.0, 1.0, "B", DAY),
            "luld_up",
            11.0,
        ),
    ],
)
def test_older_message_never_overwrites_newer(
    store: MarketDataStore, newer: object, older: object, field: str, expected: object
) -> None:
    assert store.apply(newer)  # type: ignore[arg-type]
    assert not store.apply(older)  # type: ignore[arg-type]
    assert getattr(snap(store), field) == expected
    assert store.rejected_out_of_order == 1
    assert store.last_rejection is not None
    assert "older" in store.last_rejection


def test_out_of_order_is_per_group(store: MarketDataStore) -> None:
    store.apply(trade(50.0, 10))
    # An older quote is still news for the quote group.
    assert store.apply(quote(49.0, 51.0, 5))
    assert snap(store).bid_price == 49.0
    assert store.rejected_out_of_order == 0


def test_equal_timestamp_applies(store: MarketDataStore) -> None:
    store.apply(trade(50.0, 10, tid=1))
    assert store.apply(trade(50.5, 10, tid=2))  # two prints in the same nanosecond
    assert snap(store).last_trade_id == 2


def test_tick_is_against_previous_different_price(store: MarketDataStore) -> None:
    store.apply(trade(10.0, 1, tid=1))
    assert snap(store).tick == 0
    store.apply(trade(10.5, 2, tid=2))
    assert snap(store).tick == 1
    store.apply(trade(10.5, 3, tid=3))
    assert snap(store).tick == 1  # unchanged price keeps the last direction
    store.apply(trade(10.2, 4, tid=4))
    assert snap(store).tick == -1


def test_invalid_prices_rejected_and_counted(store: MarketDataStore) -> None:
    store.apply(trade(10.0, 1))
    assert not store.apply(trade(math.nan, 2))
    assert not store.apply(trade(-1.0, 3))
    assert not store.apply(quote(math.inf, 10.0, 4))
    assert store.rejected_invalid == 3
    assert snap(store).last_price == 10.0
    assert store.last_rejection is not None
    assert "AAPL" in store.last_rejection


def test_zero_bid_is_an_empty_side(store: MarketDataStore) -> None:
    assert store.apply(quote(0.0, 10.0, 1))
    s = snap(store)
    assert s.bid_price == 0.0
    assert s.spread is None
    assert s.mid is None


# --- day stats --------------------------------------------------------------------------


def test_trade_without_daily_bar_leaves_day_stats_empty(store: MarketDataStore) -> None:
    store.apply(trade(10.0, 1))
    s = snap(store)
    assert (s.open, s.high, s.low, s.volume) == (None, None, None, None)


def test_daily_bar_then_trades_and_minute_bars(store: MarketDataStore) -> None:
    store.apply(bar(BarKind.DAILY, 10.0, 11.0, 9.0, 10.5, 1000, DAY))
    s = snap(store)
    assert (s.open, s.high, s.low, s.volume, s.vwap) == (10.0, 11.0, 9.0, 1000, 10.0)
    store.apply(trade(11.5, 60, size=10))
    assert (s.high, s.low, s.volume) == (11.5, 9.0, 1010)
    store.apply(trade(8.5, 61, size=5, tid=2))
    assert (s.high, s.low, s.volume) == (11.5, 8.5, 1015)
    # A minute bar extends high/low but does not add volume (trades already did).
    assert store.apply(bar(BarKind.MINUTE, 9.0, 12.0, 9.0, 11.0, 50, DAY + 120 * S))
    assert (s.high, s.low, s.volume) == (12.0, 8.5, 1015)
    # An updated minute bar inside the range changes nothing.
    assert not store.apply(bar(BarKind.UPDATED, 9.0, 10.0, 9.0, 9.5, 50, DAY + 120 * S))
    # The next daily bar of the same day replaces the day stats.
    store.apply(bar(BarKind.DAILY, 10.0, 12.5, 8.4, 10.0, 2000, DAY))
    assert (s.high, s.low, s.volume) == (12.5, 8.4, 2000)


def test_older_day_bar_rejected_and_other_day_trades_not_counted(store: MarketDataStore) -> None:
    store.apply(bar(BarKind.DAILY, 10.0, 11.0, 9.0, 10.5, 1000, DAY))
    assert not store.apply(bar(BarKind.DAILY, 1.0, 1.0, 1.0, 1.0, 1, DAY - 86_400 * S))
    assert store.rejected_out_of_order == 1
    # A minute bar or trade from the next day has no baseline yet, so neither counts.
    # Issue 12 (#2) changed what this asserted: the next day's bar rolls the day (a change:
    # it was `assert not`), and yesterday's high/low/volume (11.0, 9.0, 1000) no longer sit
    # beside today's price; yesterday's close is the previous close.
    assert store.apply(bar(BarKind.MINUTE, 1.0, 99.0, 0.5, 1.0, 5, DAY + 86_400 * S))
    store.apply(trade(99.0, 86_400 + 1))
    s = snap(store)
    assert (s.high, s.low, s.volume) == (None, None, None)
    assert s.prev_close == 10.5
    assert s.last_price == 99.0


def test_minute_bar_without_daily_bar_is_not_a_change(store: MarketDataStore) -> None:
    assert not store.apply(bar(BarKind.MINUTE, 1.0, 2.0, 0.5, 1.5, 10, DAY))
    assert snap(store).high is None
    assert store.drain_changes() == set()


# --- corrections and cancels --------------------------------------------------------


def test_correction_of_last_trade(store: MarketDataStore) -> None:
    store.apply(bar(BarKind.DAILY, 10.0, 11.0, 9.0, 10.5, 1000, DAY))
    store.apply(trade(10.0, 1, size=100, tid=1))
    store.apply(trade(10.5, 2, size=100, tid=2))
    fix = Correction("AAPL", "V", 2, 10.5, 100, 22, 9.5, 60, DAY + 3 * S)
    assert store.apply(fix)
    s = snap(store)
    assert (s.last_price, s.last_size, s.last_trade_id) == (9.5, 60, 22)
    assert s.tick == -1  # 9.5 below the previous print at 10.0
    assert s.volume == 1000 + 100 + 60


def test_correction_of_unknown_trade_is_counted(store: MarketDataStore) -> None:
    store.apply(trade(10.0, 1, tid=1))
    fix = Correction("AAPL", "V", 77, 10.5, 100, 78, 9.5, 60, DAY + 3 * S)
    assert not store.apply(fix)
    assert store.unmatched_corrections == 1
    assert snap(store).last_price == 10.0


def test_cancel_reverts_to_previous_trade(store: MarketDataStore) -> None:
    store.apply(bar(BarKind.DAILY, 10.0, 11.0, 9.0, 10.5, 1000, DAY))
    store.apply(trade(10.0, 1, size=100, tid=1))
    store.apply(trade(10.7, 2, size=50, tid=2))
    assert store.apply(CancelError("AAPL", 2, "V", 10.7, 50, "C", DAY + 3 * S))
    s = snap(store)
    assert (s.last_price, s.last_size, s.last_trade_id, s.last_trade_ns) == (
        10.0,
        100,
        1,
        DAY + S,
    )
    assert s.volume == 1100
    assert s.tick == 0
    assert not s.last_cancelled
    # Only one previous trade is kept: a second cancel marks instead of reverting.
    assert store.apply(CancelError("AAPL", 1, "V", 10.0, 100, "C", DAY + 4 * S))
    assert s.last_cancelled
    assert s.last_price == 10.0
    # The next trade clears the mark; the voided price is no tick reference.
    store.apply(trade(9.0, 5, tid=3))
    assert not s.last_cancelled
    assert s.tick == 0


def test_cancel_of_previous_trade_forgets_it(store: MarketDataStore) -> None:
    store.apply(trade(10.0, 1, tid=1))
    store.apply(trade(10.7, 2, tid=2))
    assert store.apply(CancelError("AAPL", 1, "V", 10.0, 100, "E", DAY + 3 * S))
    assert store.apply(CancelError("AAPL", 2, "V", 10.7, 100, "C", DAY + 4 * S))
    assert snap(store).last_cancelled  # nothing valid to revert to


def test_cancel_with_unknown_action_is_invalid(store: MarketDataStore) -> None:
    store.apply(trade(10.0, 1, tid=1))
    assert not store.apply(CancelError("AAPL", 1, "V", 10.0, 100, "Z", DAY + 3 * S))
    assert store.rejected_invalid == 1
    assert not snap(store).last_cancelled


# --- halts and LULD -------------------------------------------------------------------


def test_halt_and_resume(store: MarketDataStore) -> None:
    assert store.apply(status("H", 1, reason="News pending", message="Trading Halt"))
    s = snap(store)
    assert s.halted
    assert s.halt_reason == "News pending"
    assert (s.status_code, s.status_message) == ("H", "Trading Halt")
    store.apply(status("F", 2, message="LULD"))  # neither halt nor resume
    assert s.halted
    assert store.apply(status("T", 3, message="Trading Resumption"))
    assert not s.halted
    assert s.halt_reason is None
    assert s.status_code == "T"


def test_halt_reason_falls_back_to_status_message(store: MarketDataStore) -> None:
    store.apply(status("2", 1, reason="", message="Halt"))
    assert snap(store).halt_reason == "Halt"
    store.apply(status("3", 2))
    assert not snap(store).halted


def test_luld_bands(store: MarketDataStore) -> None:
    assert store.apply(Luld("AAPL", 105.0, 95.0, "B", DAY + S))
    s = snap(store)
    assert (s.luld_up, s.luld_down) == (105.0, 95.0)


# --- properties -------------------------------------------------------------------------


def test_spread_change_properties() -> None:
    s = SymbolSnapshot("X")
    assert (s.spread, s.mid, s.change, s.change_pct) == (None, None, None, None)
    s.last_price = 11.0
    assert s.change is None
    s.prev_close = 0.0
    assert s.change == 11.0
    assert s.change_pct is None  # prev_close 0 is safe
    s.prev_close = 10.0
    assert s.change == pytest.approx(1.0)
    assert s.change_pct == pytest.approx(10.0)
    s.bid_price, s.ask_price = 10.9, 11.1
    assert s.spread == pytest.approx(0.2)
    assert s.mid == pytest.approx(11.0)


# --- non-market and unwatched ----------------------------------------------------------


@pytest.mark.parametrize(
    "event",
    [
        Connected(),
        Authenticated(),
        ServerError(402, "auth failed"),
        Subscription(trades=frozenset({"AAPL"})),
        UnknownMessage("zz", "AAPL"),
        DecodeError("bad", "t", "AAPL"),
        Imbalance("AAPL", 10.0, DAY),
    ],
)
def test_non_market_events_return_false(store: MarketDataStore, event: object) -> None:
    assert not store.apply(event)  # type: ignore[arg-type]
    assert store.drain_changes() == set()
    assert store.ignored_unwatched == 0


def test_unwatched_ignored_and_counted(store: MarketDataStore) -> None:
    assert not store.apply(trade(1.0, 1, symbol="MSFT"))
    assert store.ignored_unwatched == 1
    assert "MSFT" not in store
    store.set_accept_all(True)
    assert store.apply(trade(1.0, 1, symbol="MSFT"))
    assert "MSFT" in store
    assert store.drain_changes() == {"MSFT"}


def test_watch_normalises_and_unwatch_bounds_memory(clock: FakeClock) -> None:
    store = MarketDataStore(clock=clock)
    store.watch([" aapl", "MSFT", "", "MSFT"])
    assert store.symbols() == ["AAPL", "MSFT"]
    assert len(store) == 2
    assert store.drain_changes() == {"AAPL", "MSFT"}
    for i in range(1000):
        symbol = f"S{i}"
        store.watch([symbol])
        store.apply(trade(1.0 + i, i, symbol=symbol))
        store.unwatch([symbol])
    assert len(store) == 2
    assert store.get("S5") is None
    assert len(store.drain_changes()) == 1000
    assert store.drain_changes() == set()


# --- change tracking ---------------------------------------------------------------------


def test_drain_empties_and_coalesces(store: MarketDataStore) -> None:
    store.watch(["MSFT"])
    for i in range(500):
        store.apply(trade(100.0 + i % 7, i, tid=i))
    store.apply(quote(1.0, 2.0, 1, symbol="MSFT"))
    assert store.drain_changes() == {"AAPL", "MSFT"}
    assert store.drain_changes() == set()
    assert snap(store).updates == 500


def test_apply_many_counts_changes(store: MarketDataStore, clock: FakeClock) -> None:
    n = store.apply_many([trade(1.0, 1), trade(0.5, 0), quote(1.0, 1.1, 1), Connected()])
    assert n == 2
    assert snap(store).received_at == clock.now


def test_explicit_received_at_is_used(store: MarketDataStore) -> None:
    store.apply(trade(1.0, 1), received_at=5.0)
    assert snap(store).received_at == 5.0


# --- freshness -------------------------------------------------------------------------


@pytest.mark.parametrize("source", list(Source))
def test_ttl_transitions_per_source(
    store: MarketDataStore, clock: FakeClock, source: Source
) -> None:
    policy = DEFAULT_TTLS[source]
    assert store.freshness("AAPL") is Freshness.EMPTY
    assert store.age("AAPL") is None
    store.apply(trade(1.0, 1), source=source)
    assert snap(store).source is source
    assert store.freshness("AAPL") is Freshness.FRESH
    clock.advance(policy.stale_after - 0.5)
    assert store.freshness("AAPL") is Freshness.FRESH
    clock.advance(1.0)
    assert store.freshness("AAPL") is Freshness.STALE
    assert store.age("AAPL") == pytest.approx(policy.stale_after + 0.5)
    clock.advance(policy.expired_after - policy.stale_after)
    assert store.freshness("AAPL") is Freshness.EXPIRED


def test_default_ttls_make_sense() -> None:
    stream, rest = DEFAULT_TTLS[Source.STREAM], DEFAULT_TTLS[Source.REST]
    assert stream.stale_after >= 120  # quiet IEX symbols are normal for minutes
    assert rest.stale_after < stream.stale_after
    assert DEFAULT_TTLS[Source.SIMULATOR] == stream


def test_custom_ttls_and_validation(clock: FakeClock) -> None:
    with pytest.raises(ValueError, match="stale_after"):
        TtlPolicy(10.0, 5.0)
    with pytest.raises(ValueError, match="rest"):
        MarketDataStore(clock=clock, ttls={Source.STREAM: TtlPolicy(1, 2)})
    ttls = {source: TtlPolicy(1.0, 2.0) for source in Source}
    store = MarketDataStore(clock=clock, ttls=ttls)
    store.watch(["AAPL"])
    store.apply(trade(1.0, 1))
    clock.advance(1.5)
    assert store.freshness("AAPL") is Freshness.STALE
    assert store.freshness("NOPE") is Freshness.EMPTY


def test_disconnect_makes_stream_data_stale_then_new_data_fresh(
    store: MarketDataStore, clock: FakeClock
) -> None:
    store.watch(["MSFT", "IBM"])
    store.apply(trade(1.0, 1))
    store.apply(trade(2.0, 1, symbol="MSFT"), source=Source.REST)
    store.drain_changes()
    store.set_stream_connected(False)
    assert not store.stream_connected
    assert store.freshness("AAPL") is Freshness.STALE  # at once
    assert store.freshness("MSFT") is Freshness.FRESH  # REST data does not depend on the link
    assert store.drain_changes() == {"AAPL"}  # stream-sourced only, IBM has no data
    store.set_stream_connected(True)
    # Reconnected, but trades may have been missed in the gap: still stale ...
    assert store.freshness("AAPL") is Freshness.STALE
    # ... until new data arrives.
    store.apply(quote(0.9, 1.1, 2))
    assert store.freshness("AAPL") is Freshness.FRESH


def test_disconnected_stream_data_expires_from_receipt(
    store: MarketDataStore, clock: FakeClock
) -> None:
    store.apply(trade(1.0, 1), source=Source.SIMULATOR)
    clock.advance(100.0)
    store.set_stream_connected(False)
    clock.advance(DEFAULT_TTLS[Source.SIMULATOR].expired_after - 100.0 - 1.0)
    assert store.freshness("AAPL") is Freshness.STALE
    clock.advance(1.0)
    assert store.freshness("AAPL") is Freshness.EXPIRED


def test_set_stream_connected_same_state_is_a_no_op(store: MarketDataStore) -> None:
    store.apply(trade(1.0, 1))
    store.drain_changes()
    store.set_stream_connected(True)
    assert store.drain_changes() == set()
    assert store.freshness("AAPL") is Freshness.FRESH


def test_sweep_reports_transitions_once(store: MarketDataStore, clock: FakeClock) -> None:
    store.watch(["MSFT"])
    store.apply(trade(1.0, 1))
    store.apply(trade(1.0, 1, symbol="MSFT"), source=Source.REST)
    assert store.sweep() == {"AAPL", "MSFT"}  # empty -> fresh
    store.drain_changes()
    assert store.sweep() == set()
    clock.advance(DEFAULT_TTLS[Source.REST].stale_after + 1)
    assert store.sweep() == {"MSFT"}  # REST went stale, stream not yet
    assert store.drain_changes() == {"MSFT"}  # sweep feeds the change set
    assert store.sweep() == set()
    clock.advance(DEFAULT_TTLS[Source.STREAM].stale_after)
    assert store.sweep() == {"AAPL"}
    store.set_stream_connected(False)
    assert store.sweep() == set()  # already stale
    clock.advance(DEFAULT_TTLS[Source.STREAM].expired_after)
    assert store.sweep(clock.now) == {"AAPL", "MSFT"}
    assert store.freshness("AAPL") is Freshness.EXPIRED


def test_sweep_sees_disconnect(store: MarketDataStore) -> None:
    store.apply(trade(1.0, 1))
    store.sweep()
    store.set_stream_connected(False)
    assert store.sweep() == {"AAPL"}
    store.set_stream_connected(True)
    store.apply(trade(1.1, 2, tid=2))
    assert store.sweep() == {"AAPL"}


# --- REST snapshots ----------------------------------------------------------------------


def rest_snapshot(
    trade_t: int | None = None, quote_t: int | None = None, price: float = 10.0
) -> Snapshot:
    return Snapshot(
        "AAPL",
        latest_trade=None if trade_t is None else trade(price, trade_t, tid=trade_t),
        latest_quote=None if quote_t is None else quote(price - 0.1, price + 0.1, quote_t),
        daily_bar=bar(BarKind.DAILY, 9.0, 11.0, 8.0, 10.0, 5000, DAY),
        prev_daily_bar=bar(BarKind.DAILY, 8.0, 9.5, 7.5, 9.0, 4000, DAY - 86_400 * S),
    )


def test_rest_snapshot_fills_everything(store: MarketDataStore) -> None:
    assert store.apply(rest_snapshot(trade_t=5, quote_t=6))
    s = snap(store)
    assert s.source is Source.REST  # Snapshot events default to REST
    assert (s.last_price, s.bid_price, s.ask_price) == (10.0, 9.9, 10.1)
    assert (s.open, s.high, s.low, s.volume, s.vwap) == (9.0, 11.0, 8.0, 5000, 9.5)
    assert s.prev_close == 9.0
    assert s.change == pytest.approx(1.0)


def test_rest_snapshot_older_than_stream_keeps_stream(
    store: MarketDataStore, clock: FakeClock
) -> None:
    store.apply(trade(12.0, 100, tid=100))
    store.apply(quote(11.9, 12.1, 100))
    clock.advance(10.0)
    assert store.apply(rest_snapshot(trade_t=50, quote_t=50))  # day stats still apply
    s = snap(store)
    assert (s.last_price, s.bid_price) == (12.0, 11.9)
    assert s.prev_close == 9.0
    assert s.volume == 5000
    assert s.source is Source.STREAM  # what is shown is stream data
    assert store.age("AAPL") == pytest.approx(10.0)
    assert store.rejected_out_of_order == 2


def test_rest_snapshot_newer_than_stream_takes_over(
    store: MarketDataStore, clock: FakeClock
) -> None:
    store.apply(trade(12.0, 100, tid=100))
    store.set_stream_connected(False)
    clock.advance(30.0)
    store.apply(rest_snapshot(trade_t=200, price=12.5))
    s = snap(store)
    assert s.last_price == 12.5
    assert s.tick == 1
    assert s.source is Source.REST
    assert store.freshness("AAPL") is Freshness.FRESH  # REST fallback while the link is down
    # REST's latest trade is already inside its daily bar: volume is not added twice.
    assert s.volume == 5000
    store.set_stream_connected(True)
    store.apply(trade(12.6, 201, tid=201))
    assert snap(store).source is Source.STREAM


def test_rest_snapshot_confirming_stream_data_refreshes_it(
    store: MarketDataStore, clock: FakeClock
) -> None:
    store.apply(trade(10.0, 100, tid=100))
    clock.advance(DEFAULT_TTLS[Source.STREAM].stale_after + 1)
    assert store.freshness("AAPL") is Freshness.STALE
    assert store.apply(rest_snapshot(trade_t=100))  # same print, seen again by REST now
    assert snap(store).source is Source.REST
    assert store.freshness("AAPL") is Freshness.FRESH


def test_older_prev_daily_bar_rejected(store: MarketDataStore) -> None:
    store.apply(rest_snapshot())
    older = Snapshot(
        "AAPL", prev_daily_bar=bar(BarKind.DAILY, 1, 1, 1, 1.0, 1, DAY - 2 * 86_400 * S)
    )
    assert not store.apply(older)
    assert snap(store).prev_close == 9.0


def test_day_stats_only_snapshot_sets_source_when_empty(store: MarketDataStore) -> None:
    assert store.apply(Snapshot("AAPL", daily_bar=bar(BarKind.DAILY, 1, 2, 0.5, 1.5, 10, DAY)))
    assert snap(store).source is Source.REST
    assert store.freshness("AAPL") is Freshness.FRESH
    assert not store.apply(Snapshot("AAPL"))


def test_snapshot_memory_is_small() -> None:
    # slots dataclass: no per-instance __dict__
    assert not hasattr(SymbolSnapshot("X"), "__dict__")
    assert sys.getsizeof(SymbolSnapshot("X")) < 600


def test_reset_forgets_values_keeps_watchlist_and_switches_source() -> None:
    store = MarketDataStore(clock=lambda: 100.0, default_source=Source.SIMULATOR)
    store.watch(["AAPL"])
    store.apply(Quote("AAPL", 1.0, 1, 1.1, 1, 1_000), received_at=100.0)
    store.drain_changes()
    store.reset(default_source=Source.STREAM)
    snap = store.get("AAPL")
    assert snap is not None
    assert snap.bid_price is None
    assert snap.source is Source.STREAM
    assert store.drain_changes() == {"AAPL"}
    # Older exchange times are accepted again: nothing simulated wins by timestamp.
    assert store.apply(Quote("AAPL", 2.0, 1, 2.1, 1, 10), received_at=100.0)
    assert store.get("AAPL").source is Source.STREAM  # type: ignore[union-attr]


def test_observers_see_applied_events_only() -> None:
    store = MarketDataStore(clock=lambda: 5.0)
    store.watch(["AAPL"])
    seen: list[tuple[object, str]] = []

    def observer(event: object, snap: SymbolSnapshot) -> None:
        seen.append((event, snap.symbol))

    store.add_observer(observer)
    newer = Trade("AAPL", 10.0, 5, 2_000)
    older = Trade("AAPL", 9.0, 5, 1_000)
    assert store.apply(newer)
    assert not store.apply(older)  # rejected: out of order, not observed
    assert not store.apply(Trade("MSFT", 1.0, 1, 3_000))  # unwatched, not observed
    assert seen == [(newer, "AAPL")]
    store.remove_observer(observer)
    store.apply(Trade("AAPL", 11.0, 5, 3_000))
    assert len(seen) == 1


def _ns(text: str) -> int:
    from engine.protocol.timestamps import parse_rfc3339_ns

    return parse_rfc3339_ns(text)


def _bar(day: str, close: float) -> Bar:
    return Bar(BarKind.DAILY, "AAPL", close, close + 1, close - 1, close, 1000, _ns(day))


def test_premarket_snapshot_uses_last_sessions_bar_as_previous_close() -> None:
    store = MarketDataStore(clock=lambda: 1.0)
    store.watch(["AAPL"])
    # Tuesday 08:00 ET pre-market trade; dailyBar is still Monday's, prevDailyBar Friday's.
    snapshot = Snapshot(
        "AAPL",
        latest_trade=Trade("AAPL", 101.0, 10, _ns("2026-11-24T13:00:00Z")),
        daily_bar=_bar("2026-11-23T05:00:00Z", 100.0),
        prev_daily_bar=_bar("2026-11-20T05:00:00Z", 95.0),
    )
    assert store.apply(snapshot)
    s = store.get("AAPL")
    assert s is not None
    assert s.prev_close == 100.0  # Monday's close, not Friday's
    assert s.volume is None  # Monday's volume is not today's


def test_regular_hours_snapshot_uses_prev_daily_bar() -> None:
    store = MarketDataStore(clock=lambda: 1.0)
    store.watch(["AAPL"])
    snapshot = Snapshot(
        "AAPL",
        latest_trade=Trade("AAPL", 101.0, 10, _ns("2026-11-24T16:00:00Z")),
        daily_bar=_bar("2026-11-24T05:00:00Z", 101.0),
        prev_daily_bar=_bar("2026-11-23T05:00:00Z", 100.0),
    )
    assert store.apply(snapshot)
    s = store.get("AAPL")
    assert s is not None
    assert s.prev_close == 100.0
    assert s.volume == 1000


def test_observers_see_bars_inside_the_range() -> None:
    store = MarketDataStore(clock=lambda: 1.0)
    store.watch(["AAPL"])
    seen: list[object] = []
    store.add_observer(lambda event, snap: seen.append(event))
    minute = Bar(BarKind.MINUTE, "AAPL", 1.0, 1.0, 1.0, 1.0, 10, 1_000)
    store.apply(minute)
    store.apply(minute)  # changes nothing the second time, still observed
    assert seen == [minute, minute]


def _stream_events() -> list[object]:
    minute = Bar(BarKind.MINUTE, "AAPL", 1.0, 1.0, 1.0, 1.0, 10, 1_000)
    return [
        Trade("AAPL", 10.0, 5, 2_000),
        Quote("AAPL", 9.9, 1, 10.1, 2, 2_100),
        Trade("AAPL", 9.0, 5, 1_000),  # older: rejected
        Trade("MSFT", 1.0, 1, 3_000),  # unwatched: ignored and counted
        minute,
        minute,  # unchanged, still observed (charts)
        Subscription(trades=frozenset({"AAPL"})),  # a control event mid-frame
        Correction("AAPL", "V", 1, 10.0, 5, 2, 9.6, 5, 2_000),
        TradingStatus("AAPL", "H", "Trading Halt", "T1", "Halt News Pending", 4_000),
        Luld("AAPL", 11.0, 9.0, "A", 4_100),
        Imbalance("AAPL", 10.0, 4_200),  # market data the store does not keep
        Trade("AAPL", 10.5, 5, 5_000),
    ]


class Collector:
    def __init__(self, into: list[object]) -> None:
        self.into = into

    def __call__(self, event: object, snap: SymbolSnapshot) -> None:
        self.into.append(event)


def test_apply_stream_has_the_same_effect_as_apply_per_event() -> None:
    events = _stream_events()
    results = []
    for batch in (False, True):
        store = MarketDataStore(clock=lambda: 5.0)
        store.watch(["AAPL"])
        seen: list[object] = []
        store.add_observer(Collector(seen))
        if batch:
            stops = []
            index, last_ts = store.apply_stream(events, 0, 5.0)  # type: ignore[arg-type]
            while index < len(events):
                stops.append(index)
                index, last_ts = store.apply_stream(events, index + 1, 5.0)  # type: ignore[arg-type]
            assert stops == [6]  # it stops at the control event only
            assert last_ts == 5_000
        else:
            for event in events:
                store.apply(event, 5.0)  # type: ignore[arg-type]
        results.append((repr(store.get("AAPL")), seen, store.ignored_unwatched))
    assert results[0] == results[1]
    assert results[1][2] == 1
