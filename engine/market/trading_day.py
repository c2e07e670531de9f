"""The trading day an exchange timestamp belongs to, as ns bounds, cached for the hot path.

The day of an event is the New York (America/New_York) calendar date of its exchange
timestamp, never the machine's local date (docs/design.md, "session clock"; Alpaca
stamps a daily bar at midnight New York time: docs/protocol.md, "Market-state facts").
`TradingDay` carries that date's bounds in Unix ns, so the merge rules decide "same
day?" with integer comparisons and compute a date only when a symbol's day changes
(`trading_day_of`: the last day looked up is checked first, then a bounded cache).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from engine.market.calendar import EASTERN, day_hours, is_trading_day, previous_trading_day

__all__ = ["TradingDay", "trading_day_of"]

_NS = 1_000_000_000


@dataclass(frozen=True, slots=True)
class TradingDay:
    """One New York calendar day: [start_ns, end_ns), its regular session, its reference day.

    `open_ns`/`close_ns` bound the regular session (09:30-16:00 ET, 13:00 on an early
    close); both 0 on a day without one. `prev_date` is the trading day whose close is
    this day's previous close.
    """

    day: date
    start_ns: int
    end_ns: int
    open_ns: int
    close_ns: int
    prev_date: date
    is_trading: bool


def _midnight_ns(day: date) -> int:
    # Whole seconds: New York midnight is always on a whole second.
    return int(datetime.combine(day, time(0), EASTERN).timestamp()) * _NS


@lru_cache(maxsize=64)
def _trading_day(day: date) -> TradingDay:
    hours = day_hours(day)
    if hours is None:
        open_ns = close_ns = 0
    else:
        open_ns = int(hours.open.timestamp()) * _NS
        close_ns = int(hours.close.timestamp()) * _NS
    return TradingDay(
        day=day,
        # A DST change makes a day 23 or 25 hours long: bound it by the next midnight.
        start_ns=_midnight_ns(day),
        end_ns=_midnight_ns(day + timedelta(days=1)),
        open_ns=open_ns,
        close_ns=close_ns,
        prev_date=previous_trading_day(day),
        is_trading=is_trading_day(day),
    )


_OLDEST, _NEWEST = date(1900, 1, 8), date(9999, 12, 30)
_last: list[TradingDay] = [_trading_day(date(2000, 1, 3))]  # the last day looked up


def trading_day_of(timestamp_ns: int) -> TradingDay:
    """The New York day of an exchange timestamp (ns since the epoch, UTC)."""
    last = _last[0]
    if last.start_ns <= timestamp_ns < last.end_ns:
        return last
    try:
        day = datetime.fromtimestamp(timestamp_ns // _NS, UTC).astimezone(EASTERN).date()
    except (OverflowError, ValueError, OSError):
        # Outside what a datetime holds (e.g. `0001-01-01T00:00:00Z`): never raise on the
        # hot path; such a time is older (or newer) than any real day, so clamp it.
        day = _OLDEST if timestamp_ns < 0 else _NEWEST
    found = _last[0] = _trading_day(day)
    return found
