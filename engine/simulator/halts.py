"""Trading halts the way the tapes report them (docs/protocol.md, "Trading status codes").

UTP (Nasdaq-listed, tape C): `H` trading halt, or `P` LULD volatility pause, then `Q`
quotation resumption (quotes come back, trading is still halted), then `T` trading
resumption. CTA (tapes A/B): `2` halt, then `3` resume, nothing in between.

While a symbol is halted it sends nothing; in its `Q` window it sends quotes only.
Timers run in simulated time (deadlines in Unix ns of the session clock), so a halt
lasts as many simulated minutes at speed 60 as at speed 1. The always-on market (the
default, docs/simulator.md) times its random halts in market steps instead, as it
always has, so its message sequence stays a function of the seed alone.
"""

from __future__ import annotations

import dataclasses
import enum
import random

from engine.simulator.wire import NS_PER_S, Status, Ts

# Simulated durations (seconds). Nasdaq: a news halt's quotation-only period is about
# 5 minutes; an LULD pause lasts 5 minutes (LULD plan) and reopens after a short
# quotation period. Random news halts in the real day last 2-10 minutes before quotes.
NEWS_QUOTE_S = 300.0
PAUSE_S = 300.0
PAUSE_QUOTE_S = 30.0
RANDOM_NEWS_HALT_S = (120.0, 600.0)

NEWS_REASONS = {"T1": "Halt News Pending", "T2": "Halt News Dissemination",
                "T12": "Trading Halted; For information requested by NASDAQ"}  # fmt: skip
PAUSE_REASONS = frozenset({"LUDP", "M"})  # LULD pause: UTP reason LUDP, CTA reason M
REASONS = frozenset(NEWS_REASONS) | PAUSE_REASONS


class Stage(enum.Enum):
    HALTED = "halted"  # nothing at all
    QUOTING = "quoting"  # UTP `Q`: quotes only


@dataclasses.dataclass(slots=True)
class Halt:
    symbol: str
    tape: str
    pause: bool  # an LULD pause (UTP `P`), not a halt
    stage: Stage
    quote_at: int | None  # when `Q` goes out (None: CTA, straight to resume)
    resume_at: int  # when `T` / `3` goes out
    by_steps: bool  # deadlines count market steps (always-on market), not ns


def _status(symbol: str, tape: str, fields: tuple[str, str, str, str], ns: int) -> Status:
    sc, sm, rc, rm = fields
    return Status(symbol, sc, sm, rc, rm, Ts(ns), tape)


def _begin_fields(tape: str, reason: str) -> tuple[str, str, str, str]:
    pause = reason in PAUSE_REASONS
    if tape == "C":
        if pause:
            return ("P", "Volatility Trading Pause", "LUDP", "Volatility Trading Pause")
        return ("H", "Trading Halt", reason, NEWS_REASONS[reason])
    if pause:
        return ("2", "Trading Halt", "M", "Volatility Trading Pause")
    return ("2", "Trading Halt", reason, NEWS_REASONS[reason].removeprefix("Halt "))


def _quote_fields(pause: bool) -> tuple[str, str, str, str]:
    if pause:
        return ("Q", "Quotation Resumption", "LUDP", "Volatility Trading Pause")
    return ("Q", "Quotation Resumption", "T3", "News and Resumption Times")


_UTP_RESUME = ("T", "Trading Resumption", "", "")
_CTA_RESUME = ("3", "Resume", "", "")


class HaltBook:
    """The symbols under a halt, their stage and their timers."""

    def __init__(self) -> None:
        self._halts: dict[str, Halt] = {}
        self.halted = self._halts  # read-only view for the per-step fast path
        self.step_timers = 0  # how many halts count steps (cheap check per step)

    def __contains__(self, symbol: object) -> bool:
        return symbol in self._halts

    def __len__(self) -> int:
        return len(self._halts)

    def stage(self, symbol: str) -> Stage | None:
        halt = self._halts.get(symbol)
        return None if halt is None else halt.stage

    def may_quote(self, symbol: str) -> bool:
        halt = self._halts.get(symbol)
        return halt is None or halt.stage is Stage.QUOTING

    def may_trade(self, symbol: str) -> bool:
        return symbol not in self._halts

    def begin(
        self, symbol: str, tape: str, reason: str, at: int, quote_at: int | None,
        resume_at: int, *, by_steps: bool = False,
    ) -> Status:  # fmt: skip
        """Start a halt now (`at` is the status time in ns); returns its `H`/`P`/`2`."""
        if reason not in REASONS:
            raise ValueError(f"unknown halt reason {reason!r}; one of {sorted(REASONS)}")
        old = self._halts.pop(symbol, None)
        if old is not None and old.by_steps:
            self.step_timers -= 1
        utp = tape == "C"
        halt = Halt(symbol, tape, reason in PAUSE_REASONS, Stage.HALTED,
                    quote_at if utp else None, resume_at, by_steps)  # fmt: skip
        self._halts[symbol] = halt
        self.step_timers += by_steps
        return _status(symbol, tape, _begin_fields(tape, reason), at)

    def next_deadline_ns(self) -> int | None:
        """The earliest time-based transition still to come (None: none)."""
        if self.step_timers == len(self._halts):
            return None  # no timed halt (the common case: checked before every step)
        deadlines = [
            h.quote_at if h.stage is Stage.HALTED and h.quote_at is not None else h.resume_at
            for h in self._halts.values()
            if not h.by_steps
        ]
        return min(deadlines) if deadlines else None

    def due(self, now: int, *, steps: bool, ts_ns: int | None = None) -> list[tuple[Status, bool]]:
        """Transitions whose deadline is <= `now` (ns, or a step count if `steps`).

        Returns (status, resumed) pairs in deadline order; a time-based status is stamped
        with its own deadline, a step-based one with `ts_ns`. `resumed` marks `T`/`3`.
        """
        out: list[tuple[int, Status, bool]] = []
        for symbol, halt in list(self._halts.items()):
            if halt.by_steps != steps:
                continue
            if halt.stage is Stage.HALTED and halt.quote_at is not None and halt.quote_at <= now:
                halt.stage = Stage.QUOTING
                at = ts_ns if steps and ts_ns is not None else halt.quote_at
                quoting = _status(symbol, halt.tape, _quote_fields(halt.pause), at)
                out.append((halt.quote_at, quoting, False))
            if halt.resume_at <= now:
                del self._halts[symbol]
                self.step_timers -= halt.by_steps
                at = ts_ns if steps and ts_ns is not None else halt.resume_at
                fields = _UTP_RESUME if halt.tape == "C" else _CTA_RESUME
                out.append((halt.resume_at, _status(symbol, halt.tape, fields, at), True))
        out.sort(key=lambda item: item[0])
        return [(status, resumed) for _, status, resumed in out]


def seconds(value: float) -> int:
    """Simulated seconds to ns."""
    return int(value * NS_PER_S)


def timing(
    reason: str, quote_after_s: float | None = None, resume_after_s: float | None = None
) -> tuple[float, float]:
    """(seconds until `Q`, seconds until `T`/`3`) from the halt, defaults filled in.

    A news halt: 5 minutes halted, then Nasdaq's 5-minute quotation period. An LULD
    pause: 5 minutes, then a short quotation period.
    """
    if reason not in REASONS:
        raise ValueError(f"unknown halt reason {reason!r}; one of {sorted(REASONS)}")
    pause = reason in PAUSE_REASONS
    quote_s = (PAUSE_S if pause else NEWS_QUOTE_S) if quote_after_s is None else quote_after_s
    if quote_after_s is None and resume_after_s is not None:
        quote_s = min(quote_s, resume_after_s)  # only the resumption given: Q no later
    if resume_after_s is None:
        resume_after_s = quote_s + (PAUSE_QUOTE_S if pause else NEWS_QUOTE_S)
    if not 0 <= quote_s <= resume_after_s:
        raise ValueError("need 0 <= quote_after_s <= resume_after_s")
    return quote_s, resume_after_s


def random_timing(rng: random.Random, reason: str) -> tuple[float, float]:
    """Timing of a random halt in the real day: a pause as the plan says, news 2-10 min."""
    if reason in PAUSE_REASONS:
        return timing(reason)
    return timing(reason, rng.uniform(*RANDOM_NEWS_HALT_S))
