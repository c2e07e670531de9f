"""The delayed SIP feed: `/v2/delayed_sip` receives the market 15 minutes late.

Every batch the market generates is held until the session clock has moved
`delayed_sip_s` (900 simulated seconds) past the moment it was generated, then handed to
the delayed sessions; timestamps are left as they were (they are the original exchange
times, docs/protocol.md "Endpoints"). A trade or quote therefore arrives 15 minutes after
its `t` (plus at most one tick); a bar, whose `t` is its minute's start, 15 minutes after
that minute closed.

Bounded: at most `max_messages` are held (SimulatorConfig.delay_buffer_max, 200,000 by
default, which is about 15 minutes at 200 messages/s and speed 1). Beyond it the oldest
batches are dropped and counted (`dropped`, reported as SimulatorStats.delayed_dropped):
the delayed sessions then miss that stretch, as they would after a gap.
"""

from __future__ import annotations

from collections import deque

from engine.simulator.wire import Message


class DelayLine:
    """A bounded FIFO of (release time, batch); single-threaded."""

    def __init__(self, delay_ns: int, max_messages: int) -> None:
        if delay_ns < 0 or max_messages < 1:
            raise ValueError("delay_ns must be >= 0 and max_messages >= 1")
        self.delay_ns = delay_ns
        self.max_messages = max_messages
        self.dropped = 0
        self._held = 0
        self._batches: deque[tuple[int, list[Message]]] = deque()

    def __len__(self) -> int:
        """Messages held now."""
        return self._held

    def push(self, messages: list[Message], now_ns: int) -> None:
        """Hold `messages` (generated at `now_ns`) until `now_ns + delay`."""
        if not messages:
            return
        self._batches.append((now_ns + self.delay_ns, messages))
        self._held += len(messages)
        while self._held > self.max_messages:
            _, oldest = self._batches.popleft()
            self._held -= len(oldest)
            self.dropped += len(oldest)

    def release(self, now_ns: int) -> list[Message]:
        """Every held message due at `now_ns`, oldest first."""
        out: list[Message] = []
        batches = self._batches
        while batches and batches[0][0] <= now_ns:
            _, batch = batches.popleft()
            self._held -= len(batch)
            out.extend(batch)
        return out

    def clear(self) -> None:
        self._batches.clear()
        self._held = 0
