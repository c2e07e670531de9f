"""engine.market.figures: every figure against values computed by hand from built bars."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from engine.events import Bar, BarKind
from engine.market import figures as fig
from engine.market.calendar import day_start, to_ns
from engine.market.history import PriceHistory, SymbolHistory
from engine.market.history_load import HistoryLoad, Resync
from engine.market.snapshot import SymbolSnapshot
from tests.engine.market.history_bars import DAY, MIN, bar, et

PREV = date(2024, 3, 11)  # the Monday before DAY
EARLY = date(2024, 11, 29)  # the day after Thanksgiving: the close is 13:00 ET


def snap(**fields: object) -> SymbolSnapshot:
    return SymbolSnapshot("AAPL", **fields)  # type: ignore[arg-type]


def history(*bars_: Bar) -> tuple[PriceHistory, SymbolHistory]:
    prices = PriceHistory()
    prices.load_intraday("AAPL", list(bars_))
    h = prices.get("AAPL")
    assert h is not None
    return prices, h


def daily(day: date, high: float, low: float, volume: int = 1_000, close: float = 100.0) -> Bar:
    return bar(to_ns(day_start(day)), close, volume, high=high, low=low, kind=BarKind.DAILY)


def test_gap_pct_is_open_vs_previous_close() -> None:
    assert fig.gap_pct(snap(open=105.0, prev_close=100.0)) == pytest.approx(5.0)
    assert fig.gap_pct(snap(open=95.0, prev_close=100.0)) == pytest.approx(-5.0)
    assert fig.gap_pct(snap(open=105.0)) is None
    assert fig.gap_pct(snap(open=105.0, prev_close=0.0)) is None


def test_premarket_change_from_the_last_premarket_bar() -> None:
    _, h = history(
        bar(et(DAY, 4, 0), 101.0), bar(et(DAY, 9, 29), 102.0), bar(et(DAY, 9, 30), 103.0)
    )
    s = snap(last_price=104.0, last_trade_ns=et(DAY, 10, 0), prev_close=100.0)
    assert fig.premarket_change_pct(s, h) == pytest.approx(2.0)  # 09:29's close
    # Still pre-market: the last price is newer than any bar.
    s = snap(last_price=99.0, last_trade_ns=et(DAY, 9, 29, 30), prev_close=100.0)
    assert fig.premarket_change_pct(s, h) == pytest.approx(-1.0)


def test_premarket_change_none_without_a_premarket_print() -> None:
    _, h = history(bar(et(DAY, 9, 30), 103.0))
    s = snap(last_price=104.0, last_trade_ns=et(DAY, 10, 0), prev_close=100.0)
    assert fig.premarket_change_pct(s, h) is None
    assert fig.premarket_change_pct(s, None) is None


def test_premarket_change_falls_back_to_the_daily_close_before_the_day() -> None:
    prices, h = history(bar(et(DAY, 8, 0), 90.0))
    prices.load_daily("AAPL", [daily(PREV, 81, 79, close=80.0)])
    s = snap(last_price=91.0, last_trade_ns=et(DAY, 10, 0))
    assert fig.premarket_change_pct(s, h) == pytest.approx(12.5)


def test_afterhours_change_vs_the_regular_close_once_past_the_close() -> None:
    _, h = history(
        bar(et(DAY, 15, 59), 110.0), bar(et(DAY, 16, 0), 111.0), bar(et(DAY, 16, 5), 112.0)
    )
    s = snap(last_price=113.0, last_trade_ns=et(DAY, 16, 10))
    assert fig.afterhours_change_pct(s, h) == pytest.approx((113 - 110) / 110 * 100)
    # Bars only (the snapshot's last print is older): the last after-hours bar's close.
    s = snap(last_price=110.0, last_trade_ns=et(DAY, 15, 59, 59))
    assert fig.afterhours_change_pct(s, h) == pytest.approx((112 - 110) / 110 * 100)


def test_afterhours_change_none_before_the_close() -> None:
    _, h = history(bar(et(DAY, 15, 0), 110.0))
    s = snap(last_price=111.0, last_trade_ns=et(DAY, 15, 30))
    assert fig.afterhours_change_pct(s, h) is None


def test_afterhours_change_without_bars_uses_the_regular_price_kept() -> None:
    s = snap(last_price=99.0, last_trade_ns=et(DAY, 17, 0), _regular_price=100.0)
    assert fig.afterhours_change_pct(s, None) == pytest.approx(-1.0)


def test_afterhours_starts_at_13_00_on_an_early_close() -> None:
    _, h = history(bar(et(EARLY, 12, 59), 50.0), bar(et(EARLY, 13, 30), 51.0))
    s = snap(last_price=52.0, last_trade_ns=et(EARLY, 13, 45))
    assert fig.afterhours_change_pct(s, h) == pytest.approx(4.0)


def test_52_week_range_combines_daily_history_with_today() -> None:
    prices, h = history(bar(et(DAY, 10, 0), 150.0))
    prices.load_daily(
        "AAPL",
        [
            daily(DAY - timedelta(days=365), 999.0, 1.0),  # outside 52 weeks
            daily(DAY - timedelta(days=300), 140.0, 90.0),
            daily(PREV, 130.0, 95.0),
            daily(DAY, 500.0, 2.0),  # today's partial daily bar: the snapshot has today
        ],
    )
    s = snap(last_price=150.0, last_trade_ns=et(DAY, 10, 0), high=155.0, low=120.0)
    assert fig.high_52w(s, h) == 155.0  # today's high is above the year's
    assert fig.low_52w(s, h) == 90.0
    assert fig.range_52w_position(s, h) == pytest.approx((150 - 90) / (155 - 90))
    s = snap(last_price=150.0, last_trade_ns=et(DAY, 10, 0))  # no live high/low yet
    assert fig.high_52w(s, h) == 140.0
    assert fig.range_52w_position(s, h) == 1.0  # clamped


def test_52_week_position_none_when_the_range_is_empty() -> None:
    prices, h = history(bar(et(DAY, 10, 0), 100.0))
    prices.load_daily("AAPL", [daily(PREV, 100.0, 100.0)])
    s = snap(last_price=100.0, last_trade_ns=et(DAY, 10, 0), high=100.0, low=100.0)
    assert fig.high_52w(s, h) == fig.low_52w(s, h) == 100.0
    assert fig.range_52w_position(s, h) is None


def test_average_volume_leaves_out_today() -> None:
    prices, h = history(bar(et(DAY, 10, 0)))
    sessions = [DAY - timedelta(days=i) for i in range(1, 41)]
    prices.load_daily(
        "AAPL",
        [daily(d, 1, 1, volume=i * 10) for i, d in enumerate(sessions, 1)]
        + [daily(DAY, 1, 1, volume=10**9)],
    )
    assert fig.avg_volume(h) == pytest.approx(sum(i * 10 for i in range(1, 31)) / 30)
    assert fig.avg_volume(h, PREV) == pytest.approx(sum(i * 10 for i in range(2, 32)) / 30)
    assert fig.avg_volume(None) is None


def _rel_volume_history(today_minutes: int = 345) -> tuple[PriceHistory, SymbolHistory]:
    # Today: 50 shares a minute from 04:00 (345 minutes: to 09:44). The previous
    # session: 1,000 shares in every 15-minute bucket from 04:00.
    start = et(DAY, 4, 0)
    prices, h = history(*(bar(start + i * MIN, 100.0, 50) for i in range(today_minutes)))
    prev_start = et(PREV, 4, 0)
    prices.load_earlier("AAPL", [bar(prev_start + i * 15 * MIN, 100.0, 1_000) for i in range(64)])
    return prices, h


def test_relative_volume_at_a_grid_minute_by_hand() -> None:
    prices, h = _rel_volume_history()
    s = snap(last_price=100.0, last_trade_ns=et(DAY, 9, 44, 20))
    assert fig.rel_volume(s, h, et(DAY, 9, 44, 30)) is None  # not LOADED: would lie
    prices.set_load("AAPL", HistoryLoad.LOADED)
    # 09:44:30 is minute 344 since 04:00; by its end (09:45) the usual day has 23 buckets.
    assert fig.rel_volume(s, h, et(DAY, 9, 44, 30)) == pytest.approx(345 * 50 / 23_000)


def test_relative_volume_inside_a_bucket_by_hand() -> None:
    prices, h = _rel_volume_history(338)  # 04:00..09:37
    prices.set_load("AAPL", HistoryLoad.LOADED)
    # 09:37:10 is minute 337; by its end (09:38) the usual day has 22 whole buckets and
    # 8/15 of the 09:30 one.
    s = snap(last_price=100.0, last_trade_ns=et(DAY, 9, 37, 5))
    expected = 22_000 + 1_000 * 8 / 15
    assert fig.rel_volume(s, h, et(DAY, 9, 37, 10)) == pytest.approx(338 * 50 / expected)


def test_relative_volume_none_without_a_profile() -> None:
    prices, h = history(bar(et(DAY, 10, 0), volume=500))
    prices.set_load("AAPL", HistoryLoad.LOADED)
    s = snap(last_price=100.0, last_trade_ns=et(DAY, 10, 0))
    assert fig.rel_volume(s, h, et(DAY, 10, 1)) is None  # no earlier sessions
    prices.load_earlier("AAPL", [])
    assert fig.rel_volume(s, h, et(DAY, 10, 1)) is None  # a profile of no session


def test_day_range_position() -> None:
    assert fig.day_range_position(snap(last_price=15.0, low=10.0, high=20.0)) == 0.5
    assert fig.day_range_position(snap(last_price=25.0, low=10.0, high=20.0)) == 1.0
    assert fig.day_range_position(snap(last_price=5.0, low=10.0, high=20.0)) == 0.0
    assert fig.day_range_position(snap(last_price=10.0, low=10.0, high=10.0)) is None
    assert fig.day_range_position(snap(low=10.0, high=20.0)) is None


def test_history_minutes_counts_the_session_day() -> None:
    _, h = history(
        *(bar(et(PREV, 19, 50) + i * MIN) for i in range(5)),
        *(bar(et(DAY, 4, 0) + i * MIN) for i in range(7)),
    )
    assert fig.history_minutes(h) == 7
    assert fig.history_minutes(h, DAY) == 7
    assert fig.history_minutes(h, PREV) == 5
    assert fig.history_minutes(h, date(2024, 1, 2)) == 0
    assert fig.history_minutes(None) == 0


def test_session_day_is_the_newest_of_bars_and_last_trade() -> None:
    _, h = history(bar(et(PREV, 15, 0)))
    assert fig.session_day(snap(last_trade_ns=et(DAY, 4, 1)), h) == DAY
    assert fig.session_day(snap(), h) == PREV
    assert fig.session_day(snap(), None) is None
    # Saturday: the market is closed, the figures refer to Friday's session.
    friday = date(2024, 3, 8)
    assert fig.session_day(snap(last_trade_ns=et(friday, 19, 59)), None) == friday


def test_a_symbol_with_no_history_gives_none_figures_not_a_crash() -> None:
    prices = PriceHistory()
    prices.set_load("NEWCO", HistoryLoad.EMPTY)
    h = prices.get("NEWCO")
    s = SymbolSnapshot("NEWCO", last_price=10.0, last_trade_ns=et(DAY, 10, 0))
    got = fig.figures(s, h, et(DAY, 10, 1))
    assert got.history == "empty"
    assert got.history_minutes == 0
    assert got.resynced is None
    nothing = {k: v for k, v in got.as_dict().items() if k not in ("history", "history_minutes")}
    assert set(nothing.values()) == {None}
    empty = fig.figures(SymbolSnapshot("NEWCO"), None, et(DAY, 10, 1))
    assert empty.history == "pending"
    assert fig.figures(SymbolSnapshot("NEWCO"), h, 0).rel_volume is None


def test_figures_carry_every_key_and_the_resync_words() -> None:
    prices, h = _rel_volume_history()
    prices.set_load("AAPL", HistoryLoad.LOADED)
    h.resync = Resync(et(DAY, 9, 41, 7), 38.0, 12, "SIP")
    s = snap(
        last_price=100.0,
        last_trade_ns=et(DAY, 9, 44, 20),
        open=101.0,
        prev_close=100.0,
        vwap=100.5,
        high=102.0,
        low=98.0,
    )
    got = fig.figures(s, h, et(DAY, 9, 44, 30))
    assert list(got.as_dict()) == [
        "open",
        "prev_close",
        "vwap",
        "gap_pct",
        "premarket_change_pct",
        "afterhours_change_pct",
        "high_52w",
        "low_52w",
        "range_52w_position",
        "avg_volume",
        "rel_volume",
        "day_range_position",
        "history_minutes",
        "history",
        "resynced",
    ]
    assert got.open == 101.0
    assert got.vwap == 100.5
    assert got.gap_pct == pytest.approx(1.0)
    assert got.premarket_change_pct == pytest.approx(0.0)  # 09:29's close, 100
    assert got.rel_volume == pytest.approx(345 * 50 / 23_000)
    assert got.day_range_position == pytest.approx(0.5)
    assert got.history_minutes == 345
    assert got.history == "loaded"
    assert got.resynced == "resynced 09:41:07 after a 38 s outage (12 minutes filled from SIP)"
    assert got.high_52w is None  # no daily history: no 52-week figure
