"""A synthetic, deterministic market: quotes, trades, bars, halts, LULD bands, corrections.

The market advances in *steps*; each step picks one active symbol (weighted by typical
volume) and produces a quote or a trade, rarely a halt, a correction or a cancel. The
sequence of steps depends only on the seed and the active symbols, never on wall time:
`advance(now)` just decides how many steps fit the elapsed time at the current rate and
spreads their timestamps over it. Bars are built from the market's own trades and come
out when the simulated clock crosses a minute boundary, so where they fall in the
sequence does depend on the clock.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections.abc import Iterable

from engine.simulator import state as st_mod
from engine.simulator.state import MINUTE_NS, TICK, BarAcc, RecentTrade, SymbolState
from engine.simulator.universe import is_valid_symbol, listing
from engine.simulator.wire import (
    NS_PER_S,
    CancelError,
    Correction,
    DailyBar,
    Luld,
    Message,
    MinuteBar,
    Quote,
    Status,
    Trade,
    Ts,
    UpdatedBar,
)

SIGMA = 0.0004  # per-step log-return volatility
KAPPA = 0.001  # per-step mean reversion to the base: stationary spread of ~1% around it
MAX_BACKLOG_S = 0.25  # a late loop drops at most this much budget instead of spiralling
_LOTS = (1, 1, 1, 1, 2, 2, 3, 5, 10)
_SPREAD_TICKS = (1, 2, 3, 4, 6)
_SPREAD_CUM = list(itertools.accumulate((55, 25, 10, 6, 4)))
_TRADE_CUM = list(itertools.accumulate(st_mod.TRADE_VENUE_WEIGHTS))
_QUOTE_CUM = list(itertools.accumulate(st_mod.QUOTE_VENUE_WEIGHTS))
# (status code, status message, reason code, reason message); UTP for tape C, CTA for A/B.
_UTP_HALTS = (
    ("H", "Trading Halt", "T1", "Halt News Pending"),
    ("H", "Trading Halt", "T12", "Trading Halted; For information requested by NASDAQ"),
    ("P", "Volatility Trading Pause", "LUDP", "Volatility Trading Pause"),
)
_CTA_HALTS = (
    ("2", "Trading Halt", "M", "Volatility Trading Pause"),
    ("2", "Trading Halt", "T1", "News Pending"),
)
_UTP_RESUME = ("T", "Trading Resumption", "", "")
_CTA_RESUME = ("3", "Resume", "", "")


class Market:
    """Mutable market state plus the generator; single-threaded, never blocks."""

    def __init__(
        self,
        symbols: Iterable[str],
        *,
        seed: int,
        start_ns: int,
        rate: float,
        quote_fraction: float = 0.7,
        halt_probability: float = 0.0,
        halt_steps: tuple[int, int] = (2_000, 10_000),
        correction_probability: float = 0.0,
        cancel_probability: float = 0.0,
        max_universe: int = 10_000,
    ) -> None:
        self.seed = seed
        self.rate = rate
        self.clock_ns = start_ns
        self.steps = 0
        self.generated = 0
        self._rng = random.Random(seed)
        self._quote_fraction = quote_fraction
        self._halt_p = halt_probability
        self._halt_steps = halt_steps
        self._corr_p = correction_probability
        self._cancel_p = cancel_probability
        self._max_universe = max_universe
        self._next_trade_id = 10_000_000 + self._rng.randrange(1_000_000)
        self._states: dict[str, SymbolState] = {}
        for symbol in symbols:
            self._states[symbol] = st_mod.initial_state(symbol, seed, start_ns)
        self._active: list[str] = []
        self._active_cum: list[float] = []
        self._budget = 0.0
        self._halted: dict[str, None] = {}
        self._traded: dict[str, None] = {}  # symbols with a trade in the current minute
        self._next_minute = st_mod.minute_start_ns(start_ns) + MINUTE_NS
        self._day_end = st_mod.day_start_ns(start_ns) + st_mod.DAY_NS

    # --- universe -----------------------------------------------------------------

    def __contains__(self, symbol: object) -> bool:
        return symbol in self._states

    def symbols(self) -> list[str]:
        return list(self._states)

    def state(self, symbol: str) -> SymbolState | None:
        return self._states.get(symbol)

    def add_symbol(self, symbol: str) -> bool:
        """Add a valid-looking symbol to the universe; False if invalid or the cap is hit."""
        if symbol in self._states:
            return True
        if not is_valid_symbol(symbol) or len(self._states) >= self._max_universe:
            return False
        self._states[symbol] = st_mod.initial_state(symbol, self.seed, self.clock_ns)
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
        prev = self.clock_ns
        if now_ns <= prev:
            return out
        n = 0
        if self._active and self.rate > 0:
            budget = self._budget + self.rate * (now_ns - prev) / NS_PER_S
            self._budget = min(budget, self.rate * MAX_BACKLOG_S + 1.0)
            n = int(self._budget)
            self._budget -= n
        else:
            self._budget = 0.0
        span = now_ns - prev
        for j in range(1, n + 1):
            ts_ns = prev + span * j // n
            while ts_ns >= self._next_minute:
                self._close_minute(out)
            self._step(Ts(ts_ns), out)
        while now_ns >= self._next_minute:
            self._close_minute(out)
        self.clock_ns = now_ns
        return out

    def burst(self, steps: int, now_ns: int) -> list[Message]:
        """Run `steps` steps at once (all stamped `now_ns`), regardless of the rate."""
        out: list[Message] = []
        now_ns = max(now_ns, self.clock_ns)
        while now_ns >= self._next_minute:
            self._close_minute(out)
        self.clock_ns = now_ns
        if self._active:
            ts = Ts(now_ns)
            for _ in range(steps):
                self._step(ts, out)
        return out

    def _step(self, ts: Ts, out: list[Message]) -> None:
        self.steps += 1
        before = len(out)
        rng = self._rng
        if self._halted:
            self._count_down_halts(ts, out)
        cum = self._active_cum
        idx = bisect.bisect_right(cum, rng.random() * cum[-1])
        st = self._states[self._active[min(idx, len(self._active) - 1)]]
        if st.halted_steps > 0:
            return
        if st.luld_ref == 0.0:
            self._publish_luld(st, st.mid, ts, out)
        if rng.random() < self._halt_p:
            self._halt(st, ts, out)
        else:
            st.mid = max(
                0.5,
                st.mid * math.exp(SIGMA * rng.gauss(0.0, 1.0) + KAPPA * math.log(st.base / st.mid)),
            )
            if rng.random() < self._quote_fraction:
                self._quote(st, ts, out)
            else:
                self._trade(st, ts, out)
        self.generated += len(out) - before

    def _quote(self, st: SymbolState, ts: Ts, out: list[Message]) -> None:
        rng = self._rng
        ticks = _SPREAD_TICKS[bisect.bisect_right(_SPREAD_CUM, rng.random() * _SPREAD_CUM[-1])]
        if st.mid > 300:
            ticks += 1
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
        venue = st_mod.TRADE_VENUES[bisect.bisect_right(_TRADE_CUM, rng.random() * _TRADE_CUM[-1])]
        self._next_trade_id += 1
        tid = self._next_trade_id
        st.last_price, st.last_size, st.last_x = price, size, venue
        st.last_id, st.last_cond, st.last_ns = tid, cond, ts.ns
        if st.minute is None:
            st.minute = BarAcc(self._next_minute - MINUTE_NS, price, price, price, price)
            self._traded[st.symbol] = None
        st.minute.add(price, size)
        st.daily.add(price, size)
        st.recent.append(RecentTrade(tid, price, size, venue, cond, st.minute.start_ns))
        out.append(Trade(st.symbol, tid, venue, price, size, cond, ts, st.tape))
        if abs(price - st.luld_ref) > 0.025 * st.luld_ref:
            self._publish_luld(st, price, ts, out)
        r = rng.random()
        if r < self._corr_p:
            self._correct(st, ts, out)
        elif r < self._corr_p + self._cancel_p:
            self._cancel(st, ts, out)

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
        self._adjust_bars(st, old, (new.p - old.p) * old.s, 0, new.p, ts, out)

    def _cancel(self, st: SymbolState, ts: Ts, out: list[Message]) -> None:
        old = st.recent[self._rng.randrange(len(st.recent))]
        st.recent.remove(old)
        out.append(CancelError(st.symbol, old.i, old.x, old.p, old.s, "C", ts, st.tape))
        self._adjust_bars(st, old, -old.p * old.s, -old.s, None, ts, out)

    def _adjust_bars(
        self, st: SymbolState, trade: RecentTrade, d_notional: float, d_volume: int,
        new_price: float | None, ts: Ts, out: list[Message],
    ) -> None:  # fmt: skip
        """Apply a correction/cancel to the bars that hold the trade (`u` if already sent).

        Highs and lows only widen: we keep sums, not every trade (bounded memory).
        """
        targets = [st.daily]
        if st.minute is not None and st.minute.start_ns == trade.minute_ns:
            targets.append(st.minute)
        elif st.last_bar.start_ns == trade.minute_ns:
            targets.append(st.last_bar)
        for acc in targets:
            acc.notional += d_notional
            if d_volume:
                acc.v += d_volume
                acc.n -= 1
            if new_price is not None:
                acc.h, acc.l = max(acc.h, new_price), min(acc.l, new_price)
        if targets[-1] is st.last_bar:
            out.append(_bar(UpdatedBar, st.symbol, st.last_bar))

    def _publish_luld(self, st: SymbolState, ref: float, ts: Ts, out: list[Message]) -> None:
        pct = 0.05 if ref >= 3.0 else 0.20  # Tier 1 bands (LULD plan); 20% under $3
        st.luld_ref = ref
        out.append(Luld(st.symbol, round(ref * (1 + pct), 2), round(ref * (1 - pct), 2), "B",
                        ts, st.tape))  # fmt: skip

    def _halt(self, st: SymbolState, ts: Ts, out: list[Message]) -> None:
        rng = self._rng
        st.halted_steps = rng.randint(*self._halt_steps)
        self._halted[st.symbol] = None
        halts = _UTP_HALTS if st.tape == "C" else _CTA_HALTS
        sc, sm, rc, rm = halts[rng.randrange(len(halts))]
        out.append(Status(st.symbol, sc, sm, rc, rm, ts, st.tape))

    def _count_down_halts(self, ts: Ts, out: list[Message]) -> None:
        for symbol in list(self._halted):
            st = self._states[symbol]
            st.halted_steps -= 1
            if st.halted_steps <= 0:
                del self._halted[symbol]
                sc, sm, rc, rm = _UTP_RESUME if st.tape == "C" else _CTA_RESUME
                out.append(Status(symbol, sc, sm, rc, rm, ts, st.tape))
                self._publish_luld(st, st.mid, ts, out)

    def _close_minute(self, out: list[Message]) -> None:
        """Emit `b` and `d` for every symbol that traded in the minute ending now."""
        for symbol in self._traded:
            st = self._states[symbol]
            acc, st.minute = st.minute, None
            if acc is not None and acc.n > 0:
                st.last_bar = acc
                out.append(_bar(MinuteBar, symbol, acc))
                out.append(_bar(DailyBar, symbol, st.daily))
        self._traded.clear()
        boundary = self._next_minute
        self._next_minute += MINUTE_NS
        if boundary >= self._day_end:
            day0 = st_mod.day_start_ns(boundary)
            self._day_end = day0 + st_mod.DAY_NS
            for st in self._states.values():
                p = st.last_price
                st.prev_daily, st.daily = st.daily, BarAcc(day0, p, p, p, p)


def _bar(
    cls: type[MinuteBar] | type[DailyBar] | type[UpdatedBar], symbol: str, acc: BarAcc
) -> Message:
    return cls(symbol, acc.o, acc.h, acc.l, acc.c, acc.v, Ts(acc.start_ns), acc.n, acc.vwap)
