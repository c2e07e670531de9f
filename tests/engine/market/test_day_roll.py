"""The day roll (issue 12, #2): previous close and day stats follow the New York trading day.

Data in, data out through a real store with a fixed clock: no I/O, no sleeping. Dates are
New York wall times of November 2026 (Mon 23, Tue 24, Wed 25, Thu 26 Thanksgiving, Fri 27
an early close at 13:00, Sat 28, Sun 29, Mon 30).
"""

from __future__ import annotations

from datetime import datetime

import pytest

from engine.events import Bar, BarKind, Event, Quote, Snapshot, Trade
from engine.market.calendar import EASTERN
from engine.market.snapshot import SymbolSnapshot
from engine.market.store import MarketDataStore
from engine.market.trading_day import trading_day_of
from tests.engine.market.rows import aapl_store, row

S = 1_000_000_000


def et(day: int, hour: int, minute: int = 0, second: int = 0, month: int = 11) -> int:
    """Exchange ns of a New York wall time in 2026."""
    return int(datetime(2026, month, day, hour, minute, second, tzinfo=EASTERN).timestamp()) * S


def daily(day: int, close: float, volume: int = 1000, symbol: str = "AAPL") -> Bar:
    """A daily bar stamped midnight New York time, as Alpaca stamps them."""
    o, h, lo = close - 1, close + 2, close - 3
    return Bar(BarKind.DAILY, symbol, o, h, lo, close, volume, et(day, 0), vwap=close)


def trade(price: float, ts: int, tid: int, size: int = 10, symbol: str = "AAPL") -> Trade:
    return Trade(symbol, price, size, ts, trade_id=tid, exchange="V")


def quote(bid: float, ts: int, symbol: str = "AAPL") -> Quote:
    return Quote(symbol, bid, 1, bid + 0.02, 1, ts)


@pytest.fixture
def store() -> MarketDataStore:
    return aapl_store()


def day_stats(snap: SymbolSnapshot) -> tuple[object, ...]:
    return (snap.open, snap.high, snap.low, snap.volume, snap.vwap)


def monday_with_rest_and_a_daily_bar(store: MarketDataStore) -> None:
    """Started Monday 10:00: REST says Friday closed at 95; Monday's `d` bar closes at 104."""
    store.apply(
        Snapshot(
            "AAPL",
            latest_trade=trade(100.0, et(23, 10), 1),
            daily_bar=daily(23, 100.0),
            prev_daily_bar=daily(20, 95.0),
        )
    )
    assert row(store).prev_close == 95.0
    store.apply(trade(103.0, et(23, 15, 59), 2))
    store.apply(daily(23, 104.0, volume=5000))


def test_the_first_quote_of_a_new_day_rolls_the_previous_close_to_the_days_daily_bar() -> None:
    store = MarketDataStore(clock=lambda: 1.0)
    store.watch(["AAPL"])
    monday_with_rest_and_a_daily_bar(store)
    snap = row(store)
    assert snap.volume == 5000
    assert store.apply(quote(105.0, et(24, 4, 5)))  # Tuesday pre-market, before any trade
    assert snap.prev_close == 104.0  # Monday's close, no longer Friday's
    assert day_stats(snap) == (None, None, None, None, None)  # nothing of Tuesday yet
    store.apply(trade(106.0, et(24, 4, 6), 3))
    assert snap.change == pytest.approx(2.0)
    assert snap.change_pct == pytest.approx(2.0 / 104.0 * 100)
    assert snap.volume is None  # no Tuesday baseline: a pre-market print is not the day
    store.apply(daily(24, 106.0, volume=300))  # Tuesday's first daily bar
    assert (snap.open, snap.volume, snap.prev_close) == (105.0, 300, 104.0)
    store.apply(trade(107.0, et(24, 9, 31), 4, size=7))
    assert (snap.volume, snap.high) == (307, 108.0)


def test_without_a_daily_bar_the_last_regular_session_print_is_the_previous_close(
    store: MarketDataStore,
) -> None:
    store.apply(Snapshot("AAPL", prev_daily_bar=daily(20, 95.0)))
    store.apply(trade(101.0, et(23, 15, 59, 59), 1))
    store.apply(quote(101.5, et(23, 16, 0, 1)))  # the close passes on a quote
    store.apply(trade(103.0, et(23, 16, 30), 2))  # after hours: not the close
    store.apply(trade(102.0, et(23, 19, 59), 3))
    store.apply(trade(104.0, et(24, 4, 0, 1), 4))  # Tuesday's first print rolls the day
    snap = row(store)
    assert snap.prev_close == 101.0
    assert snap.change == pytest.approx(3.0)


def test_a_roll_straight_from_the_regular_session_uses_the_last_print(
    store: MarketDataStore,
) -> None:
    store.apply(Snapshot("AAPL", prev_daily_bar=daily(20, 95.0)))
    store.apply(trade(101.0, et(23, 15, 59, 59), 1))
    store.apply(trade(99.0, et(24, 9, 30), 2))  # nothing in between (a gap overnight)
    assert row(store).prev_close == 101.0


def test_the_day_is_the_new_york_date_not_the_utc_date(store: MarketDataStore) -> None:
    monday_with_rest_and_a_daily_bar(store)
    snap = row(store)
    store.apply(quote(104.5, et(23, 19, 30)))  # Tuesday 00:30 UTC, still Monday in New York
    assert (snap.prev_close, snap.volume) == (95.0, 5000)
    store.apply(quote(104.6, et(24, 0, 0)))  # New York midnight: Tuesday
    assert (snap.prev_close, snap.volume) == (104.0, None)


def test_a_missed_reference_day_leaves_the_previous_close_unknown_until_rest_says(
    store: MarketDataStore,
) -> None:
    monday_with_rest_and_a_daily_bar(store)
    snap = row(store)
    store.apply(trade(110.0, et(25, 9, 35), 5))  # Wednesday: Tuesday was never seen
    assert snap.prev_close is None  # Monday's close is not Wednesday's reference
    assert snap.change is None
    assert "AAPL" in store.symbols_missing_prev_close()
    rest = Snapshot(
        "AAPL",
        latest_trade=trade(110.0, et(25, 9, 35), 5),
        daily_bar=daily(25, 110.0),
        prev_daily_bar=daily(24, 108.0),
    )
    assert store.apply(rest)
    assert snap.prev_close == 108.0
    assert store.symbols_missing_prev_close() == []


def test_days_without_a_session_keep_the_reference_day(store: MarketDataStore) -> None:
    store.apply(Snapshot("AAPL", prev_daily_bar=daily(25, 48.0)))
    store.apply(trade(50.0, et(27, 12, 0), 1))
    store.apply(daily(27, 50.5))  # Friday (early close) closed at 50.5
    snap = row(store)
    assert snap.prev_close == 48.0
    store.apply(quote(50.6, et(28, 10)))  # Saturday data (a simulator running all week)
    assert snap.prev_close == 50.5
    store.apply(quote(50.7, et(29, 10)))  # Sunday: the reference is still Friday
    store.apply(quote(50.8, et(30, 4, 1)))  # Monday pre-market
    assert snap.prev_close == 50.5
    assert day_stats(snap) == (None, None, None, None, None)


def test_an_early_close_ends_the_regular_session_at_1300(store: MarketDataStore) -> None:
    store.apply(Snapshot("AAPL", prev_daily_bar=daily(25, 48.0)))
    store.apply(trade(50.0, et(27, 12, 59, 59), 1))  # the day after Thanksgiving
    store.apply(trade(51.0, et(27, 13, 30), 2))  # after hours already
    store.apply(quote(51.0, et(30, 4, 1)))
    assert row(store).prev_close == 50.0


def test_a_minute_bar_or_daily_bar_of_a_new_day_rolls_the_day(store: MarketDataStore) -> None:
    monday_with_rest_and_a_daily_bar(store)
    snap = row(store)
    minute = Bar(BarKind.MINUTE, "AAPL", 105, 106, 104, 105, 10, et(24, 4, 0))
    assert store.apply(minute)  # the roll changed the row although the bar has no baseline
    assert (snap.prev_close, snap.high) == (104.0, None)
    assert store.apply(daily(25, 99.0))  # Wednesday's: Tuesday's close was never known
    assert (snap.prev_close, snap.open, snap.volume) == (None, 98.0, 1000)


def test_a_rest_snapshot_whose_daily_bar_is_a_new_day_rolls_the_day(
    store: MarketDataStore,
) -> None:
    monday_with_rest_and_a_daily_bar(store)
    rest = Snapshot(
        "AAPL",
        latest_trade=trade(107.0, et(24, 10), 9),
        daily_bar=daily(24, 107.0, volume=800),
        prev_daily_bar=daily(23, 104.2),  # REST's word on Monday's close wins for its day
    )
    assert store.apply(rest)
    snap = row(store)
    assert (snap.prev_close, snap.volume, snap.open) == (104.2, 800, 106.0)


def test_after_a_roll_rest_prev_daily_bar_wins_for_its_own_day(store: MarketDataStore) -> None:
    store.apply(Snapshot("AAPL", prev_daily_bar=daily(20, 95.0)))
    store.apply(trade(101.0, et(23, 15, 59, 59), 1))
    store.apply(quote(101.5, et(24, 7, 0)))  # rolled: the last regular print, 101.0
    snap = row(store)
    assert snap.prev_close == 101.0
    # Tuesday 07:00 REST: dailyBar is still Monday's (the official close), prevDailyBar
    # Friday's. Monday's bar is the previous close and is not today's statistics.
    rest = Snapshot(
        "AAPL",
        latest_trade=trade(101.0, et(23, 15, 59, 59), 1),
        latest_quote=quote(101.5, et(24, 7, 0)),
        daily_bar=daily(23, 101.2),
        prev_daily_bar=daily(20, 95.0),
    )
    store.apply(rest)
    assert snap.prev_close == 101.2
    assert day_stats(snap) == (None, None, None, None, None)
    assert store.rejected_out_of_order == 0  # Friday's bar is simply not needed
    # A stale REST answer (from before Monday) cannot bring Friday's close back.
    assert not store.apply(Snapshot("AAPL", prev_daily_bar=daily(20, 95.0)))
    assert snap.prev_close == 101.2


def test_stream_and_frame_paths_roll_alike() -> None:
    events: list[Event] = [
        trade(101.0, et(23, 15, 59, 59), 1),
        daily(23, 101.5),
        quote(101.6, et(24, 4, 0)),
        trade(102.0, et(24, 4, 1), 2),
    ]
    rows = []
    for batch in (False, True):
        store = MarketDataStore(clock=lambda: 1.0)
        store.watch(["AAPL"])
        if batch:
            store.apply_stream(events, 0, 1.0)
        else:
            for event in events:
                store.apply(event, 1.0)
        rows.append(repr(store.get("AAPL")))
        assert row(store).prev_close == 101.5
    assert rows[0] == rows[1]


def test_trading_day_bounds_follow_new_york_time_across_dst() -> None:
    # 2026-03-08: clocks go forward at 02:00, a 23-hour day.
    sunday = trading_day_of(et(8, 12, month=3))
    assert sunday.end_ns - sunday.start_ns == 23 * 3600 * S
    assert not sunday.is_trading
    assert (sunday.open_ns, sunday.close_ns) == (0, 0)
    assert trading_day_of(sunday.start_ns - 1).day.day == 7
    assert trading_day_of(sunday.end_ns).day.day == 9
    friday = trading_day_of(et(27, 10))
    assert friday.close_ns == et(27, 13)  # early close
    assert friday.prev_date.day == 25  # Thanksgiving is no trading day
    assert trading_day_of(et(27, 10)) is friday  # cached
    # Times no datetime can hold never raise.
    trading_day_of(-62_135_596_800 * S)
    trading_day_of(10**21)
