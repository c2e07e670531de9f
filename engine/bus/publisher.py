"""The owner's side of the bus: every upstream market event published, leases served.

`BusPublisher` is a `Hub` sink (engine.gateway.hub). `deliver` runs inside the stream's
tap, so it only queues (bounded; an overflow is counted and said in words); one task
encodes each event as the Alpaca message it was (engine.protocol.outbound, JSON) and
publishes it on its subject. Another task says every second that the owner is alive and
how its upstream is, re-creates the snapshot stream after NATS itself restarted (and
republishes the newest trade and quote it knows), and expires the leases of subscribers
that stopped renewing (docs/bus.md, "Request/reply and leases").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from engine.bus.base import Bus, BusError, Unsubscribe
from engine.bus.subjects import (
    CHANNEL_OF_TAG,
    ControlError,
    Heartbeat,
    decode_request,
    encode_heartbeat,
    encode_reply,
    owner_subject,
    stream_name,
    subject,
    subscribe_subject,
)
from engine.core.logthrottle import LogThrottle
from engine.core.tasks import TaskSet
from engine.events import Event
from engine.gateway.hub import Hub
from engine.protocol import Encoding
from engine.protocol.outbound import encode_message, message_tag
from engine.protocol.subscription import diff, is_empty

__all__ = ["BusPublisher", "PublisherStats"]

log = logging.getLogger(__name__)

HEARTBEAT_S = 1.0
LEASE_S = 30.0
MAX_QUEUE = 200_000  # events waiting to be published; beyond: dropped, counted
MAX_LEASES = 1_000  # subscriber instances holding symbols at once
_BATCH = 2_000  # events published before yielding to the loop
_SUBJECT_CACHE = 50_000
# Alpaca's own words for the codes a subscribe can be refused with (docs/protocol.md).
_REFUSAL_WORDS = {
    405: "symbol limit exceeded",
    410: "invalid subscribe action for this feed",
}


@dataclass(slots=True)
class PublisherStats:
    published: int = 0
    dropped_full: int = 0  # the queue was full (publisher behind)
    dropped_down: int = 0  # NATS was not connected
    publish_errors: int = 0
    requests: int = 0
    refused: int = 0
    bad_requests: int = 0
    leases_expired: int = 0
    heartbeats: int = 0
    stream_errors: int = 0


class BusPublisher:
    """Publishes a Hub's market events on a Bus and serves remote subscribe requests."""

    def __init__(
        self,
        hub: Hub,
        bus: Bus,
        instance: str,
        *,
        heartbeat_s: float = HEARTBEAT_S,
        lease_s: float = LEASE_S,
        max_queue: int = MAX_QUEUE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.hub, self.bus, self.instance = hub, bus, instance
        self.feed = hub.feed
        self.stats = PublisherStats()
        self.leases: dict[str, float] = {}  # instance -> expiry (clock seconds)
        self._heartbeat_s, self._lease_s, self._max_queue = heartbeat_s, lease_s, max_queue
        self._clock = clock
        self._queue: deque[Event] = deque()
        self._ready = asyncio.Event()
        self._tasks = TaskSet()
        self._serving: Unsubscribe | None = None
        self._ensured = -1  # bus generation the snapshot stream was made in
        self._tried = -1  # bus generation it was last tried in
        self._subjects: dict[tuple[str, str], str] = {}
        self._stream = stream_name(self.feed)
        self._problem: str | None = None
        self._drop_log = LogThrottle(log, topic="bus publisher dropped events")
        self._request_log = LogThrottle(log, topic="bad bus subscribe request")

    # --- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        """Connect (BusDown/BusRefused in words), serve requests, then publish."""
        await self.bus.connect()
        await self._ensure_stream()
        self._serving = await self.bus.serve(subscribe_subject(self.feed), self._on_request)
        self.hub.attach(self)
        self._tasks.spawn(self._publish_loop(), "tickerdesk-bus-publish")
        self._tasks.spawn(self._heartbeat_loop(), "tickerdesk-bus-heartbeat")

    async def stop(self) -> None:
        self.hub.detach(self)
        await self._tasks.cancel_all()
        with contextlib.suppress(BusError):  # subscribers learn at once, not in 6 s
            if self.bus.connected:
                await self.bus.publish(owner_subject(self.feed), self._heartbeat("stopped"))
        if self._serving is not None:
            await self._serving.unsubscribe()
            self._serving = None
        for instance in list(self.leases):
            self.hub.drop(_holder(instance))
        self.leases.clear()

    # --- the sink -----------------------------------------------------------------------

    def deliver(self, events: Sequence[Event], received_at: float) -> None:
        queue = self._queue
        room = self._max_queue - len(queue)
        if len(events) > room:
            dropped = len(events) - max(room, 0)
            self.stats.dropped_full += dropped
            self._drop_log.log(
                "bus publisher behind: dropped %d events (queue of %d full)",
                dropped,
                self._max_queue,
            )
            events = events[: max(room, 0)]
        queue.extend(events)
        self._ready.set()

    def _subject_of(self, event: Any) -> str:
        key = (message_tag(event), event.symbol)
        name = self._subjects.get(key)
        if name is None:
            if len(self._subjects) >= _SUBJECT_CACHE:
                self._subjects.clear()
            name = self._subjects[key] = subject(self.feed, CHANNEL_OF_TAG[key[0]], key[1])
        return name

    async def _publish_loop(self) -> None:
        queue, ready, bus, stats = self._queue, self._ready, self.bus, self.stats
        publish, subject_of, encode = bus.publish, self._subject_of, encode_message
        json = Encoding.JSON
        while True:
            await ready.wait()
            ready.clear()
            while queue:
                if not bus.connected:
                    stats.dropped_down += len(queue)
                    self._drop_log.log("bus down: dropped %d events", len(queue))
                    queue.clear()
                    break
                if bus.generation != self._tried:  # once; then the heartbeat retries
                    # Reconnected (NATS may have restarted empty): the snapshot stream
                    # first, so no message goes by uncaptured.
                    await self._ensure_stream()
                for _ in range(min(len(queue), _BATCH)):
                    event = queue.popleft()
                    try:
                        name = subject_of(event)
                    except (ControlError, KeyError):  # a symbol no subject can carry
                        stats.publish_errors += 1
                        continue
                    try:
                        await publish(name, encode(event, json))
                    except BusError:
                        stats.publish_errors += 1
                        continue
                    stats.published += 1
                await asyncio.sleep(0)  # let the stream and the heartbeats run

    # --- heartbeat, stream, leases ------------------------------------------------------

    def _heartbeat(self, state: str | None = None) -> bytes:
        symbols = len(self.hub.client.symbols | self.hub.registry.union().all_symbols())
        return encode_heartbeat(Heartbeat(self.instance, state or self.hub.upstream_state, symbols))

    async def _ensure_stream(self) -> None:
        generation = self.bus.generation
        if generation == self._ensured:
            return
        self._tried = generation
        data = f"alpaca.{self.feed}.>"
        try:
            await self.bus.ensure_last_value_stream(self._stream, [data])
        except BusError as exc:
            self.stats.stream_errors += 1
            self._problem = f"no snapshot stream: {exc}"
            log.warning("bus: %s", self._problem)
            return
        first = self._ensured < 0
        self._ensured, self._problem = generation, None
        if not first:
            await self._republish()  # NATS restarted: what it forgot, as far as we know it

    async def _republish(self) -> None:
        symbols = self.hub.client.symbols | self.hub.registry.union_symbols()
        for symbol in sorted(symbols):
            for event in self.hub.latest(symbol):
                if event is not None:
                    self.deliver([event], self._clock())

    async def _heartbeat_loop(self) -> None:
        while True:
            if self.bus.connected:
                await self._ensure_stream()
                try:
                    await self.bus.publish(owner_subject(self.feed), self._heartbeat())
                    self.stats.heartbeats += 1
                except BusError:
                    pass  # the bus is reconnecting; subscribers see the silence
            self._expire(self._clock())
            await asyncio.sleep(self._heartbeat_s)

    def _expire(self, now: float) -> None:
        for instance, expiry in list(self.leases.items()):
            if now >= expiry:
                del self.leases[instance]
                self.stats.leases_expired += 1
                log.info("bus: lease of %s expired (no renewal for %g s)", instance, self._lease_s)
                self.hub.drop(_holder(instance))

    # --- subscribe requests -------------------------------------------------------------

    async def _on_request(self, data: bytes) -> bytes:
        self.stats.requests += 1
        try:
            request = decode_request(data)
        except ControlError as exc:
            self.stats.bad_requests += 1
            self._request_log.log("bad bus subscribe request: %s", exc)
            return encode_reply(400, str(exc))
        holder = _holder(request.instance)
        if request.release:
            self.leases.pop(request.instance, None)
            self.hub.drop(holder)
            return encode_reply(None)
        if request.instance not in self.leases and len(self.leases) >= MAX_LEASES:
            self.stats.refused += 1
            return encode_reply(406, f"too many bus subscribers (at most {MAX_LEASES})")
        self.leases[request.instance] = self._clock() + self._lease_s
        add, remove = diff(request.subscription(), self.hub.registry.held(holder))
        if not is_empty(add):
            code = self.hub.request(holder, add)
            if code is not None:
                self.stats.refused += 1
                return encode_reply(code, _REFUSAL_WORDS.get(code, "subscription refused"))
        if not is_empty(remove):
            self.hub.release(holder, remove)
        return encode_reply(None)

    # --- reporting ----------------------------------------------------------------------

    @property
    def status(self) -> str:
        if not self.bus.connected:
            return self.bus.status
        leases = len(self.leases)
        words = f"publishing on {self.bus.url} · {leases} subscriber{'s' if leases != 1 else ''}"
        return f"{words} · {self._problem}" if self._problem else words

    def document(self) -> dict[str, object]:
        stats = self.stats
        return {
            "role": "owner",
            "url": self.bus.url,
            "instance": self.instance,
            "connected": self.bus.connected,
            "status": self.status,
            "stream": self._stream,
            "published": stats.published,
            "dropped": stats.dropped_full + stats.dropped_down,
            "publish_errors": stats.publish_errors,
            "requests": stats.requests,
            "refused": stats.refused,
            "bad_requests": stats.bad_requests,
            "leases": sorted(self.leases),
            "leases_expired": stats.leases_expired,
        }


def _holder(instance: str) -> str:
    return f"bus:{instance}"
