"""engine.market.calendar: NYSE holidays and early closes by rule, session phases across DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from engine.market.calendar import (
    EASTERN,
    MarketSession,
    current_trading_day,
    day_hours,
    day_start,
    early_closes,
    easter_sunday,
    holidays,
    is_trading_day,
    next_trading_day,
    previous_trading_day,
    session_at,
    session_at_ns,
    to_ns,
)

# NYSE's published lists (nyse.com/markets/hours-calendars).
NYSE_2025 = [
    date(2025, 1, 1), date(2025, 1, 9),  # Jan 9: day of mourning for President Carter
    date(2025, 1, 20), date(2025, 2, 17), date(2025, 4, 18), date(2025, 5, 26),
    date(2025, 6, 19), date(2025, 7, 4), date(2025, 9, 1), date(2025, 11, 27),
    date(2025, 12, 25),
]  # fmt: skip
NYSE_2026 = [
    date(2026, 1, 1), date(2026, 1, 19), date(2026, 2, 16), date(2026, 4, 3),
    date(2026, 5, 25), date(2026, 6, 19), date(2026, 7, 3), date(2026, 9, 7),
    date(2026, 11, 26), date(2026, 12, 25),
]  # fmt: skip


def et(year: int, month: int, day: int, hour: int = 0, minute: int = 0, sec: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, sec, tzinfo=EASTERN)


def test_holidays_match_the_official_2025_and_2026_lists() -> None:
    assert list(holidays(2025)) == NYSE_2025
    assert list(holidays(2026)) == NYSE_2026
    assert holidays(2026)[date(2026, 7, 3)] == "Independence Day"  # July 4 is a Saturday


def test_early_closes_2025_and_2026() -> None:
    assert list(early_closes(2025)) == [date(2025, 7, 3), date(2025, 11, 28), date(2025, 12, 24)]
    # 2026: July 3 is the observed Independence Day itself, so no early close in July.
    assert list(early_closes(2026)) == [date(2026, 11, 27), date(2026, 12, 24)]
    hours = day_hours(date(2025, 11, 28))
    assert hours is not None
    assert hours.early_close
    assert hours.close == et(2025, 11, 28, 13, 0)
    assert hours.post_close == et(2025, 11, 28, 17, 0)


@pytest.mark.parametrize(
    ("year", "easter"),
    [(2024, date(2024, 3, 31)), (2025, date(2025, 4, 20)), (2026, date(2026, 4, 5)),
     (2038, date(2038, 4, 25)), (2285, date(2285, 3, 22))],
)  # fmt: skip
def test_easter_computus(year: int, easter: date) -> None:
    assert easter_sunday(year) == easter


def test_observance_rules() -> None:
    # New Year's Day on a Saturday (2022) is not observed on Friday Dec 31, 2021.
    assert date(2021, 12, 31) not in holidays(2021)
    assert not any(d.month == 1 and d.day <= 3 for d in holidays(2022))
    # ...on a Sunday (2023) it is observed Monday Jan 2.
    assert date(2023, 1, 2) in holidays(2023)
    # Christmas on a Saturday (2021): observed Friday Dec 24, which is then no early close.
    assert date(2021, 12, 24) in holidays(2021)
    assert date(2021, 12, 24) not in early_closes(2021)
    # Juneteenth: only from 2022; on a Sunday in 2022 observed Monday June 20.
    assert date(2022, 6, 20) in holidays(2022)
    assert not any(d.month == 6 for d in holidays(2021))


def test_trading_day_navigation() -> None:
    assert not is_trading_day(date(2025, 7, 4))
    assert previous_trading_day(date(2025, 7, 7)) == date(2025, 7, 3)  # over Fri holiday
    assert previous_trading_day(date(2026, 1, 2)) == date(2025, 12, 31)
    assert next_trading_day(date(2025, 4, 17)) == date(2025, 4, 21)  # over Good Friday
    assert previous_trading_day(date(2025, 1, 10)) == date(2025, 1, 8)  # over Jan 9 closure


@pytest.mark.parametrize(
    ("when", "session", "next_change"),
    [
        (et(2025, 6, 3, 3, 59), MarketSession.CLOSED, et(2025, 6, 3, 4, 0)),
        (et(2025, 6, 3, 4, 0), MarketSession.PRE_MARKET, et(2025, 6, 3, 9, 30)),
        (et(2025, 6, 3, 9, 30), MarketSession.REGULAR, et(2025, 6, 3, 16, 0)),
        (et(2025, 6, 3, 15, 59, 59), MarketSession.REGULAR, et(2025, 6, 3, 16, 0)),
        (et(2025, 6, 3, 16, 0), MarketSession.AFTER_HOURS, et(2025, 6, 3, 20, 0)),
        (et(2025, 6, 3, 20, 0), MarketSession.CLOSED, et(2025, 6, 4, 4, 0)),
        (et(2025, 12, 24, 13, 0), MarketSession.AFTER_HOURS, et(2025, 12, 24, 17, 0)),
        (et(2025, 12, 24, 17, 30), MarketSession.CLOSED, et(2025, 12, 26, 4, 0)),
        (et(2025, 7, 5, 12, 0), MarketSession.CLOSED, et(2025, 7, 7, 4, 0)),  # Saturday
    ],
)
def test_session_phases(when: datetime, session: MarketSession, next_change: datetime) -> None:
    state = session_at(when)
    assert state.session is session
    assert state.next_change == next_change


def test_dst_boundaries_use_new_york_offsets() -> None:
    # The open is 09:30 New York time on both sides of the March change (14:30 vs 13:30 UTC).
    before = day_hours(date(2025, 3, 7))
    after = day_hours(date(2025, 3, 10))
    assert before is not None
    assert after is not None
    assert before.open.astimezone(UTC).hour == 14
    assert after.open.astimezone(UTC).hour == 13
    # Friday 20:00 EST -> Monday 04:00 EDT spans 55 real hours, not the 56 on the wall.
    state = session_at(et(2025, 3, 7, 20, 0))
    assert state.next_change == et(2025, 3, 10, 4, 0)
    assert state.remaining_seconds() == 55 * 3600
    # November: Friday 20:00 EDT -> Monday 04:00 EST is 57 hours.
    assert session_at(et(2025, 10, 31, 20, 0)).remaining_seconds() == 57 * 3600
    # A UTC instant is classified in New York time: 13:45 UTC on March 10 is 09:45 EDT.
    utc = datetime(2025, 3, 10, 13, 45, tzinfo=UTC)
    assert session_at(utc).session is MarketSession.REGULAR
    assert session_at(utc - timedelta(days=3)).session is MarketSession.PRE_MARKET  # 08:45 EST


def test_session_at_ns_and_naive_rejected() -> None:
    ns = int(et(2026, 11, 27, 12, 59).timestamp() * 1_000_000_000)
    state = session_at_ns(ns)
    assert state.session is MarketSession.REGULAR
    assert state.next_change == et(2026, 11, 27, 13, 0)
    with pytest.raises(ValueError, match="aware"):
        session_at(datetime(2025, 1, 2, 10, 0))


def test_current_trading_day_rolls_at_the_pre_market_open() -> None:
    # The daily bar of Friday 2026-11-20 is current from Fri 04:00 until Mon 04:00.
    assert current_trading_day(et(2026, 11, 20, 3, 59, 59)) == date(2026, 11, 19)
    assert current_trading_day(et(2026, 11, 20, 4, 0)) == date(2026, 11, 20)
    assert current_trading_day(et(2026, 11, 21, 12, 0)) == date(2026, 11, 20)  # Saturday
    assert current_trading_day(et(2026, 11, 23, 3, 59)) == date(2026, 11, 20)  # Monday night
    assert current_trading_day(et(2026, 11, 23, 4, 0)) == date(2026, 11, 23)
    # Thanksgiving 2026 (Thu Nov 26) is skipped: Wednesday's bar until Friday 04:00.
    assert current_trading_day(et(2026, 11, 26, 12, 0)) == date(2026, 11, 25)
    assert current_trading_day(et(2026, 11, 27, 4, 0)) == date(2026, 11, 27)
    with pytest.raises(ValueError, match="aware"):
        current_trading_day(datetime(2026, 11, 20, 12))


def test_day_start_and_exact_nanoseconds() -> None:
    # A daily bar's stamp: midnight New York, 05:00 UTC in winter, 04:00 UTC in summer.
    assert day_start(date(2026, 11, 20)).astimezone(UTC).hour == 5
    assert day_start(date(2026, 6, 18)).astimezone(UTC).hour == 4
    assert to_ns(datetime(1970, 1, 1, tzinfo=UTC)) == 0
    when = datetime(2026, 11, 20, 14, 30, 0, 123456, tzinfo=UTC)
    assert to_ns(when) == 1_795_185_000_123_456_000
    assert to_ns(when.astimezone(EASTERN)) == to_ns(when)
    with pytest.raises(ValueError, match="aware"):
        to_ns(datetime(2026, 11, 20))
