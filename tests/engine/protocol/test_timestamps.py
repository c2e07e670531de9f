"""engine.protocol.timestamps: RFC 3339 strings and msgpack Timestamp ext -> exact int ns."""

from __future__ import annotations

import calendar
import struct
from datetime import UTC, datetime, timedelta

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.protocol.timestamps import make_rfc3339_parser, msgpack_timestamp_ns, parse_rfc3339_ns

NS = 1_000_000_000
# 2021-02-22T15:51:45Z, computed independently of the code under test.
BASE_S = calendar.timegm((2021, 2, 22, 15, 51, 45))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-02-22T15:51:45Z", BASE_S * NS),
        ("2021-02-22T15:51:45.3Z", BASE_S * NS + 300_000_000),
        ("2021-02-22T15:51:45.33Z", BASE_S * NS + 330_000_000),
        ("2021-02-22T15:51:45.335Z", BASE_S * NS + 335_000_000),
        ("2021-02-22T15:51:45.3356Z", BASE_S * NS + 335_600_000),
        ("2021-02-22T15:51:45.33568Z", BASE_S * NS + 335_680_000),
        ("2021-02-22T15:51:45.335689Z", BASE_S * NS + 335_689_000),
        ("2021-02-22T15:51:45.3356893Z", BASE_S * NS + 335_689_300),
        ("2021-02-22T15:51:45.33568932Z", BASE_S * NS + 335_689_320),
        # Alpaca's own example: all nine digits survive (no float, no microsecond cut).
        ("2021-02-22T15:51:45.335689322Z", BASE_S * NS + 335_689_322),
        ("2021-02-22T15:51:45.000000001Z", BASE_S * NS + 1),
        ("2021-02-22T15:51:45.999999999Z", BASE_S * NS + 999_999_999),
        # Numeric offsets: local time minus offset is UTC.
        ("2021-02-22T15:51:45+00:00", BASE_S * NS),
        ("2021-02-22T15:51:45-00:00", BASE_S * NS),
        ("2021-02-22T10:51:45-05:00", BASE_S * NS),
        ("2021-02-22T21:21:45.5+05:30", BASE_S * NS + 500_000_000),
        ("2021-02-22T10:51:45.335689322-05:00", BASE_S * NS + 335_689_322),
        ("2021-02-23T00:51:45+09:00", BASE_S * NS),
        # RFC 3339 section 5.6 allows lower-case "t"/"z" and a space separator.
        ("2021-02-22t15:51:45.25z", BASE_S * NS + 250_000_000),
        ("2021-02-22 15:51:45Z", BASE_S * NS),
        # More than nine digits: kept to the nanosecond (floor).
        ("2021-02-22T15:51:45.3356893229Z", BASE_S * NS + 335_689_322),
        ("1970-01-01T00:00:00Z", 0),
        ("1969-12-31T23:59:59.5Z", -500_000_000),
        ("2024-02-29T00:00:00Z", calendar.timegm((2024, 2, 29, 0, 0, 0)) * NS),
        # A leap second counts as the first instant of the next second.
        ("2016-12-31T23:59:60Z", calendar.timegm((2017, 1, 1, 0, 0, 0)) * NS),
    ],
)
def test_rfc3339_exact(text: str, expected: int) -> None:
    assert parse_rfc3339_ns(text) == expected
    assert make_rfc3339_parser()(text) == expected  # a cold cache gives the same answer


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2021",
        "2021-02-22T15:51:45",  # no zone: RFC 3339 requires one
        "2021-02-22T15:51:45.",
        "2021-02-22T15:51:45.Z",
        "2021-02-22T15:51:45.12a4Z",
        "2021-02-22T15:51:45.+1Z",
        "2021-02-22T15:51:45._1Z",
        "2021-02-22T15:51:45. 1Z",
        "2021-02-22T15:51:45.\u0663Z",  # Arabic-Indic digit: int() would accept it
        "2021-02-22T15:51:45.\u00b2Z",  # superscript two: str.isdigit() accepts it
        "2021-02-22T15:51:45+0500",
        "2021-02-22T15:51:45+24:00",
        "2021-02-22T15:51:45+05:60",
        "2021-02-22T15:51:45*05:00",
        "2021-02-22T15:51:45Zjunk",
        "2021-13-22T15:51:45Z",
        "2021-02-30T15:51:45Z",
        "2021-02-22T24:00:00Z",
        "2021-02-22T15:61:45Z",
        "2021-02-22T15:51:61Z",
        "0000-01-01T00:00:00Z",
        "2021/02/22T15:51:45Z",
        "2021-02-22X15:51:45Z",
        "+021-02-22T15:51:45Z",
        "2021-0\u0662-22T15:51:45Z",
        "2021-02-22T15:51:45.1234567890123Zz",
    ],
)
def test_rfc3339_rejects_with_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="timestamp"):
        parse_rfc3339_ns(text)


def test_rfc3339_cache_is_bounded_and_stays_correct() -> None:
    parse = make_rfc3339_parser()
    start = datetime(2021, 2, 22, tzinfo=UTC)
    for second in range(5000):  # more distinct prefixes than the cache holds
        moment = start + timedelta(seconds=second)
        text = moment.strftime("%Y-%m-%dT%H:%M:%S") + ".000000007Z"
        assert parse(text) == calendar.timegm(moment.timetuple()) * NS + 7


def _format_ns(ns: int, digits: int) -> str:
    seconds, nanos = divmod(ns, NS)
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
    head = (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T"
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
    )
    if digits == 0:
        return head + "Z"
    return head + "." + f"{nanos:09d}"[:digits] + "Z"


# Year 0001 .. 9999: everything RFC 3339 can write.
MIN_NS = calendar.timegm((1, 1, 1, 0, 0, 0)) * NS
MAX_NS = calendar.timegm((9999, 12, 31, 23, 59, 59)) * NS + NS - 1


@settings(max_examples=300, deadline=None, database=None)
@given(ns=st.integers(MIN_NS, MAX_NS), digits=st.integers(0, 9))
def test_rfc3339_round_trip_property(ns: int, digits: int) -> None:
    truncated = ns - ns % 10 ** (9 - digits)  # Python's % floors, also before 1970
    assert parse_rfc3339_ns(_format_ns(ns, digits)) == truncated


# --- msgpack Timestamp extension (type -1): 32, 64 and 96-bit payloads -----------------


def test_msgpack_timestamp_32() -> None:
    payload = struct.pack(">I", BASE_S)
    assert msgpack_timestamp_ns(payload) == BASE_S * NS


def test_msgpack_timestamp_64_keeps_nanoseconds() -> None:
    payload = struct.pack(">Q", (335_689_322 << 34) | BASE_S)
    assert msgpack_timestamp_ns(payload) == BASE_S * NS + 335_689_322


def test_msgpack_timestamp_96_signed_seconds() -> None:
    assert msgpack_timestamp_ns(struct.pack(">Iq", 7, BASE_S)) == BASE_S * NS + 7
    assert msgpack_timestamp_ns(struct.pack(">Iq", 500_000_000, -1)) == -500_000_000
    far = 2**40  # beyond 34 bits: only the 96-bit form can say it
    assert msgpack_timestamp_ns(struct.pack(">Iq", 1, far)) == far * NS + 1


def test_msgpack_timestamp_accepts_memoryview() -> None:
    payload = memoryview(struct.pack(">Q", (5 << 34) | BASE_S))
    assert msgpack_timestamp_ns(payload) == BASE_S * NS + 5


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        (b"", "0 bytes"),
        (b"\x00" * 5, "5 bytes"),
        (b"\x00" * 16, "16 bytes"),
        (struct.pack(">Q", (NS << 34) | 1), "out of range"),
        (struct.pack(">Iq", NS, 1), "out of range"),
    ],
)
def test_msgpack_timestamp_rejects(payload: bytes, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        msgpack_timestamp_ns(payload)


def _ext_payload(packed: bytes) -> bytes:
    """The payload of a packed msgpack Timestamp, read from its header by hand."""
    header = {0xD6: 2, 0xD7: 2, 0xC7: 3}[packed[0]]  # fixext4, fixext8, ext8
    assert packed[header - 1] == 0xFF  # type -1
    return packed[header:]


@pytest.mark.parametrize(
    ("ns", "size"),
    [(BASE_S * NS, 4), (BASE_S * NS + 335_689_322, 8), (-1, 12), (2**35 * NS, 12)],
)
def test_msgpack_package_sizes(ns: int, size: int) -> None:
    payload = _ext_payload(msgpack.packb(msgpack.Timestamp.from_unix_nano(ns)))
    assert len(payload) == size
    assert msgpack_timestamp_ns(payload) == ns


@settings(max_examples=300, deadline=None, database=None)
@given(ns=st.integers(-(2**63) + 1, 2**63 - 1))
def test_msgpack_timestamp_matches_msgpack_package(ns: int) -> None:
    # msgpack-python picks the smallest of the three sizes; all must round-trip exactly.
    payload = _ext_payload(msgpack.packb(msgpack.Timestamp.from_unix_nano(ns)))
    assert msgpack_timestamp_ns(payload) == ns


def test_format_for_rest_queries_round_trips_at_microseconds() -> None:
    from engine.protocol.timestamps import format_rfc3339_ns, parse_rfc3339_ns

    assert format_rfc3339_ns(1_700_000_000 * 10**9) == "2023-11-14T22:13:20Z"
    ns = 1_700_000_000 * 10**9 + 123_456_789
    assert format_rfc3339_ns(ns) == "2023-11-14T22:13:20.123456Z"
    assert parse_rfc3339_ns(format_rfc3339_ns(ns)) == ns - 789
