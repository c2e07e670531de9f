"""Events back to Alpaca's wire: one message per event, in JSON or msgpack (sans-I/O).

The gateway (engine.gateway) serves the upstream's events to local clients in Alpaca's own
format (docs/gateway.md, "Protocol served"). Field names and their order are Alpaca's
documented ones (docs/protocol.md, "Data messages"), `T` first (at least one official SDK
needs it); timestamps are RFC 3339 with up to nine fractional digits in JSON and msgpack
Timestamp extension values (type -1) in msgpack ("Timestamps"). Round trip:
`FrameDecoder(enc).decode(frame_of([encode_message(e, enc)], enc)) == [e]`.

Independent of `engine.simulator.wire` on purpose (the protocol layer may not import the
simulator, which is a separate peer written from the same document).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import msgspec
from msgspec.msgpack import Ext

from engine.events import (
    Bar,
    BarKind,
    CancelError,
    Correction,
    Event,
    Imbalance,
    Luld,
    Quote,
    Trade,
    TradingStatus,
)
from engine.protocol.codec import Encoding

__all__ = [
    "CHANNEL_OF",
    "channel_of",
    "encode_message",
    "frame_of",
    "message_tag",
    "rfc3339_ns",
    "route_key",
    "timestamp_ext",
]

# Alpaca subscription key of each event type. Corrections and cancel errors follow the
# trade subscription; imbalances travel with statuses (docs/protocol.md, "Handshake").
CHANNEL_OF: dict[type, str] = {
    Trade: "trades",
    Quote: "quotes",
    Bar: "bars",  # a minute bar; updated and daily bars: see `channel_of`
    TradingStatus: "statuses",
    Luld: "lulds",
    Correction: "trades",
    CancelError: "trades",
    Imbalance: "statuses",
}
_BAR_CHANNEL = {BarKind.MINUTE: "bars", BarKind.UPDATED: "updatedBars", BarKind.DAILY: "dailyBars"}
_BAR_TAG = {BarKind.MINUTE: "b", BarKind.UPDATED: "u", BarKind.DAILY: "d"}
_TAG_OF: dict[type, str] = {
    Trade: "t",
    Quote: "q",
    TradingStatus: "s",
    Luld: "l",
    Correction: "c",
    CancelError: "x",
    Imbalance: "i",
}

_NS_PER_S = 1_000_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def channel_of(event: Event) -> str | None:
    """The Alpaca channel an event travels on; None for control/unknown/undecodable ones."""
    if type(event) is Bar:
        return _BAR_CHANNEL[event.kind]
    return CHANNEL_OF.get(type(event))


def message_tag(event: Event) -> str:
    """Alpaca's `T` of a market event: t q b u d s l c x i (KeyError for any other)."""
    if type(event) is Bar:
        return _BAR_TAG[event.kind]
    return _TAG_OF[type(event)]


def route_key(event: Event) -> tuple[str, str]:
    """(channel, tag) of a market event in one call, for fan-out (KeyError otherwise)."""
    if type(event) is Bar:
        return _BAR_KEY[event.kind]
    return _KEY_OF[type(event)]


_BAR_KEY = {kind: (_BAR_CHANNEL[kind], _BAR_TAG[kind]) for kind in BarKind}
_KEY_OF = {kind: (CHANNEL_OF[kind], tag) for kind, tag in _TAG_OF.items()}


# --- timestamps ------------------------------------------------------------------------

# One-entry cache of the "YYYY-MM-DDTHH:MM:SS" prefix: a frame's messages share seconds.
_prefix_cache: list[tuple[int, str]] = [(-(1 << 70), "")]


def rfc3339_ns(ns: int) -> str:
    """Unix ns as `2021-02-22T15:51:45.335689322Z` (trailing zeros trimmed, exact)."""
    sec, frac = divmod(ns, _NS_PER_S)
    cached, prefix = _prefix_cache[0]
    if cached != sec:
        when = _EPOCH + timedelta(seconds=sec)
        # Zero-padded fields by hand: strftime("%Y") does not pad years before 1000.
        prefix = (
            f"{when.year:04d}-{when.month:02d}-{when.day:02d}T"
            f"{when.hour:02d}:{when.minute:02d}:{when.second:02d}"
        )
        _prefix_cache[0] = (sec, prefix)
    if frac == 0:
        return prefix + "Z"
    return f"{prefix}.{f'{frac:09d}'.rstrip('0')}Z"


def timestamp_ext(ns: int) -> Ext:
    """msgpack Timestamp extension (type -1), 32, 64 or 96-bit form, nanoseconds kept."""
    sec, nsec = divmod(ns, _NS_PER_S)
    if sec >> 34 == 0:
        if nsec == 0 and sec >> 32 == 0:
            return Ext(-1, sec.to_bytes(4, "big"))
        return Ext(-1, ((nsec << 34) | sec).to_bytes(8, "big"))
    return Ext(-1, struct.pack(">Iq", nsec, sec))


# --- wire shapes (field order as in Alpaca's documented examples) ------------------------

Stamp = str | Ext


class _OutTrade(msgspec.Struct, tag_field="T", tag="t", gc=False):
    S: str
    i: int
    x: str
    p: float
    s: int
    t: Stamp
    c: tuple[str, ...]
    z: str


class _OutQuote(msgspec.Struct, tag_field="T", tag="q", gc=False):
    S: str
    bx: str
    bp: float
    bs: int
    ax: str
    ap: float
    as_: int = msgspec.field(name="as")  # the ask SIZE (docs/protocol.md)
    t: Stamp
    c: tuple[str, ...]
    z: str


class _OutBar(msgspec.Struct, tag_field="T", gc=False, omit_defaults=True):
    S: str
    o: float
    h: float
    l: float  # noqa: E741 -- Alpaca's key for the bar's low
    c: float
    v: int
    t: Stamp
    n: int
    vw: float | None = None  # left out when unknown (the decoder reads it as optional)


class _OutMinuteBar(_OutBar, tag="b"):
    pass


class _OutUpdatedBar(_OutBar, tag="u"):
    pass


class _OutDailyBar(_OutBar, tag="d"):
    pass


class _OutStatus(msgspec.Struct, tag_field="T", tag="s", gc=False):
    S: str
    sc: str
    sm: str
    rc: str
    rm: str
    t: Stamp
    z: str


class _OutLuld(msgspec.Struct, tag_field="T", tag="l", gc=False):
    S: str
    u: float
    d: float
    i: str
    t: Stamp
    z: str


class _OutCorrection(msgspec.Struct, tag_field="T", tag="c", gc=False):
    S: str
    x: str
    oi: int
    op: float
    os: int
    oc: tuple[str, ...]
    ci: int
    cp: float
    cs: int
    cc: tuple[str, ...]
    t: Stamp
    z: str


class _OutCancelError(msgspec.Struct, tag_field="T", tag="x", gc=False):
    S: str
    i: int
    x: str
    p: float
    s: int
    a: str
    t: Stamp
    z: str


class _OutImbalance(msgspec.Struct, tag_field="T", tag="i", gc=False):
    S: str
    p: float
    t: Stamp
    z: str


_BAR_SHAPE: dict[BarKind, type[_OutBar]] = {
    BarKind.MINUTE: _OutMinuteBar,
    BarKind.UPDATED: _OutUpdatedBar,
    BarKind.DAILY: _OutDailyBar,
}


def _trade(e: Trade, t: Stamp) -> msgspec.Struct:
    return _OutTrade(e.symbol, e.trade_id, e.exchange, e.price, e.size, t, e.conditions, e.tape)


def _quote(e: Quote, t: Stamp) -> msgspec.Struct:
    return _OutQuote(
        e.symbol, e.bid_exchange, e.bid_price, e.bid_size, e.ask_exchange, e.ask_price,
        e.ask_size, t, e.conditions, e.tape,
    )  # fmt: skip


def _bar(e: Bar, t: Stamp) -> msgspec.Struct:
    shape = _BAR_SHAPE[e.kind]
    return shape(e.symbol, e.open, e.high, e.low, e.close, e.volume, t, e.trade_count, e.vwap)


def _status(e: TradingStatus, t: Stamp) -> msgspec.Struct:
    return _OutStatus(
        e.symbol, e.status_code, e.status_message, e.reason_code, e.reason_message, t, e.tape
    )


def _luld(e: Luld, t: Stamp) -> msgspec.Struct:
    return _OutLuld(e.symbol, e.limit_up, e.limit_down, e.indicator, t, e.tape)


def _correction(e: Correction, t: Stamp) -> msgspec.Struct:
    return _OutCorrection(
        e.symbol, e.exchange, e.original_id, e.original_price, e.original_size,
        e.original_conditions, e.corrected_id, e.corrected_price, e.corrected_size,
        e.corrected_conditions, t, e.tape,
    )  # fmt: skip


def _cancel(e: CancelError, t: Stamp) -> msgspec.Struct:
    return _OutCancelError(e.symbol, e.trade_id, e.exchange, e.price, e.size, e.action, t, e.tape)


def _imbalance(e: Imbalance, t: Stamp) -> msgspec.Struct:
    return _OutImbalance(e.symbol, e.reference_price, t, e.tape)


_SHAPERS: dict[type, Callable[[Event, Stamp], msgspec.Struct]] = {
    Trade: _trade,  # type: ignore[dict-item]  # each shaper takes its own event type
    Quote: _quote,  # type: ignore[dict-item]
    Bar: _bar,  # type: ignore[dict-item]
    TradingStatus: _status,  # type: ignore[dict-item]
    Luld: _luld,  # type: ignore[dict-item]
    Correction: _correction,  # type: ignore[dict-item]
    CancelError: _cancel,  # type: ignore[dict-item]
    Imbalance: _imbalance,  # type: ignore[dict-item]
}

_JSON = msgspec.json.Encoder()
_MSGPACK = msgspec.msgpack.Encoder()


def encode_message(event: Event, encoding: Encoding) -> bytes:
    """ONE Alpaca message (an object, not an array) for a market event.

    ValueError for an event that is not market data (control, unknown, decode errors).
    """
    shaper = _SHAPERS.get(type(event))
    if shaper is None:
        raise ValueError(f"not a market data event: {type(event).__name__}")
    ns: int = event.timestamp_ns  # type: ignore[union-attr]  # every market event has it
    if encoding is Encoding.MSGPACK:
        return _MSGPACK.encode(shaper(event, timestamp_ext(ns)))
    return _JSON.encode(shaper(event, rfc3339_ns(ns)))


def _msgpack_array_header(count: int) -> bytes:
    if count < 16:
        return bytes((0x90 | count,))
    if count < 0x10000:
        return b"\xdc" + count.to_bytes(2, "big")
    return b"\xdd" + count.to_bytes(4, "big")


def frame_of(messages: Sequence[bytes], encoding: Encoding) -> bytes:
    """A server frame (an array) of pre-encoded messages, joined without re-encoding."""
    if encoding is Encoding.MSGPACK:
        return _msgpack_array_header(len(messages)) + b"".join(messages)
    return b"[" + b",".join(messages) + b"]"
