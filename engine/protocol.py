"""Sans-I/O core of Alpaca's real-time stock stream: frames <-> typed events and actions.

No sockets, no asyncio, no clock (like websockets' `protocol.py`): `FrameDecoder`
turns a server frame into `engine.events` values and never raises; the `encode_*`
functions build client frames; `AlpacaSession` tracks the handshake state and the
server-confirmed subscription; `classify_error` maps every documented error code to
what the client should do, as data (ALPACA_PROTOCOL.md, "Errors").
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import msgspec

from engine.events import (
    Authenticated,
    Connected,
    DecodeError,
    Event,
    ServerError,
    Subscription,
    UnknownMessage,
)
from engine.timestamps import make_wire_stamp
from engine.wire import KNOWN_TAGS, Probe, WireMessage

__all__ = [
    "AlpacaSession",
    "Encoding",
    "ErrorAction",
    "ErrorPolicy",
    "FrameDecoder",
    "SessionState",
    "classify_error",
    "encode_auth",
    "encode_subscribe",
    "encode_unsubscribe",
]

# Bounds on text copied from the wire into DecodeError/UnknownMessage, so a hostile or
# broken frame cannot make error reports (and logs, and the status bar) unbounded.
_REASON_MAX = 160
_TAG_MAX = 32
_SYMBOL_MAX = 32
_TOO_DEEP = "frame nested too deeply"


class Encoding(enum.StrEnum):
    """Frame encoding; msgpack when the handshake sent `Content-Type: application/msgpack`."""

    JSON = "json"
    MSGPACK = "msgpack"


# --- decoding ------------------------------------------------------------------------


class _Codec:
    """The msgspec decoders for one encoding, built once (building them is the slow part)."""

    __slots__ = ("frame", "one", "probe", "raw_list")

    def __init__(self, module: Any) -> None:
        self.frame = module.Decoder(list[WireMessage])  # fast path: the whole frame at once
        self.raw_list = module.Decoder(list[msgspec.Raw])  # slow path: array first ...
        self.one = module.Decoder(WireMessage)  # ... then each message on its own
        self.probe = module.Decoder(Probe)  # what was a rejected message meant to be?


_JSON = _Codec(msgspec.json)
_MSGPACK = _Codec(msgspec.msgpack)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class FrameDecoder:
    """Server frame (JSON text or msgpack bytes) -> events; never raises.

    A `str` frame is always JSON; `bytes` are read in the configured encoding. One bad
    message becomes one `DecodeError` (unknown `T`: `UnknownMessage`); the rest of its
    frame still decodes.
    """

    __slots__ = ("_codec", "_stamp", "encoding")

    def __init__(self, encoding: Encoding = Encoding.JSON) -> None:
        self.encoding = Encoding(encoding)
        self._codec = _MSGPACK if self.encoding == Encoding.MSGPACK else _JSON
        self._stamp = make_wire_stamp(msgpack=self.encoding == Encoding.MSGPACK)

    def decode(self, frame: str | bytes) -> list[Event]:
        """Every message of `frame` as an event, in order."""
        try:
            return self._decode(frame)
        except Exception as exc:  # last-resort net: a decoder bug must not end the stream
            return [DecodeError(f"decoder failure ({type(exc).__name__})")]

    def _decode(self, frame: str | bytes) -> list[Event]:
        if not frame:
            return [DecodeError("empty frame")]
        codec = _JSON if isinstance(frame, str) else self._codec
        try:
            wires = codec.frame.decode(frame)
        except msgspec.ValidationError:
            # One message is bad or unknown: redo it message by message (rare path).
            return self._decode_each(frame, codec)
        except RecursionError:
            return [DecodeError(_TOO_DEEP)]
        except (msgspec.DecodeError, UnicodeError) as exc:
            return [DecodeError(_clip(f"malformed frame: {exc}", _REASON_MAX))]
        stamp = self._stamp
        try:
            return [wire.to_event(stamp) for wire in wires]
        except ValueError:
            pass  # a bad timestamp: redo one by one (to_event is pure) to isolate it
        events: list[Event] = []
        for wire in wires:
            try:
                events.append(wire.to_event(stamp))
            except ValueError as exc:
                events.append(_bad_timestamp(wire, exc))
        return events

    def _decode_each(self, frame: str | bytes, codec: _Codec) -> list[Event]:
        try:
            raws: list[msgspec.Raw] = codec.raw_list.decode(frame)
        except RecursionError:
            return [DecodeError(_TOO_DEEP)]
        except (msgspec.DecodeError, UnicodeError) as exc:  # msgspec: bad UTF-8 in a key
            return [DecodeError(_clip(f"frame is not an array: {exc}", _REASON_MAX))]
        stamp = self._stamp
        events: list[Event] = []
        for raw in raws:
            try:
                wire = codec.one.decode(raw)
            except RecursionError:
                events.append(DecodeError(_TOO_DEEP))
                continue
            except (msgspec.DecodeError, UnicodeError) as exc:
                events.append(_explain(raw, codec, exc))
                continue
            try:
                events.append(wire.to_event(stamp))
            except ValueError as exc:
                events.append(_bad_timestamp(wire, exc))
        return events


def _bad_timestamp(wire: WireMessage, exc: ValueError) -> DecodeError:
    symbol = getattr(wire, "S", None)
    return DecodeError(
        _clip(str(exc), _REASON_MAX),
        str(wire.__struct_config__.tag),
        _clip(symbol, _SYMBOL_MAX) if isinstance(symbol, str) else None,
    )


def _explain(raw: msgspec.Raw, codec: _Codec, exc: Exception) -> Event:
    """Why a single message failed typed decoding, as a DecodeError or UnknownMessage."""
    try:
        probe: Probe = codec.probe.decode(raw)
    except RecursionError:
        return DecodeError(_TOO_DEEP)
    except (msgspec.DecodeError, UnicodeError) as probe_exc:
        return DecodeError(_clip(f"message is not an object: {probe_exc}", _REASON_MAX))
    symbol = _clip(probe.S, _SYMBOL_MAX) if isinstance(probe.S, str) else None
    tag = probe.T
    if tag is None:
        return DecodeError("message has no T", None, symbol)
    if not isinstance(tag, str):
        return DecodeError(f"T is not a string (got {type(tag).__name__})", None, symbol)
    if tag not in KNOWN_TAGS:
        # Alpaca adds message types over time: count and ignore (ALPACA_PROTOCOL.md).
        return UnknownMessage(_clip(tag, _TAG_MAX), symbol)
    return DecodeError(_clip(str(exc), _REASON_MAX), tag, symbol)


# --- encoding ------------------------------------------------------------------------

_JSON_ENCODER = msgspec.json.Encoder()
_MSGPACK_ENCODER = msgspec.msgpack.Encoder()

# Channels a client may name; corrections and cancelErrors follow trades automatically.
_CHANNEL_KEYS: tuple[tuple[str, str], ...] = (
    ("trades", "trades"),
    ("quotes", "quotes"),
    ("bars", "bars"),
    ("updated_bars", "updatedBars"),
    ("daily_bars", "dailyBars"),
    ("statuses", "statuses"),
    ("lulds", "lulds"),
)


def _encode(message: dict[str, object], encoding: Encoding) -> str | bytes:
    # dicts keep insertion order, so "action" goes first as Alpaca's examples show.
    if encoding == Encoding.MSGPACK:
        return _MSGPACK_ENCODER.encode(message)
    return _JSON_ENCODER.encode(message).decode()


def encode_auth(key: str, secret: str, encoding: Encoding) -> str | bytes:
    """The auth action frame. It contains the secret: send it, never log it."""
    return _encode({"action": "auth", "key": key, "secret": secret}, encoding)


def _channels_action(action: str, channels: Subscription, encoding: Encoding) -> str | bytes:
    message: dict[str, object] = {"action": action}
    for attr, key in _CHANNEL_KEYS:
        symbols: frozenset[str] = getattr(channels, attr)
        if symbols:
            message[key] = sorted(symbols)
    return _encode(message, encoding)


def encode_subscribe(channels: Subscription, encoding: Encoding) -> str | bytes:
    """A subscribe frame; empty channels are omitted (only additions are needed)."""
    return _channels_action("subscribe", channels, encoding)


def encode_unsubscribe(channels: Subscription, encoding: Encoding) -> str | bytes:
    """An unsubscribe frame; empty channels are omitted."""
    return _channels_action("unsubscribe", channels, encoding)


# --- errors as data ------------------------------------------------------------------


class ErrorAction(enum.StrEnum):
    """What the I/O shell should do about a server error."""

    RETRY = "retry"
    RETRY_SLOWLY = "retry_slowly"
    GIVE_UP = "give_up"
    REAUTHENTICATE = "reauthenticate"
    REPORT = "report"
    IGNORE = "ignore"


@dataclass(frozen=True)
class ErrorPolicy:
    """One error code's meaning: the action, whether the session is over, and why."""

    code: int
    action: ErrorAction
    ends_session: bool
    explanation: str


def _policy(code: int, action: ErrorAction, ends: bool, explanation: str) -> ErrorPolicy:
    return ErrorPolicy(code, action, ends, explanation)


# ALPACA_PROTOCOL.md "Errors": 402, 404, 406 and 409 end the session; 407 is a drop.
_POLICIES: dict[int, ErrorPolicy] = {
    p.code: p
    for p in (
        _policy(400, ErrorAction.REPORT, False,
                "Alpaca could not parse a message Tickerdesk sent (invalid syntax). "
                "This is a bug in Tickerdesk: please report it."),
        _policy(401, ErrorAction.REAUTHENTICATE, False,
                "A request was sent before authentication; authenticating again."),
        _policy(402, ErrorAction.GIVE_UP, True,
                "Authentication failed: check the API key ID and secret (paper and live "
                "accounts have different keys), then reconnect."),
        _policy(403, ErrorAction.IGNORE, False,
                "Already authenticated on this connection; nothing to do."),
        _policy(404, ErrorAction.RETRY, True,
                "Authentication took longer than Alpaca's 10 s limit; reconnecting."),
        _policy(405, ErrorAction.REPORT, False,
                "Symbol limit exceeded: your plan allows fewer symbols (the free plan 30 "
                "for trades and quotes). Remove some symbols from the watchlist."),
        _policy(406, ErrorAction.RETRY_SLOWLY, True,
                "Connection limit exceeded: another client (another Tickerdesk, a script "
                "or a dropped connection Alpaca still holds for ~90 s) is using this "
                "account's one stream connection. Retrying slowly; close the other client."),
        _policy(407, ErrorAction.RETRY, True,
                "Alpaca dropped the connection because Tickerdesk did not read data fast "
                "enough (slow client); reconnecting. Fewer symbols may help."),
        _policy(408, ErrorAction.GIVE_UP, True,
                "Market data v2 is not enabled for this account; enable it in Alpaca's "
                "dashboard or contact Alpaca support."),
        _policy(409, ErrorAction.GIVE_UP, True,
                "Insufficient subscription: this feed is not in your Alpaca plan (e.g. "
                "'sip' on the free plan). Switch the feed to 'iex'."),
        _policy(410, ErrorAction.REPORT, False,
                "Alpaca refused a subscribe action for this feed (invalid subscribe "
                "action); a channel is not available on it."),
        _policy(411, ErrorAction.GIVE_UP, True,
                "Insufficient scope: these API keys may not read market data. Create "
                "keys with market data access."),
        _policy(500, ErrorAction.RETRY, True,
                "Alpaca reported an internal server error; reconnecting with backoff."),
    )
}  # fmt: skip


def classify_error(code: int) -> ErrorPolicy:
    """The policy for an Alpaca error code; unknown codes are reported, not fatal."""
    policy = _POLICIES.get(code)
    if policy is not None:
        return policy
    return ErrorPolicy(
        code,
        ErrorAction.REPORT,
        False,
        f"Alpaca sent error code {code}, which Tickerdesk does not know; the stream "
        "continues. Please report it.",
    )


# --- session -------------------------------------------------------------------------


class SessionState(enum.StrEnum):
    """Where the handshake stands (ALPACA_PROTOCOL.md, "Handshake")."""

    AWAITING_WELCOME = "awaiting_welcome"
    CONNECTED = "connected"
    AUTHENTICATING = "authenticating"
    AUTHENTICATED = "authenticated"
    SUBSCRIBED = "subscribed"
    CLOSED = "closed"
    FAILED = "failed"


_FINAL_STATES = frozenset({SessionState.CLOSED, SessionState.FAILED})
_CONTROL_TYPES = frozenset({Connected, Authenticated, ServerError, Subscription})


class AlpacaSession:
    """Handshake state and server-confirmed subscription; returns frames, never sends.

    Holds no credentials: `auth` encodes them into the returned frame and forgets them.
    """

    def __init__(self, encoding: Encoding = Encoding.JSON) -> None:
        self.encoding = Encoding(encoding)
        self._decoder = FrameDecoder(self.encoding)
        self.state = SessionState.AWAITING_WELCOME
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
            self.state = SessionState.CONNECTED
        elif isinstance(event, Authenticated):
            self.state = SessionState.AUTHENTICATED
        elif isinstance(event, Subscription):
            self.state = SessionState.SUBSCRIBED
        elif isinstance(event, ServerError):
            self.last_error = event
            policy = classify_error(event.code)
            if policy.ends_session:
                self.state = SessionState.FAILED
            elif policy.action == ErrorAction.REAUTHENTICATE:
                self.state = SessionState.CONNECTED
            elif event.code == 403 and self.state == SessionState.AUTHENTICATING:
                self.state = SessionState.AUTHENTICATED  # "already authenticated" is harmless

    def auth(self, key: str, secret: str) -> str | bytes:
        """The auth frame to send; state becomes AUTHENTICATING."""
        if self.state not in _FINAL_STATES:
            self.state = SessionState.AUTHENTICATING
        return encode_auth(key, secret, self.encoding)

    def subscribe(self, channels: Subscription) -> str | bytes:
        """The subscribe frame; `subscription` changes only when the server confirms."""
        return encode_subscribe(channels, self.encoding)

    def unsubscribe(self, channels: Subscription) -> str | bytes:
        """The unsubscribe frame; `subscription` changes only when the server confirms."""
        return encode_unsubscribe(channels, self.encoding)

    def close(self) -> None:
        """The connection is gone (or being closed): state becomes CLOSED."""
        self.state = SessionState.CLOSED
