"""One gateway client: its subscription, its outbox and the one task that writes to it.

Control replies and snapshot frames go out first, in order, each alone in its frame;
market data waits in the client's conflating `Outbox` and leaves in frames of up to
`batch_max` pre-encoded messages (docs/gateway.md, "Fan-out and conflation"). The writer
awaits the socket's drain (the transport's high-water mark is `write_limit`), so a client
that reads slowly makes its own outbox grow and nobody else's. Every close has a guard:
a peer that does not read is dropped (transport aborted) after `close_timeout` seconds.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from engine.gateway.outbox import Outbox
from engine.gateway.rules import CHANNELS, ERROR_TEXT, control_frame, error_frame
from engine.protocol.codec import Encoding
from engine.protocol.outbound import frame_of

__all__ = ["GatewayClient"]

log = logging.getLogger(__name__)


class GatewayClient:
    """State of one websocket client of the gateway; the server decides, this sends."""

    def __init__(
        self,
        client_id: int,
        conn: ServerConnection,
        encoding: Encoding,
        *,
        max_pending: int,
        batch_max: int,
        close_timeout: float,
    ) -> None:
        self.id = client_id
        self.conn = conn
        self.encoding = encoding
        self.remote = _remote(conn)
        self.holder = f"gateway:{client_id}"  # its name in the hub's registry
        self.authenticated = False
        self.closing = False
        self.slow = False
        self.subs: dict[str, set[str]] = {ch: set() for ch in CHANNELS}
        self.outbox = Outbox(max_pending=max_pending)
        self.outbox.conflate = False  # until the writer has to wait for the socket
        self.messages_out = 0
        self.frames_out = 0
        self._batch_max = batch_max
        self._close_timeout = close_timeout
        self._control: deque[tuple[bytes, int]] = deque()  # (frame, data messages in it)
        self._close: tuple[int, str] | None = None
        self._guard: asyncio.TimerHandle | None = None
        self._wake = asyncio.Event()
        self._text = encoding is Encoding.JSON

    # --- reading the subscription ---------------------------------------------------

    def symbols(self) -> set[str]:
        return {s for chan in self.subs.values() for s in chan}

    def report(self) -> dict[str, object]:
        """One line of the gateway's client report (status bar tooltip, --json)."""
        return {
            "id": self.id,
            "remote": self.remote,
            "encoding": self.encoding.value,
            "symbols": sorted(self.symbols()),
            "pending": self.outbox.pending,
            "conflated": self.outbox.conflated,
            "messages_out": self.messages_out,
        }

    # --- queueing -------------------------------------------------------------------

    def send_control(self, payload: dict[str, object]) -> None:
        """A control message alone in its frame, ahead of queued data."""
        self.send_frame(control_frame(payload, self.encoding), 0)

    def send_error(self, code: int) -> None:
        """Alpaca error `code`; the session goes on (400, 401, 403, 405, 410)."""
        self.send_frame(error_frame(code, self.encoding), 0)

    def send_frame(self, frame: bytes, messages: int) -> None:
        """A ready frame (a control message, or a subscriber's snapshot) ahead of data."""
        if self.closing:
            return
        self._control.append((frame, messages))
        self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    # --- closing ----------------------------------------------------------------------

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Close after what is queued (guarded: a peer that does not read is dropped)."""
        if self.closing:
            return
        self.closing = True
        self._close = (code, reason)
        self._arm_guard()
        self._wake.set()

    def error_and_close(self, code: int, close_code: int = 1008) -> None:
        """Send Alpaca error `code` and close; queued data is dropped (402, 404, 406, 407)."""
        if self.closing:
            return
        self.outbox.clear()
        # Control frames already queued (e.g. `connected`) still go out, before the error.
        kept = [item for item in self._control if item[1] == 0]
        self._control.clear()  # in place: the writer holds this very deque
        self._control.extend(kept)
        self.send_error(code)
        self.close(close_code, ERROR_TEXT[code])

    def _arm_guard(self) -> None:
        if self._guard is None:
            loop = asyncio.get_running_loop()
            self._guard = loop.call_later(self._close_timeout, self.abort)

    def abort(self) -> None:
        """Drop the TCP connection at once (the peer stopped reading)."""
        self.closing = True
        transport = self.conn.transport
        if transport is not None and not transport.is_closing():
            log.info("gateway client %d (%s) dropped: not reading", self.id, self.remote)
            transport.abort()

    # --- the writer ---------------------------------------------------------------------

    async def run_writer(self) -> None:
        """Send control frames, then data, in order, until closed; never raises on a lost
        connection."""
        send = self.conn.send
        text = self._text
        encoding = self.encoding
        outbox = self.outbox
        control = self._control
        try:
            while True:
                if control:
                    frame, count = control.popleft()
                elif outbox.pending:
                    batch = outbox.take(self._batch_max)
                    frame, count = frame_of(batch, encoding), len(batch)
                elif self._close is not None:
                    code, reason = self._close
                    await self.conn.close(code, reason)
                    return
                else:
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                # send() yields only while the socket is above write_limit: the client is
                # behind, and its pending quotes and bars conflate meanwhile.
                outbox.conflate = True
                await send(frame, text=text)
                outbox.conflate = False
                self.frames_out += 1
                self.messages_out += count
        except ConnectionClosed:
            return
        finally:
            if self._guard is not None:
                self._guard.cancel()


def _remote(conn: ServerConnection) -> str:
    try:
        host, port = conn.remote_address[:2]
    except (TypeError, ValueError, AttributeError):
        return "?"
    return f"{host}:{port}"
