"""engine.market.daily: a year of daily bars (issue 13: 52-week range, average volume)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

from engine.events import Bar, BarKind
from engine.market.calendar import day_start, to_ns
from engine.market.daily import MAX_DAYS, DailyBars, ny_date
from tests.engine.market.history_bars import DAY, WINTER_DAY, bar


def utc_midnight(day: date) -> int:
    return to_ns(datetime(day.year, day.month, day.day, tzinfo=UTC))


def daily(day: date, close: float = 100.0, volume: int = 1_000, **kw: float) -> Bar:
    return bar(to_ns(day_start(day)), close, volume, kind=BarKind.DAILY, **kw)  # type: ignore[arg-type]


def test_the_three_stamps_of_one_day_give_its_new_york_date() -> None:
    # 00:00 UTC, and New York midnight: 04:00 UTC in summer, 05:00 UTC in winter.
    assert ny_date(utc_midnight(DAY)) == DAY
    assert ny_date(to_ns(day_start(DAY))) == DAY
    assert to_ns(day_start(DAY)) - utc_midnight(DAY) == 4 * 3600 * 10**9
    assert ny_date(to_ns(day_start(WINTER_DAY))) == WINTER_DAY
    assert to_ns(day_start(WINTER_DAY)) - utc_midnight(WINTER_DAY) == 5 * 3600 * 10**9
    assert ny_date(utc_midnight(WINTER_DAY)) == WINTER_DAY


def test_stamps_of_the_same_date_are_one_session_and_the_later_replaces() -> None:
    bars = DailyBars()
    taken = bars.load(
        [
            bar(utc_midnight(DAY), 10.0, kind=BarKind.DAILY),
            bar(to_ns(day_start(DAY)), 11.0, kind=BarKind.DAILY),  # 04:00 UTC, same date
            bar(utc_midnight(WINTER_DAY), 20.0, kind=BarKind.DAILY),
            bar(to_ns(day_start(WINTER_DAY)), 21.0, kind=BarKind.DAILY),  # 05:00 UTC
        ]
    )
    assert taken == 4
    assert len(bars) == 2
    assert [date.fromordinal(d) for d in bars.days] == [WINTER_DAY, DAY]
    assert list(bars.close) == [21.0, 11.0]
    bars.load([bar(utc_midnight(DAY), 12.0, kind=BarKind.DAILY)])  # a later load replaces
    assert list(bars.close) == [21.0, 12.0]
    assert len(bars) == 2


def test_52_week_window_edges() -> None:
    bars = DailyBars()
    before = DAY
    bars.load(
        [
            daily(before - timedelta(days=365), high=500.0, low=1.0),  # outside: 365 days
            daily(before - timedelta(days=364), high=300.0, low=50.0),  # inside: 364 days
            daily(before - timedelta(days=1), high=120.0, low=90.0),
            daily(before, high=900.0, low=0.5),  # today: excluded (the live day is figures')
        ]
    )
    assert bars.high_52w(before) == 300.0
    assert bars.low_52w(before) == 50.0
    assert bars.high_52w(before + timedelta(days=1)) == 900.0
    assert bars.high_52w(date(2000, 1, 1)) is None
    assert bars.low_52w(date(2000, 1, 1)) is None


def test_average_volume_of_the_last_30_sessions_before_the_day() -> None:
    bars = DailyBars()
    days = [DAY - timedelta(days=40 - i) for i in range(40)]
    bars.load([daily(d, volume=(i + 1) * 100) for i, d in enumerate(days)])
    bars.load([daily(DAY, volume=10**9)])  # today's partial bar must not count
    expected = sum((i + 1) * 100 for i in range(10, 40)) / 30
    assert bars.avg_volume(DAY) == expected
    assert bars.avg_volume(DAY, sessions=5) == sum(range(3600, 4100, 100)) / 5


def test_average_volume_needs_five_sessions() -> None:
    bars = DailyBars()
    bars.load([daily(DAY - timedelta(days=i), volume=100) for i in range(1, 5)])
    assert bars.avg_volume(DAY) is None
    bars.load([daily(DAY - timedelta(days=5), volume=600)])
    assert bars.avg_volume(DAY) == (4 * 100 + 600) / 5


def test_close_before() -> None:
    bars = DailyBars()
    bars.load([daily(DAY - timedelta(days=3), 10.0), daily(DAY - timedelta(days=1), 11.0)])
    assert bars.close_before(DAY) == 11.0
    assert bars.close_before(DAY - timedelta(days=1)) == 10.0
    assert bars.close_before(DAY - timedelta(days=3)) is None
    assert bars.last_day() == DAY - timedelta(days=1)
    assert DailyBars().close_before(DAY) is None
    assert DailyBars().last_day() is None


def test_at_most_max_days_the_newest_kept() -> None:
    bars = DailyBars()
    bars.load([daily(DAY - timedelta(days=i), float(i + 1)) for i in range(400)])
    assert len(bars) == MAX_DAYS
    assert date.fromordinal(bars.days[-1]) == DAY
    assert date.fromordinal(bars.days[0]) == DAY - timedelta(days=MAX_DAYS - 1)


def test_bad_bars_are_skipped_and_counted_in_words() -> None:
    bars = DailyBars()
    taken = bars.load(
        [
            daily(DAY - timedelta(days=2), math.nan),
            daily(DAY - timedelta(days=1), 10.0, high=math.inf),
            daily(DAY, 12.0),
        ]
    )
    assert taken == 1
    assert bars.problems == 2
    assert bars.last_problem is not None
    assert "skipped a daily bar" in bars.last_problem
    assert list(bars.close) == [12.0]
