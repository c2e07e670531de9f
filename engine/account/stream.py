"""TradeUpdatesClient: the trade_updates websocket, with its own connection and health.

The I/O shell around `engine.account.tradeproto.TradeProto`: connect, `auth`, `listen`,
then hand every `TradeUpdate` to `on_update`, and call `on_connected` each time the
server confirms `trade_updates` (the owner reconciles over REST then: the stream has no
replay; docs/account-and-history.md, "Account stream: trade_updates"). Reconnects follow
the data stream's rules (engine.net.stream, docs/protocol.md "Errors"): jittered
exponential backoff (`BackoffPolicy`), websocket ping/pong for liveness, a refused key
pair is FAILED in words until `reconfigure` or `stop`, never a tight loop. The first
connect waits `start_delay_s`, so it does not open at the same moment as the data
stream (Alpaca may answer 429 to connections opened together). The auth frame holds the
secret: it is sent, never logged, and no message or exception here ever names it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable

import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import InvalidStatus

from engine.account.models import TradeUpdate
from engine.account.tradeproto import (
    Authorized,
    Listening,
    ProtoProblem,
    TradeProto,
    TradeProtoEvent,
    Unauthorized,
)
from engine.config import Credentials, check_url_security, install_log_redaction
from engine.core.logthrottle import LogThrottle
from engine.core.tasks import TaskSet, cancel_and_wait, run_to_completion
from engine.net.health import ConnectionState, StreamHealth
from engine.net.retry import (
    BackoffPolicy,
    Failure,
    RetryDecision,
    backoff_delays,
    classify,
    slow_delay,
)
from engine.net.tls import client_context, websocket_tls

__all__ = ["SlotBusy", "StreamRefused", "TradeUpdatesClient", "trading_stream_url"]

log = logging.getLogger(__name__)
install_log_redaction()  # websockets' DEBUG lines must never print the auth frame

_MAX_FRAME_BYTES = 4 * 1024 * 1024


def trading_stream_url(rest_base_url: str) -> str:
    """`wss://paper-api.alpaca.markets/stream` from `https://paper-api.alpaca.markets`."""
    base = rest_base_url.rstrip("/")
    if base.startswith("https://"):
        base = "wss://" + base.removeprefix("https://")
    elif base.startswith("http://"):
        base = "ws://" + base.removeprefix("http://")
    return f"{base}/stream"


class StreamRefused(Exception):
    """The server refused us in a way retrying will not change (auth, no trade_updates)."""


class SlotBusy(Exception):
    """The account's one trade_updates connection is held (docs/protocol.md, "One
    connection per key pair": a dropped one can linger about 90 s)."""


def classify_trading(exc: BaseException) -> Failure:
    """`engine.net.retry.classify`, in the trading stream's own words where they differ."""
    if isinstance(exc, StreamRefused):
        return Failure(RetryDecision.GIVE_UP, str(exc))
    if isinstance(exc, SlotBusy):
        return Failure(
            RetryDecision.RETRY_SLOWLY,
            "another connection holds the account's trade_updates connection (another "
            "client, or a dropped connection Alpaca still holds); waiting",
        )
    if isinstance(exc, InvalidStatus):
        status = exc.response.status_code
        if status in (401, 403):
            return Failure(
                RetryDecision.GIVE_UP,
                f"the trading stream refused the connection (HTTP {status}): this key pair "
                "has no access to the Trading API",
            )
        if status == 404:
            return Failure(RetryDecision.GIVE_UP, "no trade_updates stream at this URL (HTTP 404)")
    return classify(exc)


class TradeUpdatesClient:
    """Resilient trade_updates client; writes its own `StreamHealth`."""

    def __init__(
        self,
        url: str,
        credentials: Credentials | None,
        health: StreamHealth,
        on_update: Callable[[TradeUpdate], None],
        on_connected: Callable[[], None],
        *,
        start_delay_s: float = 1.0,
        backoff: BackoffPolicy | None = None,
        ping_interval: float = 10.0,
        ping_timeout: float = 10.0,
        open_timeout: float = 10.0,
        close_timeout: float = 2.0,
        insecure: bool = False,
        ca_file: str | None = None,
        on_problem: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        problem = check_url_security(url, insecure)
        if problem:
            raise ValueError(problem)
        # A CA file's problem is a ValueError in words (TlsConfigError), like the URL's.
        self._ssl = client_context(ca_file)
        self._url = url
        self._credentials = credentials
        self._health = health
        self._on_update = on_update
        self._on_connected = on_connected
        self._on_problem = on_problem
        self.start_delay_s = start_delay_s
        self._backoff = backoff or BackoffPolicy()
        self._ping = (ping_interval, ping_timeout)
        self._open_timeout = open_timeout
        self._close_timeout = close_timeout
        self._clock = clock
        self._rng = rng or random.Random()
        self._ws: ClientConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self._tasks = TaskSet()
        self._wake = asyncio.Event()
        self._stopping = False
        self._deliberate = False
        self.connects = 0  # times trade_updates was confirmed (each one a reconcile)
        self.callback_errors = 0
        self._problem_log = LogThrottle(log, topic="skipped trade_updates message", clock=clock)
        health.endpoint = url
        health.feed = "trade_updates"
        health.encoding = "json"
        health.insecure = url.startswith("ws://")

    @property
    def url(self) -> str:
        return self._url

    def start(self) -> asyncio.Task[None]:
        """Start the connect/reconnect loop (idempotent); the first connect is delayed."""
        if self._task is None or self._task.done():
            self._stopping = False
            self._task = self._tasks.spawn(self._run(), "tickerdesk-trade-updates")
            self._task.add_done_callback(self._on_task_done)
        return self._task

    async def stop(self) -> None:
        """Close with a close frame and end the loop; finishes even if the caller is
        cancelled half-way (engine.core.tasks.run_to_completion)."""
        self._stopping = True
        self._wake.set()
        task, self._task = self._task, None
        tasks, self._tasks = self._tasks, TaskSet()
        await run_to_completion(self._close(task, tasks), "tickerdesk-trade-updates-stop")

    async def _close(self, task: asyncio.Task[None] | None, tasks: TaskSet) -> None:
        ws = self._ws
        if ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), timeout=self._close_timeout)
        if task is not None:
            await cancel_and_wait(task)
        await tasks.cancel_all()
        self._health.set_state(ConnectionState.DISCONNECTED)
        self._problem_log.flush(force=True)

    def reconfigure(
        self,
        url: str,
        credentials: Credentials | None,
        *,
        insecure: bool = False,
        ca_file: str | None = None,
    ) -> None:
        """New URL or key pair: close the connection and connect again at once."""
        problem = check_url_security(url, insecure)
        if problem:
            raise ValueError(problem)
        self._ssl = client_context(ca_file)
        self._url, self._credentials = url, credentials
        self._health.endpoint = url
        self._health.last_error = None
        self._deliberate = True
        ws = self._ws
        if ws is not None:
            self._tasks.spawn(
                ws.close(code=1000, reason="reconfigured"), "trade-updates-reconfigure"
            )
        self._wake.set()

    # --- loop ---------------------------------------------------------------------------

    def _on_task_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and (exc := task.exception()) is not None:
            self._health.set_state(ConnectionState.FAILED, f"internal error: {type(exc).__name__}")

    async def _run(self) -> None:
        health = self._health
        if self.start_delay_s > 0:
            health.set_state(ConnectionState.CONNECTING, detail="waiting for the data stream first")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.start_delay_s)
        delays = backoff_delays(self._backoff, self._rng)
        while not self._stopping:
            self._wake.clear()
            self._deliberate = False
            started = self._clock()
            health.set_state(ConnectionState.CONNECTING)
            try:
                await self._session_once()
                failure = Failure(RetryDecision.RETRY, "server closed the connection")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failure = classify_trading(exc)
            finally:
                self._ws = None
            if self._stopping:
                break
            if self._deliberate:
                health.set_state(ConnectionState.RECONNECTING, detail="new settings")
                delays = backoff_delays(self._backoff, self._rng)
                continue
            health.last_error = failure.message
            log.warning("trade_updates stream disconnected: %s", failure.message)
            if self._clock() - started >= self._backoff.healthy_after:
                delays = backoff_delays(self._backoff, self._rng)
            if failure.decision is RetryDecision.GIVE_UP:
                health.set_state(ConnectionState.FAILED, failure.message)
                await self._wake.wait()  # new settings (reconfigure) or stop; never spin
                delays = backoff_delays(self._backoff, self._rng)
                continue
            if failure.decision is RetryDecision.RETRY_SLOWLY:
                delay = slow_delay(self._backoff, self._rng)
            else:
                delay = next(delays)
            health.set_state(ConnectionState.RECONNECTING, failure.message)
            health.next_retry_at = self._clock() + delay
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)
            if not self._stopping:
                health.reconnects += 1

    async def _session_once(self) -> None:
        credentials = self._credentials
        if credentials is None:
            raise StreamRefused("no API key pair: the trading stream needs one")
        ping_interval, ping_timeout = self._ping
        async with websockets.connect(
            self._url,
            ssl=websocket_tls(self._ssl, self._url),  # verification always on
            open_timeout=self._open_timeout,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            close_timeout=self._close_timeout,
            max_size=_MAX_FRAME_BYTES,
            user_agent_header="Tickerdesk/0.1",
        ) as ws:
            self._ws = ws
            proto = TradeProto()
            self._health.set_state(ConnectionState.AUTHENTICATING)
            await ws.send(proto.auth_frame(credentials.key_id, credentials.secret))
            # Authorized and listening within open_timeout, or the attempt is retried.
            async with asyncio.timeout(self._open_timeout):
                while self._health.state is not ConnectionState.STREAMING:
                    await self._receive(ws, proto, await ws.recv())
            async for frame in ws:
                await self._receive(ws, proto, frame)

    async def _receive(self, ws: ClientConnection, proto: TradeProto, frame: str | bytes) -> None:
        events = proto.feed(frame)
        self._health.record_frame(len(events), self._clock())
        for event in events:
            await self._handle(ws, proto, event)
        if self._problem_log.suppressed:
            self._problem_log.flush()

    async def _handle(
        self, ws: ClientConnection, proto: TradeProto, event: TradeProtoEvent
    ) -> None:
        if isinstance(event, TradeUpdate):
            self._call(self._on_update, event)
        elif isinstance(event, ProtoProblem):
            self._health.decode_errors += 1
            self._problem_log.log("skipped trade_updates message: %s", event.words)
            if self._on_problem is not None:
                self._call(self._on_problem, event.words)
        elif isinstance(event, Authorized):
            await ws.send(proto.listen_frame())
        elif isinstance(event, Unauthorized):
            if event.code == 406 or "connection limit" in event.reason:
                raise SlotBusy(event.reason)
            raise StreamRefused(f"the trading stream refused the key pair: {event.reason}")
        elif isinstance(event, Listening):
            if not event.trade_updates:
                raise StreamRefused(
                    "the server did not confirm trade_updates: this key pair may not "
                    "listen to the account's order updates"
                )
            if self._health.state is not ConnectionState.STREAMING:
                self.connects += 1
                self._health.set_state(ConnectionState.STREAMING)
                self._call(self._on_connected)

    def _call[*A](self, callback: Callable[[*A], None], *args: *A) -> None:
        # A bug in a consumer must not drop the connection (and loop reconnecting).
        try:
            callback(*args)
        except Exception:
            self.callback_errors += 1
            log.exception("trade_updates consumer failed")
