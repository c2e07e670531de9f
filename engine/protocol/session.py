"""The Alpaca stream session, sans-I/O: handshake state and the server-confirmed subscription.

Returns frames to send, never sends them (like websockets' `protocol.py`).
"""

from __future__ import annotations

import enum

from engine.events import Authenticated, Connected, Event, ServerError, Subscription
from engine.protocol.codec import Encoding, encode_auth, encode_subscribe, encode_unsubscribe
from engine.protocol.decoder import FrameDecoder
from engine.protocol.errors import ErrorAction, ErrorPolicy, classify_error

__all__ = ["AlpacaSession", "HandshakeState"]


class HandshakeState(enum.StrEnum):
    """Where the handshake stands (ALPACA_PROTOCOL.md, "Handshake")."""

    AWAITING_WELCOME = "awaiting_welcome"
    CONNECTED = "connected"
    AUTHENTICATING = "authenticating"
    AUTHENTICATED = "authenticated"
    SUBSCRIBED = "subscribed"
    CLOSED = "closed"
    FAILED = "failed"


_FINAL_STATES = frozenset({HandshakeState.CLOSED, HandshakeState.FAILED})
_CONTROL_TYPES = frozenset({Connected, Authenticated, ServerError, Subscription})


class AlpacaSession:
    """Handshake state and server-confirmed subscription; returns frames, never sends.

    Holds no credentials: `auth` encodes them into the returned frame and forgets them.
    """

    def __init__(self, encoding: Encoding = Encoding.JSON) -> None:
        self.encoding = Encoding(encoding)
        self._decoder = FrameDecoder(self.encoding)
        self.state = HandshakeState.AWAITING_WELCOME
        self.subscription = Subscription()
        self.last_error: ServerError | None = None

    def __repr__(self) -> str:
        return f"AlpacaSession(state={self.state.value}, encoding={self.encoding.value})"

    @property
    def last_error_policy(self) -> ErrorPolicy | None:
        """`classify_error` of the last server error, if any."""
        return None if self.last_error is None else classify_error(self.last_error.code)

    def receive(self, frame: str | bytes) -> list[Event]:
        """Decode `frame` and update state from its control messages; never raises."""
        events = self._decoder.decode(frame)
        for event in events:
            if type(event) in _CONTROL_TYPES:
                self._on_control(event)
        return events

    def _on_control(self, event: Event) -> None:
        if isinstance(event, Subscription):
            # The server always states the full current set: replace, never merge.
            self.subscription = event
        if self.state in _FINAL_STATES:
            return
        if isinstance(event, Connected):
            self.state = HandshakeState.CONNECTED
        elif isinstance(event, Authenticated):
            self.state = HandshakeState.AUTHENTICATED
        elif isinstance(event, Subscription):
            self.state = HandshakeState.SUBSCRIBED
        elif isinstance(event, ServerError):
            self.last_error = event
            policy = classify_error(event.code)
            if policy.ends_session:
                self.state = HandshakeState.FAILED
            elif policy.action == ErrorAction.REAUTHENTICATE:
                self.state = HandshakeState.CONNECTED
            elif event.code == 403 and self.state == HandshakeState.AUTHENTICATING:
                self.state = HandshakeState.AUTHENTICATED  # "already authenticated" is harmless

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
