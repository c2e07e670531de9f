"""The trade_updates stream at `/stream` (docs/account-and-history.md, "Account stream:
trade_updates").

1. Auth by message, either form: `{"action":"auth","key","secret"}` or
   `{"action":"authenticate","data":{"key_id","secret_key"}}` -> `{"stream":
   "authorization","data":{"action":"authenticate","status":"authorized"}}`; a failure
   answers `"unauthorized"` and closes (1008). Nothing is sent before auth.
2. `{"action":"listen","data":{"streams":["trade_updates"]}}` -> `{"stream":"listening",
   "data":{"streams":[...]}}` with only the streams that exist; `[]` stops.
3. Events `{"stream":"trade_updates","data":{...}}` (engine.simulator.trading.engine).

Every frame is BINARY, as the paper endpoint sends them: JSON, or msgpack when the
handshake had `Content-Type: application/msgpack` or the client wrote msgpack. No replay:
events made while a key has no listening connection are gone. One connection per key:
a second auth while one is open is answered `unauthorized` with `"message":
"connection limit exceeded"` (code 406, as the data stream's) and closed. Bounded: at
most `MAX_QUEUE` unsent frames per connection, then it is closed (1011, slow client).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

import msgspec
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from engine.core.tasks import TaskSet, cancel_and_wait
from engine.simulator.slots import Slots
from engine.simulator.trading.routes import TradingRoutes

log = logging.getLogger(__name__)

PATH = "/stream"
STREAMS = frozenset({"trade_updates"})
MAX_QUEUE = 10_000


def _authorization(status: str, action: str = "authenticate", **extra: Any) -> dict[str, Any]:
    return {"stream": "authorization", "data": {"action": action, "status": status, **extra}}


class TradeSession:
    def __init__(self, session_id: int, conn: ServerConnection, msgpack: bool) -> None:
        self.id = session_id
        self.conn = conn
        self.msgpack = msgpack
        self.key: str | None = None
        self.listening = False
        self.closing = False
        self.frames_sent = 0
        self._out: deque[bytes] = deque()
        self._wake = asyncio.Event()
        self._close: tuple[int, str] | None = None

    def send(self, obj: Any) -> None:
        if self.closing:
            return
        if len(self._out) >= MAX_QUEUE:
            self.close(1011, "slow client")
            return
        self._out.append(msgspec.msgpack.encode(obj) if self.msgpack else msgspec.json.encode(obj))
        self._wake.set()

    def close(self, code: int, reason: str) -> None:
        """Close after what is queued (the writer sends the close frame last)."""
        self.closing = True
        self._close = (code, reason)
        self._wake.set()

    def abort(self) -> None:
        self.closing = True
        if self.conn.transport is not None:
            self.conn.transport.abort()

    async def run_writer(self) -> None:
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                while self._out:
                    await self.conn.send(self._out.popleft())  # bytes: a binary frame
                    self.frames_sent += 1
                if self._close is not None:
                    await self.conn.close(*self._close)
                    return
        except ConnectionClosed:
            pass


class TradeStreamHub:
    """Every trade_updates connection; `publish` is the engine's event sink."""

    def __init__(
        self, routes: TradingRoutes, slots: Slots, *, auth_timeout: float,
        dead_slot_hold: float, refuse: Callable[[], bool], paused: Callable[[], bool],
    ) -> None:  # fmt: skip
        self._routes = routes
        self._slots = slots
        self._auth_timeout = auth_timeout
        self._dead_slot_hold = dead_slot_hold
        self._refuse = refuse
        self._paused = paused
        self._ids = itertools.count(1)
        self._writers = TaskSet()
        self.sessions: dict[int, TradeSession] = {}
        self.connections = 0
        self.authorized = 0
        self.bad_messages = 0

    def publish(self, key: str, event: dict[str, Any]) -> None:
        if self._paused():
            return  # a half-dead server sends nothing; there is no replay
        for s in list(self.sessions.values()):
            if s.key == key and s.listening:
                s.send(event)

    def drop_all(self) -> int:
        live = [s for s in self.sessions.values() if not s.closing]
        for s in live:
            s.abort()
        return len(live)

    def close_all(self, code: int = 1011, reason: str = "") -> int:
        live = [s for s in self.sessions.values() if not s.closing]
        for s in live:
            s.close(code, reason)
        return len(live)

    async def serve(self, conn: ServerConnection) -> None:
        assert conn.request is not None
        ctype = conn.request.headers.get("Content-Type", "")
        session = TradeSession(next(self._ids), conn, "application/msgpack" in ctype)
        self.sessions[session.id] = session
        self.connections += 1
        writer = self._writers.spawn(session.run_writer(), f"sim-trade-writer-{session.id}")
        timer = asyncio.get_running_loop().call_later(self._auth_timeout, self._timeout, session)
        try:
            async for message in conn:
                if not session.closing:
                    self._on_message(session, message)
        except ConnectionClosed:
            pass
        finally:
            timer.cancel()
            del self.sessions[session.id]
            if session.key is not None:
                self._slots.release(session.key, PATH, session.id)
                if self._dead_slot_hold > 0 and conn.protocol.close_rcvd is None:
                    self._slots.hold(self._dead_slot_hold, session.key, PATH)
            await cancel_and_wait(writer)

    def _timeout(self, session: TradeSession) -> None:
        if session.key is None and not session.closing:
            session.close(1008, "authentication timeout")

    def _decode(self, session: TradeSession, message: str | bytes) -> Any:
        if isinstance(message, str):
            return msgspec.json.decode(message)
        try:
            return msgspec.json.decode(message)
        except msgspec.DecodeError:
            obj = msgspec.msgpack.decode(message)
            session.msgpack = True  # the client writes msgpack: answer in kind
            return obj

    def _on_message(self, session: TradeSession, message: str | bytes) -> None:
        try:
            obj = self._decode(session, message)
        except (msgspec.DecodeError, UnicodeDecodeError):
            obj = None
        action = obj.get("action") if isinstance(obj, dict) else None
        data = obj.get("data") if isinstance(obj, dict) else None
        if action == "auth" and isinstance(obj, dict):
            self._auth(session, obj.get("key"), obj.get("secret"))
        elif action == "authenticate" and isinstance(data, dict):
            self._auth(session, data.get("key_id"), data.get("secret_key"))
        elif action == "listen" and isinstance(data, dict) and isinstance(data.get("streams"),
                                                                            list):  # fmt: skip
            if session.key is None:
                session.send(_authorization("unauthorized", "listen"))
                return
            streams = [s for s in data["streams"] if s in STREAMS]
            session.listening = "trade_updates" in streams
            session.send({"stream": "listening", "data": {"streams": streams}})
        else:
            self.bad_messages += 1
            session.send({"stream": "error", "data": {"error_message": "invalid message"}})

    def _auth(self, session: TradeSession, key: object, secret: object) -> None:
        if session.key is not None:
            session.send(_authorization("authorized"))  # already: nothing changes
            return
        ok = isinstance(key, str) and isinstance(secret, str)
        ok = ok and not self._refuse() and self._routes.key_ok(str(key), str(secret))
        ok = ok and key not in self._routes.engine.forbidden
        if not ok:
            session.send(_authorization("unauthorized"))
            session.close(1008, "unauthorized")
            return
        assert isinstance(key, str)
        if self._slots.busy(key, PATH):
            session.send(_authorization("unauthorized", code=406,
                                        message="connection limit exceeded"))  # fmt: skip
            session.close(1008, "connection limit exceeded")
            return
        self._slots.acquire(key, PATH, session.id)
        session.key = key
        self.authorized += 1
        self._routes.engine.account(key)  # the account exists (and trades) from now on
        session.send(_authorization("authorized"))
