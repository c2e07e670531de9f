"""Exact wire timestamps -> integer nanoseconds since the Unix epoch (UTC).

Alpaca sends RFC 3339 strings with up to nine fractional digits in JSON frames and
msgpack Timestamp extension values (ext type -1) in msgpack frames. `datetime`,
`fromisoformat` and msgspec's own datetime decoding keep only microseconds, so both
are parsed here by hand, with integers only (no float ever touches a timestamp).
"""

from __future__ import annotations

from collections.abc import Buffer, Callable
from datetime import UTC, datetime
from typing import cast

from msgspec.msgpack import Ext

__all__ = [
    "MSGPACK_TIMESTAMP_EXT",
    "format_rfc3339_ns",
    "make_rfc3339_parser",
    "msgpack_timestamp_ns",
    "parse_rfc3339_ns",
]

MSGPACK_TIMESTAMP_EXT = -1
"""The msgpack extension type code reserved for timestamps (msgpack spec)."""

_NS_PER_S = 1_000_000_000
_NS_PER_MIN = 60 * _NS_PER_S
_SECONDS_34 = (1 << 34) - 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_SECOND = datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC) - _EPOCH
# Scale of a fraction with n digits (n = 0..9) to nanoseconds.
_FRACTION_SCALE: tuple[int, ...] = (
    1_000_000_000, 100_000_000, 10_000_000, 1_000_000, 100_000, 10_000, 1_000, 100, 10, 1
)  # fmt: skip
# Positions of the separators in "YYYY-MM-DDTHH:MM:SS".
_PREFIX_LEN = 19
_DIGIT_SLICES = ((0, 4), (5, 7), (8, 10), (11, 13), (14, 16), (17, 19))
# Bound on the seconds-prefix cache: a live stream touches a few prefixes a second, so
# clearing when full keeps memory bounded (docs/design.md, invariant 2) at no real cost.
_CACHE_MAX = 2048


def _is_digits(text: str) -> bool:
    # str.isdigit() alone accepts non-ASCII digits such as "²" or "٣", which int() would
    # then misread or reject; RFC 3339 digits are ASCII only.
    return text.isascii() and text.isdigit()


def _prefix_seconds(prefix: str) -> int:
    """Epoch seconds of "YYYY-MM-DDTHH:MM:SS" (UTC); ValueError if not a valid instant."""
    if (
        len(prefix) != _PREFIX_LEN
        or prefix[4] != "-"
        or prefix[7] != "-"
        or prefix[10] not in "Tt "  # RFC 3339 section 5.6 allows "t" and a space
        or prefix[13] != ":"
        or prefix[16] != ":"
    ):
        raise ValueError("not an RFC 3339 date-time")
    fields = []
    for start, end in _DIGIT_SLICES:
        part = prefix[start:end]
        if not _is_digits(part):
            raise ValueError("not an RFC 3339 date-time")
        fields.append(int(part))
    year, month, day, hour, minute, second = fields
    # RFC 3339 allows a leap second (":60"); count it as the first instant of the next
    # second rather than rejecting an otherwise valid exchange timestamp.
    leap = 1 if second == 60 else 0
    when = datetime(year, month, day, hour, minute, second - leap, tzinfo=UTC)
    return (when - _EPOCH) // _ONE_SECOND + leap


def _offset_ns(offset: str) -> int:
    """Nanoseconds to subtract for a "+HH:MM" / "-HH:MM" offset; ValueError if malformed."""
    if len(offset) != 6 or offset[0] not in "+-" or offset[3] != ":":
        raise ValueError("bad UTC offset")
    hours, minutes = offset[1:3], offset[4:6]
    if not (_is_digits(hours) and _is_digits(minutes)):
        raise ValueError("bad UTC offset")
    h, m = int(hours), int(minutes)
    if h > 23 or m > 59:
        raise ValueError("bad UTC offset")
    total = (h * 60 + m) * _NS_PER_MIN
    return total if offset[0] == "+" else -total


def _rest_ns(text: str) -> int:
    """Fraction and zone after the seconds ("", ".5Z", ".123-05:00", ...) as UTC ns."""
    rest = text[_PREFIX_LEN:]
    if rest[-1:] in ("Z", "z"):
        body, offset = rest[:-1], 0
    else:
        body = rest[:-6]
        try:
            offset = _offset_ns(rest[-6:])
        except ValueError:
            raise ValueError(f"bad timestamp zone {text[:40]!r}") from None
    if not body:
        return -offset
    fraction = body[1:]
    if body[0] != "." or not _is_digits(fraction):
        raise ValueError(f"bad timestamp fraction {text[:40]!r}")
    # More than nine digits is legal RFC 3339; nanoseconds are all we keep (floor).
    fraction = fraction[:9]
    return int(fraction) * _FRACTION_SCALE[len(fraction)] - offset


def _cache_prefix(cache: dict[str, int], text: str) -> int:
    prefix = text[:_PREFIX_LEN]
    try:
        base = _prefix_seconds(prefix) * _NS_PER_S
    except (ValueError, OverflowError):
        raise ValueError(f"bad timestamp {text[:40]!r}") from None
    if len(cache) >= _CACHE_MAX:
        cache.clear()
    cache[prefix] = base
    return base


def make_rfc3339_parser() -> Callable[[str], int]:
    """A parser (RFC 3339 str -> int ns, ValueError if malformed) with its own cache.

    A closure rather than a class with `__call__`: measured ~40% faster per call, and
    this runs once per market data message. The seconds prefix last seen is checked
    first with `startswith` (no slice, no hash): a live stream stays within one second
    for many messages in a row; the dict catches the rest (issue 16, measured).
    """
    cache: dict[str, int] = {}
    get = cache.get
    scale = _FRACTION_SCALE
    # The last prefix and its seconds (ns): starts as the epoch, a true pair.
    last_prefix = "1970-01-01T00:00:00"
    last_base = 0

    def parse(text: str) -> int:
        nonlocal last_prefix, last_base
        if text.startswith(last_prefix):
            base = last_base
        else:
            prefix = text[:_PREFIX_LEN]
            cached = get(prefix)
            base = _cache_prefix(cache, text) if cached is None else cached
            last_prefix, last_base = prefix, base
        # Fast path, Alpaca's own shape: "...SS[.fffffffff]Z".
        size = len(text)
        if text[-1] == "Z" and size <= 30:
            if size == 30 and text[19] == ".":  # nine digits: no scaling
                fraction = text[20:29]
                if fraction.isascii() and fraction.isdigit():
                    return base + int(fraction)
            elif size == 20:
                return base
            elif text[19] == ".":
                fraction = text[20:-1]
                if fraction.isascii() and fraction.isdigit():
                    return base + int(fraction) * scale[size - 21]
        return base + _rest_ns(text)

    return parse


parse_rfc3339_ns: Callable[[str], int] = make_rfc3339_parser()
"""RFC 3339 `text` -> int ns since the epoch; ValueError if malformed (shared cache)."""


def msgpack_timestamp_ns(payload: Buffer) -> int:
    """Payload of a msgpack Timestamp ext (4, 8 or 12 bytes) -> int ns; ValueError if bad."""
    data = payload if type(payload) is bytes else bytes(payload)
    size = len(data)
    if size == 8:  # timestamp 64: 30-bit nanoseconds over 34-bit seconds
        packed = int.from_bytes(data, "big")
        nanos, seconds = packed >> 34, packed & _SECONDS_34
    elif size == 4:  # timestamp 32: unsigned seconds
        return int.from_bytes(data, "big") * _NS_PER_S
    elif size == 12:  # timestamp 96: uint32 nanoseconds, then signed int64 seconds
        nanos = int.from_bytes(data[:4], "big")
        seconds = int.from_bytes(data[4:], "big", signed=True)
    else:
        raise ValueError(f"msgpack timestamp of {size} bytes (expected 4, 8 or 12)")
    if nanos >= _NS_PER_S:
        raise ValueError("msgpack timestamp nanoseconds out of range")
    return seconds * _NS_PER_S + nanos


def make_wire_stamp(*, msgpack: bool) -> Callable[[Ext | str], int]:
    """A wire `t` (RFC 3339 str, or msgpack Timestamp ext) -> int ns; ValueError if bad.

    JSON frames only ever hold strings, so without `msgpack` the RFC 3339 parser itself
    is returned (one call less per message). An ext hook giving int ns straight from
    msgspec is not possible: msgspec (0.23) decodes ext type -1 itself (to a datetime,
    microseconds only) and never calls `ext_hook` for it, and a `dec_hook` result must
    already be the declared type (tried for issue 16), so the `Ext` is converted here.
    """
    parse_text = make_rfc3339_parser()
    if not msgpack:
        return parse_text  # type: ignore[return-value]  # msgspec.json never yields Ext
    from_bytes = int.from_bytes
    ext = Ext
    timestamp_ext = MSGPACK_TIMESTAMP_EXT

    def stamp(value: Ext | str) -> int:
        # msgpack frames carry Timestamp ext values (type -1), but strings are accepted
        # too (docs/protocol.md: "accept both").
        if type(value) is ext:
            data: bytes = value.data  # type: ignore[assignment]  # bytes when decoded; no cast() call
            # Timestamp 64, the common size, inlined: runs once per message.
            if value.code == timestamp_ext and len(data) == 8:
                packed = from_bytes(data, "big")
                nanos = packed >> 34
                if nanos < _NS_PER_S:
                    return (packed & _SECONDS_34) * _NS_PER_S + nanos
            return _ext_ns(value)
        if type(value) is str:
            return parse_text(value)
        raise ValueError(f"timestamp of type {type(value).__name__}")  # not `Ext | str`

    return stamp


def _ext_ns(value: Ext) -> int:
    if value.code != MSGPACK_TIMESTAMP_EXT:
        raise ValueError(f"msgpack ext type {value.code} where a timestamp (-1) belongs")
    return msgpack_timestamp_ns(cast(bytes, value.data))


def format_rfc3339_ns(ns: int) -> str:
    """Unix ns as RFC 3339 in UTC with `Z`, for REST query times (microseconds kept when
    there are any: Alpaca's query parameters need no more)."""
    seconds, rest = divmod(ns, 1_000_000_000)
    when = datetime.fromtimestamp(seconds, UTC).replace(microsecond=rest // 1000)
    return when.isoformat().replace("+00:00", "Z")
