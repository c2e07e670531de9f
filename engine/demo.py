"""The embedded simulator as `tickerdesk --demo` and `tickerdesk-watch` start it.

`--demo-at 2026-11-20T09:25-05:00` starts the simulated clock at that moment (RFC 3339
with a UTC offset) and `--demo-speed N` runs it N times faster than real time; either
makes the simulator live a real trading day (pre-market, regular, after-hours, closed:
engine.market.calendar) instead of its always-open market. The app's plain `--demo`
starts at `default_demo_start`: now while the market is open, else 10:30 ET of the last
trading day, so a demo opened at night or on a weekend shows a real session with its
day so far (history backfill, charts) and says "Simulated · Regular session" instead of
ticking under "Market closed" (docs/simulator.md, "The default demo"). `--plan` makes it enforce a
plan's symbol limit (docs/account-and-history.md, "Plans and limits"); without one the
demo has no limit. Pure except `simulator_config`, which imports the simulator lazily
(only a demo needs it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from engine.market.calendar import (
    EASTERN,
    MarketSession,
    day_hours,
    previous_trading_day,
    session_at_ns,
    to_ns,
)
from engine.plan import MarketDataPlan, PlanLimit

if TYPE_CHECKING:
    from engine.simulator.config import SimulatorConfig

__all__ = [
    "DEFAULT_DEMO_TIME",
    "MAX_DEMO_SPEED",
    "DemoOptions",
    "default_demo_start",
    "parse_demo_at",
    "parse_demo_speed",
]

MAX_DEMO_SPEED = 100_000.0  # a whole day in about a second: faster is no longer a market
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EXAMPLE = "e.g. 2026-11-20T09:25-05:00"
DEFAULT_DEMO_TIME = time(10, 30)  # an hour into the session: a chart with a day in it


def default_demo_start(now_ns: int) -> int:
    """Where a plain demo's simulated clock starts: `now_ns` during a regular session,
    else DEFAULT_DEMO_TIME (ET) on the last trading day whose session had begun by now
    (today after its open, else the trading day before)."""
    state = session_at_ns(now_ns)
    if state.session is MarketSession.REGULAR:
        return now_ns
    today = state.at.astimezone(EASTERN).date()
    hours = day_hours(today)
    day = today if hours is not None and state.at >= hours.open else previous_trading_day(today)
    return to_ns(datetime.combine(day, DEFAULT_DEMO_TIME, EASTERN))


def parse_demo_at(text: str) -> int:
    """RFC 3339 time with a UTC offset (seconds optional, `Z` allowed) -> epoch ns.

    Raises ValueError in words: a time without an offset is ambiguous (whose 09:25?).
    """
    cleaned = text.strip()
    try:
        when = datetime.fromisoformat(cleaned)
    except ValueError:
        raise ValueError(f"not an RFC 3339 time: {cleaned[:40]!r} ({_EXAMPLE})") from None
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"{cleaned[:40]!r} has no UTC offset ({_EXAMPLE})")
    return (when - _EPOCH) // timedelta(microseconds=1) * 1000


def parse_demo_speed(text: str) -> float:
    """Simulated seconds per real second: a number above 0, at most MAX_DEMO_SPEED."""
    try:
        speed = float(text)
    except ValueError:
        raise ValueError(f"demo speed {text[:20]!r} is not a number") from None
    if not math.isfinite(speed) or speed <= 0 or speed > MAX_DEMO_SPEED:
        raise ValueError(f"demo speed must be above 0 and at most {MAX_DEMO_SPEED:,.0f}")
    return speed


@dataclass(frozen=True, slots=True)
class DemoOptions:
    """How to run the embedded simulator: its clock and the plan it enforces."""

    start_ns: int | None = None  # None = now
    speed: float = 1.0
    plan: PlanLimit | None = None  # None = no symbol limit

    @property
    def day(self) -> bool:
        """A real trading day on a simulated clock (else today's always-open market)."""
        return self.start_ns is not None or self.speed != 1.0

    def budget_plan(self) -> PlanLimit:
        """The plan the client should budget for: the simulator's own."""
        return self.plan or PlanLimit(MarketDataPlan.ALGO_TRADER_PLUS)

    def simulator_config(self, **fields: Any) -> SimulatorConfig:
        """A SimulatorConfig with this clock and plan; `fields` set the rest."""
        from engine.simulator.config import Plan, SimulatorConfig

        limit = None if self.plan is None else self.plan.limit
        if limit is not None:
            # Symbols past the limit are kept alive from REST; at Alpaca they trade whether
            # or not anyone streams them, so the demo keeps polled symbols trading too.
            fields.update(plan=Plan.FREE, symbol_limit=limit, rest_keeps_active_s=120.0)
        if self.day:
            fields.update(start_ns=self.start_ns, speed=self.speed, day=True)
        return SimulatorConfig(**fields)
