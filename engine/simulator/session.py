"""One client connection: its subscription, encoding and an ordered, bounded send queue.

Every frame goes through one writer task so control replies and data keep their order.
The unsent backlog (our queue plus the transport's buffer) is watched: a client that
lets it pass the slow-client limit gets error 407 and is closed, as Alpaca documents.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections import deque
from collections.abc import Callable

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from engine.simulator import wire
from engine.simulator.wire import Encoding, Message

log = logging.getLogger(__name__)

# Channels a client may name, in Alpaca's subscription-reply order.
CHANNELS = ("trades", "quotes", "bars", "updatedBars", "dailyBars", "statuses", "lulds")
# corrections and cancelErrors mirror trades (docs/protocol.md, "Handshake" step 3).
REPLY_KEYS = (*CHANNELS, "corrections", "cancelErrors")
TEST_REPLY_KEYS = ("trades", "quotes", "bars")  # the test stream's short form


@dataclasses.dataclass(frozen=True, slots=True)
class _Close:
    code: int
    reason: str


@dataclasses.dataclass(slots=True)
class SessionCounters:
    messages_sent: int = 0
    frames_sent: int = 0
    bytes_sent: int = 0


class ServerSession:
    """State of one websocket client; the server decides, the session queues and sends."""

    def __init__(
        self,
        session_id: int,
        conn: ServerConnection,
        path: str,
        feed: str,
        encoding: Encoding,
        *,
        batch_max: int,
        slow_limit: Callable[[], int],
        on_slow: Callable[[ServerSession], None],
        close_timeout: float,
    ) -> None:
        self.id = session_id
        self.conn = conn
        self.path = path
        self.feed = feed
        self.encoding = encoding
        self.key: str | None = None
        self.authenticated = False
        self.closing = False
        self.subs: dict[str, dict[str, None]] = {ch: {} for ch in CHANNELS}
        self.counters = SessionCounters()
        self._batch_max = batch_max
        self._slow_limit = slow_limit
        self._on_slow = on_slow
        self._close_timeout = close_timeout
        self._out: deque[tuple[bytes, int] | _Close] = deque()
        self._pending = 0
        self._wake = asyncio.Event()

    # --- subscription ---------------------------------------------------------------

    def reply(self) -> dict[str, object]:
        """The full current subscription (short form on the test stream)."""
        keys = TEST_REPLY_KEYS if self.feed == "test" else REPLY_KEYS
        fields: dict[str, object] = {}
        for key in keys:
            channel = "trades" if key in ("corrections", "cancelErrors") else key
            fields[key] = list(self.subs[channel])
        return wire.control("subscription", **fields)

    def symbols(self) -> set[str]:
        return {s for chan in self.subs.values() for s in chan}

    def wants(self, message: Message) -> bool:
        chan = self.subs[message.channel]
        return message.S in chan or "*" in chan

    # --- sending --------------------------------------------------------------------

    def send_control(self, payload: dict[str, object]) -> None:
        """Queue a control message alone in its frame, as Alpaca sends them."""
        self._enqueue(wire.encode([payload], self.encoding), 0)

    def send_raw(self, frame: bytes) -> None:
        """Queue a frame as is (fault injection: malformed or odd frames)."""
        self._enqueue(frame, 0)

    def send_data(self, messages: list[Message]) -> None:
        """Queue the messages this session subscribed to, batch_max per frame."""
        if self.closing or not self.authenticated:
            return
        selected = [m for m in messages if self.wants(m)]
        step = self._batch_max
        for i in range(0, len(selected), step):
            chunk = selected[i : i + step]
            self._enqueue(wire.encode(chunk, self.encoding), len(chunk))
        if selected and self.backlog() > self._slow_limit():
            self._on_slow(self)

    def backlog(self) -> int:
        """Bytes accepted for this client but not yet written to the socket."""
        transport = self.conn.transport
        buffered = transport.get_write_buffer_size() if transport is not None else 0
        return self._pending + buffered

    def close(self, code: int = 1000, reason: str = "", *, flush: bool = True) -> None:
        """Close after the queued frames (or at once, dropping them, if not flush)."""
        if self.closing:
            return
        self.closing = True
        if not flush:
            self._out.clear()
            self._pending = 0
        self._out.append(_Close(code, reason))
        self._wake.set()

    def error_and_close(self, code: int, close_code: int = 1008) -> None:
        """Send Alpaca error `code`, then close; queued data frames are dropped (moot now)."""
        if self.closing:
            return
        self._drop_data()
        self.send_control(wire.error(code, wire.ERROR_TEXT[code]))
        self.close(close_code, wire.ERROR_TEXT[code])

    def _drop_data(self) -> None:
        """Forget queued data frames; control frames (e.g. `connected`) still go out."""
        kept = [item for item in self._out if isinstance(item, tuple) and item[1] == 0]
        self._out = deque(kept)
        self._pending = sum(len(frame) for frame, _ in kept)

    def abort(self) -> None:
        """Drop the TCP connection without a close frame (a network failure)."""
        self.closing = True
        if self.conn.transport is not None:
            self.conn.transport.abort()

    def _enqueue(self, frame: bytes, messages: int) -> None:
        if self.closing:
            return
        self._out.append((frame, messages))
        self._pending += len(frame)
        self._wake.set()

    async def run_writer(self) -> None:
        """Send queued frames in order until closed; never raises on a lost connection."""
        text = self.encoding is Encoding.JSON
        try:
            while True:
                while not self._out:
                    self._wake.clear()
                    await self._wake.wait()
                item = self._out.popleft()
                if isinstance(item, _Close):
                    await self._finish(item)
                    return
                frame, count = item
                self._pending -= len(frame)
                await self.conn.send(frame, text=text)
                self.counters.frames_sent += 1
                self.counters.messages_sent += count
                self.counters.bytes_sent += len(frame)
        except ConnectionClosed:
            return

    async def _finish(self, item: _Close) -> None:
        try:
            async with asyncio.timeout(self._close_timeout):
                await self.conn.close(item.code, item.reason)
        except TimeoutError:
            # the peer does not read (slow or half-dead): drop it like Alpaca would
            with contextlib.suppress(Exception):
                self.abort()
