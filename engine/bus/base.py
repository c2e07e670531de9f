"""The small interface the bus is used through, so another transport can be added.

`BusPublisher` and `BusFeed` speak only `Bus`; `engine.bus.nats_bus.NatsBus` is the one
implementation (docs/bus.md, "Another transport"). Callbacks are plain functions called
on the event loop, one per message: the hot path awaits nothing per message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

__all__ = ["Bus", "BusDown", "BusError", "BusRefused", "Handler", "MessageCallback", "Unsubscribe"]

# (subject, data) of one message.
type MessageCallback = Callable[[str, bytes], None]
# A request's body -> the reply's body.
type Handler = Callable[[bytes], Awaitable[bytes]]


class BusError(Exception):
    """A bus operation failed; `str()` says why in words (never a secret)."""


class BusDown(BusError):
    """The bus cannot be reached now (retry): not connected, no answer in time."""


class BusRefused(BusError):
    """The bus refused us for good (wrong password or token, untrusted certificate):
    retrying the same settings cannot help."""


class Unsubscribe(Protocol):
    """What `subscribe` and `serve` return."""

    async def unsubscribe(self) -> None: ...


class Bus(Protocol):
    """Publish/subscribe, request/reply and a last-value store of messages per subject."""

    @property
    def url(self) -> str:
        """Where the bus is, for display (never with credentials)."""
        ...

    @property
    def connected(self) -> bool: ...

    @property
    def status(self) -> str:
        """The connection in words, e.g. "connected to nats://10.0.0.5:4222"."""
        ...

    @property
    def generation(self) -> int:
        """Bumped by every (re)connection: a publisher re-creates what the server forgot."""
        ...

    async def connect(self) -> None:
        """Connect, or wait for the reconnection in progress; BusDown / BusRefused."""
        ...

    async def close(self) -> None: ...

    async def publish(self, subject: str, data: bytes) -> None: ...

    async def subscribe(self, subject: str, cb: MessageCallback) -> Unsubscribe: ...

    # The timeout is the transport's own (nats-py's request takes it), as the spec says.
    async def request(self, subject: str, data: bytes, timeout: float) -> bytes:  # noqa: ASYNC109
        """The reply's body; BusDown when nobody answers in `timeout` seconds."""
        ...

    async def serve(self, subject: str, handler: Handler) -> Unsubscribe:
        """Answer every request on `subject` with `handler`'s reply."""
        ...

    async def ensure_last_value_stream(self, name: str, subjects: list[str]) -> None:
        """A stream in memory keeping the newest message of every subject it captures."""
        ...

    async def last(self, stream: str, subject: str) -> bytes | None:
        """The newest message on `subject` kept by `stream`, or None."""
        ...
