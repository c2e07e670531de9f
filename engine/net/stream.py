"""The I/O shell around `engine.protocol`: socket, reconnects, health.

`StreamClient` owns one websocket at a time (Alpaca allows one per key pair and
endpoint). The sans-I/O `AlpacaSession` conducts the conversation (auth, subscription
diffs, error handling); this shell only moves its frames both ways, applies market
events to the store before anyone is told, keeps `StreamHealth` current and reconnects.
It contains no parsing. Liveness is websocket ping/pong, never "no message for N
seconds": a quiet IEX symbol is normal (docs/protocol.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Iterable
from typing import cast

from websockets.exceptions import ConnectionClosed

from engine.config import check_url_security, install_log_redaction
from engine.core.logthrottle import LogThrottle
from engine.core.tasks import TaskSet, cancel_and_wait, run_to_completion
from engine.events import Subscription
from engine.market.store import MarketDataStore
from engine.net.health import ConnectionState, StreamHealth
from engine.net.lag import FALLING_BEHIND_NS, LagTracker
from engine.net.retry import (
    Failure,
    RetryDecision,
    backoff_delays,
    classify,
    slow_delay,
)
from engine.net.stream_events import StreamEvents, Tap
from engine.net.streamconfig import (
    ConfigError,
    StreamConfig,
    describe_change,
    tls_context,
    with_credentials,
)
from engine.net.tls import websocket_tls
from engine.net.ws_frames import FrameConnection, open_frames
from engine.protocol import Encoding
from engine.protocol.session import AlpacaSession, Refusal
from engine.protocol.subscription import DEFAULT_CHANNELS, OPTIONAL_CHANNELS

__all__ = [
    "DEFAULT_CHANNELS",
    "FALLING_BEHIND_NS",
    "OPTIONAL_CHANNELS",
    "ConfigError",
    "StreamClient",
    "StreamConfig",
    "with_credentials",
]

log = logging.getLogger(__name__)
install_log_redaction()  # DEBUG logging must never print the auth frame's secret

_MAX_FRAME_BYTES = 16 * 1024 * 1024


class StreamClient(StreamEvents):
    """Resilient Alpaca stock-stream client writing into a `MarketDataStore`."""

    def __init__(
        self,
        config: StreamConfig,
        store: MarketDataStore,
        health: StreamHealth,
        *,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        problem = check_url_security(config.url, config.insecure)
        if problem:
            raise ConfigError(problem)
        self._ssl = tls_context(config)  # a CA file's problem: ConfigError, in words
        self._config = config
        self._store = store
        self._health = health
        self._clock = clock
        self._rng = rng or random.Random()
        self._symbols: frozenset[str] = frozenset()
        # Channels for the next connection: a 410 fallback holds until reconfigure().
        self._channels: tuple[str, ...] = config.channels
        self._session: AlpacaSession | None = None
        self._ws: FrameConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self._tasks = TaskSet()  # every task this client starts, so none is orphaned
        self._wake = asyncio.Event()
        self._outbox_ready = asyncio.Event()  # the session queued frames to send
        self._stopping = False
        # Set when the stop in progress has finished; a start() meanwhile waits for it.
        self._stopped: asyncio.Event | None = None
        # Why the current connection is being closed on purpose (reconfigure), if it is.
        self._deliberate: str | None = None
        self._lag = LagTracker(health)
        # One warning per bad message would flood the log (docs/design.md, invariant 1).
        self._decode_log = LogThrottle(log, topic="skipped undecodable message", clock=clock)
        self._tap_log = LogThrottle(log, topic="stream tap failed", clock=clock)
        self._taps: tuple[Tap, ...] = ()
        self._extra = Subscription()
        self._describe_config(config)

    # --- public API ------------------------------------------------------------------

    @property
    def config(self) -> StreamConfig:
        return self._config

    @property
    def symbols(self) -> frozenset[str]:
        return self._symbols

    @property
    def channels(self) -> tuple[str, ...]:
        """Channels asked per watched symbol now (fewer after a 410 fallback)."""
        return self._session.channels if self._session else self._channels

    @property
    def extra_subscription(self) -> Subscription:
        return self._extra

    @property
    def health(self) -> StreamHealth:
        """The connection's health, as the status bar and sharers read it."""
        return self._health

    @property
    def subscription(self) -> Subscription:
        """The subscription as last confirmed by the server."""
        return self._session.subscription if self._session else Subscription()

    @property
    def refusal(self) -> Refusal | None:
        """The last subscribe/unsubscribe the server refused on this connection, if any."""
        return self._session.last_refusal if self._session else None

    def start(self) -> asyncio.Task[None]:
        """Start the connect/reconnect loop as a named task (idempotent).

        During a stop() the new loop first waits for that stop to finish: exactly one
        loop ever runs (two would fight over the key pair's one connection, 406).
        """
        if self._task is None or self._task.done():
            stopped = self._stopped if self._stopped and not self._stopped.is_set() else None
            name = f"tickerdesk-stream-{self._config.feed}"
            self._task = self._tasks.spawn(self._run_after(stopped), name)
            self._task.add_done_callback(self._on_task_done)
        return self._task

    async def stop(self) -> None:
        """Close the socket (with a close frame) and end the loop; returns promptly.

        Finishes even if the caller is cancelled half-way (no connection task orphaned).
        """
        self._stopping = True
        self._wake.set()
        task, self._task = self._task, None
        # The tasks of the loop being stopped; a loop started meanwhile gets its own set.
        tasks, self._tasks = self._tasks, TaskSet()
        previous, stopped = self._stopped, asyncio.Event()
        self._stopped = stopped
        closing = self._close(task, tasks, previous, stopped)
        await run_to_completion(closing, "tickerdesk-stream-stop")

    async def _close(
        self,
        task: asyncio.Task[None] | None,
        tasks: TaskSet,
        previous: asyncio.Event | None,
        stopped: asyncio.Event,
    ) -> None:
        try:
            ws = self._ws
            if ws is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(ws.close(), timeout=self._config.close_timeout)
            if task is not None:
                await cancel_and_wait(task)
            await tasks.cancel_all()
            if previous is not None:
                await previous.wait()  # stops finish in order: the last one says "disconnected"
            self._store.set_stream_connected(False)
            self._health.set_state(ConnectionState.DISCONNECTED)
            self._decode_log.flush(force=True)
        finally:
            stopped.set()

    def set_symbols(self, symbols: Iterable[str]) -> None:
        """Make the subscription follow `symbols`; never blocks (the sender task sends)."""
        new = frozenset(symbols)
        if new == self._symbols:
            return
        self._store.watch(new - self._symbols)
        self._store.unwatch(self._symbols - new)
        self._symbols = new
        if self._session is not None:
            self._session.set_wanted(new)
            self._outbox_ready.set()

    def set_extra_subscription(self, subscription: Subscription) -> None:
        """Also stream `subscription` (other programs' symbols, per channel); kept across
        reconnects; never blocks. The store still keeps only watched symbols."""
        if subscription == self._extra:
            return
        self._extra = subscription
        if self._session is not None:
            self._session.set_extra(subscription)
            self._outbox_ready.set()

    def add_tap(self, tap: Tap) -> None:
        self._taps = (*self._taps, tap)

    def remove_tap(self, tap: Tap) -> None:
        self._taps = tuple(t for t in self._taps if t is not tap)

    def reconfigure(self, config: StreamConfig) -> None:
        """Use new credentials/feed/URL: drops the current connection and reconnects."""
        problem = check_url_security(config.url, config.insecure)
        if problem:
            raise ConfigError(problem)
        self._ssl = tls_context(config)  # a CA file's problem: ConfigError, in words
        # Closing for new settings is a deliberate reconnect, not an error (_run).
        self._deliberate = describe_change(self._config, config)
        self._config = config
        self._channels = config.channels
        self._describe_config(config)
        self._health.last_error = None
        ws = self._ws
        if ws is not None:
            self._tasks.spawn(
                ws.close(code=1000, reason="reconfigured"), "tickerdesk-stream-reconfigure"
            )
        self._wake.set()
        if self._task is not None and self._task.done():
            self.start()

    def _describe_config(self, config: StreamConfig) -> None:
        self._health.endpoint = config.endpoint
        self._health.feed = config.feed
        self._health.encoding = str(config.encoding)
        self._health.insecure = config.insecure and not config.url.startswith("wss")

    # --- connect / reconnect loop ----------------------------------------------------

    def _on_task_done(self, task: asyncio.Task[None]) -> None:
        # The TaskSet logs the exception; the status bar must say so too.
        if not task.cancelled() and (exc := task.exception()) is not None:
            self._health.set_state(ConnectionState.FAILED, f"internal error: {type(exc).__name__}")

    async def _run_after(self, stopped: asyncio.Event | None) -> None:
        if stopped is not None:
            await stopped.wait()
        self._stopping = False
        await self._run()

    async def _run(self) -> None:
        delays = backoff_delays(self._config.backoff, self._rng)
        first = True
        while not self._stopping:
            self._wake.clear()
            self._deliberate = None  # this attempt uses the settings as they are now
            started = self._clock()
            if first:
                self._health.set_state(ConnectionState.CONNECTING)
            try:
                await self._session_once()
                failure = Failure(RetryDecision.RETRY, "server closed the connection")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failure = classify(exc)
            finally:
                self._ws = None
                self._store.set_stream_connected(False)
            if self._stopping:
                break
            first = False
            if (reason := self._deliberate) is not None:
                # Closed by reconfigure(): reconnect at once, neither an error nor a
                # counted reconnect; the state says why until the new connection streams.
                log.info("reconnecting: %s", reason)
                self._health.set_state(ConnectionState.RECONNECTING, detail=reason)
                delays = backoff_delays(self._config.backoff, self._rng)
                continue
            self._health.last_error = failure.message
            log.warning("stream disconnected: %s", failure.message)
            if self._clock() - started >= self._config.backoff.healthy_after:
                delays = backoff_delays(self._config.backoff, self._rng)
            if failure.decision is RetryDecision.GIVE_UP:
                self._health.set_state(ConnectionState.FAILED, failure.message)
                # Wait for new settings (reconfigure) or stop; never spin.
                await self._wake.wait()
                delays = backoff_delays(self._config.backoff, self._rng)
                continue
            if failure.decision is RetryDecision.RETRY_SLOWLY:
                delay = slow_delay(self._config.backoff, self._rng)
            else:
                delay = next(delays)
            self._health.set_state(ConnectionState.RECONNECTING, failure.message)
            self._health.next_retry_at = self._clock() + delay
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)
            if not self._stopping:
                self._health.reconnects += 1
                self._health.set_state(ConnectionState.CONNECTING)

    async def _session_once(self) -> None:
        config = self._config
        headers: dict[str, str] = {}
        if config.encoding is Encoding.MSGPACK:
            headers["Content-Type"] = "application/msgpack"
        # A new session per connection: the server's subscription starts empty.
        session = AlpacaSession(
            config.encoding,
            drive=True,
            credentials=config.credentials,
            symbols=self._symbols,
            channels=self._channels,
        )
        session.set_extra(self._extra)
        self._session = session
        self._lag.reset()
        # Our own receive path (engine.net.ws_frames): each message is decoded and applied
        # inside data_received, no await per frame (issue 16, docs/performance.md).
        async with open_frames(
            config.endpoint,
            text_as_bytes=config.encoding is Encoding.JSON,  # msgspec reads UTF-8 itself
            ssl=websocket_tls(self._ssl, config.endpoint),  # verification always on
            additional_headers=headers,
            compression="deflate" if config.compression else None,
            open_timeout=config.open_timeout,
            ping_interval=config.ping_interval,
            ping_timeout=config.ping_timeout,
            close_timeout=config.close_timeout,
            max_size=_MAX_FRAME_BYTES,
            user_agent_header="Tickerdesk/0.1",
        ) as connection:
            ws = cast(FrameConnection, connection)
            self._ws = ws
            if self._config is not config:
                return  # reconfigured while connecting: this socket has the old settings
            self._health.set_state(ConnectionState.AUTHENTICATING)
            sender = self._tasks.spawn(self._send_loop(ws, session), "tickerdesk-stream-sender")
            try:
                ws.deliver_to(self._frame_handler(session))
                await ws.until_closed()
            finally:
                await cancel_and_wait(sender)
                session.close()

    async def _send_loop(self, ws: FrameConnection, session: AlpacaSession) -> None:
        """The one writer: sends what the session queued, in order, whenever it queued."""
        ready = self._outbox_ready
        with contextlib.suppress(ConnectionClosed):  # the receive loop reports the close
            while True:
                await ready.wait()
                ready.clear()
                for data in session.data_to_send():
                    await ws.send(data)
