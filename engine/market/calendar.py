"""US equity exchange calendar (NYSE rules): holidays, early closes and session phases.

Contract: pure functions of a date or an aware datetime, computed for any year from the
NYSE holiday rules (no tables to update), in America/New_York via zoneinfo. Sessions
are the ones Alpaca streams: pre-market 04:00-09:30, regular 09:30-16:00 (13:00 on an
early close), after-hours until 20:00 (17:00 after an early close) ET; else closed.

Rules (NYSE Rule 7.2 and its published holiday list):
- A holiday on a Saturday is observed the Friday before, on a Sunday the Monday after,
  except New Year's Day on a Saturday, which is not observed at all (the Friday before
  is the last trading day of the year: year-end settlement).
- Juneteenth is a market holiday from 2022 on.
- Early close (13:00): July 3 when it is a weekday trading day, the day after
  Thanksgiving, and December 24 when it is a weekday trading day.
- One-off closures (national days of mourning, ...) are not derivable: SPECIAL_CLOSURES.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

EASTERN = ZoneInfo("America/New_York")

PRE_MARKET_OPEN = time(4, 0)
REGULAR_OPEN = time(9, 30)
REGULAR_CLOSE = time(16, 0)
EARLY_CLOSE = time(13, 0)
AFTER_HOURS_SPAN = timedelta(hours=4)  # 16:00 -> 20:00, or 13:00 -> 17:00 on early closes

# Closures announced ad hoc, which no rule yields (NYSE notices).
SPECIAL_CLOSURES: dict[date, str] = {
    date(2012, 10, 29): "Hurricane Sandy",
    date(2012, 10, 30): "Hurricane Sandy",
    date(2018, 12, 5): "National Day of Mourning (George H. W. Bush)",
    date(2025, 1, 9): "National Day of Mourning (Jimmy Carter)",
}

_MAX_SCAN_DAYS = 15  # longest run of non-trading days is far shorter (weekend + holidays)


class MarketSession(enum.StrEnum):
    """Phase of the US equity trading day."""

    PRE_MARKET = "pre-market"
    REGULAR = "regular"
    AFTER_HOURS = "after-hours"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class DayHours:
    """Session boundaries of one trading day, as aware datetimes in America/New_York."""

    day: date
    pre_open: datetime
    open: datetime
    close: datetime
    post_close: datetime

    @property
    def early_close(self) -> bool:
        return self.close.time() != REGULAR_CLOSE


@dataclass(frozen=True, slots=True)
class MarketSessionState:
    """The session at `at`, and when (aware ET datetime) and into what it changes next."""

    at: datetime
    session: MarketSession
    next_change: datetime
    next_session: MarketSession

    def remaining_seconds(self) -> float:
        # Subtract in UTC: aware datetimes sharing one tzinfo subtract as wall-clock
        # times, which is an hour off across a DST change.
        return (self.next_change.astimezone(UTC) - self.at.astimezone(UTC)).total_seconds()


_State = MarketSessionState


def easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday (anonymous Gregorian computus, Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> date:
    last = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: date) -> date:
    if day.weekday() == 5:
        return day - timedelta(days=1)
    if day.weekday() == 6:
        return day + timedelta(days=1)
    return day


@lru_cache(maxsize=64)
def holidays(year: int) -> Mapping[date, str]:
    """Full-day NYSE closures in `year` on their observed dates (plus SPECIAL_CLOSURES)."""
    mon, thu = 0, 3
    days: dict[date, str] = {}
    new_year = date(year, 1, 1)
    if new_year.weekday() != 5:  # Saturday: not observed on Dec 31 of the prior year
        days[_observed(new_year)] = "New Year's Day"
    days[_nth_weekday(year, 1, mon, 3)] = "Martin Luther King Jr. Day"
    days[_nth_weekday(year, 2, mon, 3)] = "Washington's Birthday (Presidents' Day)"
    days[easter_sunday(year) - timedelta(days=2)] = "Good Friday"
    days[_last_weekday(year, 5, mon)] = "Memorial Day"
    if year >= 2022:
        days[_observed(date(year, 6, 19))] = "Juneteenth National Independence Day"
    days[_observed(date(year, 7, 4))] = "Independence Day"
    days[_nth_weekday(year, 9, mon, 1)] = "Labor Day"
    days[_nth_weekday(year, 11, thu, 4)] = "Thanksgiving Day"
    days[_observed(date(year, 12, 25))] = "Christmas Day"
    for day, why in SPECIAL_CLOSURES.items():
        if day.year == year:
            days[day] = why
    return MappingProxyType(dict(sorted(days.items())))  # cached: read-only


@lru_cache(maxsize=64)
def early_closes(year: int) -> Mapping[date, str]:
    """Trading days of `year` on which the regular session ends at 13:00 ET."""
    closed = holidays(year)
    candidates = {
        date(year, 7, 3): "Day before Independence Day",
        _nth_weekday(year, 11, 3, 4) + timedelta(days=1): "Day after Thanksgiving",
        date(year, 12, 24): "Christmas Eve",
    }
    kept = {d: why for d, why in candidates.items() if d.weekday() < 5 and d not in closed}
    return MappingProxyType(kept)


def is_trading_day(day: date) -> bool:
    """A weekday that is not an NYSE holiday."""
    return day.weekday() < 5 and day not in holidays(day.year)


def previous_trading_day(day: date) -> date:
    """The last trading day strictly before `day` (whose close is `day`'s reference)."""
    for back in range(1, _MAX_SCAN_DAYS):
        candidate = day - timedelta(days=back)
        if is_trading_day(candidate):
            return candidate
    raise ValueError(f"no trading day within {_MAX_SCAN_DAYS} days before {day}")


def next_trading_day(day: date) -> date:
    """The first trading day strictly after `day`."""
    for ahead in range(1, _MAX_SCAN_DAYS):
        candidate = day + timedelta(days=ahead)
        if is_trading_day(candidate):
            return candidate
    raise ValueError(f"no trading day within {_MAX_SCAN_DAYS} days after {day}")


def day_hours(day: date) -> DayHours | None:
    """Session boundaries of `day`, or None when the market is closed all day."""
    if not is_trading_day(day):
        return None
    close_t = EARLY_CLOSE if day in early_closes(day.year) else REGULAR_CLOSE
    close = datetime.combine(day, close_t, EASTERN)
    return DayHours(
        day=day,
        pre_open=datetime.combine(day, PRE_MARKET_OPEN, EASTERN),
        open=datetime.combine(day, REGULAR_OPEN, EASTERN),
        close=close,
        # Wall-clock arithmetic on purpose: the session ends at 20:00 (17:00) ET by the
        # clock on the wall, and no US DST change happens between 13:00 and 20:00.
        post_close=close + AFTER_HOURS_SPAN,
    )


def session_at(when: datetime) -> MarketSessionState:
    """The session phase at the aware datetime `when` and its next change."""
    if when.tzinfo is None:
        raise ValueError("session_at needs an aware datetime (naive time is ambiguous)")
    at = when.astimezone(EASTERN)
    hours = day_hours(at.date())
    if hours is not None:
        if at < hours.pre_open:
            return _State(at, MarketSession.CLOSED, hours.pre_open, MarketSession.PRE_MARKET)
        if at < hours.open:
            return _State(at, MarketSession.PRE_MARKET, hours.open, MarketSession.REGULAR)
        if at < hours.close:
            return _State(at, MarketSession.REGULAR, hours.close, MarketSession.AFTER_HOURS)
        if at < hours.post_close:
            return _State(at, MarketSession.AFTER_HOURS, hours.post_close, MarketSession.CLOSED)
    following = day_hours(next_trading_day(at.date()))
    assert following is not None  # next_trading_day returns a trading day
    return MarketSessionState(
        at, MarketSession.CLOSED, following.pre_open, MarketSession.PRE_MARKET
    )


def session_at_ns(timestamp_ns: int) -> MarketSessionState:
    """`session_at` for an exchange timestamp in Unix nanoseconds."""
    return session_at(datetime.fromtimestamp(timestamp_ns / 1e9, UTC))


def trading_date(when: datetime) -> date:
    """The ET calendar date of `when` (the day an exchange timestamp belongs to)."""
    return when.astimezone(EASTERN).date()


# --- helpers for day boundaries (the simulator's day roll, daily bar stamps) ----------------


def to_ns(when: datetime) -> int:
    """Unix nanoseconds of an aware datetime, exactly (no float on the way)."""
    if when.tzinfo is None:
        raise ValueError("to_ns needs an aware datetime (naive time is ambiguous)")
    delta = when - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def day_start(day: date) -> datetime:
    """Midnight New York time of `day`: the `t` of that day's daily bar (Alpaca's stamp)."""
    return datetime.combine(day, time(0, 0), EASTERN)


def current_trading_day(when: datetime) -> date:
    """The trading day a daily bar at `when` belongs to.

    Today, once its pre-market has begun (04:00 ET on a trading day); before that, and on
    weekends and holidays, the last trading day before. So Monday 03:59 still belongs to
    Friday, and Monday's previous day is Friday.
    """
    if when.tzinfo is None:
        raise ValueError("current_trading_day needs an aware datetime")
    at = when.astimezone(EASTERN)
    hours = day_hours(at.date())
    if hours is not None and at >= hours.pre_open:
        return at.date()
    return previous_trading_day(at.date())
