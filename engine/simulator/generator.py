"""The step generator under engine.simulator.market: one step = one quote or trade.

Each step picks one active symbol (weighted by typical volume) and produces a quote or a
trade, rarely a halt, a correction or a cancel, from the market's seeded RNG only. The
phase of the simulated day (engine.simulator.day) shapes what a step may produce:
extended-hours trades carry Form T and quote wider, LULD bands exist only in the regular
session, and a halted symbol is silent (quotes only in its `Q` window).
"""

from __future__ import annotations

import bisect
import itertools
import math
import random

from engine.simulator import bars
from engine.simulator import halts as hl
from engine.simulator import state as st_mod
from engine.simulator.bars import EXTENDED
from engine.simulator.day import EXTENDED_SPREAD_FACTOR, PRIMARY_VENUE, DaySchedule, Phase
from engine.simulator.state import MINUTE_NS, TICK, RecentTrade, SymbolState
from engine.simulator.wire import CancelError, Correction, Luld, Message, Quote, Status, Trade, Ts

SIGMA = 0.0004  # per-step log-return volatility
KAPPA = 0.001  # per-step mean reversion to the base: stationary spread of ~1% around it
_LOTS = (1, 1, 1, 1, 2, 2, 3, 5, 10)
_SPREAD_TICKS = (1, 2, 3, 4, 6)
_SPREAD_CUM = list(itertools.accumulate((55, 25, 10, 6, 4)))
_TRADE_CUM = list(itertools.accumulate(st_mod.TRADE_VENUE_WEIGHTS))
_QUOTE_CUM = list(itertools.accumulate(st_mod.QUOTE_VENUE_WEIGHTS))
# Random halt reasons (engine.simulator.halts): UTP for tape C, CTA for A/B.
_UTP_REASONS = ("T1", "T12", "LUDP")
_CTA_REASONS = ("M", "T1")


class Generator:
    """Market state the steps change, and the steps themselves (Market drives them)."""

    def __init__(
        self, *, seed: int, start_ns: int, schedule: DaySchedule | None, quote_fraction: float,
        halt_probability: float, halt_steps: tuple[int, int], correction_probability: float,
        cancel_probability: float,
    ) -> None:  # fmt: skip
        self.seed = seed
        self.steps = 0
        self.generated = 0
        self._rng = random.Random(seed)
        self._schedule = schedule
        self.phase: Phase | None = None
        self._regular = True  # cached from the phase: read on every step
        self._extended = False
        if schedule is not None:
            self._set_phase(schedule.phase_at(start_ns))
        self._quote_fraction = quote_fraction
        self._halt_p = halt_probability
        self._halt_steps = halt_steps
        self._corr_p = correction_probability
        self._cancel_p = cancel_probability
        self._next_trade_id = 10_000_000 + self._rng.randrange(1_000_000)
        self._states: dict[str, SymbolState] = {}
        self._active: list[str] = []
        self._active_cum: list[float] = []
        self.halts = hl.HaltBook()
        self._traded: dict[str, None] = {}  # symbols with a trade in the current minute
        self._next_minute = st_mod.minute_start_ns(start_ns) + MINUTE_NS
        self._day_start = st_mod.day_start_ns(start_ns)  # the current daily bar's stamp

    def _set_phase(self, phase: Phase) -> None:
        self.phase = phase
        self._regular, self._extended = phase.regular, phase.extended

    def _step(self, ts: Ts, out: list[Message]) -> None:
        self.steps += 1
        before = len(out)
        rng = self._rng
        halts = self.halts
        if halts.step_timers:
            self._transitions(halts.due(self.steps, steps=True, ts_ns=ts.ns), out)
        cum = self._active_cum
        idx = bisect.bisect_right(cum, rng.random() * cum[-1])
        st = self._states[self._active[min(idx, len(self._active) - 1)]]
        stage = halts.stage(st.symbol) if halts.halted else None
        if stage is hl.Stage.HALTED:
            self.generated += len(out) - before
            return
        regular = self._regular
        if regular and st.luld_ref == 0.0:
            self._publish_luld(st, st.mid, ts, out)
        if rng.random() < self._halt_p:
            if stage is None and regular:
                self._random_halt(st, ts, out)
        else:
            st.mid = max(
                0.5,
                st.mid * math.exp(SIGMA * rng.gauss(0.0, 1.0) + KAPPA * math.log(st.base / st.mid)),
            )
            if rng.random() < self._quote_fraction or stage is not None:
                self._quote(st, ts, out)  # a `Q` window: quotes only
            else:
                self._trade(st, ts, out)
        self.generated += len(out) - before

    def _quote(self, st: SymbolState, ts: Ts, out: list[Message]) -> None:
        rng = self._rng
        ticks = _SPREAD_TICKS[bisect.bisect_right(_SPREAD_CUM, rng.random() * _SPREAD_CUM[-1])]
        if st.mid > 300:
            ticks += 1
        if self._extended:
            ticks *= EXTENDED_SPREAD_FACTOR  # thin books outside the regular session
        bid = round(max(TICK, math.floor((st.mid - ticks * TICK / 2) / TICK) * TICK), 2)
        st.bid, st.ask = bid, round(bid + ticks * TICK, 2)
        st.bid_size, st.ask_size = rng.randint(1, 12), rng.randint(1, 12)
        st.bid_x = st_mod.QUOTE_VENUES[
            bisect.bisect_right(_QUOTE_CUM, rng.random() * _QUOTE_CUM[-1])
        ]
        st.ask_x = st_mod.QUOTE_VENUES[
            bisect.bisect_right(_QUOTE_CUM, rng.random() * _QUOTE_CUM[-1])
        ]
        st.quote_ns = ts.ns
        out.append(
            Quote(st.symbol, st.bid_x, st.bid, st.bid_size, st.ask_x, st.ask, st.ask_size,
                  ["R"], ts, st.tape)
        )  # fmt: skip

    def _trade(self, st: SymbolState, ts: Ts, out: list[Message]) -> None:
        rng = self._rng
        r = rng.random()
        if r < 0.45:
            price = st.bid
        elif r < 0.9:
            price = st.ask
        else:  # inside the spread, on a tick
            price = round(st.bid + rng.randint(0, round((st.ask - st.bid) / TICK)) * TICK, 2)
        if rng.random() < 0.75:
            size, cond = 100 * _LOTS[rng.randrange(len(_LOTS))], ["@"]
        else:  # odd lot: condition I (Alpaca/SIP condition codes)
            size, cond = rng.randint(1, 99), ["@", "I"]
        if self._extended:
            cond.insert(1, EXTENDED)  # Form T (docs/protocol.md, "Trade conditions and ...")
        venue = st_mod.TRADE_VENUES[bisect.bisect_right(_TRADE_CUM, rng.random() * _TRADE_CUM[-1])]
        self._record(st, price, size, venue, cond, ts, out)
        if self._regular and abs(price - st.luld_ref) > 0.025 * st.luld_ref:
            self._publish_luld(st, price, ts, out)
        r = rng.random()
        if r < self._corr_p:
            self._correct(st, ts, out)
        elif r < self._corr_p + self._cancel_p:
            self._cancel(st, ts, out)

    def _record(self, st: SymbolState, price: float, size: int, venue: str, cond: list[str],
                ts: Ts, out: list[Message]) -> None:  # fmt: skip
        """A trade prints: last trade, bars (engine.simulator.bars), recent trades, message."""
        self._next_trade_id += 1
        tid = self._next_trade_id
        st.last_price, st.last_size, st.last_x = price, size, venue
        st.last_id, st.last_cond, st.last_ns = tid, cond, ts.ns
        minute = self._next_minute - MINUTE_NS
        if bars.add_trade(st, price, size, cond, minute, self._day_start):
            self._traded[st.symbol] = None
        st.recent.append(RecentTrade(tid, price, size, venue, cond, minute))
        out.append(Trade(st.symbol, tid, venue, price, size, cond, ts, st.tape))

    def _correct(self, st: SymbolState, ts: Ts, out: list[Message]) -> None:
        rng = self._rng
        idx = rng.randrange(len(st.recent))
        old = st.recent[idx]
        new_price = round(max(TICK, old.p + rng.choice((-1, 1)) * TICK), 2)
        self._next_trade_id += 1
        new = old._replace(i=self._next_trade_id, p=new_price)
        st.recent[idx] = new
        out.append(
            Correction(st.symbol, old.x, old.i, old.p, old.s, old.c, new.i, new.p, new.s, new.c,
                       ts, st.tape)
        )  # fmt: skip
        if st.last_id == old.i:
            st.last_id, st.last_price = new.i, new.p
        self._adjust(st, old, (new.p - old.p) * old.s, 0, new.p, out)

    def _cancel(self, st: SymbolState, ts: Ts, out: list[Message]) -> None:
        old = st.recent[self._rng.randrange(len(st.recent))]
        st.recent.remove(old)
        out.append(CancelError(st.symbol, old.i, old.x, old.p, old.s, "C", ts, st.tape))
        self._adjust(st, old, -old.p * old.s, -old.s, None, out)

    def _adjust(
        self, st: SymbolState, trade: RecentTrade, d_notional: float, d_volume: int,
        new_price: float | None, out: list[Message],
    ) -> None:  # fmt: skip
        updated = bars.adjust(st, trade, d_notional, d_volume, new_price)
        if updated is not None:
            out.append(updated)

    def _publish_luld(self, st: SymbolState, ref: float, ts: Ts, out: list[Message]) -> None:
        pct = 0.05 if ref >= 3.0 else 0.20  # Tier 1 bands (LULD plan); 20% under $3
        st.luld_ref = ref
        out.append(Luld(st.symbol, round(ref * (1 + pct), 2), round(ref * (1 - pct), 2), "B",
                        ts, st.tape))  # fmt: skip

    # --- halts and auctions ---------------------------------------------------------

    def _begin_halt(
        self, st: SymbolState, reason: str, at: int, quote_s: float, resume_s: float
    ) -> Status:
        return self.halts.begin(
            st.symbol, st.tape, reason, at, at + hl.seconds(quote_s), at + hl.seconds(resume_s)
        )

    def _random_halt(self, st: SymbolState, ts: Ts, out: list[Message]) -> None:
        rng = self._rng
        reasons = _UTP_REASONS if st.tape == "C" else _CTA_REASONS
        if self._schedule is None:  # always-on: timed in steps (engine.simulator.halts)
            n = rng.randint(*self._halt_steps)
            reason = reasons[rng.randrange(len(reasons))]
            out.append(self.halts.begin(st.symbol, st.tape, reason, ts.ns, self.steps + n // 2,
                                        self.steps + n, by_steps=True))  # fmt: skip
            return
        reason = reasons[rng.randrange(len(reasons))]
        out.append(self._begin_halt(st, reason, ts.ns, *hl.random_timing(rng, reason)))

    def _transitions(self, items: list[tuple[Status, bool]], out: list[Message]) -> None:
        """Emit `Q` / `T` / `3`; bands are published again when trading resumes."""
        for status, resumed in items:
            out.append(status)
            st = self._states[status.S]
            if resumed and self._regular:
                self._publish_luld(st, st.mid, status.t, out)

    def _auction(self, st: SymbolState, ts: Ts, cond: list[str], out: list[Message]) -> None:
        """The primary listing venue's opening or closing cross: one large print at mid."""
        price = round(max(TICK, round(st.mid / TICK) * TICK), 2)
        size = 100 * self._rng.randint(20, 400)
        self._record(st, price, size, PRIMARY_VENUE.get(st.tape, "Q"), list(cond), ts, out)
