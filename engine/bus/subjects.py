"""The bus's names and bodies, sans-I/O: subjects, the snapshot stream, control messages.

Market data travels as one Alpaca message (JSON, as Alpaca sends it) per bus message on
`alpaca.<feed>.<channel>.<SYMBOL>`; a "." in a symbol (BRK.B) is written "_" because "."
separates subject tokens (docs/bus.md, "Subjects"). Corrections, cancel errors and
imbalances have subjects of their own, so the snapshot stream's one message per subject
keeps the newest trade even when a correction came after it. Control is JSON on
`tickerdesk.<feed>.subscribe` (request/reply) and `tickerdesk.<feed>.owner` (heartbeat).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
from dataclasses import dataclass

from engine.events import Subscription
from engine.protocol.subscription import SUBSCRIBABLE_CHANNELS, for_symbols

__all__ = [
    "CHANNEL_OF_TAG",
    "MAX_REQUEST_BYTES",
    "MAX_REQUEST_SYMBOLS",
    "SNAPSHOT_CHANNELS",
    "ControlError",
    "Heartbeat",
    "SubscribeRequest",
    "data_wildcard",
    "decode_heartbeat",
    "decode_reply",
    "decode_request",
    "default_instance",
    "encode_heartbeat",
    "encode_reply",
    "encode_request",
    "owner_subject",
    "stream_name",
    "subject",
    "subject_symbol",
    "subscribe_subject",
    "symbol_subjects",
    "symbol_token",
]

# Alpaca's message tag `T` -> the bus channel token (Alpaca's subscription keys where one
# exists: docs/protocol.md, "Handshake").
CHANNEL_OF_TAG: dict[str, str] = {
    "t": "trades",
    "q": "quotes",
    "b": "bars",
    "u": "updatedBars",
    "d": "dailyBars",
    "s": "statuses",
    "l": "lulds",
    "c": "corrections",
    "x": "cancelErrors",
    "i": "imbalances",
}
# Kept in the snapshot stream and read by a late joiner: the latest state of a symbol.
# Corrections and cancel errors only amend prints the joiner never saw.
SNAPSHOT_CHANNELS: tuple[str, ...] = (
    "statuses",
    "lulds",
    "dailyBars",
    "bars",
    "updatedBars",
    "trades",
    "quotes",
)
MAX_REQUEST_BYTES = 256 * 1024
MAX_REQUEST_SYMBOLS = 10_000
_SYMBOL = re.compile(r"[A-Z][A-Z0-9]{0,9}(?:\.[A-Z0-9]{1,4})?")
_FEED = re.compile(r"[a-z0-9_]{1,32}")
_INSTANCE = re.compile(r"[A-Za-z0-9_.:@-]{1,64}")


class ControlError(ValueError):
    """A control message that cannot be used, with the reason in words."""


def _feed_token(feed: str) -> str:
    if not _FEED.fullmatch(feed):
        raise ControlError(f"feed {feed!r} cannot be a subject token")
    return feed


def symbol_token(symbol: str) -> str:
    """`BRK.B` -> `BRK_B`; ValueError for a name that is no stock symbol."""
    if not _SYMBOL.fullmatch(symbol):
        raise ControlError(f"{symbol!r} is not a stock symbol")
    return symbol.replace(".", "_")


def subject(feed: str, channel: str, symbol: str) -> str:
    """`alpaca.<feed>.<channel>.<SYMBOL>` for one symbol's messages on one channel."""
    return f"alpaca.{_feed_token(feed)}.{channel}.{symbol_token(symbol)}"


def subject_symbol(name: str) -> str | None:
    """The symbol a data subject names, or None for another subject."""
    parts = name.split(".")
    if len(parts) != 4 or parts[0] != "alpaca":
        return None
    return parts[3].replace("_", ".")


def data_wildcard(feed: str, symbol: str) -> str:
    """Every channel of one symbol: `alpaca.<feed>.*.<SYMBOL>`."""
    return f"alpaca.{_feed_token(feed)}.*.{symbol_token(symbol)}"


def symbol_subjects(feed: str, symbol: str) -> list[str]:
    """The snapshot subjects of one symbol, in the order a joiner applies them."""
    return [subject(feed, channel, symbol) for channel in SNAPSHOT_CHANNELS]


def stream_name(feed: str) -> str:
    """The JetStream memory stream holding the newest message per data subject."""
    return f"TICKERDESK_{_feed_token(feed).upper()}"


def subscribe_subject(feed: str) -> str:
    return f"tickerdesk.{_feed_token(feed)}.subscribe"


def owner_subject(feed: str) -> str:
    return f"tickerdesk.{_feed_token(feed)}.owner"


def default_instance() -> str:
    """A name for this instance that no other running one has: host-pid-random."""
    host = re.sub(r"[^A-Za-z0-9_-]", "-", socket.gethostname())[:40] or "host"
    return f"{host}-{os.getpid()}-{secrets.token_hex(2)}"


# --- control bodies -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SubscribeRequest:
    """A subscriber's whole wish (not a diff), renewed as its lease; `release` ends it."""

    instance: str
    symbols: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    release: bool = False

    def subscription(self) -> Subscription:
        return for_symbols(self.symbols, self.channels)


def encode_request(request: SubscribeRequest) -> bytes:
    body: dict[str, object] = {
        "instance": request.instance,
        "symbols": list(request.symbols),
        "channels": list(request.channels),
    }
    if request.release:
        body["release"] = True
    return json.dumps(body).encode()


def _object(data: bytes, what: str) -> dict[str, object]:
    if len(data) > MAX_REQUEST_BYTES:
        raise ControlError(f"{what} of {len(data)} bytes is over {MAX_REQUEST_BYTES}")
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ControlError(f"{what} is not JSON ({exc})") from None
    if not isinstance(body, dict):
        raise ControlError(f"{what} is not a JSON object")
    return body


def _strings(body: dict[str, object], key: str) -> list[str]:
    value = body.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ControlError(f"{key!r} must be a list of strings")
    return [str(v) for v in value]


def decode_request(data: bytes) -> SubscribeRequest:
    """A subscribe request, checked; ControlError (in words) for anything unusable."""
    body = _object(data, "subscribe request")
    instance = body.get("instance")
    if not isinstance(instance, str) or not _INSTANCE.fullmatch(instance):
        raise ControlError("'instance' must be 1-64 letters, digits or _.:@-")
    symbols = _strings(body, "symbols")
    if len(symbols) > MAX_REQUEST_SYMBOLS:
        raise ControlError(f"{len(symbols)} symbols is over {MAX_REQUEST_SYMBOLS}")
    for symbol in symbols:
        if symbol == "*":
            raise ControlError("wildcard subscriptions are not served over the bus")
        symbol_token(symbol)
    channels = _strings(body, "channels")
    unknown = sorted(set(channels) - set(SUBSCRIBABLE_CHANNELS))
    if unknown:
        raise ControlError(f"unknown channel(s): {', '.join(unknown)}")
    return SubscribeRequest(
        instance=instance,
        symbols=tuple(dict.fromkeys(symbols)),
        channels=tuple(dict.fromkeys(channels)),
        release=body.get("release") is True,
    )


def encode_reply(code: int | None, message: str = "") -> bytes:
    """`{"ok":true}`, or `{"error":405,"msg":"symbol limit exceeded"}` (Alpaca's words)."""
    if code is None:
        return b'{"ok":true}'
    return json.dumps({"error": code, "msg": message}).encode()


def decode_reply(data: bytes) -> tuple[int | None, str]:
    """(None, "") when accepted, else (code, words)."""
    body = _object(data, "subscribe reply")
    if body.get("ok") is True:
        return None, ""
    code = body.get("error")
    message = body.get("msg")
    return (
        code if isinstance(code, int) else 500,
        message if isinstance(message, str) else "unreadable reply",
    )


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """The owner's word every second: who it is and how its Alpaca upstream is."""

    instance: str
    state: str
    symbols: int = 0


def encode_heartbeat(heartbeat: Heartbeat) -> bytes:
    return json.dumps(
        {"instance": heartbeat.instance, "state": heartbeat.state, "symbols": heartbeat.symbols}
    ).encode()


def decode_heartbeat(data: bytes) -> Heartbeat:
    body = _object(data, "owner heartbeat")
    instance, state, symbols = body.get("instance"), body.get("state"), body.get("symbols", 0)
    if not isinstance(instance, str) or not isinstance(state, str):
        raise ControlError("owner heartbeat without 'instance' and 'state'")
    return Heartbeat(instance, state, symbols if isinstance(symbols, int) else 0)
