"""The simulator's session clock: the exchange time its market lives in (docs/simulator.md).

Wall time by default. Given a start and a speed, simulated time is
`start + elapsed real time x speed`, measured on the monotonic clock (a jumping wall
clock never moves it). Every exchange timestamp the simulator sends, and every phase of
its trading day, comes from this one clock; the app reads it to show the session text of
the simulated day.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import UTC, datetime

from engine.market.calendar import MarketSessionState, session_at_ns, to_ns

NS_PER_S = 1_000_000_000


class SessionClock:
    """Simulated exchange time: `start_ns + (monotonic elapsed) * speed`, in Unix ns."""

    def __init__(
        self,
        start_ns: int | None = None,
        speed: float = 1.0,
        *,
        wall_ns: Callable[[], int] = time.time_ns,
        monotonic_ns: Callable[[], int] = time.monotonic_ns,
    ) -> None:
        if not (math.isfinite(speed) and speed > 0):
            raise ValueError(f"speed must be a positive number, not {speed!r}")
        self.speed = speed
        self._wall_ns = wall_ns
        self._mono_ns = monotonic_ns
        self._mono0 = monotonic_ns()
        # start None and speed 1: plain wall time, exactly as before the clock existed.
        self._is_wall = start_ns is None and speed == 1.0
        self.start_ns = start_ns if start_ns is not None else wall_ns()

    @property
    def simulated(self) -> bool:
        """False when this is the machine's wall clock (no start, speed 1)."""
        return not self._is_wall

    def now_ns(self) -> int:
        """Simulated exchange time now, Unix ns."""
        if self._is_wall:
            return self._wall_ns()
        elapsed = self._mono_ns() - self._mono0
        if self.speed == 1.0:
            return self.start_ns + elapsed
        return self.start_ns + int(elapsed * self.speed)

    def now(self) -> datetime:
        """Simulated time now as an aware UTC datetime (microseconds)."""
        return datetime.fromtimestamp(self.now_ns() / NS_PER_S, UTC)

    def session(self) -> MarketSessionState:
        """The market session (pre-market, regular, ...) at the simulated now."""
        return session_at_ns(self.now_ns())


def parse_start(text: str) -> int:
    """RFC 3339 with an offset (`2026-11-20T03:55-05:00`) or `Z`, to Unix ns.

    A time without an offset is refused: it would mean different instants on different
    machines.
    """
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError(f"not an RFC 3339 time: {text!r}") from exc
    if when.tzinfo is None:
        raise ValueError(f"start time needs an offset or Z (e.g. {text}-05:00): {text!r}")
    return to_ns(when)
