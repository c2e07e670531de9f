"""The Alpaca-compatible server: websocket stream on /v2/{feed} plus REST on the same port.

Speaks docs/protocol.md: `connected` on open, auth by message or headers
within `auth_timeout` (else 404), subscribe/unsubscribe answered with the full
subscription, batched data frames in JSON or (with `Content-Type: application/msgpack`)
msgpack, one session per key pair per endpoint (else 406), and the documented errors.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import logging
import secrets
import ssl
from collections.abc import Coroutine, Iterable
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from engine.config import install_log_redaction
from engine.core.tasks import TaskSet, cancel_and_wait, run_to_completion
from engine.simulator import barsroute, rest, wire
from engine.simulator.clock import SessionClock
from engine.simulator.config import SimulatorConfig
from engine.simulator.connection import connection_class, json_response
from engine.simulator.day import DaySchedule
from engine.simulator.delay import DelayLine
from engine.simulator.faults import FaultInjector
from engine.simulator.handler import ClientHandler
from engine.simulator.host import SimulatorStats
from engine.simulator.market import Market
from engine.simulator.session import ServerSession
from engine.simulator.slots import Slots
from engine.simulator.tls import server_context
from engine.simulator.trading import STREAM_PATH, Trading, is_trading_path
from engine.simulator.universe import TEST_SYMBOL
from engine.simulator.wire import NS_PER_S, Encoding, Message

log = logging.getLogger(__name__)
install_log_redaction()  # auth frames and secret headers never reach DEBUG logs

DELAYED_FEED = "delayed_sip"
FEEDS: dict[str, str] = {
    "/v2/iex": "iex",
    "/v2/sip": "sip",
    "/v2/delayed_sip": "delayed_sip",
    "/v2/test": "test",
    "/v1beta1/boats": "boats",
    "/v1beta1/overnight": "overnight",
}


@dataclasses.dataclass(frozen=True, slots=True)
class SessionInfo:
    id: int
    path: str
    key: str | None
    encoding: Encoding
    authenticated: bool
    messages_sent: int
    frames_sent: int
    subscription: dict[str, object]


class Simulator:
    """Start with `await start()` (or `async with`); `ws_url`/`rest_url` are then valid."""

    def __init__(
        self, config: SimulatorConfig | None = None, *, clock: SessionClock | None = None
    ) -> None:
        """`clock` replaces the one built from `start_ns` and `speed` (tests drive a clock
        by hand: SessionClock with their own monotonic source)."""
        self.config = config or SimulatorConfig()
        self.seed = self.config.seed if self.config.seed is not None else secrets.randbits(48)
        self.stats = SimulatorStats()
        self.faults = FaultInjector(self)
        self.paused = False
        self.auth_refused = False
        self.slow_client_limit = self.config.slow_client_limit
        self.slots = Slots()
        cfg = self.config
        self.clock = clock if clock is not None else SessionClock(cfg.start_ns, cfg.speed)
        start = self.clock.start_ns
        schedule = DaySchedule(cfg.extended_fraction) if cfg.day else None
        self.market = Market(
            cfg.symbols, seed=self.seed, start_ns=start, rate=cfg.rate, speed=self.clock.speed,
            schedule=schedule, quote_fraction=cfg.quote_fraction,
            halt_probability=cfg.halt_probability, halt_steps=cfg.halt_steps,
            correction_probability=cfg.correction_probability,
            cancel_probability=cfg.cancel_probability, max_universe=cfg.max_universe,
            new_listings=cfg.new_listings,
        )  # fmt: skip
        # FAKEPACA: 2/3 quotes (a quote about every 5 s at the default rate), bars from
        # trades; always on, even in the real day (docs/protocol.md, "Endpoints").
        self.test_market = Market(
            [TEST_SYMBOL], seed=self.seed + 1, start_ns=start, rate=cfg.test_rate,
            speed=self.clock.speed, quote_fraction=2 / 3,
        )  # fmt: skip
        self.delayed = DelayLine(int(cfg.delayed_sip_s * NS_PER_S), cfg.delay_buffer_max)
        self.rest_route = rest.SnapshotRoute(cfg, self.market, self.stats)
        # One REST budget per key for snapshots and bars (docs/account-and-history.md).
        self.bars_route = barsroute.BarsRoute(
            cfg, self.market, self.market.live, self.seed, self.stats,
            self.rest_route.limiter, self.now_ns,
        )  # fmt: skip
        # The Trading API and trade_updates (engine.simulator.trading): the same REST
        # budget per key as market data (docs/account-and-history.md, "Trading API").
        self.trading = Trading(
            cfg, self.market, self.now_ns, self.rest_route.limiter, self.stats, self.slots,
            on_symbols=self.refresh_active, refuse=lambda: self.auth_refused,
            paused=lambda: self.paused,
        )  # fmt: skip
        self.sessions: dict[int, ServerSession] = {}
        self._ids = itertools.count(1)
        self._handler = ClientHandler(self)
        self._server: Server | None = None
        self._tasks = TaskSet()  # ticks, fault schedules: cancelled by stop()
        self._writers = TaskSet()  # one per client; its handler ends it, after close frames
        self._port = 0
        self._conns: set[ServerConnection] = set()  # every TCP connection, even mid-handshake
        self._ssl: ssl.SSLContext | None = None

    # --- lifecycle ------------------------------------------------------------------

    async def start(self) -> None:
        cfg = self.config
        host = "127.0.0.1" if cfg.host == "localhost" else cfg.host  # one socket, one port
        self._ssl = server_context(cfg)
        self._server = await serve(
            self._serve_connection, host, cfg.port,
            process_request=self._process_request,
            compression="deflate" if cfg.compression else None,
            ping_interval=cfg.ping_interval, ping_timeout=cfg.ping_timeout,
            close_timeout=cfg.close_timeout, max_size=2**20,
            create_connection=connection_class(self), ssl=self._ssl,
        )  # fmt: skip
        sock = next(iter(self._server.sockets))
        self._port = sock.getsockname()[1]
        self._host = host
        self.spawn(self._run_ticks(), "sim-ticks")
        log.info("simulator on %s (seed %d, rate %.1f/s)", self.ws_url, self.seed, cfg.rate)

    async def stop(self) -> None:
        """Close every connection (1001) and stop generating; idempotent.

        Finishes even if the caller is cancelled half-way: the listening port is freed
        either way, so a restart on the same port can bind it (the soak test once
        cancelled a restart mid-stop and the next start met "address already in use").
        """
        await run_to_completion(self._stop(), "simulator-stop")

    async def _stop(self) -> None:
        server, self._server = self._server, None
        await self._tasks.cancel_all()
        if self.paused:
            self.set_paused(False)
        if server is not None:
            server.close()
            await server.wait_closed()

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def tls(self) -> bool:
        """Whether the port speaks TLS only (wss://, https://)."""
        return self.config.tls_cert is not None

    @property
    def ws_url(self) -> str:
        return f"{'wss' if self.tls else 'ws'}://{self._fmt_host()}:{self._port}"

    @property
    def rest_url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self._fmt_host()}:{self._port}"

    def _fmt_host(self) -> str:
        host = getattr(self, "_host", self.config.host)
        return f"[{host}]" if ":" in host else host

    def spawn(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        """A named task, kept and cancelled on stop; its failure is logged, not lost."""
        return self._tasks.spawn(coro, name)

    def now_ns(self) -> int:
        """The session clock: wall time, or `start_ns` plus elapsed real time x `speed`."""
        return self.clock.now_ns()

    def session_clock(self) -> SessionClock:
        """The one clock of the simulated market (its `now_ns()`, `now()`, `session()`).

        The app shows the session text of the simulated day from it (docs/simulator.md).
        """
        return self.clock

    def session_info(self) -> list[SessionInfo]:
        return [
            SessionInfo(s.id, s.path, s.key, s.encoding, s.authenticated,
                        s.counters.messages_sent, s.counters.frames_sent, s.reply())
            for s in self.sessions.values()
        ]  # fmt: skip

    def stats_report(self) -> dict[str, object]:
        """Counters plus each open session's sent messages (served at GET /stats)."""
        report = dataclasses.asdict(self.stats)
        report["errors_sent"] = {str(k): v for k, v in self.stats.errors_sent.items()}
        report["trading"] = dataclasses.asdict(self.trading.engine.stats)
        report["sessions"] = [
            {"id": s.id, "path": s.path, "messages_sent": s.counters.messages_sent,
             "frames_sent": s.counters.frames_sent, "bytes_sent": s.counters.bytes_sent,
             "backlog": s.backlog()}
            for s in self.sessions.values()
        ]  # fmt: skip
        return report

    # --- data -----------------------------------------------------------------------

    async def _run_ticks(self) -> None:
        # One timer per tick, never one per message: at tens of thousands of messages
        # per second a tick carries hundreds, split into frames by each session.
        loop = asyncio.get_running_loop()
        interval = self.config.tick_interval
        deadline = loop.time()
        ticks = 0
        while True:
            deadline += interval
            delay = deadline - loop.time()
            if delay < 0:  # running late: do not try to catch up tick by tick
                deadline = loop.time()
                delay = 0
            await asyncio.sleep(delay)
            now = self.now_ns()
            if self.config.rest_keeps_active_s > 0 and ticks % 50 == 0:
                self.refresh_active()  # REST-only symbols stop trading when polling stops
            ticks += 1
            self.broadcast(self.market.advance(now), self.test_market.advance(now))
            self.release_delayed(now)
            self.trading.engine.tick(now)  # orders fill against the market just made

    def broadcast(self, main: list[Message], test: list[Message]) -> None:
        """Hand each authenticated session the messages it subscribed to; delayed_sip
        sessions get the main market's through the delay line (engine.simulator.delay)."""
        self.stats.messages_generated += len(main) + len(test)
        if self.paused or not (main or test):
            return
        if main and any(True for _ in self._delayed_sessions()):
            self.delayed.push(main, self.market.clock_ns)
        for session in list(self.sessions.values()):
            if session.feed == DELAYED_FEED:
                continue
            batch = test if session.feed == "test" else main
            if batch and session.authenticated:
                session.send_data(batch)

    def release_delayed(self, now_ns: int) -> None:
        """Send the delayed_sip sessions what has become due (timestamps unchanged)."""
        due = self.delayed.release(now_ns)
        self.stats.delayed_dropped = self.delayed.dropped
        if due and not self.paused:
            for session in list(self._delayed_sessions()):
                session.send_data(due)

    def _delayed_sessions(self) -> Iterable[ServerSession]:
        return (s for s in self.sessions.values() if s.feed == DELAYED_FEED and s.authenticated)

    def refresh_active(self) -> None:
        """Recompute which symbols generate data from every session's subscription (and
        the REST-watched symbols, if `rest_keeps_active_s`)."""
        main = self.rest_route.watched() if self.config.rest_keeps_active_s > 0 else set()
        main.update(self.trading.engine.symbols())  # open orders and positions trade
        test = False
        for s in self.sessions.values():
            if not s.authenticated:
                continue
            symbols = s.symbols()
            if s.feed == "test":
                test = test or bool(symbols & {TEST_SYMBOL, "*"})
            elif "*" in symbols:
                main.update(self.market.symbols())
            else:
                main.update(symbols)
        self.market.set_active(main)
        self.test_market.set_active([TEST_SYMBOL] if test else [])

    def set_paused(self, paused: bool) -> None:
        """Half-dead peer: no data, and no reading (so no pongs) while paused."""
        self.paused = paused
        for conn in list(self._conns):
            transport = conn.transport
            if transport is None or transport.is_closing():
                continue
            if paused:
                transport.pause_reading()
            else:
                transport.resume_reading()

    def on_slow(self, session: ServerSession) -> None:
        self.stats.slow_client_drops += 1
        log.warning("session %d: slow client (%d bytes unsent): 407", session.id,
                    session.backlog())  # fmt: skip
        self.send_error(session, 407, close=True)

    def send_error(self, session: ServerSession, code: int, *, close: bool = False) -> None:
        self.stats.errors_sent[code] += 1
        if close:
            session.error_and_close(code)
        else:
            session.send_control(wire.error(code, wire.ERROR_TEXT.get(code, "error")))

    # --- connections ----------------------------------------------------------------

    async def _process_request(self, conn: ServerConnection, request: Request) -> Response | None:
        """REST routes and the health/stats probes; None lets the websocket handshake on.

        A coroutine (websockets awaits it) because a bars page is built cooperatively
        (engine.simulator.barsroute.bars_page) and must not stall the loop."""
        path, _, query = request.path.partition("?")
        if path in FEEDS or path == STREAM_PATH:
            return None  # websocket handshake proceeds
        if is_trading_path(path):  # the Trading API (engine.simulator.trading.routes)
            raw: bytes | None = getattr(conn, "http_body", b"")
            if raw is None:
                return json_response(conn, 413, {"message": "request body too large"})
            status, answer, headers = self.trading.routes.handle(
                request.method, path, query, request.headers, raw, self.auth_refused
            )
            return json_response(conn, status, answer, headers)
        if path == "/health":
            return json_response(conn, 200, {"status": "ok"})
        if path == "/stats":  # benchmarks in another process: messages sent vs received
            return json_response(conn, 200, self.stats_report())
        if path == "/v2/stocks/bars":  # history (engine.simulator.barsroute)
            status, body, headers = await self.bars_route.handle(
                request.headers, query, self.auth_refused
            )
            return json_response(conn, status, body, headers)
        if path == "/v2/stocks/snapshots":
            status, body, headers = self.rest_route.handle(
                request.headers, query, self.auth_refused
            )
            if self.config.rest_keeps_active_s > 0:
                self.refresh_active()  # REST-only symbols trade too (engine.simulator.rest)
            return json_response(conn, status, body, headers)
        return json_response(conn, 404, {"message": "not found"})

    async def _serve_connection(self, conn: ServerConnection) -> None:
        assert conn.request is not None  # set before the handler runs
        path = conn.request.path.partition("?")[0]
        if path == STREAM_PATH:  # trade_updates (engine.simulator.trading.stream)
            await self.trading.streams.serve(conn)
            return
        ctype = conn.request.headers.get("Content-Type", "")
        encoding = Encoding.MSGPACK if "application/msgpack" in ctype else Encoding.JSON
        session = ServerSession(
            next(self._ids), conn, path, FEEDS[path], encoding,
            batch_max=self.config.batch_max, slow_limit=lambda: self.slow_client_limit,
            on_slow=self.on_slow, close_timeout=self.config.close_timeout,
        )  # fmt: skip
        self.sessions[session.id] = session
        self.stats.connections += 1
        self.stats.open_sessions += 1
        writer = self._writers.spawn(session.run_writer(), f"sim-writer-{session.id}")
        try:
            await self._handler.run(session, conn.request.headers)
        except ConnectionClosed:
            pass
        finally:
            self._handler.finish(session)
            del self.sessions[session.id]
            self.stats.open_sessions -= 1
            self.refresh_active()
            await cancel_and_wait(writer)
