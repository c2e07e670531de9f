"""The simulated trading day: which phase the session clock is in, and what it allows.

Phases come from engine.market.calendar (NYSE days, holidays, early closes): pre-market
04:00-09:30 ET, regular 09:30-16:00 (13:00 on early closes), after-hours to 20:00
(17:00), closed otherwise. What each phase means for the generator (docs/simulator.md):

- closed: no trades, no quotes (only statuses, e.g. a halt timer running out);
- pre-market and after-hours: a fraction of the rate, wider spreads, every trade carries
  the extended-hours condition `T` (Form T: docs/protocol.md, "Trade conditions and the
  trading day");
- regular: the full rate, LULD bands, an opening print at the open and a closing print
  at the close.

A phase is looked up once and cached until its end, so asking every tick is cheap.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

from engine.market.calendar import (
    MarketSession,
    current_trading_day,
    day_hours,
    day_start,
    previous_trading_day,
    session_at_ns,
    to_ns,
)

NS_PER_S = 1_000_000_000
EXTENDED_SPREAD_FACTOR = 4  # extended-hours quotes: this many times the regular spread
# Primary listing venue per tape, where the opening and closing auctions print:
# Nasdaq (C), NYSE (A), NYSE Arca (B).
PRIMARY_VENUE = {"C": "Q", "A": "N", "B": "P"}
# Conditions O (opening print) and 6 (closing print): docs/protocol.md, "Trade conditions
# and the trading day".
OPENING_PRINT = ["@", "O"]
CLOSING_PRINT = ["@", "6"]


@dataclasses.dataclass(frozen=True, slots=True)
class Phase:
    """One stretch of the day: [start_ns, end_ns) in `session`, then `next_session`."""

    session: MarketSession
    start_ns: int
    end_ns: int
    next_session: MarketSession
    trading_day: date  # the trading day under way (when closed: the last one)

    @property
    def regular(self) -> bool:
        return self.session is MarketSession.REGULAR

    @property
    def extended(self) -> bool:
        return self.session in (MarketSession.PRE_MARKET, MarketSession.AFTER_HOURS)

    @property
    def open(self) -> bool:
        return self.session is not MarketSession.CLOSED


class DaySchedule:
    """Phases of the simulated day, cached: one calendar lookup per phase change."""

    def __init__(self, extended_fraction: float = 0.15) -> None:
        if not 0.0 <= extended_fraction <= 1.0:
            raise ValueError("extended_fraction must be within [0, 1]")
        self.extended_fraction = extended_fraction
        self._cached: Phase | None = None

    def phase_at(self, ns: int) -> Phase:
        """The phase that holds the instant `ns` (a boundary belongs to the phase it opens)."""
        cached = self._cached
        if cached is not None and cached.start_ns <= ns < cached.end_ns:
            return cached
        state = session_at_ns(ns)
        end = to_ns(state.next_change)
        # The phase began at the later of the previous change and `ns` itself; only
        # `start_ns <= ns` matters for the cache, so `ns` is a safe lower bound.
        phase = Phase(state.session, ns, end, state.next_session, current_trading_day(state.at))
        self._cached = phase
        return phase

    def factor(self, phase: Phase) -> float:
        """Share of the configured message rate in `phase`."""
        if phase.regular:
            return 1.0
        return self.extended_fraction if phase.extended else 0.0


def day_start_ns(day: date) -> int:
    """Midnight New York time of `day` in Unix ns: the `t` of that day's daily bar."""
    return to_ns(day_start(day))


@dataclasses.dataclass(frozen=True, slots=True)
class Layout:
    """Where a symbol's starting state sits in the calendar (engine.simulator.state).

    `daily_start_ns` is the day of the latest published daily bar and `prev_start_ns` the
    trading day before it; `live` says whether that bar is the current trading day's, still
    growing (regular session and after-hours), and `complete` whether its day is over.
    In the pre-market the latest bar is the last session's (today's has no price yet).
    `last_ns` is the latest instant a trade could have printed, and `last_extended`
    whether that was outside the regular session (a Form T print).
    """

    daily_start_ns: int
    prev_start_ns: int
    live: bool
    complete: bool
    last_ns: int
    last_extended: bool


def initial_layout(now_ns: int) -> Layout:
    """The calendar facts a plausible starting state needs at `now_ns`."""
    state = session_at_ns(now_ns)
    day = current_trading_day(state.at)
    hours = day_hours(day)
    assert hours is not None  # current_trading_day returns a trading day
    session = state.session
    if session is MarketSession.PRE_MARKET:  # the latest bar is the last session's
        day = previous_trading_day(day)
    closed = session is MarketSession.CLOSED
    live = session in (MarketSession.REGULAR, MarketSession.AFTER_HOURS)
    return Layout(
        daily_start_ns=day_start_ns(day),
        prev_start_ns=day_start_ns(previous_trading_day(day)),
        live=live,
        complete=not live,
        last_ns=min(now_ns, to_ns(hours.post_close)) if closed else now_ns,
        last_extended=session is not MarketSession.REGULAR,
    )


def describe(ns: int) -> str:
    """`2026-11-20 09:30:00 ET (regular)`: for logs and docs."""
    state = session_at_ns(ns)
    at = datetime.fromtimestamp(ns // NS_PER_S, UTC).astimezone(state.at.tzinfo)
    return f"{at:%Y-%m-%d %H:%M:%S} ET ({state.session.value})"
