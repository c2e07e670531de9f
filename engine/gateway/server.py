"""The local gateway: Alpaca's market-data stream protocol served from the hub.

Local programs (alpaca-py, a raw websockets client, tickerdesk-watch) connect to
`ws://127.0.0.1:PORT/v2/{feed}` as they would to Alpaca, with the gateway's local
credentials, and share Tickerdesk's one upstream connection (docs/gateway.md, "Protocol
served"). The server is the hub's sink: each upstream frame's events are routed to the
clients that want them through an index (channel -> symbol -> clients), encoded once per
encoding and only if some client wants them, and queued in each client's conflating
outbox; one writer task per client sends (docs/gateway.md, "Fan-out and conflation").
Alpaca's rules as the simulator applies them (engine/simulator/handler.py): greeting,
auth by message or headers (402 wrong, 403 twice, 404 timeout, 406 full), 401 before auth,
400 bad syntax, 405 over the limit (on the union), 410 wildcard on the free plan or a
foreign channel, 407 for a client that cannot keep up. An upstream outage leaves the
clients connected; data resumes when the upstream does.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from engine.config import install_log_redaction
from engine.core.logthrottle import LogThrottle
from engine.core.tasks import TaskSet, cancel_and_wait, run_to_completion
from engine.events import Event, Quote, Trade
from engine.gateway.client import GatewayClient
from engine.gateway.credentials import LocalCredentials
from engine.gateway.hub import Hub
from engine.gateway.outbox import CONFLATED_TAGS
from engine.gateway.rules import (
    CHANNELS,
    Auth,
    ChannelRequest,
    Refused,
    parse,
    subscription_reply,
    to_subscription,
)
from engine.protocol.codec import Encoding
from engine.protocol.outbound import encode_message, frame_of, route_key

__all__ = ["GatewayConfig", "GatewayServer", "GatewayStats"]

log = logging.getLogger(__name__)
_REASON_MAX = 120  # a close frame's reason is at most 123 bytes (RFC 6455 5.5)
install_log_redaction()  # auth frames and secret headers never reach DEBUG logs


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    host: str = "127.0.0.1"
    port: int = 0
    max_clients: int = 16
    max_message_bytes: int = 65536
    auth_timeout_s: float = 10.0
    max_pending: int = 20_000
    batch_max: int = 1000
    write_limit: int = 256 * 1024  # transport high-water mark per client
    close_timeout: float = 5.0  # a closing client that does not read is then dropped


@dataclass(slots=True)
class GatewayStats:
    connected: int = 0  # clients authenticated since start
    refused_auth: int = 0  # 402: wrong local credentials
    refused_full: int = 0  # 406: max_clients already connected
    slow_closed: int = 0  # 407: could not keep up
    conflated: int = 0  # quotes/bars replaced by newer ones in a client's outbox
    messages_out: int = 0
    frames_out: int = 0
    bad_requests: int = 0  # 400 and 410 answers


class GatewayServer:
    """Start with `await start()`; `url` and `port` are then valid."""

    def __init__(self, hub: Hub, credentials: LocalCredentials, config: GatewayConfig) -> None:
        self.hub = hub
        self.config = config
        self._credentials = credentials
        self._path = f"/v2/{hub.feed}"
        self._server: Server | None = None
        self._port = 0
        self._ids = itertools.count(1)
        self._clients: dict[int, GatewayClient] = {}  # every open connection
        self._writers = TaskSet()  # one writer per client; its handler ends it
        self._stats = GatewayStats()
        self._retired = GatewayStats()  # counters of clients that have left
        # channel -> symbol -> clients that want it; channel -> clients with "*".
        self._route: dict[str, dict[str, tuple[GatewayClient, ...]]] = {ch: {} for ch in CHANNELS}
        self._wild: dict[str, tuple[GatewayClient, ...]] = dict.fromkeys(CHANNELS, ())
        self._routed = False  # some client wants something
        # A client looping on a bad request must not flood the log (docs/design.md).
        self._refused_log = LogThrottle(log, topic="gateway request refused")

    # --- lifecycle ------------------------------------------------------------------

    async def start(self) -> None:
        cfg = self.config
        self._server = await serve(
            self._serve_connection, cfg.host, cfg.port,
            process_request=self._process_request, compression=None,
            max_size=cfg.max_message_bytes, write_limit=cfg.write_limit,
            close_timeout=cfg.close_timeout,
        )  # fmt: skip
        sock = next(iter(self._server.sockets))
        self._port = sock.getsockname()[1]
        self.hub.attach(self)
        self.hub.start()
        log.info("gateway on %s%s", self.url, self._path)

    async def stop(self, reason: str = "") -> None:
        """Close every client (1001 going away, saying `reason` if given: "the app
        switched feed ...") and the listening socket; idempotent."""
        await run_to_completion(self._stop(reason), "gateway-stop")

    async def _stop(self, reason: str) -> None:
        self.hub.detach(self)
        server, self._server = self._server, None
        if server is not None:
            if reason:  # each writer closes with the reason; a peer not reading is dropped
                text = reason.encode()[:_REASON_MAX].decode(errors="ignore")
                clients = list(self._clients.values())
                for client in clients:
                    client.outbox.clear()  # moot now: the reason is what matters
                    client.close(1001, text)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.config.close_timeout + 1):
                        await asyncio.gather(*(c.conn.wait_closed() for c in clients))
            server.close()  # closes any other connection with 1001
            await server.wait_closed()
        await self._writers.cancel_all()

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        host = self.config.host
        return f"ws://{f'[{host}]' if ':' in host else host}:{self._port}"

    @property
    def clients(self) -> int:
        """Authenticated clients now."""
        return sum(1 for c in self._clients.values() if c.authenticated and not c.closing)

    @property
    def stats(self) -> GatewayStats:
        s, r = self._stats, self._retired
        live = list(self._clients.values())
        s.conflated = r.conflated + sum(c.outbox.conflated for c in live)
        s.messages_out = r.messages_out + sum(c.messages_out for c in live)
        s.frames_out = r.frames_out + sum(c.frames_out for c in live)
        return s

    def client_report(self) -> list[dict[str, object]]:
        return [c.report() for c in self._clients.values() if c.authenticated]

    # --- fan-out (the hub's sink) -----------------------------------------------------

    def deliver(self, events: Sequence[Event], received_at: float) -> None:
        """Route one upstream frame's market events to the clients that want them.

        Each event is encoded at most once per encoding, and only if some client wants
        it. A client that keeps up gets the frame's messages in one `Outbox.extend`; one
        that is behind gets them one by one through `Outbox.put`, which conflates."""
        if not self._routed:
            return
        route, wild = self._route, self._wild
        json_enc, msgpack_enc = Encoding.JSON, Encoding.MSGPACK
        batches: dict[GatewayClient, tuple[list[bytes], bytearray]] = {}
        slow: list[GatewayClient] = []
        for event in events:
            channel, tag = route_key(event)
            symbol: str = event.symbol  # type: ignore[union-attr,assignment]  # market events
            targets = route[channel].get(symbol, ())
            wildcard = wild[channel]
            if wildcard:
                targets = targets + wildcard
            if not targets:
                continue
            kind = 0 if tag in CONFLATED_TAGS else 1
            as_json: bytes | None = None
            as_msgpack: bytes | None = None
            # The route holds open, authenticated clients only (rebuilt on every change).
            for client in targets:
                if client.encoding is json_enc:
                    if as_json is None:
                        as_json = encode_message(event, json_enc)
                    data = as_json
                else:
                    if as_msgpack is None:
                        as_msgpack = encode_message(event, msgpack_enc)
                    data = as_msgpack
                batch = batches.get(client)
                if batch is None:
                    batch = batches[client] = ([], bytearray())
                if client.outbox.conflate:
                    if not client.outbox.put(tag, symbol, data):
                        slow.append(client)
                else:
                    batch[0].append(data)
                    batch[1].append(kind)
        for client, (datas, kinds) in batches.items():
            if datas and not client.outbox.extend(datas, kinds):
                slow.append(client)
            client.wake()
        for client in slow:
            self._too_slow(client)

    def _too_slow(self, client: GatewayClient) -> None:
        if client.closing:
            return
        self._stats.slow_closed += 1
        log.warning(
            "gateway client %d (%s): %d messages behind, closed with 407 slow client",
            client.id, client.remote, client.outbox.backlog,
        )  # fmt: skip
        client.slow = True
        client.error_and_close(407)
        self._rebuild_route()

    def _rebuild_route(self) -> None:
        route: dict[str, dict[str, list[GatewayClient]]] = {ch: {} for ch in CHANNELS}
        wild: dict[str, list[GatewayClient]] = {ch: [] for ch in CHANNELS}
        for client in self._clients.values():
            if not client.authenticated or client.closing:
                continue
            for channel, symbols in client.subs.items():
                if "*" in symbols:
                    wild[channel].append(client)  # everything: not per symbol too
                    continue
                per_symbol = route[channel]
                for symbol in symbols:
                    per_symbol.setdefault(symbol, []).append(client)
        self._route = {
            ch: {sym: tuple(cs) for sym, cs in table.items()} for ch, table in route.items()
        }
        self._wild = {ch: tuple(cs) for ch, cs in wild.items()}
        self._routed = any(self._wild.values()) or any(self._route.values())

    # --- connections ----------------------------------------------------------------

    def _process_request(self, conn: ServerConnection, request: Request) -> Response | None:
        """Only the hub's feed is served; another path gets HTTP 404 naming the right one."""
        path = request.path.partition("?")[0]
        if path == self._path:
            return None
        return conn.respond(404, f"not found: this gateway serves {self._path}\n")

    async def _serve_connection(self, conn: ServerConnection) -> None:
        assert conn.request is not None  # set before the handler runs
        headers = conn.request.headers
        ctype = headers.get("Content-Type", "")
        encoding = Encoding.MSGPACK if "application/msgpack" in ctype else Encoding.JSON
        cfg = self.config
        client = GatewayClient(
            next(self._ids), conn, encoding, max_pending=cfg.max_pending,
            batch_max=cfg.batch_max, close_timeout=cfg.close_timeout,
        )  # fmt: skip
        self._clients[client.id] = client
        writer = self._writers.spawn(client.run_writer(), f"gateway-writer-{client.id}")
        timer: asyncio.TimerHandle | None = None
        try:
            client.send_control({"T": "success", "msg": "connected"})
            if len(self._clients) > 2 * cfg.max_clients:
                # Bounded even before auth: a flood of idle connections is refused.
                self._stats.refused_full += 1
                client.error_and_close(406)
            key = headers.get("APCA-API-KEY-ID")
            secret = headers.get("APCA-API-SECRET-KEY")
            if not client.closing and (key is not None or secret is not None):
                self._auth(client, key or "", secret or "")
            if not client.authenticated and not client.closing:
                loop = asyncio.get_running_loop()
                timer = loop.call_later(cfg.auth_timeout_s, self._auth_timeout, client)
            async for message in conn:
                if not client.closing:
                    self._on_message(client, message)
        except ConnectionClosed:
            pass
        finally:
            if timer is not None:
                timer.cancel()
            self._leave(client)
            await cancel_and_wait(writer)

    def _leave(self, client: GatewayClient) -> None:
        del self._clients[client.id]
        client.closing = True
        r = self._retired
        r.conflated += client.outbox.conflated
        r.messages_out += client.messages_out
        r.frames_out += client.frames_out
        if client.authenticated:
            self._rebuild_route()
            self.hub.drop(client.holder)  # its symbols leave the union unless others hold them
            log.info("gateway client %d (%s) left", client.id, client.remote)

    def _auth_timeout(self, client: GatewayClient) -> None:
        if not client.authenticated and not client.closing:
            client.error_and_close(404)

    def _on_message(self, client: GatewayClient, message: str | bytes) -> None:
        request = parse(message, client.encoding)
        if isinstance(request, Auth):
            self._auth(client, request.key, request.secret)
        elif isinstance(request, Refused):
            self._stats.bad_requests += 1
            self._refused_log.log(
                "gateway client %d (%s): request refused with %d: %s",
                client.id, client.remote, request.code, request.reason,
            )  # fmt: skip
            client.send_error(request.code)
        elif not client.authenticated:
            client.send_error(401)
        elif request.add:
            self._subscribe(client, request)
        else:
            self._unsubscribe(client, request)

    def _auth(self, client: GatewayClient, key: str, secret: str) -> None:
        if client.authenticated:
            client.send_error(403)
            return
        # Both halves compared with hmac.compare_digest, always (no early exit).
        if not self._credentials.matches(key, secret):
            self._stats.refused_auth += 1
            log.warning("gateway client %d (%s): wrong local credentials (402)", client.id,
                        client.remote)  # fmt: skip
            client.error_and_close(402)
        elif self.clients >= self.config.max_clients:
            self._stats.refused_full += 1
            log.warning("gateway client %d (%s): %d clients already connected (406)",
                        client.id, client.remote, self.clients)  # fmt: skip
            client.error_and_close(406)
        else:
            client.authenticated = True
            self._stats.connected += 1
            client.send_control({"T": "success", "msg": "authenticated"})
            log.info("gateway client %d (%s) authenticated", client.id, client.remote)

    def _subscribe(self, client: GatewayClient, request: ChannelRequest) -> None:
        code = self.hub.request(client.holder, to_subscription(request.channels))
        if code is not None:
            # 405/410: the whole request refused, the subscription unchanged, and no
            # `subscription` reply (docs/protocol.md, "Handshake" step 5).
            if code == 410:
                self._stats.bad_requests += 1
            client.send_error(code)
            return
        fresh: dict[str, set[str]] = {}
        for channel, symbols in request.channels.items():
            mine = client.subs[channel]
            fresh[channel] = {s for s in symbols if s not in mine and s != "*"}
            mine.update(symbols)
        self._rebuild_route()
        client.send_control(subscription_reply(client.subs))
        self._send_snapshot(client, fresh.get("trades", set()), fresh.get("quotes", set()))

    def _send_snapshot(self, client: GatewayClient, trades: set[str], quotes: set[str]) -> None:
        """The newest trade and quote of each symbol just added on trades/quotes, in one
        frame before the live stream (docs/gateway.md, "Protocol served")."""
        messages: list[bytes] = []
        encoding = client.encoding
        for symbol in sorted(trades | quotes):
            trade, quote = self.hub.latest(symbol)
            shown: tuple[Trade | Quote | None, ...] = (
                trade if symbol in trades else None,
                quote if symbol in quotes else None,
            )
            messages.extend(encode_message(e, encoding) for e in shown if e is not None)
        if messages:
            client.send_frame(frame_of(messages, encoding), len(messages))

    def _unsubscribe(self, client: GatewayClient, request: ChannelRequest) -> None:
        removed: dict[str, set[str]] = {}
        for channel, symbols in request.channels.items():
            mine = client.subs[channel]
            removed[channel] = mine & set(symbols)
            mine.difference_update(symbols)
        self._rebuild_route()
        self.hub.release(client.holder, to_subscription(removed))
        client.send_control(subscription_reply(client.subs))
