"""'Falling behind' detection for the stream: exchange-to-receive latency over its best.

Pure bookkeeping on `StreamHealth` (no socket, no clock of its own), one call per frame
that carried a trade or a quote, so it stays off the per-message path. The exchange time
given is the frame's newest trade or quote time: a bar's `t` is the start of its minute
or day (a daily bar's is midnight in New York, docs/protocol.md, "Data messages"), so a
bar would read as minutes or hours of latency and a false "falling behind".
"""

from __future__ import annotations

import logging

from engine.net.health import StreamHealth

log = logging.getLogger("engine.net.stream")  # the stream's warning, as before the split

# Exchange-to-receive latency growth over the session's best that means "falling behind".
FALLING_BEHIND_NS = 1_000_000_000


class LagTracker:
    """Tracks latency per frame; flags 'falling behind' when it grows and stays grown."""

    __slots__ = ("_behind_since", "_behind_since_ns", "_best_ns", "_health")

    def __init__(self, health: StreamHealth) -> None:
        self._health = health
        self._best_ns: int | None = None
        self._behind_since: float | None = None
        self._behind_since_ns = 0  # exchange time of the first message of the episode

    def reset(self) -> None:
        """A new connection: its best latency is measured afresh."""
        self._best_ns = None

    def note(self, latency_ns: int, now: float, exchange_ns: int) -> None:
        """Record one frame's latency (`now` in receive-clock seconds); `exchange_ns` is
        the frame's newest trade or quote time, never a bar's."""
        health = self._health
        health.record_latency_ns(latency_ns)
        best = self._best_ns
        # Relative to the session's best, so a delayed feed (15 min) or clock skew
        # between exchange and this machine does not read as falling behind.
        if best is None or latency_ns < best:
            self._best_ns = best = latency_ns
        excess = latency_ns - best
        health.falling_behind_s = excess / 1e9
        if excess <= FALLING_BEHIND_NS:
            self._behind_since = None
            health.falling_behind = False
            return
        if health.falling_behind:
            return
        if self._behind_since is None:
            self._behind_since, self._behind_since_ns = now, exchange_ns
        # Sustained for a second of receive time (a slow steady overload) or of exchange
        # time (a backlog read in one go after the loop stalled): not one late frame.
        elif now - self._behind_since >= 1.0 or exchange_ns - self._behind_since_ns >= 1e9:
            health.falling_behind = True
            health.falling_behind_events += 1
            log.warning("falling behind the stream by %.1f s", excess / 1e9)
