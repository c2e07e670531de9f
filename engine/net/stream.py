"""The I/O shell around `engine.protocol`: socket, reconnects, subscriptions, health.

`StreamClient` owns one websocket at a time (Alpaca allows one per key pair and
endpoint), feeds every frame to the sans-I/O session, applies market events to the
store before anyone is told, and keeps `StreamHealth` current. It contains no
parsing. Liveness is websocket ping/pong, never "no message for N seconds": a quiet
IEX symbol is normal (ALPACA_PROTOCOL.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

import websockets
from websockets.asyncio.client import ClientConnection

from engine.config import (
    DEFAULT_FEED,
    LIVE_STREAM_URL,
    Credentials,
    check_url_security,
    install_log_redaction,
    stream_url,
)
from engine.core.tasks import cancel_and_wait, run_to_completion
from engine.events import (
    Authenticated,
    Connected,
    DecodeError,
    Event,
    ServerError,
    Subscription,
    UnknownMessage,
)
from engine.market.store import MarketDataStore
from engine.net.health import ConnectionState, StreamHealth
from engine.net.retry import (
    BackoffPolicy,
    Failure,
    RetryDecision,
    SessionEnded,
    backoff_delays,
    classify,
    slow_delay,
)
from engine.protocol import AlpacaSession, Encoding, ErrorAction, classify_error

log = logging.getLogger(__name__)
install_log_redaction()  # DEBUG logging must never print the auth frame's secret

# Channels subscribed per watched symbol. Minute bars feed charts, daily bars the day
# statistics; statuses and LULD bands mark halts. Corrections and cancel errors follow
# the trade subscription automatically (ALPACA_PROTOCOL.md, handshake step 3).
DEFAULT_CHANNELS: tuple[str, ...] = ("trades", "quotes", "bars", "daily_bars", "statuses", "lulds")
# Dropped after error 410 (invalid subscribe action for this feed) and tried once more.
OPTIONAL_CHANNELS: frozenset[str] = frozenset({"statuses", "lulds", "daily_bars", "bars"})
# Exchange-to-receive latency growth over the session's best that means "falling behind".
FALLING_BEHIND_NS = 1_000_000_000
_MAX_FRAME_BYTES = 16 * 1024 * 1024


class ConfigError(ValueError):
    """A stream configuration that must not be used (e.g. ws:// to a remote host)."""


@dataclass(frozen=True, slots=True)
class StreamConfig:
    """Where and how to connect. `credentials` is None only for an open simulator."""

    url: str = LIVE_STREAM_URL
    feed: str = DEFAULT_FEED.value
    encoding: Encoding = Encoding.JSON
    credentials: Credentials | None = None
    compression: bool = False
    insecure: bool = False
    channels: tuple[str, ...] = DEFAULT_CHANNELS
    ping_interval: float = 10.0
    ping_timeout: float = 10.0
    open_timeout: float = 10.0
    close_timeout: float = 2.0
    backoff: BackoffPolicy = field(default_factory=BackoffPolicy)

    @property
    def endpoint(self) -> str:
        return stream_url(self.url, self.feed)


def _channels_for(symbols: Iterable[str], channels: Iterable[str]) -> Subscription:
    syms = frozenset(symbols)
    wanted = set(channels)
    return Subscription(
        trades=syms if "trades" in wanted else frozenset(),
        quotes=syms if "quotes" in wanted else frozenset(),
        bars=syms if "bars" in wanted else frozenset(),
        daily_bars=syms if "daily_bars" in wanted else frozenset(),
        statuses=syms if "statuses" in wanted else frozenset(),
        lulds=syms if "lulds" in wanted else frozenset(),
    )


class StreamClient:
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
        self._config = config
        self._store = store
        self._health = health
        self._clock = clock
        self._rng = rng or random.Random()
        self._symbols: frozenset[str] = frozenset()
        self._channels: tuple[str, ...] = config.channels
        self._requested: frozenset[str] = frozenset()
        self._session: AlpacaSession | None = None
        self._ws: ClientConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._subscription_dirty = asyncio.Event()
        self._stopping = False
        self._best_latency_ns: int | None = None
        self._behind_since: float | None = None
        self._behind_since_ns = 0  # exchange time of the first message of the episode
        self._health.endpoint = config.endpoint
        self._health.feed = config.feed
        self._health.encoding = str(config.encoding)
        self._health.insecure = config.insecure and not config.url.startswith("wss")

    # --- public API ------------------------------------------------------------------

    @property
    def config(self) -> StreamConfig:
        return self._config

    @property
    def symbols(self) -> frozenset[str]:
        return self._symbols

    @property
    def subscription(self) -> Subscription:
        """The subscription as last confirmed by the server."""
        return self._session.subscription if self._session else Subscription()

    def start(self) -> asyncio.Task[None]:
        """Start the connect/reconnect loop as a named task (idempotent)."""
        if self._task is None or self._task.done():
            self._stopping = False
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name=f"tickerdesk-stream-{self._config.feed}"
            )
            self._task.add_done_callback(self._on_task_done)
        return self._task

    async def stop(self) -> None:
        """Close the socket (with a close frame) and end the loop; returns promptly.

        Finishes even if the caller is cancelled half-way (no connection task orphaned).
        """
        self._stopping = True
        self._wake.set()
        task, self._task = self._task, None
        await run_to_completion(self._close(task), "tickerdesk-stream-stop")

    async def _close(self, task: asyncio.Task[None] | None) -> None:
        ws = self._ws
        if ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), timeout=self._config.close_timeout)
        if task is not None:
            await cancel_and_wait(task)
        self._store.set_stream_connected(False)
        self._health.set_state(ConnectionState.DISCONNECTED)

    def set_symbols(self, symbols: Iterable[str]) -> None:
        """Make the subscription follow `symbols`; never blocks (sent by the session task)."""
        new = frozenset(symbols)
        if new == self._symbols:
            return
        self._store.watch(new - self._symbols)
        self._store.unwatch(self._symbols - new)
        self._symbols = new
        self._subscription_dirty.set()

    def reconfigure(self, config: StreamConfig) -> None:
        """Use new credentials/feed/URL: drops the current connection and reconnects."""
        problem = check_url_security(config.url, config.insecure)
        if problem:
            raise ConfigError(problem)
        self._config = config
        self._channels = config.channels
        self._health.endpoint = config.endpoint
        self._health.feed = config.feed
        self._health.encoding = str(config.encoding)
        self._health.insecure = config.insecure and not config.url.startswith("wss")
        self._health.last_error = None
        ws = self._ws
        if ws is not None:
            asyncio.get_running_loop().create_task(
                ws.close(code=1000, reason="reconfigured"), name="tickerdesk-stream-reconfigure"
            )
        self._wake.set()
        if self._task is not None and self._task.done():
            self.start()

    # --- connect / reconnect loop ----------------------------------------------------

    def _on_task_done(self, task: asyncio.Task[None]) -> None:
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("stream task ended unexpectedly: %s", type(exc).__name__, exc_info=exc)
            self._health.set_state(ConnectionState.FAILED, f"internal error: {type(exc).__name__}")

    async def _run(self) -> None:
        delays = backoff_delays(self._config.backoff, self._rng)
        first = True
        while not self._stopping:
            self._wake.clear()
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
        session = AlpacaSession(config.encoding)
        self._session = session
        self._requested = frozenset()
        self._best_latency_ns = None
        async with websockets.connect(
            config.endpoint,
            additional_headers=headers,
            compression="deflate" if config.compression else None,
            open_timeout=config.open_timeout,
            ping_interval=config.ping_interval,
            ping_timeout=config.ping_timeout,
            close_timeout=config.close_timeout,
            max_size=_MAX_FRAME_BYTES,
            user_agent_header="Tickerdesk/0.1",
        ) as ws:
            self._ws = ws
            self._health.set_state(ConnectionState.AUTHENTICATING)
            sender = asyncio.get_running_loop().create_task(
                self._sync_subscription(ws, session), name="tickerdesk-stream-subscriber"
            )
            try:
                await self._receive_loop(ws, session)
            finally:
                await cancel_and_wait(sender)

    async def _receive_loop(self, ws: ClientConnection, session: AlpacaSession) -> None:
        apply_stream = self._store.apply_stream
        health = self._health
        clock = self._clock
        async for frame in ws:
            received_at = clock()
            events = session.receive(frame)
            count = len(events)
            health.record_frame(count, received_at)
            # Market data goes to the store in one call per run of it (the hot path);
            # a control event in between is handled in order, then the run resumes.
            index, last_ts = apply_stream(events, 0, received_at)
            while index < count:
                await self._on_control(ws, session, events[index])
                index, ts = apply_stream(events, index + 1, received_at)
                last_ts = ts or last_ts
            if last_ts:
                self._note_latency(time.time_ns() - last_ts, received_at, last_ts)

    async def _on_control(self, ws: ClientConnection, session: AlpacaSession, event: Event) -> None:
        health = self._health
        if isinstance(event, Connected):
            creds = self._config.credentials
            key, secret = _auth_pair(creds)
            await ws.send(session.auth(key, secret))
        elif isinstance(event, Authenticated):
            self._subscription_dirty.set()
            if not self._symbols:
                self._mark_streaming()
        elif isinstance(event, Subscription):
            self._mark_streaming()
        elif isinstance(event, ServerError):
            health.server_errors += 1
            await self._on_server_error(ws, session, event)
        elif isinstance(event, DecodeError):
            health.decode_errors += 1
            # Lazy %-formatting: a firehose of bad frames costs nothing unless logged.
            log.warning(
                "skipped undecodable message (%s, T=%s, S=%s)",
                event.reason,
                event.type_tag,
                event.symbol,
            )
        elif isinstance(event, UnknownMessage):
            health.unknown_messages += 1
            log.debug("ignored unknown message type %r", event.type_tag)

    async def _on_server_error(
        self, ws: ClientConnection, session: AlpacaSession, error: ServerError
    ) -> None:
        policy = classify_error(error.code)
        if policy.ends_session:
            raise SessionEnded(error)
        message = f"{policy.explanation} (error {error.code})"
        if error.code == 410 and any(c in OPTIONAL_CHANNELS for c in self._channels):
            # Some feeds refuse some channels; keep what the feed supports and retry.
            self._channels = tuple(c for c in self._channels if c not in OPTIONAL_CHANNELS)
            self._requested = frozenset()
            self._subscription_dirty.set()
            message += "; retrying with trades and quotes only"
        elif policy.action is ErrorAction.REAUTHENTICATE:
            creds = self._config.credentials
            key, secret = _auth_pair(creds)
            await ws.send(session.auth(key, secret))
        if policy.action is not ErrorAction.IGNORE:
            self._health.last_error = message
            log.warning("server error: %s", message)

    async def _sync_subscription(self, ws: ClientConnection, session: AlpacaSession) -> None:
        """Send subscribe/unsubscribe for the difference between wanted and requested."""
        while True:
            await self._subscription_dirty.wait()
            self._subscription_dirty.clear()
            if session.state.value not in ("authenticated", "subscribed"):
                continue
            wanted = self._symbols
            added = wanted - self._requested
            removed = self._requested - wanted
            if not added and not removed:
                continue
            self._requested = wanted
            if removed:
                await ws.send(session.unsubscribe(_channels_for(removed, DEFAULT_CHANNELS)))
            if added:
                await ws.send(session.subscribe(_channels_for(added, self._channels)))

    def _mark_streaming(self) -> None:
        if self._health.state is not ConnectionState.STREAMING:
            self._health.set_state(ConnectionState.STREAMING)
            self._store.set_stream_connected(True)

    def _note_latency(self, latency_ns: int, now: float, exchange_ns: int) -> None:
        """Track exchange-to-receive latency; flag 'falling behind' when it grows."""
        health = self._health
        health.record_latency_ns(latency_ns)
        best = self._best_latency_ns
        # Relative to the session's best, so a delayed feed (15 min) or clock skew
        # between exchange and this machine does not read as falling behind.
        if best is None or latency_ns < best:
            self._best_latency_ns = best = latency_ns
        excess = latency_ns - best
        health.falling_behind_s = excess / 1e9
        if excess <= FALLING_BEHIND_NS:
            self._behind_since = None
            health.falling_behind = False
            return
        if health.falling_behind:
            return
        if self._behind_since is None:
            self._behind_since, self._behind_since_ns = now, exchange_ns
        # Sustained for a second of receive time (a slow steady overload) or of exchange
        # time (a backlog read in one go after the loop stalled): not one late frame.
        elif now - self._behind_since >= 1.0 or exchange_ns - self._behind_since_ns >= 1e9:
            health.falling_behind = True
            health.falling_behind_events += 1
            log.warning("falling behind the stream by %.1f s", excess / 1e9)


def with_credentials(config: StreamConfig, creds: Credentials | None) -> StreamConfig:
    """A copy of `config` with other credentials."""
    return replace(config, credentials=creds)


def _auth_pair(creds: Credentials | None) -> tuple[str, str]:
    # Without credentials we only ever talk to an open simulator, which accepts any
    # pair; sending a visible placeholder keeps the handshake identical to Alpaca's.
    if creds is None:
        return ("tickerdesk-demo", "demo")
    return (creds.key_id, creds.secret)
