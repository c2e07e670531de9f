"""Alpaca's `/v2/clock` and `/v2/calendar` against the local NYSE rules, in words.

`engine.market.calendar` computes sessions and holidays offline; Alpaca's calendar
knows unscheduled closures (a national day of mourning) that no rule can
(docs/account-and-history.md, "GET /v2/calendar"). Each function returns None when both
agree, else one sentence naming the differences. Sans-I/O: pure functions.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from engine.account.models import CalendarDay, MarketClock
from engine.market.calendar import EASTERN, MarketSession, day_hours, session_at

__all__ = ["compare_calendar", "compare_clock", "ny_date"]

_NS_PER_S = 1_000_000_000
_SHOWN = 3  # differences named; the rest counted


def _ny(ns: int) -> datetime:
    return datetime.fromtimestamp(ns // _NS_PER_S, UTC).astimezone(EASTERN)


def ny_date(ns: int) -> date:
    """The New York date of an instant (the trading day's date: docs/protocol.md)."""
    return _ny(ns).date()


def compare_clock(clock: MarketClock) -> str | None:
    """Whether the server's `is_open` agrees with the local rules at the server's own time."""
    local_open = session_at(_ny(clock.timestamp_ns)).session is MarketSession.REGULAR
    if local_open == clock.is_open:
        return None
    said = "open" if clock.is_open else "closed"
    rules = "open" if local_open else "closed"
    stamp = _ny(clock.timestamp_ns).strftime("%Y-%m-%d %H:%M")
    return f"Alpaca says the market is {said} at {stamp} New York time, the local rules say {rules}"


def compare_calendar(days: list[CalendarDay], start: date, end: date) -> str | None:
    """Trading days and their hours from `start` to `end` (inclusive): server vs rules."""
    server = {day.date: day for day in days if start <= day.date <= end}
    differences: list[str] = []
    day = start
    while day <= end:
        hours = day_hours(day)
        theirs = server.get(day)
        if hours is None and theirs is not None:
            differences.append(f"{day} is a trading day for Alpaca, a holiday or weekend locally")
        elif hours is not None and theirs is None:
            differences.append(f"{day} is closed for Alpaca (an unscheduled closure?)")
        elif hours is not None and theirs is not None:
            local_open, local_close = hours.open.time(), hours.close.time()
            if (theirs.open, theirs.close) != (local_open, local_close):
                differences.append(
                    f"{day} trades {theirs.open:%H:%M}-{theirs.close:%H:%M} for Alpaca, "
                    f"{local_open:%H:%M}-{local_close:%H:%M} locally"
                )
        day += timedelta(days=1)
    if not differences:
        return None
    more = len(differences) - _SHOWN
    text = "; ".join(differences[:_SHOWN])
    return text + (f" (and {more} more)" if more > 0 else "")
