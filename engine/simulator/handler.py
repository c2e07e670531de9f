"""Client-message handling for one session: auth, subscribe, unsubscribe, and the errors.

Decisions where Alpaca's documentation is silent (stated here once):
- 402, 404, 406, 407, 409 end the session (error frame, then close 1008); 400, 401,
  403, 405, 410 are answered and the session goes on.
- 410 "invalid subscribe action for this feed": naming a channel of another data
  product (`orderbooks`, `news`) or, on the free plan, a trades/quotes wildcard `*`.
- 405: more distinct symbols across trades+quotes than the limit; nothing changes.
"""

from __future__ import annotations

import asyncio
import hmac
from typing import TYPE_CHECKING, Any

import msgspec

from engine.simulator import wire
from engine.simulator.config import FREE_PLAN_FEEDS, Plan
from engine.simulator.session import CHANNELS, ServerSession

if TYPE_CHECKING:
    from engine.simulator.host import SimulatorHost

FOREIGN_CHANNELS = frozenset({"orderbooks", "news"})


class ClientHandler:
    """Reads one session's messages and applies Alpaca's rules to them."""

    def __init__(self, sim: SimulatorHost) -> None:
        self._sim = sim

    async def run(self, session: ServerSession, headers: Any) -> None:
        """Greet, accept header auth, arm the auth timeout, then serve client messages."""
        session.send_control(wire.control("success", msg="connected"))
        key = headers.get("APCA-API-KEY-ID")
        secret = headers.get("APCA-API-SECRET-KEY")
        if key is not None or secret is not None:
            self._auth(session, key or "", secret or "")
        timer: asyncio.TimerHandle | None = None
        if not session.authenticated and not session.closing:
            timer = asyncio.get_running_loop().call_later(
                self._sim.config.auth_timeout, self._auth_timeout, session
            )
        try:
            async for message in session.conn:
                if not session.closing:
                    self._on_message(session, message)
        finally:
            if timer is not None:
                timer.cancel()

    def finish(self, session: ServerSession) -> None:
        """Release the session's slot; a connection lost without a close frame keeps it
        for `dead_slot_hold` seconds, like Alpaca's ~90 s (docs/protocol.md, Errors)."""
        if session.key is None:
            return
        self._sim.slots.release(session.key, session.path, session.id)
        hold = self._sim.config.dead_slot_hold
        if hold > 0 and session.conn.protocol.close_rcvd is None:
            self._sim.slots.hold(hold, session.key, session.path)

    def _auth_timeout(self, session: ServerSession) -> None:
        if not session.authenticated and not session.closing:
            self._sim.send_error(session, 404, close=True)

    def _bad(self, session: ServerSession) -> None:
        self._sim.stats.bad_client_messages += 1
        self._sim.send_error(session, 400)

    def _on_message(self, session: ServerSession, message: str | bytes) -> None:
        try:
            obj = wire.decode_client(message, session.encoding)
        except (msgspec.DecodeError, UnicodeDecodeError):
            self._bad(session)
            return
        action = obj.get("action") if isinstance(obj, dict) else None
        if action == "auth":
            key, secret = obj.get("key"), obj.get("secret")
            if isinstance(key, str) and isinstance(secret, str):
                self._auth(session, key, secret)
            else:
                self._bad(session)
        elif action in ("subscribe", "unsubscribe"):
            if session.authenticated:
                self._subscribe(session, obj, add=action == "subscribe")
            else:
                self._sim.send_error(session, 401)
        else:
            self._bad(session)

    def _auth(self, session: ServerSession, key: str, secret: str) -> None:
        sim = self._sim
        cfg = sim.config
        if session.authenticated:
            sim.send_error(session, 403)
            return
        if cfg.key is None or cfg.secret is None:
            good = bool(key and secret)
        else:
            good = hmac.compare_digest(key.encode(), cfg.key.encode()) and hmac.compare_digest(
                secret.encode(), cfg.secret.encode()
            )
        if sim.auth_refused or not good:
            sim.send_error(session, 402, close=True)
        elif cfg.plan is Plan.FREE and session.feed not in FREE_PLAN_FEEDS:
            sim.send_error(session, 409, close=True)
        elif sim.slots.busy(key, session.path):
            sim.send_error(session, 406, close=True)
        else:
            sim.slots.acquire(key, session.path, session.id)
            session.key = key
            session.authenticated = True
            sim.stats.authenticated += 1
            session.send_control(wire.control("success", msg="authenticated"))

    def _subscribe(self, session: ServerSession, obj: dict[Any, Any], *, add: bool) -> None:
        sim = self._sim
        requested: dict[str, list[str]] = {}
        for name, value in obj.items():
            if name in FOREIGN_CHANNELS:
                sim.send_error(session, 410)
                return
            if name not in CHANNELS or value is None:
                continue  # unknown keys (and corrections/cancelErrors) are ignored
            if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
                self._bad(session)
                return
            requested[name] = value
        if add:
            if sim.config.plan is Plan.FREE and any(
                "*" in requested.get(ch, ()) for ch in ("trades", "quotes")
            ):
                sim.send_error(session, 410)
                return
            limit = sim.config.effective_symbol_limit
            if limit is not None:
                names = {
                    s
                    for ch in ("trades", "quotes")
                    for s in (*session.subs[ch], *requested.get(ch, ()))
                    if s != "*"
                }
                if len(names) > limit:
                    sim.send_error(session, 405)
                    return
            for channel, symbols in requested.items():
                for symbol in symbols:
                    session.subs[channel][symbol] = None
                    if session.feed != "test" and symbol != "*":
                        sim.market.add_symbol(symbol)
        else:
            for channel, symbols in requested.items():
                for symbol in symbols:
                    session.subs[channel].pop(symbol, None)
        session.send_control(session.reply())
        sim.refresh_active()
