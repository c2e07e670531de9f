"""What the history backfill asks for, as pure functions of the exchange clock.

`windows(now_ns, sessions)` gives the three bar windows of one backfill batch
(docs/account-and-history.md, "Historical bars"):
- intraday 1Min: the session day from 04:00 ET to min(now, its 20:00 ET, 17:00 ET after an
  early close). The session day is today once its pre-market began, else the last trading
  day (weekends, holidays, the night before 04:00: engine.market.calendar);
- 15Min of the previous `sessions` trading sessions: 04:00 ET of the earliest to 04:00 ET
  of the session day (the volume profile and the chart's pan back);
- 1Day from about 370 calendar days (52 weeks and a margin) before the session day to its
  start (00:00 ET): previous sessions only, always older than 15 minutes, so SIP is allowed
  on every plan; the session day's own figures come from the live snapshot (figures.py).

`BackfillProgress` is what the status bar reads. Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from engine.config import Feed
from engine.market.calendar import (
    EASTERN,
    current_trading_day,
    day_hours,
    day_start,
    previous_trading_day,
    to_ns,
)
from engine.plan import MarketDataPlan, PlanLimit

__all__ = [
    "DAILY_DAYS",
    "BackfillProgress",
    "Windows",
    "feed_note",
    "sip_recent_allowed",
    "windows",
]

DAILY_DAYS = 370  # calendar days of 1Day bars: 52 weeks (364 days) and a margin
NS_PER_S = 1_000_000_000


def sip_recent_allowed(plan: PlanLimit | None, feed: str) -> bool:
    """Whether the key may read SIP bars of the last 15 minutes: Algo Trader Plus, or a
    user streaming SIP (which needs it). Else the Basic recipe (SIP up to 15 minutes ago,
    IEX after), which works on any plan (docs/account-and-history.md, "Historical bars")."""
    if feed == Feed.SIP:
        return True
    return plan is not None and plan.plan is MarketDataPlan.ALGO_TRADER_PLUS


@dataclass(frozen=True, slots=True)
class BackfillProgress:
    """How far the backfill is: symbols done (LOADED or EMPTY) of `total` wanted, how many
    FAILED (retried later), REST calls (pages) it made, and whether it is still working."""

    done: int = 0
    total: int = 0
    failed: int = 0
    calls: int = 0
    active: bool = False

    def text(self) -> str:
        """'history 120 of 500 symbols' while loading; 'history loaded' when done."""
        if self.active:
            extra = f", {self.failed} failed" if self.failed else ""
            return f"history {self.done} of {self.total} symbols{extra}"
        if self.failed:
            return f"history failed for {self.failed} of {self.total} symbols (retrying)"
        return "history loaded"


@dataclass(frozen=True, slots=True)
class Windows:
    """The [start, end) windows of one batch, in Unix ns (see the module docstring)."""

    day: date
    intraday_start_ns: int
    intraday_end_ns: int
    earlier_start_ns: int
    earlier_end_ns: int
    daily_start_ns: int
    daily_end_ns: int


def session_day(now_ns: int) -> date:
    """The trading day whose minute bars the chart shows at `now_ns`."""
    return current_trading_day(datetime.fromtimestamp(now_ns // NS_PER_S, UTC))


def windows(now_ns: int, sessions: int) -> Windows:
    day = session_day(now_ns)
    hours = day_hours(day)
    assert hours is not None  # current_trading_day returns a trading day
    pre_open = to_ns(hours.pre_open)
    earliest = day
    for _ in range(max(0, sessions)):
        earliest = previous_trading_day(earliest)
    earliest_hours = day_hours(earliest)
    assert earliest_hours is not None
    return Windows(
        day=day,
        intraday_start_ns=pre_open,
        intraday_end_ns=min(now_ns, to_ns(hours.post_close)),
        earlier_start_ns=to_ns(earliest_hours.pre_open) if sessions > 0 else pre_open,
        earlier_end_ns=pre_open,
        daily_start_ns=to_ns(day_start(day - timedelta(days=DAILY_DAYS))),
        daily_end_ns=to_ns(day_start(day)),
    )


def et_clock(ns: int) -> str:
    """'09:16' New York time."""
    return datetime.fromtimestamp(ns // NS_PER_S, UTC).astimezone(EASTERN).strftime("%H:%M")


def feed_note(iex_from_ns: int | None, first_ns: int | None) -> str:
    """Where the minute bars came from, in words (docs/design.md, invariant 9)."""
    if iex_from_ns is None:
        return "SIP"
    if first_ns is None or iex_from_ns <= first_ns:
        return "IEX"
    return f"SIP to {et_clock(iex_from_ns)} ET, IEX after"
