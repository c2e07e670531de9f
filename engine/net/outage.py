"""Outage windows in exchange time, for the gap fill after a reconnect.

Polled (about twice a second) by the composition root: it reads the stream's health
and, when the stream is back after having been down, returns the window the chart and
sparklines missed. The window starts at the last frame received before the stream left
STREAMING (a dead link is noticed only a ping timeout later, and prints stop with the
last frame), but never more than `MAX_LEAD_S` before it left: on a quiet symbol-set the
last frame may be much older, and those minutes were not missed. Fetching a few minutes
too many is harmless: the gap fill merges by minute with no duplicates
(docs/account-and-history.md, "Historical bars").
"""

from __future__ import annotations

from collections.abc import Callable

from engine.net.health import ConnectionState, StreamHealth

__all__ = ["MAX_LEAD_S", "OutageWatch"]

NS_PER_S = 1_000_000_000
MAX_LEAD_S = 120.0  # how far before the state change the window may start


class OutageWatch:
    """Turns the stream's state into outage windows `(start_ns, end_ns)` (exchange time)."""

    def __init__(
        self,
        health: StreamHealth,
        exchange_now_ns: Callable[[], int],
        min_outage_s: float = 1.0,
    ) -> None:
        self._health = health
        self._now_ns = exchange_now_ns
        self._min_ns = int(min_outage_s * NS_PER_S)
        self._streamed = False  # streamed at least once: before that, nothing was missed
        self._down_since_ns: int | None = None
        self.outages = 0  # windows returned

    def poll(self) -> tuple[int, int] | None:
        """The outage just ended, or None; call it regularly."""
        health = self._health
        if health.state is ConnectionState.STREAMING:
            self._streamed = True
            start, self._down_since_ns = self._down_since_ns, None
            if start is None:
                return None
            end = self._now_ns()
            if end - start < self._min_ns:
                return None
            self.outages += 1
            return start, end
        if self._streamed and self._down_since_ns is None:
            self._down_since_ns = self._start_ns()
        return None

    def _start_ns(self) -> int:
        health = self._health
        now = health.clock()
        left = health.state_changed_at
        last = health.last_message_at
        lead = 0.0 if last is None else max(0.0, left - last)
        since = (now - left) + min(lead, MAX_LEAD_S)
        return self._now_ns() - int(since * NS_PER_S)
