"""One REST request budget per API key: snapshots and bars spend the same calls.

Alpaca counts every REST call of a key against one limit: 200 a minute on Basic, 10,000
on Algo Trader Plus (docs/account-and-history.md, "Plans and limits"); the simulator
counts them in a sliding window of 60 s (docs/simulator.md, "Historical bars"). A token
bucket whose capacity plus one minute of refill equals the limit never exceeds it in any
60 s window: `burst` calls may go at once (10% of the limit), the rest are spaced at
(limit - burst) / 60 a second. After a 429 everyone waits until its `Retry-After` has
passed, and then calls restart one at a time at the refill rate (the server's window was full).

The accounting (`delay_for_next`, `take`, `note_retry_after`) is pure given the clock;
`acquire` is the only waiting part and sleeps with asyncio (never blocks the loop).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable

from engine.plan import MarketDataPlan, PlanLimit

__all__ = ["BASIC_CALLS_PER_MINUTE", "PLUS_CALLS_PER_MINUTE", "RequestBudget"]

BASIC_CALLS_PER_MINUTE = 200
PLUS_CALLS_PER_MINUTE = 10_000
_BURST_SHARE = 0.1  # share of the minute's calls that may go at once
_MAX_PAUSE_S = 300.0  # longest pause a Retry-After may impose (as engine.net.rest)
_DEFAULT_PAUSE_S = 1.0  # a 429 without Retry-After (docs/account-and-history.md)


class RequestBudget:
    """A token bucket over all REST calls of one key, with a shared pause after a 429."""

    def __init__(
        self,
        per_minute: int = BASIC_CALLS_PER_MINUTE,
        *,
        burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be >= 1")
        cap = max(1, math.floor(per_minute * _BURST_SHARE)) if burst is None else burst
        if not 1 <= cap <= per_minute:
            raise ValueError("burst must be within 1 and per_minute")
        self.per_minute = per_minute
        self.capacity = float(cap)
        # capacity + 60 s of refill = the limit: no 60 s window holds more calls than it.
        self.rate = max(per_minute - cap, 1) / 60.0
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.capacity
        self._stamp = clock()
        self._paused_until = -math.inf
        self._lock = asyncio.Lock()
        self.calls = 0  # calls let through
        self.waits = 0  # acquires that had to wait
        self.rate_limited = 0  # 429s noted

    @classmethod
    def for_plan(cls, plan: PlanLimit, **kwargs: object) -> RequestBudget:
        """The plan's REST limit; a custom (symbol) limit keeps Basic's safe 200."""
        per_minute = (
            PLUS_CALLS_PER_MINUTE
            if plan.plan is MarketDataPlan.ALGO_TRADER_PLUS
            else BASIC_CALLS_PER_MINUTE
        )
        return cls(per_minute, **kwargs)  # type: ignore[arg-type]

    def _refill(self, now: float) -> None:
        if now > self._stamp:
            self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now

    def delay_for_next(self, now: float) -> float:
        """Seconds from `now` until a call may go (0: now). Changes no budget."""
        base = max(now, self._stamp)
        tokens = self._tokens
        if now > self._stamp:
            tokens = min(self.capacity, tokens + (now - self._stamp) * self.rate)
        ready = base + max(0.0, 1.0 - tokens) / self.rate
        return max(0.0, ready - now, self._paused_until - now)

    def take(self, now: float) -> bool:
        """Spend one call at `now` if the budget allows it; False (nothing spent) if not."""
        if self.delay_for_next(now) > 0.0:
            return False
        self._refill(now)
        self._tokens -= 1.0
        self.calls += 1
        return True

    def note_retry_after(self, seconds: float | None, now: float | None = None) -> None:
        """A 429 said wait `seconds` (None: it did not say): pause every caller till then;
        after it one call may go, the next ones at the refill rate."""
        at = self._clock() if now is None else now
        pause = _DEFAULT_PAUSE_S if seconds is None else min(max(0.0, seconds), _MAX_PAUSE_S)
        self.rate_limited += 1
        self._paused_until = max(self._paused_until, at + pause)
        # One call at the pause's end, then the refill rate: the server's window was full.
        self._tokens = 1.0
        self._stamp = max(self._stamp, self._paused_until)

    @property
    def paused_until(self) -> float:
        return self._paused_until

    async def acquire(self) -> None:
        """Wait (asyncio.sleep, first come first served) until one call may go; spend it."""
        async with self._lock:
            waited = False
            while True:
                now = self._clock()
                delay = self.delay_for_next(now)
                if delay <= 0.0 and self.take(now):
                    if waited:
                        self.waits += 1
                    return
                waited = True
                await self._sleep(max(delay, 1e-3))
