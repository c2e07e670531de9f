"""Alpaca wire messages as the simulator sends them, and their JSON/msgpack encoders.

Independent of the client's decoder and encoders on purpose (it shares only the
`Encoding` name): the simulator is a separate peer written from docs/protocol.md, so
tests against it prove we speak Alpaca, not a private dialect. `T` is the first key of
every object (msgspec writes the tag first).
"""

from __future__ import annotations

import struct
import time
from typing import Any, ClassVar

import msgspec

from engine.protocol.codec import Encoding as Encoding  # re-exported for the simulator

NS_PER_S = 1_000_000_000


class Ts:
    """An exact UTC timestamp in integer ns; encodes as RFC 3339 (JSON) or Timestamp ext -1."""

    __slots__ = ("_ext", "_text", "ns")

    def __init__(self, ns: int) -> None:
        self.ns = ns
        self._text: str | None = None
        self._ext: msgspec.msgpack.Ext | None = None

    def text(self) -> str:
        if self._text is None:
            self._text = rfc3339(self.ns)
        return self._text

    def ext(self) -> msgspec.msgpack.Ext:
        if self._ext is None:
            self._ext = timestamp_ext(self.ns)
        return self._ext

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ts) and other.ns == self.ns

    def __hash__(self) -> int:
        return hash(self.ns)

    def __repr__(self) -> str:
        return f"Ts({self.text()})"


_prefix_cache: list[tuple[int, str]] = [(-1, "")]


def rfc3339(ns: int) -> str:
    """`2021-02-22T15:51:45.335689322Z`; trailing zeros trimmed, no fraction on whole seconds."""
    sec, frac = divmod(ns, NS_PER_S)
    cached_sec, prefix = _prefix_cache[0]
    if cached_sec != sec:
        prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec))
        _prefix_cache[0] = (sec, prefix)
    if frac == 0:
        return prefix + "Z"
    return f"{prefix}.{f'{frac:09d}'.rstrip('0')}Z"


def timestamp_ext(ns: int) -> msgspec.msgpack.Ext:
    """msgpack Timestamp extension (type -1) in its 32, 64 or 96-bit form, nanoseconds kept."""
    sec, nsec = divmod(ns, NS_PER_S)
    if sec >> 34 == 0:
        if nsec == 0 and sec >> 32 == 0:
            return msgspec.msgpack.Ext(-1, sec.to_bytes(4, "big"))
        return msgspec.msgpack.Ext(-1, ((nsec << 34) | sec).to_bytes(8, "big"))
    return msgspec.msgpack.Ext(-1, struct.pack(">Iq", nsec, sec))


# --- data messages (field order as in Alpaca's documentation examples) ---------------


class Trade(msgspec.Struct, tag_field="T", tag="t", gc=False):
    channel: ClassVar[str] = "trades"
    S: str
    i: int
    x: str
    p: float
    s: int
    c: list[str]
    t: Ts
    z: str


class Quote(msgspec.Struct, tag_field="T", tag="q", gc=False):
    channel: ClassVar[str] = "quotes"
    S: str
    bx: str
    bp: float
    bs: int
    ax: str
    ap: float
    as_: int = msgspec.field(name="as")  # ask SIZE; `as` is a Python keyword
    c: list[str]
    t: Ts
    z: str


class _BarBase(msgspec.Struct, tag_field="T", gc=False):
    S: str
    o: float
    h: float
    l: float  # noqa: E741 - Alpaca's key
    c: float
    v: int
    t: Ts
    n: int
    vw: float


class MinuteBar(_BarBase, tag="b"):
    channel: ClassVar[str] = "bars"


class DailyBar(_BarBase, tag="d"):
    channel: ClassVar[str] = "dailyBars"


class UpdatedBar(_BarBase, tag="u"):
    channel: ClassVar[str] = "updatedBars"


class Status(msgspec.Struct, tag_field="T", tag="s", gc=False):
    channel: ClassVar[str] = "statuses"
    S: str
    sc: str
    sm: str
    rc: str
    rm: str
    t: Ts
    z: str


class Luld(msgspec.Struct, tag_field="T", tag="l", gc=False):
    channel: ClassVar[str] = "lulds"
    S: str
    u: float
    d: float
    i: str
    t: Ts
    z: str


class Correction(msgspec.Struct, tag_field="T", tag="c", gc=False):
    channel: ClassVar[str] = "trades"  # corrections follow the trade subscription
    S: str
    x: str
    oi: int
    op: float
    os: int
    oc: list[str]
    ci: int
    cp: float
    cs: int
    cc: list[str]
    t: Ts
    z: str


class CancelError(msgspec.Struct, tag_field="T", tag="x", gc=False):
    channel: ClassVar[str] = "trades"  # cancel errors follow the trade subscription
    S: str
    i: int
    x: str
    p: float
    s: int
    a: str
    t: Ts
    z: str


Message = (
    Trade | Quote | MinuteBar | DailyBar | UpdatedBar | Status | Luld | Correction | CancelError
)


# --- encoders ------------------------------------------------------------------------


def _json_hook(obj: Any) -> Any:
    if isinstance(obj, Ts):
        return obj.text()
    raise NotImplementedError(type(obj))


def _msgpack_hook(obj: Any) -> Any:
    if isinstance(obj, Ts):
        return obj.ext()
    raise NotImplementedError(type(obj))


_JSON = msgspec.json.Encoder(enc_hook=_json_hook)
_MSGPACK = msgspec.msgpack.Encoder(enc_hook=_msgpack_hook)


def encode(payload: object, encoding: Encoding) -> bytes:
    """Encode one frame (a list of messages or control dicts) in the session's encoding."""
    if encoding is Encoding.MSGPACK:
        return _MSGPACK.encode(payload)
    return _JSON.encode(payload)


def control(kind: str, **fields: object) -> dict[str, object]:
    """A control object with `T` first (dicts keep insertion order in both encodings)."""
    return {"T": kind, **fields}


def error(code: int, msg: str) -> dict[str, object]:
    return control("error", code=code, msg=msg)


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


def decode_client(message: str | bytes, encoding: Encoding) -> Any:
    """Decode one client message; raises msgspec.DecodeError on bad bytes."""
    if isinstance(message, bytes) and encoding is Encoding.MSGPACK:
        return msgspec.msgpack.decode(message)
    return msgspec.json.decode(message)


def to_plain(message: Message) -> dict[str, Any]:
    """Message as a dict with RFC 3339 `t` and without `T`/`S` (REST snapshot shape)."""
    plain: dict[str, Any] = msgspec.json.decode(_JSON.encode(message))
    plain.pop("T", None)
    plain.pop("S", None)
    return plain
