"""What a gateway client asked for, and Alpaca's answers to it (sans-I/O).

A client message is decoded and classified here: auth, subscribe/unsubscribe (channels
as Alpaca names them), or a refusal with Alpaca's error code (docs/protocol.md,
"Handshake" and "Errors"). The rules are the simulator's (engine/simulator/handler.py):
400 for bad syntax or an unknown action, 410 for a channel of another data product;
unknown keys (and `corrections`/`cancelErrors`, which follow trades) are ignored. The
constants are copied from the simulator rather than imported, because this module stays
free of asyncio and websockets (the simulator's package imports both); a test keeps the
copies equal to the simulator's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from engine.events import Subscription
from engine.protocol.codec import Encoding

__all__ = [
    "ATTR_OF",
    "CHANNELS",
    "ERROR_TEXT",
    "FOREIGN_CHANNELS",
    "REPLY_KEYS",
    "Auth",
    "ChannelRequest",
    "Refused",
    "control_frame",
    "error_frame",
    "parse",
    "subscription_reply",
    "to_subscription",
]

# Channels a client may name, in Alpaca's subscription-reply order.
CHANNELS: tuple[str, ...] = (
    "trades", "quotes", "bars", "updatedBars", "dailyBars", "statuses", "lulds",
)  # fmt: skip
# corrections and cancelErrors mirror trades (docs/protocol.md, "Handshake" step 3).
REPLY_KEYS: tuple[str, ...] = (*CHANNELS, "corrections", "cancelErrors")
# Channels of Alpaca's other data products: 410 (engine/simulator/handler.py).
FOREIGN_CHANNELS: frozenset[str] = frozenset({"orderbooks", "news"})
# Alpaca channel key -> engine.events.Subscription attribute.
ATTR_OF: dict[str, str] = {
    "trades": "trades", "quotes": "quotes", "bars": "bars", "updatedBars": "updated_bars",
    "dailyBars": "daily_bars", "statuses": "statuses", "lulds": "lulds",
}  # fmt: skip
# Alpaca's documented error texts (docs/protocol.md, "Errors").
ERROR_TEXT: dict[int, str] = {
    400: "invalid syntax",
    401: "not authenticated",
    402: "auth failed",
    403: "already authenticated",
    404: "auth timeout",
    405: "symbol limit exceeded",
    406: "connection limit exceeded",
    407: "slow client",
    409: "insufficient subscription",
    410: "invalid subscribe action for this feed",
    500: "internal error",
}
# A symbol longer than this is no symbol: refused with 400 so a hostile request cannot
# make the registry, the upstream request and every reply large.
MAX_SYMBOL_LEN = 32


@dataclass(frozen=True, slots=True)
class Auth:
    """`{"action":"auth","key":...,"secret":...}`; holds a secret: never log or repr it."""

    key: str
    secret: str

    def __repr__(self) -> str:
        return f"Auth(key={self.key!r}, secret=<hidden>)"


@dataclass(frozen=True, slots=True)
class ChannelRequest:
    """A subscribe (`add`) or unsubscribe: Alpaca channel key -> symbols named."""

    add: bool
    channels: dict[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Refused:
    """A message answered with an Alpaca error code (400, 410); `reason` in words."""

    code: int
    reason: str


ClientMessage = Auth | ChannelRequest | Refused

_JSON = msgspec.json.Decoder()
_MSGPACK = msgspec.msgpack.Decoder()
_JSON_OUT = msgspec.json.Encoder()
_MSGPACK_OUT = msgspec.msgpack.Encoder()


def _decode(message: str | bytes, encoding: Encoding) -> Any:
    # A msgpack session's clients send msgpack (docs/protocol.md, "Frames"); a text
    # frame is JSON whatever the session, as in the simulator.
    if isinstance(message, bytes) and encoding is Encoding.MSGPACK:
        return _MSGPACK.decode(message)
    return _JSON.decode(message)


def parse(message: str | bytes, encoding: Encoding) -> ClientMessage:
    """Classify one client message; never raises."""
    try:
        obj = _decode(message, encoding)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return Refused(400, "not valid JSON/msgpack")
    if not isinstance(obj, dict):
        return Refused(400, "not an object")
    action = obj.get("action")
    if action == "auth":
        key, secret = obj.get("key"), obj.get("secret")
        if isinstance(key, str) and isinstance(secret, str):
            return Auth(key, secret)
        return Refused(400, "auth without a key and a secret")
    if action in ("subscribe", "unsubscribe"):
        return _channels(obj, add=action == "subscribe")
    return Refused(400, "unknown action")


def _channels(obj: dict[Any, Any], *, add: bool) -> ClientMessage:
    channels: dict[str, tuple[str, ...]] = {}
    for name, value in obj.items():
        if name in FOREIGN_CHANNELS:
            return Refused(410, f"channel {name} is not served on this feed")
        if name not in ATTR_OF or value is None:
            continue  # unknown keys (and corrections/cancelErrors) are ignored
        if not isinstance(value, list) or not all(
            isinstance(s, str) and 0 < len(s) <= MAX_SYMBOL_LEN for s in value
        ):
            return Refused(400, f"{name} is not a list of symbols")
        channels[name] = tuple(value)
    return ChannelRequest(add, channels)


def to_subscription(channels: dict[str, tuple[str, ...]] | dict[str, set[str]]) -> Subscription:
    """Alpaca channel keys -> an engine Subscription (attribute names)."""
    return Subscription(
        **{ATTR_OF[name]: frozenset(symbols) for name, symbols in channels.items() if symbols}
    )


def subscription_reply(subs: dict[str, set[str]]) -> dict[str, object]:
    """The full `subscription` message of a client (the simulator's shape: REPLY_KEYS)."""
    reply: dict[str, object] = {"T": "subscription"}
    for key in REPLY_KEYS:
        channel = "trades" if key in ("corrections", "cancelErrors") else key
        reply[key] = sorted(subs.get(channel, ()))
    return reply


def control_frame(payload: dict[str, object], encoding: Encoding) -> bytes:
    """A control message alone in its frame, as Alpaca sends them."""
    if encoding is Encoding.MSGPACK:
        return _MSGPACK_OUT.encode([payload])
    return _JSON_OUT.encode([payload])


def error_frame(code: int, encoding: Encoding) -> bytes:
    """`[{"T":"error","code":N,"msg":"..."}]` with Alpaca's text for N."""
    text = ERROR_TEXT.get(code, "error")
    return control_frame({"T": "error", "code": code, "msg": text}, encoding)
