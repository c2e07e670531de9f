"""A subscriber's side of the bus: a `StreamClient` whose upstream is the owner on NATS.

`BusFeed` keeps the stream client's public face (start, stop, set_symbols, health, the
store, taps), so the GUI and `tickerdesk-watch` use it in place of a websocket client.
One session: connect to the bus, listen to the owner's heartbeat, subscribe to
`alpaca.<feed>.*.<SYM>` per symbol, ask the owner for the symbols (its reply proves it is
there), read the newest message per subject from the snapshot stream, then stream;
renew the lease every 10 s. The row goes stale honestly (docs/bus.md, "Health and
staleness"): when NATS drops or the owner is silent for 6 s the store is marked
disconnected and health says why, and the feed recovers as soon as both are back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from engine.bus.base import Bus, BusDown, BusError, BusRefused, Unsubscribe
from engine.bus.subjects import (
    ControlError,
    Heartbeat,
    SubscribeRequest,
    data_wildcard,
    decode_heartbeat,
    decode_reply,
    default_instance,
    encode_request,
    owner_subject,
    stream_name,
    subscribe_subject,
    symbol_subjects,
)
from engine.config import DEFAULT_FEED
from engine.core.tasks import cancel_and_wait
from engine.events import DecodeError, Event, Subscription
from engine.market.store import MarketDataStore
from engine.net.health import ConnectionState, StreamHealth
from engine.net.retry import BackoffPolicy, backoff_delays
from engine.net.stream import StreamClient, StreamConfig
from engine.protocol import Encoding
from engine.protocol.decoder import FrameDecoder
from engine.protocol.subscription import DEFAULT_CHANNELS, for_symbols

__all__ = ["BusFeed", "FeedStats", "default_instance"]

log = logging.getLogger(__name__)

RENEW_S = 10.0
OWNER_SILENT_S = 6.0
REQUEST_TIMEOUT_S = 2.0
_TICK_S = 0.25
_SNAPSHOT_CONCURRENCY = 64
# Retries between bus sessions: short, since an owner's heartbeat ends the wait anyway.
_BACKOFF = BackoffPolicy(initial=0.5, factor=2.0, maximum=5.0, jitter=0.2)


@dataclass(slots=True)
class FeedStats:
    messages: int = 0
    snapshot_messages: int = 0
    bad_messages: int = 0
    requests: int = 0
    sessions: int = 0


class BusFeed(StreamClient):
    """The market stream read from an owner over a `Bus` instead of from Alpaca."""

    def __init__(
        self,
        bus: Bus,
        store: MarketDataStore,
        health: StreamHealth,
        *,
        feed: str = DEFAULT_FEED.value,
        channels: tuple[str, ...] = DEFAULT_CHANNELS,
        instance: str | None = None,
        renew_s: float = RENEW_S,
        owner_silent_s: float = OWNER_SILENT_S,
        request_timeout: float = REQUEST_TIMEOUT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._bus = bus  # before super(): _describe_config names it
        # The loopback URL only satisfies the websocket client's checks; no socket opens.
        config = StreamConfig(url="ws://127.0.0.1", feed=feed, channels=channels)
        super().__init__(config, store, health, clock=clock)
        self.instance = instance or default_instance()
        self.stats = FeedStats()
        self._renew_s, self._silent_s, self._timeout = renew_s, owner_silent_s, request_timeout
        self._decoder = FrameDecoder(Encoding.JSON)
        self._owner: Heartbeat | None = None
        self._owner_seen_at: float | None = None
        self._owner_heard = asyncio.Event()
        self._owner_handle: Unsubscribe | None = None
        self._subscribed: dict[str, Unsubscribe] = {}
        self._symbols_changed = asyncio.Event()
        self._granted = Subscription()
        self._lease_owner: str | None = None
        self._asked_at: float | None = None
        self.refused: str | None = None  # the owner's last refusal, in words
        self._down_reason: str | None = None  # why the feed is not streaming, in words

    # --- the StreamClient face ----------------------------------------------------------

    @property
    def bus(self) -> Bus:
        return self._bus

    @property
    def subscription(self) -> Subscription:
        """What the owner accepted to stream for us (plus its own symbols, not listed)."""
        return self._granted

    def set_symbols(self, symbols: Iterable[str]) -> None:
        super().set_symbols(symbols)
        self._symbols_changed.set()

    def _describe_config(self, config: StreamConfig) -> None:
        super()._describe_config(config)
        self._health.endpoint = f"{self._bus.url} (bus)"
        self._health.insecure = False

    async def stop(self) -> None:
        """Release the lease at once (the owner drops our symbols), then stop."""
        if self._granted != Subscription() and self._bus.connected:
            release = SubscribeRequest(self.instance, release=True)
            with contextlib.suppress(BusError, TimeoutError):
                await asyncio.wait_for(
                    self._bus.request(subscribe_subject(self._config.feed),
                                      encode_request(release), 1.0),
                    1.5,
                )  # fmt: skip
        self._granted = Subscription()
        await super().stop()
        handles = [*self._subscribed.values()]
        if self._owner_handle is not None:
            handles.append(self._owner_handle)
        self._subscribed.clear()
        self._owner_handle = None
        for handle in handles:
            with contextlib.suppress(BusError):
                await handle.unsubscribe()

    # --- sessions -----------------------------------------------------------------------

    async def _session_once(self) -> None:
        """Bus sessions until stopped or reconfigured; the stream client's reconnect loop
        sees only what is no bus trouble (those are said here, in the bus's words)."""
        delays = backoff_delays(_BACKOFF, self._rng)
        health = self._health
        while not self._stopping and not self._wake.is_set():
            try:
                await self._bus_session()
                return  # stopped or reconfigured
            except BusRefused as exc:
                self._down(f"bus: {exc}")
                health.set_state(ConnectionState.FAILED, f"bus: {exc}")
                await self._wake.wait()  # new settings or stop; never spin
                return
            except BusDown as exc:
                self._down(f"bus: {exc}")
            delay = next(delays)
            health.next_retry_at = self._clock() + delay
            self._owner_heard.clear()
            await self._sleep(delay, self._owner_heard)
            if self._stopping or self._wake.is_set():
                return
            health.reconnects += 1
            health.set_state(ConnectionState.CONNECTING)

    async def _sleep(self, seconds: float, *events: asyncio.Event) -> None:
        waits = [asyncio.ensure_future(e.wait()) for e in (self._wake, *events)]
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            await cancel_and_wait(*waits)

    def _down(self, why: str) -> None:
        self._down_reason = why
        self._store.set_stream_connected(False)
        if self._health.state is not ConnectionState.RECONNECTING or self._health.last_error != why:
            log.warning("%s", why)
        self._health.set_state(ConnectionState.RECONNECTING, why)

    async def _bus_session(self) -> None:
        bus, feed, health = self._bus, self._config.feed, self._health
        await bus.connect()
        self.stats.sessions += 1
        if self._owner_handle is None:
            self._owner_handle = await bus.subscribe(owner_subject(feed), self._on_heartbeat)
        health.set_state(ConnectionState.AUTHENTICATING)  # asking the owner
        self._symbols_changed.clear()
        symbols = self._symbols
        await self._follow(symbols)
        await self._ask()
        await self._snapshot(symbols)
        self._mark_streaming()
        while not self._stopping:
            await self._sleep(_TICK_S, self._symbols_changed)
            if self._stopping or self._wake.is_set():
                return
            self._check_alive()
            if self._symbols_changed.is_set():
                self._symbols_changed.clear()
                added = self._symbols - symbols
                symbols = self._symbols
                await self._follow(symbols)
                await self._ask()
                await self._snapshot(added)
            elif self._renewal_due():
                await self._ask()

    def _check_alive(self) -> None:
        """BusDown when NATS or the owner is gone; the owner's upstream state shown."""
        if not self._bus.connected:
            raise BusDown("NATS disconnected")
        owner, seen = self._owner, self._owner_seen_at
        if seen is not None:
            silent = self._clock() - seen
            if silent >= self._silent_s:
                raise BusDown(f"owner silent for {silent:.0f} s")
        if owner is None:
            return
        if owner.state == "stopped":
            raise BusDown(f"owner {owner.instance} stopped")
        if owner.state != ConnectionState.STREAMING.value:
            self._store.set_stream_connected(False)
            self._health.set_state(
                ConnectionState.RECONNECTING, f"bus: the owner's Alpaca stream is {owner.state}"
            )
        elif self._health.state is not ConnectionState.STREAMING:
            self._mark_streaming()

    def _renewal_due(self) -> bool:
        owner = self._owner
        if owner is not None and owner.instance != self._lease_owner:
            return True  # a new owner (restarted) knows nothing of our lease
        return self._asked_at is None or self._clock() - self._asked_at >= self._renew_s

    async def _follow(self, symbols: frozenset[str]) -> None:
        """Subscribe to exactly `symbols`' data subjects."""
        feed = self._config.feed
        for symbol in [s for s in self._subscribed if s not in symbols]:
            await self._subscribed.pop(symbol).unsubscribe()
        for symbol in sorted(symbols - self._subscribed.keys()):
            try:
                wildcard = data_wildcard(feed, symbol)
            except ControlError as exc:
                self._health.last_error = f"bus: {exc}"
                continue
            self._subscribed[symbol] = await self._bus.subscribe(wildcard, self._on_message)

    async def _ask(self) -> None:
        """Ask for (or renew) our symbols; BusDown when no owner answers."""
        channels = self.channels
        request = SubscribeRequest(self.instance, tuple(sorted(self._symbols)), channels)
        self.stats.requests += 1
        try:
            reply = await self._bus.request(
                subscribe_subject(self._config.feed), encode_request(request), self._timeout
            )
        except BusDown as exc:
            if not self._bus.connected:
                raise
            seen = self._owner_seen_at
            if seen is not None:  # an owner was here: how long it has been quiet
                raise BusDown(f"owner silent for {self._clock() - seen:.0f} s") from None
            raise BusDown(f"no owner publishes feed {self._config.feed} ({exc})") from None
        self._asked_at = self._owner_seen_at = self._clock()
        self._lease_owner = self._owner.instance if self._owner is not None else None
        try:
            code, words = decode_reply(reply)
        except ControlError as exc:
            code, words = 500, str(exc)
        if self._owner is not None and self._owner.state == "stopped":
            self._owner = None  # a new owner answered before its first heartbeat
        if code is None:
            self._granted = for_symbols(self._symbols, channels)
            if self.refused is not None:
                self.refused = None
                self._health.last_error = None
            return
        self.refused = (
            f"bus: the owner refused {len(self._symbols)} symbols: {words} (error {code})"
        )
        self._health.last_error = self.refused
        log.warning("%s", self.refused)

    async def _snapshot(self, symbols: Iterable[str]) -> None:
        """The newest message per subject of each symbol, applied before the live ones
        that follow (older ones than live data already applied are refused by the store's
        own rules: docs/design.md)."""
        bus, feed = self._bus, self._config.feed
        stream = stream_name(feed)
        limit = asyncio.Semaphore(_SNAPSHOT_CONCURRENCY)

        async def one(subject: str) -> bytes | None:
            async with limit:
                return await bus.last(stream, subject)

        for symbol in sorted(symbols):
            try:
                subjects = symbol_subjects(feed, symbol)
            except ControlError:
                continue
            found = await asyncio.gather(*(one(s) for s in subjects))
            messages = [data for data in found if data]
            if messages:
                self.stats.snapshot_messages += len(messages)
                self._apply(b"[" + b",".join(messages) + b"]", self._clock())

    def _mark_streaming(self) -> None:
        self._down_reason = None
        super()._mark_streaming()

    # --- messages -----------------------------------------------------------------------

    def _on_heartbeat(self, _subject: str, data: bytes) -> None:
        try:
            heartbeat = decode_heartbeat(data)
        except ControlError as exc:
            self.stats.bad_messages += 1
            self._decode_log.log("skipped owner heartbeat: %s", exc)
            return
        self._owner = heartbeat
        self._owner_seen_at = self._clock()
        self._owner_heard.set()

    def _on_message(self, _subject: str, data: bytes) -> None:
        self.stats.messages += 1
        self._apply(b"[" + data + b"]", self._clock())

    def _apply(self, frame: bytes, received_at: float) -> None:
        """One bus message (or a snapshot's batch) as the websocket client would a frame."""
        events: list[Event] = self._decoder.decode(frame)
        count = len(events)
        self._health.record_frame(count, received_at)
        apply_stream = self._store.apply_stream
        index, newest = apply_stream(events, 0, received_at)
        while index < count:
            event = events[index]
            if isinstance(event, DecodeError):
                self.stats.bad_messages += 1
                self._health.decode_errors += 1
                self._decode_log.log("skipped undecodable bus message (%s)", event.reason)
            else:
                self._health.unknown_messages += 1  # no control messages travel as data
            index, ts = apply_stream(events, index + 1, received_at)
            newest = max(newest, ts)
        if newest:
            self._lag.note(time.time_ns() - newest, received_at, newest)
        if self._taps:
            self._tap(events, received_at)

    # --- reporting ----------------------------------------------------------------------

    @property
    def bus_status(self) -> str:
        """For the status bar: "bus: nats://host:4222 · owner streaming"."""
        if not self._bus.connected:
            return f"bus: {self._bus.url} · NATS disconnected"
        seen, reason = self._owner_seen_at, self._down_reason
        if reason is not None:
            if seen is not None and "owner silent" in reason:
                return f"bus: owner silent {self._clock() - seen:.0f} s"  # a live age
            return reason
        if self._owner is None:
            return f"bus: {self._bus.url} · no owner heard"
        return f"bus: {self._bus.url} · owner {self._owner.state}"

    def document(self) -> dict[str, object]:
        owner = self._owner
        seen = self._owner_seen_at
        return {
            "role": "subscriber",
            "url": self._bus.url,
            "instance": self.instance,
            "connected": self._bus.connected,
            "status": self.bus_status,
            "owner": None if owner is None else owner.instance,
            "owner_state": None if owner is None else owner.state,
            "owner_seen_s": None if seen is None else round(self._clock() - seen, 1),
            "granted_symbols": len(self._granted.all_symbols()),
            "refused": self.refused,
            "messages": self.stats.messages,
            "snapshot_messages": self.stats.snapshot_messages,
            "bad_messages": self.stats.bad_messages,
            "sessions": self.stats.sessions,
        }
