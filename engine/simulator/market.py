"""A synthetic, deterministic market: quotes, trades, bars, halts, LULD bands, corrections.

The market advances in *steps*; each step picks one active symbol (weighted by typical
volume) and produces a quote or a trade, rarely a halt, a correction or a cancel. The
sequence of steps depends only on the seed and the active symbols, never on wall time:
`advance(now)` just decides how many steps fit the elapsed time at the current rate and
spreads their timestamps over it. The rate is per *real* second (`speed` simulated
seconds pass per real second), so a fast clock spaces messages further apart in
simulated time instead of generating more of them. Bars are built from the market's own
trades and come out when the simulated clock crosses a minute boundary, so where they
fall in the sequence does depend on the clock.

With a DaySchedule (engine.simulator.day) the market lives a real trading day: no data
when closed, thin Form T trading in the extended sessions, opening and closing prints,
and the daily bar rolling with each trading day's open (docs/simulator.md). Without
one it is the always-on market it has always been. Halts: engine.simulator.halts.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable

from engine.market.calendar import MarketSession
from engine.simulator import bars
from engine.simulator import halts as hl
from engine.simulator import state as st_mod
from engine.simulator.day import (
    CLOSING_PRINT,
    OPENING_PRINT,
    DaySchedule,
    Phase,
    day_start_ns,
    initial_layout,
)
from engine.simulator.generator import Generator
from engine.simulator.history import LiveBars
from engine.simulator.state import MINUTE_NS, SymbolState
from engine.simulator.universe import is_valid_symbol, listing
from engine.simulator.wire import NS_PER_S, Message, Ts

MAX_BACKLOG_S = 0.25  # a late loop drops at most this much budget instead of spiralling


class Market(Generator):
    """Mutable market state plus the generator; single-threaded, never blocks."""

    def __init__(
        self,
        symbols: Iterable[str],
        *,
        seed: int,
        start_ns: int,
        rate: float,
        speed: float = 1.0,
        schedule: DaySchedule | None = None,
        quote_fraction: float = 0.7,
        halt_probability: float = 0.0,
        halt_steps: tuple[int, int] = (2_000, 10_000),
        correction_probability: float = 0.0,
        cancel_probability: float = 0.0,
        max_universe: int = 10_000,
        new_listings: Iterable[str] = (),
    ) -> None:
        super().__init__(
            seed=seed, start_ns=start_ns, schedule=schedule, quote_fraction=quote_fraction,
            halt_probability=halt_probability, halt_steps=halt_steps,
            correction_probability=correction_probability, cancel_probability=cancel_probability,
        )  # fmt: skip
        self.rate = rate
        self.speed = speed
        self.clock_ns = start_ns
        self._max_universe = max_universe
        self._made: dict[str, int] = {}  # symbol -> when its starting state was made
        # New listings (docs/simulator.md, "New listings"): listed when their state is made.
        self._new_listings = frozenset(new_listings)
        self.live = LiveBars()  # published bars, for GET /v2/stocks/bars
        if schedule is not None:
            self._day_start = day_start_ns(schedule.phase_at(start_ns).trading_day)
        for symbol in dict.fromkeys([*symbols, *sorted(self._new_listings)]):
            self._states[symbol] = self._initial(symbol, start_ns)  # listings: first print now
        self._budget = 0.0
        self._day_end = st_mod.day_start_ns(start_ns) + st_mod.DAY_NS  # always-on roll

    def _initial(self, symbol: str, now_ns: int) -> SymbolState:
        layout = None if self._schedule is None else initial_layout(now_ns)
        self._made[symbol] = now_ns  # its history ends there (engine.simulator.history)
        state = st_mod.initial_state(symbol, self.seed, now_ns, layout)
        if symbol in self._new_listings:  # no history at all: it is listed now
            st_mod.make_new_listing(state, now_ns)
        return state

    # --- universe -----------------------------------------------------------------

    def __contains__(self, symbol: object) -> bool:
        return symbol in self._states

    def symbols(self) -> list[str]:
        return list(self._states)

    def state(self, symbol: str) -> SymbolState | None:
        return self._states.get(symbol)

    def made_ns(self, symbol: str) -> int | None:
        """When the symbol's starting state was made (None: not in the universe)."""
        return self._made.get(symbol)

    def add_symbol(self, symbol: str) -> bool:
        """Add a valid-looking symbol to the universe; False if invalid or the cap is hit."""
        if symbol in self._states:
            return True
        if not is_valid_symbol(symbol) or len(self._states) >= self._max_universe:
            return False
        self._states[symbol] = self._initial(symbol, self.clock_ns)
        return True

    def set_active(self, symbols: Iterable[str]) -> None:
        """Symbols that generate data (sorted, so the step sequence is reproducible)."""
        active = sorted({s for s in symbols if s in self._states})
        if active == self._active:
            return
        self._active = active
        weights = (math.sqrt(listing(s).adv) for s in active)
        self._active_cum = list(itertools.accumulate(weights))

    @property
    def active(self) -> list[str]:
        return list(self._active)

    # --- generation ---------------------------------------------------------------

    def advance(self, now_ns: int) -> list[Message]:
        """Run the steps that fit between the clock and `now_ns` at the current rate."""
        out: list[Message] = []
        if now_ns <= self.clock_ns:
            return out
        if self._schedule is None:
            self._run(self.clock_ns, now_ns, 1.0, out)
        else:
            t = self.clock_ns
            while t < now_ns:  # one span per phase: a fast clock may cross several
                phase = self._schedule.phase_at(t)
                self._set_phase(phase)
                end = min(now_ns, phase.end_ns)
                self._run(t, end, self._schedule.factor(phase), out)
                t = end
                if t == phase.end_ns:
                    self._set_phase(self._schedule.phase_at(t))
                    self._begin_phase(self._schedule.phase_at(t), t, out)
        self.clock_ns = now_ns
        return out

    def burst(self, steps: int, now_ns: int) -> list[Message]:
        """Run `steps` steps at once (all stamped `now_ns`), regardless of the rate.

        In the real day a burst respects the phase: nothing while the market is closed.
        """
        now_ns = max(now_ns, self.clock_ns)
        if self._schedule is None:
            out: list[Message] = []
            self._catch_up(now_ns, out)
            self.clock_ns = now_ns
        else:
            out = self.advance(now_ns)
            self._set_phase(self._schedule.phase_at(now_ns))
            if not self._schedule.phase_at(now_ns).open:
                return out
        if self._active:
            ts = Ts(now_ns)
            for _ in range(steps):
                self._step(ts, out)
        return out

    def halt(
        self, symbol: str, reason: str = "T1", quote_after_s: float | None = None,
        resume_after_s: float | None = None,
    ) -> list[Message]:  # fmt: skip
        """Halt `symbol` at the market clock; `Q` after `quote_after_s`, `T`/`3` after
        `resume_after_s` simulated seconds (defaults: engine.simulator.halts.timing)."""
        quote_s, resume_s = hl.timing(reason, quote_after_s, resume_after_s)
        return [self._begin_halt(self._states[symbol], reason, self.clock_ns, quote_s, resume_s)]

    def _run(self, prev: int, end: int, factor: float, out: list[Message]) -> None:
        """Steps for the span (prev, end] (always-on) or [prev, end) (real day)."""
        n = 0
        if self._active and self.rate > 0 and factor > 0:
            budget = self._budget + self.rate * factor * (end - prev) / NS_PER_S / self.speed
            self._budget = min(budget, self.rate * MAX_BACKLOG_S + 1.0)
            n = int(self._budget)
            self._budget -= n
        else:
            self._budget = 0.0
        span = end - prev
        first = 1 if self._schedule is None else 0
        for j in range(first, first + n):
            ts_ns = prev + span * j // n
            self._catch_up(ts_ns, out)
            self._step(Ts(ts_ns), out)
        self._catch_up(end, out)

    def _catch_up(self, ts: int, out: list[Message]) -> None:
        """Minute closes and timed halt transitions up to `ts`, in time order."""
        while True:
            deadline = self.halts.next_deadline_ns()
            if deadline is not None and deadline <= ts and deadline < self._next_minute:
                self._transitions(self.halts.due(deadline, steps=False), out)
            elif self._next_minute <= ts:
                self._close_minute(ts, out)
            else:
                return

    def _begin_phase(self, phase: Phase, at: int, out: list[Message]) -> None:
        """What happens at a phase boundary: a new trading day, the open, the close."""
        if phase.session is MarketSession.PRE_MARKET:
            self._day_start = day_start_ns(phase.trading_day)
            bars.begin_trading_day(self._states.values())
        elif phase.session in (MarketSession.REGULAR, MarketSession.AFTER_HOURS):
            opening = phase.session is MarketSession.REGULAR
            ts = Ts(at)
            for symbol in self._active:
                st = self._states[symbol]
                if not self.halts.may_trade(symbol):
                    continue
                self._auction(st, ts, OPENING_PRINT if opening else CLOSING_PRINT, out)
                if opening:
                    self._publish_luld(st, st.last_price, ts, out)
                else:
                    st.luld_ref = 0.0  # LULD bands apply to the regular session only

    def _close_minute(self, upto: int, out: list[Message]) -> None:
        """Emit the bars of the minute ending now; skip a run of quiet minutes to `upto`."""
        traded = bool(self._traded)
        closed = bars.close_minute(self._states, self._traded)
        self.live.record(closed)
        out.extend(closed)
        self._traded.clear()
        boundary = self._next_minute
        following = boundary + MINUTE_NS
        if not traded and upto >= following:
            following = st_mod.minute_start_ns(upto) + MINUTE_NS
            if self._schedule is None and boundary < self._day_end:
                following = min(following, self._day_end)  # the always-on roll is per minute
        self._next_minute = following
        if self._schedule is None and boundary >= self._day_end:
            day0 = st_mod.day_start_ns(boundary)
            self._day_end = day0 + st_mod.DAY_NS
            bars.roll_always_on(self._states.values(), day0)
