"""Rate-limited logging for lines that can repeat at message rate.

A format change upstream can make every message undecodable; one WARNING per message
would flood stderr from the event loop's thread (docs/design.md, invariant 1). A
`LogThrottle` logs the first `burst` lines of each `window` seconds in full and sums up
the rest in one line per window ("1,532 more like this in the last 10 s"). Callers keep
their own counters: the throttle only decides what reaches the log. The clock is
injected, so tests run without sleeping.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

__all__ = ["LogThrottle"]


class LogThrottle:
    """At most `burst` full lines per `window` seconds, then one summary line per window.

    A window opens with the first line logged in it. The summary of a window is written
    when the next line arrives after it, or when `flush()` finds it over (call `flush()`
    when convenient, e.g. once per received frame while `suppressed` is non-zero, and at
    shutdown with `force=True`).
    """

    __slots__ = (
        "_clock",
        "_logged",
        "_logger",
        "_prefix",
        "_started",
        "burst",
        "level",
        "suppressed",
        "window",
    )

    def __init__(
        self,
        logger: logging.Logger,
        *,
        burst: int = 5,
        window: float = 10.0,
        level: int = logging.WARNING,
        topic: str = "",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`topic` starts the summary line ("skipped undecodable message: 1,532 more
        like this ..."), so it reads on its own among other lines."""
        if burst < 1 or window <= 0:
            raise ValueError("burst must be >= 1 and window > 0")
        self._logger = logger
        self._clock = clock
        self.burst = burst
        self.window = window
        self.level = level
        self._prefix = f"{topic}: " if topic else ""
        self._started: float | None = None  # when the current window opened
        self._logged = 0  # full lines logged in the current window
        self.suppressed = 0  # lines held back in the current window

    def log(self, msg: str, *args: object) -> bool:
        """Log `msg % args` if the window allows it; True if it was written in full."""
        now = self._clock()
        if self._started is None or now - self._started >= self.window:
            self._summarise(now)
            self._started, self._logged = now, 0
        if self._logged < self.burst:
            self._logged += 1
            self._logger.log(self.level, msg, *args)
            return True
        self.suppressed += 1
        return False

    def flush(self, *, force: bool = False) -> None:
        """Write the summary of a window that is over (any window with `force`)."""
        if not self.suppressed or self._started is None:
            return
        now = self._clock()
        if force or now - self._started >= self.window:
            self._summarise(now)
            self._started = None

    def _summarise(self, now: float) -> None:
        if not self.suppressed or self._started is None:
            return
        # The held-back lines all came within the window; say how long it actually was.
        span = max(1, round(min(now - self._started, self.window)))
        self._logger.log(
            self.level,
            "%s%s more like this in the last %d s",
            self._prefix,
            f"{self.suppressed:,}",
            span,
        )
        self.suppressed = 0
