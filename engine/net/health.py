"""Connection health: the one small object the status bar and the CLI read.

The stream client writes it; readers only read. Times are monotonic seconds from the
injected clock (ages never jump when the wall clock does); exchange timestamps enter
only as the exchange-to-receive latency.
"""

from __future__ import annotations

import enum
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


class ConnectionState(enum.StrEnum):
    """The single lifecycle state the UI renders."""

    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    AUTHENTICATING = "authenticating"
    STREAMING = "streaming"
    RECONNECTING = "reconnecting"
    FAILED = "failed"


# How many one-second buckets the message rate is averaged over.
_RATE_WINDOW_S = 5
# Bound on the latency samples kept for percentiles and the histogram.
_LATENCY_SAMPLES = 4096
# Bound on the remembered state transitions (connection details, tests).
_TRANSITIONS = 64
# States that end a deliberate reconnect's explanation (StreamHealth.state_detail).
_DETAIL_ENDS = frozenset(
    {ConnectionState.STREAMING, ConnectionState.FAILED, ConnectionState.DISCONNECTED}
)


@dataclass(slots=True)
class StreamHealth:
    """Counters and state of the stream connection (written by the stream client)."""

    clock: Callable[[], float] = time.monotonic
    state: ConnectionState = ConnectionState.DISCONNECTED
    last_error: str | None = None
    # Why the state was entered when that is not an error, in words (e.g. "switching to
    # feed sip" while a settings change reconnects); kept until streaming or a failure.
    state_detail: str | None = None
    reconnects: int = 0
    messages: int = 0
    frames: int = 0
    decode_errors: int = 0
    tap_errors: int = 0  # a sharer of the stream (gateway, bus) raised; the stream went on
    unknown_messages: int = 0
    server_errors: int = 0
    last_message_at: float | None = None
    state_changed_at: float = 0.0
    next_retry_at: float | None = None
    endpoint: str = ""
    feed: str = ""
    encoding: str = "json"
    insecure: bool = False
    falling_behind: bool = False
    falling_behind_events: int = 0
    falling_behind_s: float = 0.0  # latest exchange-to-receive latency above the session's best
    latency_samples: deque[int] = field(default_factory=lambda: deque(maxlen=_LATENCY_SAMPLES))
    transitions: deque[tuple[float, ConnectionState]] = field(
        default_factory=lambda: deque(maxlen=_TRANSITIONS)
    )
    _rate_buckets: deque[tuple[int, int]] = field(
        default_factory=lambda: deque(maxlen=_RATE_WINDOW_S + 1)
    )

    def set_state(
        self, state: ConnectionState, error: str | None = None, *, detail: str | None = None
    ) -> None:
        """Enter `state`; `error` (if given) becomes the human-readable last error.

        `detail` says why in words when it is no error (a deliberate reconnect); it
        stays through connecting and authenticating, and ends with streaming, a
        failure, a disconnect or an error.
        """
        if detail is not None:
            self.state_detail = detail
        elif error is not None or state in _DETAIL_ENDS:
            self.state_detail = None
        if state is not self.state:
            self.state = state
            self.state_changed_at = self.clock()
            self.transitions.append((self.state_changed_at, state))
        if error is not None:
            self.last_error = error
        if state is not ConnectionState.RECONNECTING:
            self.next_retry_at = None

    def record_frame(self, message_count: int, now: float | None = None) -> None:
        """Count one received frame holding `message_count` messages."""
        now = self.clock() if now is None else now
        self.frames += 1
        self.messages += message_count
        self.last_message_at = now
        second = int(now)
        buckets = self._rate_buckets
        if buckets and buckets[-1][0] == second:
            buckets[-1] = (second, buckets[-1][1] + message_count)
        else:
            buckets.append((second, message_count))

    def record_latency_ns(self, latency_ns: int) -> None:
        """Exchange-to-receive latency of one message, in nanoseconds."""
        self.latency_samples.append(latency_ns)

    def message_age(self, now: float | None = None) -> float | None:
        """Seconds since the last frame arrived, or None if none has."""
        if self.last_message_at is None:
            return None
        now = self.clock() if now is None else now
        return max(0.0, now - self.last_message_at)

    def message_rate(self, now: float | None = None) -> float:
        """Messages per second over the last few complete seconds."""
        now = self.clock() if now is None else now
        current = int(now)
        window_start = current - _RATE_WINDOW_S
        total = sum(n for second, n in self._rate_buckets if window_start <= second < current)
        return total / _RATE_WINDOW_S

    def latency_percentile_ms(self, fraction: float) -> float | None:
        """Percentile (0..1) of recent exchange-to-receive latency in ms, or None."""
        if not self.latency_samples:
            return None
        ordered = sorted(self.latency_samples)
        index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
        return ordered[index] / 1e6
