"""The per-message fast paths of engine.protocol.timestamps (issue 16) give exactly what
the general parser gives: the last-seen seconds prefix, nine-digit fractions without
scaling, and the msgpack wire stamp's inlined timestamp 64."""

from __future__ import annotations

import calendar
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from msgspec.msgpack import Ext

from engine.protocol.timestamps import make_rfc3339_parser, make_wire_stamp

NS = 1_000_000_000
BASE_S = calendar.timegm((2021, 2, 22, 15, 51, 45))


def _text(seconds: int, fraction: str = "", zone: str = "Z") -> str:
    head = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    return head + (f".{fraction}" if fraction else "") + zone


def test_same_second_then_another_then_back_stays_exact() -> None:
    parse = make_rfc3339_parser()
    seq = [
        (_text(BASE_S, "000000001"), BASE_S * NS + 1),
        (_text(BASE_S, "999999999"), BASE_S * NS + 999_999_999),
        (_text(BASE_S + 1, "5"), (BASE_S + 1) * NS + 500_000_000),
        (_text(BASE_S), BASE_S * NS),
        (_text(BASE_S + 86_400, "123456789"), (BASE_S + 86_400) * NS + 123_456_789),
        (_text(BASE_S, "123456789"), BASE_S * NS + 123_456_789),
    ]
    for text, expected in seq:
        assert parse(text) == expected, text


def test_the_epoch_start_pair_is_true() -> None:
    # The last-prefix slot starts as the epoch: a real epoch timestamp must parse to 0.
    parse = make_rfc3339_parser()
    assert parse("1970-01-01T00:00:00Z") == 0
    assert parse("1970-01-01T00:00:00.000000007Z") == 7


@pytest.mark.parametrize(
    "bad",
    [
        "2021-02-22T15:51:45.12345678\u0661Z",  # a non-ASCII digit in nine places
        "2021-02-22T15:51:45.+12345678Z",  # int() would take a sign
        "2021-02-22T15:51:45. 12345678Z",  # ... or a space
        "2021-02-22T15:51:45.1234_5678Z",  # ... or an underscore
        "2021-02-22T15:51:45,123456789Z",
        "2021-02-22T15:51:45.Z",
        "2021-02-22T15:51:45.123456789",
    ],
)
def test_fast_path_still_rejects_after_a_good_one(bad: str) -> None:
    parse = make_rfc3339_parser()
    parse("2021-02-22T15:51:45.000000001Z")  # the same seconds prefix is now "last"
    with pytest.raises(ValueError, match="timestamp"):
        parse(bad)
    assert parse("2021-02-22T15:51:45.000000002Z") == BASE_S * NS + 2


def test_a_rejected_prefix_does_not_replace_the_last_good_one() -> None:
    parse = make_rfc3339_parser()
    assert parse(_text(BASE_S, "1")) == BASE_S * NS + 100_000_000
    with pytest.raises(ValueError, match="bad timestamp"):
        parse("2021-02-30T15:51:45Z")  # no 30 February
    assert parse(_text(BASE_S, "2")) == BASE_S * NS + 200_000_000


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 4_000_000_000), st.integers(0, NS - 1), st.integers(0, 9)),
        min_size=1,
        max_size=20,
    )
)
def test_fast_parser_matches_a_fresh_parser_per_text(items: list[tuple[int, int, int]]) -> None:
    parse = make_rfc3339_parser()  # one parser through the whole sequence (warm slots)
    for seconds, nanos, digits in items:
        fraction = f"{nanos:09d}"[:digits]
        text = _text(seconds, fraction)
        assert parse(text) == make_rfc3339_parser()(text)
        scale = 10 ** (9 - digits) if digits else 0
        expected = seconds * NS + (int(fraction) * scale if digits else 0)
        assert parse(text) == expected


def _ext64(seconds: int, nanos: int) -> Ext:
    return Ext(-1, ((nanos << 34) | seconds).to_bytes(8, "big"))


def test_wire_stamp_msgpack_forms_and_errors() -> None:
    stamp = make_wire_stamp(msgpack=True)
    assert stamp(_ext64(BASE_S, 123_456_789)) == BASE_S * NS + 123_456_789
    assert stamp(Ext(-1, BASE_S.to_bytes(4, "big"))) == BASE_S * NS
    assert stamp(Ext(-1, (7).to_bytes(4, "big") + (-5).to_bytes(8, "big", signed=True))) == (
        -5 * NS + 7
    )
    assert stamp(_text(BASE_S, "5")) == BASE_S * NS + 500_000_000  # strings accepted too
    with pytest.raises(ValueError, match="ext type 5"):
        stamp(Ext(5, _ext64(BASE_S, 0).data))
    with pytest.raises(ValueError, match="out of range"):
        stamp(_ext64(BASE_S, NS))  # 30-bit nanoseconds of a second or more
    with pytest.raises(ValueError, match="6 bytes"):
        stamp(Ext(-1, b"\0" * 6))
