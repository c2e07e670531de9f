"""The stream's websocket with its own receive path: each message is handed to the
stream client inside `data_received`, as the bytes are parsed.

`websockets`' asyncio connection keeps everything it does well here: the opening
handshake (TLS, headers, proxies, redirects, deflate), keepalive pings with their
timeout, the closing handshake with its codes and reasons, the maximum message size and
write flow control. Only the receive side changes. `websockets` queues every message in
its `Assembler` and the reader takes it with `await recv()`: a future and a task wake-up
whenever the reader waits, at a live stream's pace once per frame (issue 16,
docs/performance.md, "Engine, second round"). Here a complete message goes straight to
one synchronous handler: data_received -> websockets' sans-I/O parser -> handler ->
decoder -> store, with no await, queue or task switch in between.

Buffering is bounded, and a burst does not hold the loop. One callback hands on at most
`BURST_FRAMES` messages; the rest of that read (a backlog after a stall, or whatever came
before the stream client attached its handler) waits in a queue, reading pauses until the
queue is empty, and the queue is worked off a slice per loop iteration, so timers and
paints run in between (docs/design.md, invariants 1 and 2).
The queue never holds more than one read (asyncio reads at most 256 kB) plus a slice;
TCP flow control holds the rest in the kernel and slows the server. Nothing received is
dropped: what waits when the connection ends is handed on before `until_closed` returns.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from typing import Any, cast

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosedOK
from websockets.frames import CloseCode, Frame, Opcode
from websockets.protocol import Event

__all__ = ["BURST_FRAMES", "FrameConnection", "MessageHandler", "open_frames"]

log = logging.getLogger("engine.net.stream")

# One whole message: `str` for a text frame, `bytes` for a binary one (or for a text frame
# when the handler reads UTF-8 bytes itself: msgspec's JSON decoder does, and checks it).
type MessageHandler = Callable[[str | bytes], None]

# Messages handed on per loop callback at most; a live stream's read holds one or a few.
BURST_FRAMES = 32

_TEXT, _BINARY, _CONT, _PONG = Opcode.TEXT, Opcode.BINARY, Opcode.CONT, Opcode.PONG


class FrameConnection(ClientConnection):
    """A `websockets` client connection that hands each message to one handler at once.

    `recv()` and `async for` are not used on it: call `deliver_to(handler)` once, then
    `await until_closed()`. A handler that raises ends the connection: it is closed with
    code 1000, as leaving `async with websockets.connect(...)` on an error does, and
    `until_closed` raises that exception.
    """

    text_as_bytes = False  # set per connection by `open_frames`

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._handler: MessageHandler | None = None
        self._queue: deque[str | bytes] = deque()  # waiting: no handler yet, or a burst
        self._budget = BURST_FRAMES  # messages this callback may still hand on
        self._reading_paused = False
        self._drain_scheduled = False
        self._parts: list[bytes] = []  # the fragments of a message not finished yet
        self._parts_text = False
        self._failure: BaseException | None = None
        self._failed: asyncio.Future[None] = self.loop.create_future()
        self.queued_max = 0  # the most messages that ever waited at once

    # --- what the stream client calls ---------------------------------------------------

    def deliver_to(self, handler: MessageHandler) -> None:
        """Hand every message to `handler` from now on, first the ones held so far."""
        if self._handler is not None:
            raise RuntimeError("a handler is attached already")
        self._handler = handler
        self._budget = BURST_FRAMES
        self._drain()

    async def until_closed(self) -> None:
        """Wait for the end of the connection, every message received handed on.

        Returns after a normal close (1000, 1001: what `async for` on a websockets
        connection does); raises `ConnectionClosedError` after any other end, and the
        handler's own exception if it raised (after closing with 1000).
        """
        await asyncio.wait(
            [self._failed, self.connection_lost_waiter], return_when=asyncio.FIRST_COMPLETED
        )
        if self._failure is not None:
            failure = self._failure
            await self.close()
            raise failure
        exc = self.close_exc
        if not isinstance(exc, ConnectionClosedOK):
            raise exc

    # --- the receive path ---------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        self._budget = BURST_FRAMES  # a new loop callback: a new slice
        super().data_received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        # What was received is applied, even when the connection has ended meanwhile.
        self._budget = len(self._queue) + 1
        self._drain()
        super().connection_lost(exc)

    def process_event(self, event: Event) -> None:
        if self.response is None:  # the handshake's response: websockets' own handling
            super().process_event(event)
            return
        frame: Frame = event  # type: ignore[assignment]  # a Frame after the handshake
        opcode = frame.opcode
        if opcode is _TEXT or opcode is _BINARY:
            if frame.fin:
                if opcode is _BINARY or self.text_as_bytes:
                    self._deliver(frame.data)  # type: ignore[arg-type]  # bytes here
                else:
                    self._deliver_text(frame.data)  # type: ignore[arg-type]
            else:
                self._parts = [frame.data]  # type: ignore[list-item]
                self._parts_text = opcode is _TEXT
        elif opcode is _CONT:
            # websockets' parser bounds the whole message by max_size, fragments included.
            self._parts.append(frame.data)  # type: ignore[arg-type]
            if frame.fin:
                data, self._parts = b"".join(self._parts), []
                if self._parts_text and not self.text_as_bytes:
                    self._deliver_text(data)
                else:
                    self._deliver(data)
        elif opcode is _PONG:
            self.acknowledge_pings(bytes(frame.data))

    def _deliver_text(self, data: bytes) -> None:
        try:
            text = data.decode()
        except UnicodeDecodeError as exc:
            # What websockets' recv() does with such a frame: close with 1007.
            self.protocol.fail(CloseCode.INVALID_DATA, f"{exc.reason} at position {exc.start}")
            self.send_data()
            return
        self._deliver(text)

    def _deliver(self, message: str | bytes) -> None:
        """Hand `message` on now, or queue it (no handler yet, a queue, or no budget)."""
        if self._failure is not None:
            return  # the session is over: the rest of the read is not applied
        handler = self._handler
        if handler is None or self._queue or self._budget <= 0:
            self._queue.append(message)
            if len(self._queue) > self.queued_max:
                self.queued_max = len(self._queue)
            self._hold()
            return
        self._budget -= 1
        self._call(handler, message)

    def _call(self, handler: MessageHandler, message: str | bytes) -> None:
        try:
            handler(message)
        except Exception as exc:
            self._failure = exc
            self._handler = None
            self._queue.clear()
            self._release()  # the close reply must still be read
            if not self._failed.done():
                self._failed.set_result(None)

    def _drain(self) -> None:
        """Hand on a slice of the queue; the next slice in the next loop iteration."""
        self._drain_scheduled = False
        queue = self._queue
        while queue and self._handler is not None and self._budget > 0:
            self._budget -= 1
            self._call(self._handler, queue.popleft())
        if not queue:
            self._release()
        elif self._handler is not None and not self._drain_scheduled:
            self._drain_scheduled = True
            self.loop.call_soon(self._next_slice)

    def _next_slice(self) -> None:
        self._budget = BURST_FRAMES
        self._drain()

    def _hold(self) -> None:
        if not self._reading_paused and not self.transport.is_closing():
            self._reading_paused = True
            self.transport.pause_reading()
        if self._handler is not None and not self._drain_scheduled:
            self._drain_scheduled = True
            self.loop.call_soon(self._next_slice)

    def _release(self) -> None:
        if self._reading_paused:
            self._reading_paused = False
            if not self.transport.is_closing():
                self.transport.resume_reading()


def open_frames(uri: str, *, text_as_bytes: bool = False, **kwargs: Any) -> connect:
    """`websockets.connect(uri, **kwargs)` whose connection is a `FrameConnection`.

    `text_as_bytes`: text messages reach the handler as their UTF-8 bytes, undecoded (the
    JSON decoder reads bytes and checks the UTF-8 itself, so a copy is saved per frame).
    """

    def make(*args: Any, **conn_kwargs: Any) -> FrameConnection:
        connection = FrameConnection(*args, **conn_kwargs)
        connection.text_as_bytes = text_as_bytes
        return connection

    factory = cast(type[ClientConnection], make)  # websockets only calls it
    return connect(uri, create_connection=factory, **kwargs)
