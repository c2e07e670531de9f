"""Client frames for Alpaca's stock stream, and the frame encoding (sans-I/O).

`Encoding` is the one name for JSON-or-msgpack across the client, the simulator and the
gateway. Msgpack is chosen by the handshake header `Content-Type: application/msgpack`
(docs/protocol.md, "Frames").
"""

from __future__ import annotations

import enum

import msgspec

from engine.events import Subscription

__all__ = ["Encoding", "encode_auth", "encode_subscribe", "encode_unsubscribe"]


class Encoding(enum.StrEnum):
    """Frame encoding; msgpack when the handshake sent `Content-Type: application/msgpack`."""

    JSON = "json"
    MSGPACK = "msgpack"


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
