"""`/v2/clock` and `/v2/calendar` from engine.market.calendar on the simulator's session
clock (docs/account-and-history.md, "Trading API (account)").

Clock times are New York wall time with its offset, as Alpaca sends them; the calendar
gives `open`/`close` as `HH:MM` and `session_open`/`session_close` as `HHMM`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from engine.market.calendar import (
    EASTERN,
    MarketSession,
    day_hours,
    is_trading_day,
    next_trading_day,
    session_at,
)
from engine.simulator.trading.fmt import Reply, error

MAX_CALENDAR_DAYS = 3_700  # about ten years of dates per request (bounded answer)


def _iso(when: datetime) -> str:
    return when.astimezone(EASTERN).isoformat(timespec="microseconds")


def _next_open_close(at: datetime) -> tuple[datetime, datetime]:
    """The next regular open strictly after `at`, and the next regular close after `at`."""
    today = day_hours(at.date())
    if today is not None and at < today.open:
        return today.open, today.close
    following = day_hours(next_trading_day(at.date()))
    assert following is not None  # next_trading_day returns a trading day
    if today is not None and at < today.close:
        return following.open, today.close  # open now: the next open is tomorrow's
    return following.open, following.close


def clock_json(now_ns: int) -> dict[str, Any]:
    at = datetime.fromtimestamp(now_ns / 1e9, UTC).astimezone(EASTERN)
    nxt_open, nxt_close = _next_open_close(at)
    return {
        "timestamp": _iso(at),
        "is_open": session_at(at).session is MarketSession.REGULAR,
        "next_open": _iso(nxt_open),
        "next_close": _iso(nxt_close),
    }


def _day_json(day: date) -> dict[str, Any] | None:
    hours = day_hours(day)
    if hours is None:
        return None
    settle = next_trading_day(day)  # T+1 settlement
    return {
        "date": day.isoformat(),
        "open": hours.open.strftime("%H:%M"),
        "close": hours.close.strftime("%H:%M"),
        "session_open": hours.pre_open.strftime("%H%M"),
        "session_close": hours.post_close.strftime("%H%M"),
        "settlement_date": settle.isoformat(),
    }


def calendar_reply(query: str, now_ns: int) -> Reply:
    """Trading days in `[start, end]` (dates, or RFC 3339 times); default: from the start
    of last year to the end of next year, as far as `MAX_CALENDAR_DAYS` allows."""
    params = {k: v[-1] for k, v in parse_qs(query).items()}
    today = datetime.fromtimestamp(now_ns / 1e9, UTC).astimezone(EASTERN).date()
    try:
        start = _date(params.get("start")) or date(today.year - 1, 1, 1)
        end = _date(params.get("end")) or date(today.year + 1, 12, 31)
    except ValueError as exc:
        return error(400, f"invalid date: {exc}", 40010000)
    if end < start:
        return 200, [], []
    end = min(end, start + timedelta(days=MAX_CALENDAR_DAYS))
    out: list[dict[str, Any]] = []
    day = start
    while day <= end:
        if is_trading_day(day):
            item = _day_json(day)
            if item is not None:
                out.append(item)
        day += timedelta(days=1)
    return 200, out, []


def _date(text: str | None) -> date | None:
    if not text:
        return None
    if "T" in text:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return parsed.astimezone(EASTERN).date() if parsed.tzinfo else parsed.date()
    return date.fromisoformat(text)
