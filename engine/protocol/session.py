"""The Alpaca stream conversation, sans-I/O: handshake, wanted vs confirmed subscription.

Frames go in through `receive()` and come back as events; the frames the conversation
needs sent pile up and are taken with `data_to_send()` (the shape of websockets'
sans-I/O `protocol.py`). The I/O shell (`engine.net.stream`) only moves them.

With `drive=True` the session conducts the conversation (docs/protocol.md, "Handshake"
and "Errors"): `connected` -> auth; `authenticated` -> the per-channel diff of wanted vs
server-CONFIRMED, one round in flight at a time; 401 -> auth again, then the diff again;
400/405/410 answer a pending request instead of a `subscription` reply (405 leaves the
subscription as it was; 410 drops the optional channels once and asks again). A round
is sent once per wanted set: a server that confirms less than asked (the test feed's
short form) is the truth, not a reason to ask again. Without `drive` only the manual
API (`auth()`, `subscribe()`, `unsubscribe()` returning frames) is used.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine.events import Authenticated, Connected, Event, ServerError, Subscription
from engine.protocol.codec import Encoding, encode_auth, encode_subscribe, encode_unsubscribe
from engine.protocol.decoder import FrameDecoder
from engine.protocol.errors import ErrorAction, ErrorPolicy, classify_error
from engine.protocol.subscription import (
    DEFAULT_CHANNELS,
    OPTIONAL_CHANNELS,
    diff,
    for_symbols,
    is_empty,
    union,
    without_channels,
)

if TYPE_CHECKING:
    from engine.config import Credentials

__all__ = ["DEMO_AUTH", "AlpacaSession", "HandshakeState", "Refusal", "Request"]

# Without credentials we only ever talk to an open simulator, which accepts any pair;
# a visible placeholder keeps the handshake identical to Alpaca's.
DEMO_AUTH: tuple[str, str] = ("tickerdesk-demo", "demo")


class HandshakeState(enum.StrEnum):
    """Where the handshake stands (docs/protocol.md, "Handshake")."""

    AWAITING_WELCOME = "awaiting_welcome"
    CONNECTED = "connected"
    AUTHENTICATING = "authenticating"
    AUTHENTICATED = "authenticated"
    SUBSCRIBED = "subscribed"
    CLOSED = "closed"
    FAILED = "failed"


_FINAL_STATES = frozenset({HandshakeState.CLOSED, HandshakeState.FAILED})
_READY_STATES = frozenset({HandshakeState.AUTHENTICATED, HandshakeState.SUBSCRIBED})
_CONTROL_TYPES = frozenset({Connected, Authenticated, ServerError, Subscription})


@dataclass(frozen=True, slots=True)
class Request:
    """A subscribe or unsubscribe frame sent and not yet answered."""

    action: str  # "subscribe" | "unsubscribe"
    channels: Subscription


@dataclass(frozen=True, slots=True)
class Refusal:
    """A request the server answered with an error (400/405/410...) instead of a reply."""

    error: ServerError
    request: Request
    fallback: bool = False  # 410: optional channels dropped, the rest asked for again

    @property
    def code(self) -> int:
        return self.error.code


class _Outbox(list[str | bytes]):
    """Frames waiting to be sent. Its repr never shows them: the auth frame has the secret."""

    def __repr__(self) -> str:
        return f"<{len(self)} frames to send>"


class AlpacaSession:
    """One connection's conversation; returns or queues frames, never sends.

    `subscription` is what the server last confirmed, replaced only by its replies.
    Credentials are kept as `engine.config.Credentials`, whose repr hides the secret.
    """

    def __init__(
        self,
        encoding: Encoding = Encoding.JSON,
        *,
        drive: bool = False,
        credentials: Credentials | None = None,
        symbols: Iterable[str] = (),
        channels: Iterable[str] = DEFAULT_CHANNELS,
    ) -> None:
        self.encoding = Encoding(encoding)
        self._decoder = FrameDecoder(self.encoding)
        self.state = HandshakeState.AWAITING_WELCOME
        self.subscription = Subscription()
        self.last_error: ServerError | None = None
        self.last_refusal: Refusal | None = None
        self._drive = drive
        self._credentials = credentials
        self._symbols = frozenset(symbols)
        self._channels = tuple(channels)
        self._fell_back = False
        # Wanted beyond the watched symbols, per channel (other programs sharing this
        # connection through the local gateway: docs/gateway.md).
        self._extra = Subscription()
        self._pending: deque[Request] = deque()
        # What the last round was computed for: never asked twice.
        self._asked_for: tuple[frozenset[str], tuple[str, ...], Subscription] | None = None
        self._outbox = _Outbox()

    def __repr__(self) -> str:
        return (
            f"AlpacaSession(state={self.state.value}, encoding={self.encoding.value}, "
            f"wanted={len(self._symbols)} symbols, pending={len(self._pending)})"
        )

    # --- what the shell and the status bar read ----------------------------------

    @property
    def last_error_policy(self) -> ErrorPolicy | None:
        """`classify_error` of the last server error, if any."""
        return None if self.last_error is None else classify_error(self.last_error.code)

    @property
    def wanted_symbols(self) -> frozenset[str]:
        return self._symbols

    @property
    def channels(self) -> tuple[str, ...]:
        """The channels asked for per symbol (fewer after a 410 fallback)."""
        return self._channels

    @property
    def extra(self) -> Subscription:
        """Wanted besides the watched symbols on `channels` (see `set_extra`)."""
        return self._extra

    @property
    def wanted(self) -> Subscription:
        """The subscription the client wants (the server may confirm less)."""
        own = for_symbols(self._symbols, self._channels)
        extra = self._extra
        if is_empty(extra):
            return own
        if self._fell_back:  # the feed refused the optional channels: not for anyone
            dropped = OPTIONAL_CHANNELS - set(self._channels)
            extra = without_channels(extra, dropped)
        return union(own, extra)

    @property
    def pending(self) -> tuple[Request, ...]:
        """Requests sent and not answered yet, oldest first."""
        return tuple(self._pending)

    @property
    def ready(self) -> bool:
        """Authenticated and no request awaiting its answer (confirmed, refused or idle)."""
        return self.state in _READY_STATES and not self._pending

    # --- frames in, frames out ------------------------------------------------------

    def receive(self, frame: str | bytes) -> list[Event]:
        """Decode `frame` and update state from its control messages; never raises."""
        decoder = self._decoder
        events = decoder.decode(frame)
        if not decoder.only_trades_and_quotes:  # a live frame is: no per-event scan then
            for event in events:
                if type(event) in _CONTROL_TYPES:
                    self._on_control(event)
        return events

    def data_to_send(self) -> list[str | bytes]:
        """The frames queued since the last call, in order (the caller sends them)."""
        frames = self._outbox[:]
        self._outbox.clear()
        return frames

    def set_wanted(self, symbols: Iterable[str], channels: Iterable[str] | None = None) -> None:
        """What to subscribe; a driven session queues the diff when it may."""
        self._symbols = frozenset(symbols)
        if channels is not None:
            self._channels = tuple(channels)
        self._advance()

    def set_extra(self, extra: Subscription) -> None:
        """Also want `extra` (per channel), whatever `set_wanted` says; queued like it."""
        self._extra = extra
        self._advance()

    # --- the manual API (frames returned, not queued) -----------------------------

    def auth(self, key: str, secret: str) -> str | bytes:
        """The auth frame to send; state becomes AUTHENTICATING."""
        if self.state not in _FINAL_STATES:
            self.state = HandshakeState.AUTHENTICATING
        return encode_auth(key, secret, self.encoding)

    def subscribe(self, channels: Subscription) -> str | bytes:
        """The subscribe frame; `subscription` changes only when the server confirms."""
        return encode_subscribe(channels, self.encoding)

    def unsubscribe(self, channels: Subscription) -> str | bytes:
        """The unsubscribe frame; `subscription` changes only when the server confirms."""
        return encode_unsubscribe(channels, self.encoding)

    def close(self) -> None:
        """The connection is gone (or being closed): state becomes CLOSED."""
        self.state = HandshakeState.CLOSED
        self._outbox.clear()
        self._pending.clear()

    # --- the conversation -----------------------------------------------------------

    def _on_control(self, event: Event) -> None:
        if isinstance(event, Subscription):
            # The server always states the full current set: replace, never merge.
            self.subscription = event
        if self.state in _FINAL_STATES:
            return
        if isinstance(event, Connected):
            self.state = HandshakeState.CONNECTED
            if self._drive:
                self._queue_auth()
        elif isinstance(event, Authenticated):
            self._on_authenticated()
        elif isinstance(event, Subscription):
            self.state = HandshakeState.SUBSCRIBED
            if self._pending:
                self._pending.popleft()
            self._advance()
        elif isinstance(event, ServerError):
            self._on_error(event)

    def _on_authenticated(self) -> None:
        self.state = HandshakeState.AUTHENTICATED
        if self._drive:
            # A fresh (re-)authentication: whatever was in flight is moot; diff anew.
            self._pending.clear()
            self._asked_for = None
            self._advance()

    def _on_error(self, error: ServerError) -> None:
        self.last_error = error
        policy = classify_error(error.code)
        if policy.ends_session:
            self.state = HandshakeState.FAILED
        elif policy.action == ErrorAction.REAUTHENTICATE:
            # 401 answers the requests sent before auth: they are void.
            self._pending.clear()
            if not self._drive:
                self.state = HandshakeState.CONNECTED
            elif self.state != HandshakeState.AUTHENTICATING:  # one auth in flight is enough
                self._queue_auth()
        elif error.code == 403:
            if self.state == HandshakeState.AUTHENTICATING:
                self._on_authenticated()  # "already authenticated" is harmless
        elif policy.action == ErrorAction.REPORT and self._pending:
            self._on_refused(error)

    def _on_refused(self, error: ServerError) -> None:
        # The request failed as a whole and no reply follows: `subscription` stays as it
        # was (Alpaca on 405: "your subscriptions are the same as they were before").
        request = self._pending.popleft()
        fallback = (
            error.code == 410
            and not self._fell_back
            and any(ch in OPTIONAL_CHANNELS for ch in self._channels)
        )
        if fallback:
            # Some feeds refuse some channels: keep trades and quotes, ask once more.
            self._fell_back = True
            self._channels = tuple(ch for ch in self._channels if ch not in OPTIONAL_CHANNELS)
        self.last_refusal = Refusal(error, request, fallback)
        self._advance()

    def _queue_auth(self) -> None:
        creds = self._credentials
        key, secret = DEMO_AUTH if creds is None else (creds.key_id, creds.secret)
        self._outbox.append(self.auth(key, secret))

    def _advance(self) -> None:
        """Queue the next round (unsubscribe removals, subscribe additions) if one is due."""
        if not self._drive or self._pending or self.state not in _READY_STATES:
            return
        target = (self._symbols, self._channels, self._extra)
        if target == self._asked_for:
            return  # answered for this very wanted set: the answer stands
        self._asked_for = target
        add, remove = diff(self.wanted, self.subscription)
        # Removals first, so a symbol limit counts the smaller set (405).
        if not is_empty(remove):
            self._request("unsubscribe", remove)
        if not is_empty(add):
            self._request("subscribe", add)

    def _request(self, action: str, channels: Subscription) -> None:
        encode = encode_subscribe if action == "subscribe" else encode_unsubscribe
        self._outbox.append(encode(channels, self.encoding))
        self._pending.append(Request(action, channels))
