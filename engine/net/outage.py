"""Outage windows in exchange time, for the gap fill after a reconnect.

Polled (about twice a second) by the composition root. It reads the state transitions
the stream client records in its health (every one, even a drop and reconnect between
two polls) and, when the stream is back after having been down, returns the window the
chart and sparklines missed. The window starts at the last frame received before the
stream left STREAMING (a dead link is noticed only a ping timeout later, and prints stop
with the last frame), but never more than `MAX_LEAD_S` before it left: on a quiet
symbol set the last frame may be much older, and those minutes were not missed. Fetching
a minute too many is harmless: the gap fill merges by minute with no duplicates
(docs/account-and-history.md, "Historical bars").

Health times are monotonic seconds; the window is in exchange time, which in a demo
runs at the simulator's speed. The two are mapped by the rate measured between the
watch's creation and now (exactly 1 on the wall clock, the demo's speed in a demo).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol

from engine.net.health import ConnectionState, StreamHealth

__all__ = ["MAX_LEAD_S", "POLL_S", "OutageWatch", "fill_gaps"]

NS_PER_S = 1_000_000_000
MAX_LEAD_S = 120.0  # how far before the state change the window may start
POLL_S = 0.5  # how often `fill_gaps` looks at the stream's transitions


class GapFiller(Protocol):
    """What `fill_gaps` hands a finished outage to (engine.net.backfill.Backfill)."""

    def gap(self, outage_start_ns: int, outage_end_ns: int) -> None: ...


async def fill_gaps(watch: OutageWatch, filler: GapFiller, poll_s: float = POLL_S) -> None:
    """Run until cancelled: every finished outage goes to `filler.gap` (the app's and
    tickerdesk-watch's gap fill after a reconnect)."""
    while True:
        await asyncio.sleep(poll_s)
        window = watch.poll()
        if window is not None:
            filler.gap(*window)


class OutageWatch:
    """Turns the stream's state transitions into outage windows `(start_ns, end_ns)`."""

    def __init__(
        self,
        health: StreamHealth,
        exchange_now_ns: Callable[[], int],
        min_outage_s: float = 1.0,
    ) -> None:
        self._health = health
        self._now_ns = exchange_now_ns
        self._min_ns = int(min_outage_s * NS_PER_S)
        self._origin = (health.clock(), exchange_now_ns())
        # Transitions before the watch began are history: only later ones count. The
        # last one handled is kept as the object itself (two may share a time stamp).
        self._seen: tuple[float, ConnectionState] | None = (
            health.transitions[-1] if health.transitions else None
        )
        self._streamed = health.state is ConnectionState.STREAMING
        self._down_since: float | None = None  # monotonic start of the current outage
        self.outages = 0  # windows returned

    def poll(self) -> tuple[int, int] | None:
        """The newest outage that ended since the last poll, or None."""
        health = self._health
        found: tuple[float, float] | None = None
        for entry in self._new_transitions():
            at, state = self._seen = entry
            if state is ConnectionState.STREAMING:
                if self._down_since is not None:
                    found = (min(found[0], self._down_since) if found else self._down_since, at)
                self._down_since = None
                self._streamed = True
            elif self._streamed and self._down_since is None:
                last = health.last_message_at
                lead = at - last if last is not None and last <= at else 0.0
                self._down_since = at - min(lead, MAX_LEAD_S)
        if found is None:
            return None
        start, end = (self._exchange_ns(t) for t in found)
        if end - start < self._min_ns:
            return None
        self.outages += 1
        return start, end

    def _new_transitions(self) -> list[tuple[float, ConnectionState]]:
        entries = list(self._health.transitions)
        seen = self._seen
        if seen is None:
            return entries
        for index in range(len(entries) - 1, -1, -1):
            if entries[index] is seen:
                return entries[index + 1 :]
        # More transitions than the health keeps since the last poll: the newer ones.
        return [e for e in entries if e[0] >= seen[0]]

    def _exchange_ns(self, monotonic: float) -> int:
        mono0, exch0 = self._origin
        now, exch = self._health.clock(), self._now_ns()
        rate = (exch - exch0) / ((now - mono0) * NS_PER_S) if now > mono0 else 1.0
        return exch - int((now - monotonic) * NS_PER_S * rate)
