"""REST rate limits per API key, as Alpaca's plans set them (docs/account-and-history.md).

A sliding window of 60 real seconds (the monotonic clock, not the session clock: the
client's calls happen in real time): at most `limit` calls in any 60 s. A refused call
is not counted. The answer carries what Alpaca's headers say: the limit, the calls
left, the Unix second the oldest counted call leaves the window, and, when refused, how
many seconds to wait (`Retry-After`, rounded up).

Bounded: one deque of at most `limit` times per key, for at most `max_keys` keys (the
least recently seen key is forgotten first).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable

WINDOW_S = 60.0


@dataclasses.dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_in_s: float  # until the oldest counted call leaves the window
    retry_after_s: int  # 0 when allowed

    def headers(self, wall_s: float) -> list[tuple[str, str]]:
        """Alpaca's rate-limit headers (plus Retry-After when refused)."""
        out = [
            ("X-RateLimit-Limit", str(self.limit)),
            ("X-RateLimit-Remaining", str(self.remaining)),
            ("X-RateLimit-Reset", str(math.ceil(wall_s + self.reset_in_s))),
        ]
        if not self.allowed:
            out.append(("Retry-After", str(self.retry_after_s)))
        return out


class RateLimiter:
    """At most `limit` calls per key in any `WINDOW_S` seconds."""

    def __init__(
        self, limit: int, *, max_keys: int = 256, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if limit < 1 or max_keys < 1:
            raise ValueError("limit and max_keys must be >= 1")
        self.limit = limit
        self.refused = 0
        self._max_keys = max_keys
        self._clock = clock
        self._calls: OrderedDict[str, deque[float]] = OrderedDict()

    def check(self, key: str) -> Decision:
        """Count one call for `key` if the window has room; say so either way."""
        now = self._clock()
        calls = self._calls.get(key)
        if calls is None:
            calls = self._calls[key] = deque(maxlen=self.limit)
            while len(self._calls) > self._max_keys:
                self._calls.popitem(last=False)
        else:
            self._calls.move_to_end(key)
        while calls and calls[0] <= now - WINDOW_S:
            calls.popleft()
        if len(calls) >= self.limit:
            self.refused += 1
            wait = calls[0] + WINDOW_S - now
            return Decision(False, self.limit, 0, wait, max(1, math.ceil(wait)))
        calls.append(now)
        reset = calls[0] + WINDOW_S - now
        return Decision(True, self.limit, self.limit - len(calls), reset, 0)
