"""`Bus` on NATS (nats-py), with JetStream keeping the newest message per subject.

nats-py is imported inside `NatsBus.connect`, so the app without `--bus` never loads it.
Every connection is made with nats-py's own reconnection off: a refused login or an
untrusted certificate then surfaces at once as an exception we can put in words
(nats-py's initial connect otherwise retries silently), and after a drop this class
reconnects itself every `reconnect_wait` seconds, subscribes again and bumps
`generation` so a publisher re-creates the memory stream the server may have lost
(docs/bus.md, "Health and staleness"). Passwords and tokens are never logged or shown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from dataclasses import dataclass
from typing import Any

from engine.bus.base import BusDown, BusError, BusRefused, Handler, MessageCallback
from engine.bus.options import PASSWORD_ENV, TOKEN_ENV, BusOptions
from engine.core.tasks import TaskSet

__all__ = ["PASSWORD_ENV", "TOKEN_ENV", "BusOptions", "NatsBus"]

log = logging.getLogger(__name__)

# Bound on the snapshot stream: one message per subject, at most this many subjects.
STREAM_MAX_MSGS = 500_000


@dataclass(slots=True)
class _Sub:
    subject: str
    cb: Any  # the nats-py coroutine callback
    handle: Any = None  # the nats-py Subscription on the current connection


class _Handle:
    def __init__(self, bus: NatsBus, sub: _Sub) -> None:
        self._bus, self._sub = bus, sub

    async def unsubscribe(self) -> None:
        await self._bus._drop(self._sub)


def _words(exc: BaseException, url: str) -> BusError:
    """A connection failure as BusDown (retry) or BusRefused (settings), in words."""
    from nats import errors

    name = type(exc).__name__
    if isinstance(exc, errors.AuthorizationError) or "authorization" in str(exc).lower():
        return BusRefused(f"{url} refused the login: wrong user, password or token")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return BusRefused(f"TLS certificate of {url} not trusted: {exc.verify_message}")
    if isinstance(exc, ssl.SSLError):
        return BusRefused(f"TLS with {url} failed: {exc.reason or name}")
    if isinstance(exc, ConnectionRefusedError):
        return BusDown(f"cannot reach {url}: connection refused")
    if isinstance(exc, (TimeoutError, errors.TimeoutError)):
        return BusDown(f"cannot reach {url}: no answer in time")
    if isinstance(exc, OSError):
        return BusDown(f"cannot reach {url}: {exc.strerror or name}")
    return BusDown(f"cannot reach {url}: {exc or name}")


class NatsBus:
    """`engine.bus.base.Bus` over one NATS connection."""

    def __init__(self, options: BusOptions) -> None:
        problem = options.problem()
        if problem:
            raise ValueError(problem)
        self._options = options
        self._nc: Any = None
        self._js: Any = None
        self._subs: list[_Sub] = []
        self._tasks = TaskSet()
        self._closing = False
        self._closed = False  # close() is final: a closed bus never reconnects
        self._generation = 0
        self._status = "not connected"
        self._connected = asyncio.Event()
        self._lock = asyncio.Lock()
        self._last_error: Exception | None = None  # nats-py's latest, for the words
        self._stream_seen: dict[str, int] = {}  # stream -> generation it was seen in
        self.slow_consumer_drops = 0
        self.reconnects = 0

    def __repr__(self) -> str:
        return f"NatsBus({self.url}, {self._status})"

    @property
    def url(self) -> str:
        return self._options.display_url

    @property
    def connected(self) -> bool:
        return self._nc is not None and self._nc.is_connected

    @property
    def status(self) -> str:
        return self._status

    @property
    def generation(self) -> int:
        return self._generation

    async def connect(self) -> None:
        if self.connected:
            return
        if self._closed:
            raise BusDown("bus closed")
        if self._nc is not None or self._tasks:  # our reconnection is under way
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._connected.wait(), self._options.connect_timeout)
            if self.connected:
                return
            raise BusDown(f"NATS disconnected ({self._status})")
        await self._open()

    async def _open(self) -> None:
        from nats.aio.client import Client

        options = self._options
        self._last_error = None
        async with self._lock:
            nc = Client()
            try:
                await nc.connect(
                    servers=[options.url],
                    name=options.name,
                    user=options.user,
                    password=options.password,
                    token=options.token,
                    tls=options.ssl_context(),
                    # nats-py tries a server (max_reconnect_attempts + 1) times even
                    # without reconnection: twice, back to back; then our words.
                    allow_reconnect=False,
                    max_reconnect_attempts=1,
                    reconnect_time_wait=0,
                    connect_timeout=max(1, round(options.connect_timeout)),
                    error_cb=self._on_error,
                    disconnected_cb=self._on_disconnected,
                )
            except Exception as exc:
                # nats-py leaves the socket open; a failed TLS handshake's never says
                # it closed, hence the bound.
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(nc.close(), 0.5)
                # NoServersError hides why: the last error nats-py reported says it.
                cause = self._last_error if type(exc).__name__ == "NoServersError" else exc
                error = _words(cause or exc, self.url)
                self._status = str(error)
                raise error from None
            self._nc, self._js = nc, nc.jsm(timeout=2.0)
            for sub in self._subs:
                sub.handle = await nc.subscribe(sub.subject, cb=sub.cb)
            self._generation += 1
            self._status = f"connected to {self.url}"
            self._connected.set()

    async def _on_error(self, exc: Exception) -> None:
        from nats import errors

        if isinstance(exc, errors.SlowConsumerError):
            self.slow_consumer_drops += 1
            return
        self._last_error = exc
        log.debug("bus: %s", _words(exc, self.url))

    async def _on_disconnected(self) -> None:
        self._connected.clear()
        if self._closing:
            return
        self._status = f"NATS disconnected from {self.url}; reconnecting"
        log.warning("bus: %s", self._status)
        if not self._tasks:
            self._tasks.spawn(self._reconnect(), "tickerdesk-bus-reconnect")

    async def _reconnect(self) -> None:
        self._nc = None
        while not self._closing:
            await asyncio.sleep(self._options.reconnect_wait)
            try:
                await self._open()
            except BusError as exc:
                self._status = f"NATS disconnected: {exc}; retrying"
                continue
            self.reconnects += 1
            log.info("bus: reconnected to %s", self.url)
            return

    async def close(self) -> None:
        self._closing = self._closed = True
        await self._tasks.cancel_all()
        nc, self._nc = self._nc, None
        if nc is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(nc.close(), 2.0)
        self._connected.clear()
        self._status = "closed"

    def _client(self) -> Any:
        if not self.connected:
            raise BusDown(f"NATS disconnected ({self._status})")
        return self._nc

    async def publish(self, subject: str, data: bytes) -> None:
        try:
            await self._client().publish(subject, data)
        except BusError:
            raise
        except Exception as exc:
            raise BusDown(f"publish on {subject} failed: {type(exc).__name__}") from None

    async def subscribe(self, subject: str, cb: MessageCallback) -> _Handle:
        async def on_message(msg: Any) -> None:
            cb(msg.subject, msg.data)

        return await self._add(_Sub(subject, on_message))

    async def serve(self, subject: str, handler: Handler) -> _Handle:
        async def on_request(msg: Any) -> None:
            reply = await handler(msg.data)
            if msg.reply:
                with contextlib.suppress(Exception):  # the asker may be gone
                    await msg.respond(reply)

        return await self._add(_Sub(subject, on_request))

    async def _add(self, sub: _Sub) -> _Handle:
        self._subs.append(sub)
        if self.connected:
            sub.handle = await self._nc.subscribe(sub.subject, cb=sub.cb)
        return _Handle(self, sub)

    async def _drop(self, sub: _Sub) -> None:
        with contextlib.suppress(ValueError):
            self._subs.remove(sub)
        handle, sub.handle = sub.handle, None
        if handle is not None and self.connected:
            with contextlib.suppress(Exception):
                await handle.unsubscribe()

    # The timeout is the transport's own (nats-py's request takes it), as the spec says.
    async def request(self, subject: str, data: bytes, timeout: float) -> bytes:  # noqa: ASYNC109
        from nats import errors

        try:
            msg = await self._client().request(subject, data, timeout=timeout)
        except errors.NoRespondersError:
            raise BusDown(f"nobody answers on {subject}") from None
        except (TimeoutError, errors.TimeoutError):
            raise BusDown(f"no answer on {subject} in {timeout:g} s") from None
        except BusError:
            raise
        except Exception as exc:
            raise BusDown(f"request on {subject} failed: {type(exc).__name__}") from None
        data_: bytes = msg.data
        return data_

    async def ensure_last_value_stream(self, name: str, subjects: list[str]) -> None:
        from nats.js import api, errors

        config = api.StreamConfig(
            name=name,
            subjects=subjects,
            storage=api.StorageType.MEMORY,
            max_msgs_per_subject=1,
            max_msgs=STREAM_MAX_MSGS,
            discard=api.DiscardPolicy.OLD,
            allow_direct=True,
            num_replicas=1,
        )
        jsm = self._client() and self._js
        try:
            try:
                await jsm.add_stream(config)
            except errors.BadRequestError:  # exists with other settings: take ours
                await jsm.update_stream(config)
        except errors.ServiceUnavailableError:
            raise BusError(
                f"JetStream is not enabled on {self.url} (start nats-server -js)"
            ) from None
        except errors.Error as exc:
            raise BusError(f"cannot create stream {name} on {self.url}: {exc}") from None

    async def last(self, stream: str, subject: str) -> bytes | None:
        from nats import errors
        from nats.js import errors as js_errors

        nc = self._client()
        if self._stream_seen.get(stream) != self._generation:
            # A direct get on a stream the server forgot (restarted) is not answered at
            # all; asking the stream's info first says "not found" at once.
            try:
                await self._js.stream_info(stream)
            except js_errors.NotFoundError:
                return None
            except Exception as exc:
                raise BusDown(f"snapshot stream {stream}: {type(exc).__name__}") from None
            self._stream_seen[stream] = self._generation
        try:
            msg = await nc.request(f"$JS.API.DIRECT.GET.{stream}.{subject}", b"", timeout=2.0)
        except errors.NoRespondersError:
            return None
        except Exception as exc:
            raise BusDown(f"snapshot of {subject} failed: {type(exc).__name__}") from None
        status = (msg.headers or {}).get("Status")
        if status is not None and not msg.data:
            if status == "404":
                return None
            raise BusDown(f"snapshot of {subject} refused (status {status})")
        data: bytes = msg.data
        return data
