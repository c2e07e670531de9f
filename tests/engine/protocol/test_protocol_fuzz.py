"""Property tests for engine.protocol: any input in, a list of events out, never a raise."""

from __future__ import annotations

import calendar
import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import msgpack
import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import events as ev
from engine.protocol import AlpacaSession, Encoding, FrameDecoder

EVENT_TYPES = tuple(
    getattr(ev, name)
    for name in ev.__dict__
    if isinstance(getattr(ev, name), type) and issubclass(getattr(ev, name), msgspec.Struct)
)
FUZZ = settings(
    max_examples=250,
    deadline=None,  # the machine is noisy: no timing in tests
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
JSON_DECODER = FrameDecoder(Encoding.JSON)
MSGPACK_DECODER = FrameDecoder(Encoding.MSGPACK)
KNOWN_TAGS = ["success", "error", "subscription", "t", "q", "b", "d", "u", "s", "l", "c", "x", "i"]
KEYS = ["T", "S", "p", "s", "t", "i", "x", "c", "z", "bp", "bs", "ap", "as", "bx", "ax", "o",
        "h", "l", "v", "n", "vw", "sc", "sm", "rc", "rm", "u", "d", "oi", "op", "os", "oc",
        "ci", "cp", "cs", "cc", "a", "msg", "code", "trades", "quotes", "bars", "updatedBars",
        "dailyBars", "statuses", "lulds", "corrections", "cancelErrors"]  # fmt: skip


def assert_events(result: object, expected_len: int | None = None) -> None:
    assert isinstance(result, list)
    assert all(isinstance(item, EVENT_TYPES) for item in result)
    if expected_len is not None:
        # One event per message, whatever the message holds.
        assert len(result) == expected_len


# --- arbitrary bytes and text ----------------------------------------------------------


@FUZZ
@given(st.binary(max_size=512))
def test_arbitrary_bytes(raw: bytes) -> None:
    assert_events(JSON_DECODER.decode(raw))
    assert_events(MSGPACK_DECODER.decode(raw))
    assert_events(AlpacaSession(Encoding.MSGPACK).receive(raw))


@FUZZ
@given(st.text(max_size=512))
def test_arbitrary_text(text: str) -> None:
    assert_events(JSON_DECODER.decode(text))
    assert_events(MSGPACK_DECODER.decode(text))  # str frames are read as JSON
    assert_events(AlpacaSession().receive(text))


@FUZZ
@given(st.text(alphabet='[]{}",:0123456789.-eE truefalsnTtSpqZ\\', max_size=256))
def test_json_like_text(text: str) -> None:
    assert_events(JSON_DECODER.decode(text))


# --- arbitrary structures, including lists of messages with random T -------------------

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(["2021-02-22T15:51:45.335689322Z", "2021-02-22T19:15:00Z", "AAPL", ""])
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=20,
)
messages = st.dictionaries(
    st.sampled_from(KEYS) | st.text(max_size=4), json_values, max_size=12
).flatmap(
    lambda d: st.one_of(st.sampled_from(KNOWN_TAGS), st.text(max_size=6), json_values).map(
        lambda tag: {"T": tag, **d}
    )
)
frames = st.lists(messages | json_values, max_size=8)


def _to_json(value: Any) -> str:
    return json.dumps(value, allow_nan=True)  # NaN/Infinity are invalid JSON: also tested


@settings(FUZZ, max_examples=100)
@given(frames)
def test_arbitrary_json_structures(frame: list[Any]) -> None:
    text = _to_json(frame)
    events = JSON_DECODER.decode(text)
    has_nan = any(w in text for w in ("NaN", "Infinity"))
    assert_events(events, None if has_nan else len(frame))
    assert_events(JSON_DECODER.decode(text.encode()))


@FUZZ
@given(json_values)
def test_arbitrary_json_top_level(value: Any) -> None:
    assert_events(JSON_DECODER.decode(_to_json(value)))


# Timestamp ext (-1) payloads of every length, valid or not, and other ext types.
ext_values = st.builds(
    msgspec.msgpack.Ext,
    st.sampled_from([-1, -1, -1, 0, 5, 127, -128]),
    st.binary(max_size=16) | st.sampled_from([b"\x00" * 4, b"\x01" * 8, b"\xff" * 12]),
)
msgpack_values = st.recursive(
    scalars | st.binary(max_size=16) | ext_values,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=5) | st.integers(-5, 5), inner, max_size=4)
    ),
    max_leaves=20,
)
msgpack_messages = st.dictionaries(
    st.sampled_from(KEYS) | st.text(max_size=4), msgpack_values, max_size=12
).flatmap(
    lambda d: st.one_of(st.sampled_from(KNOWN_TAGS), st.text(max_size=6), msgpack_values).map(
        lambda tag: {"T": tag, **d}
    )
)


def _pack(value: Any) -> bytes:
    # msgspec's encoder (msgpack-python refuses ext type -1 in ExtType); the round-trip
    # tests below use msgpack-python's Timestamp, so both encoders feed the decoder.
    return msgspec.msgpack.encode(value)


@settings(FUZZ, max_examples=100)
@given(st.lists(msgpack_messages | msgpack_values, max_size=8))
def test_arbitrary_msgpack_structures(frame: list[Any]) -> None:
    assert_events(MSGPACK_DECODER.decode(_pack(frame)), len(frame))


@FUZZ
@given(msgpack_values)
def test_arbitrary_msgpack_top_level(value: Any) -> None:
    assert_events(MSGPACK_DECODER.decode(_pack(value)))


# Documented examples (docs/protocol.md) to mutate one field at a time: these reach the
# typed validation paths far more often than free-form structures do.
EXAMPLES: list[dict[str, Any]] = [
    {"T": "t", "S": "AAPL", "i": 96921, "x": "D", "p": 126.55, "s": 1,
     "t": "2021-02-22T15:51:44.208Z", "c": ["@", "I"], "z": "C"},
    {"T": "q", "S": "AMD", "bx": "U", "bp": 87.66, "bs": 1, "ax": "Q", "ap": 87.68, "as": 4,
     "t": "2021-02-22T15:51:45.335689322Z", "c": ["R"], "z": "C"},
    {"T": "b", "S": "SPY", "o": 388.985, "h": 389.13, "l": 388.975, "c": 389.12, "v": 49378,
     "t": "2021-02-22T19:15:00Z", "n": 461, "vw": 389.062639},
    {"T": "s", "S": "AAPL", "sc": "H", "sm": "Trading Halt", "rc": "T12", "rm": "x",
     "t": "2021-02-22T19:15:00Z", "z": "C"},
    {"T": "l", "S": "VOO", "u": 353.03, "d": 319.43, "i": "B", "t": "2021-02-22T19:15:00Z"},
    {"T": "c", "S": "EEM", "x": "M", "oi": 5, "op": 39.1, "os": 13, "oc": [" "], "ci": 6,
     "cp": 39.2, "cs": 14, "cc": ["@"], "z": "B", "t": "2021-02-22T15:51:44.208Z"},
    {"T": "x", "S": "AAPL", "i": 96921, "x": "D", "p": 126.55, "s": 1, "a": "C",
     "t": "2021-02-22T15:51:44.208Z", "z": "C"},
    {"T": "i", "S": "IBM", "p": 128.5, "z": "A", "t": "2021-02-22T19:15:00Z"},
    {"T": "subscription", "trades": ["AAPL"], "quotes": [], "bars": None},
    {"T": "error", "code": 406, "msg": "connection limit exceeded"},
    {"T": "success", "msg": "connected"},
]  # fmt: skip
mutations = st.tuples(
    st.sampled_from(EXAMPLES),
    st.sampled_from(KEYS),
    st.one_of(st.just(...), scalars, json_values),  # ... = delete the key
)


def _mutate(mutation: tuple[dict[str, Any], str, Any]) -> dict[str, Any]:
    example, key, value = mutation
    mutated = dict(example)
    if value is ...:
        mutated.pop(key, None)
    else:
        mutated[key] = value
    return mutated


@FUZZ
@given(st.lists(mutations, min_size=1, max_size=6))
def test_mutated_examples(batch: list[tuple[dict[str, Any], str, Any]]) -> None:
    guard = EXAMPLES[0]  # a valid trade after every mutant: it must always survive
    frame: list[Any] = []
    for mutation in batch:
        frame += [_mutate(mutation), guard]
    text = _to_json(frame)
    decoded = [MSGPACK_DECODER.decode(_pack(frame))]
    if "NaN" not in text and "Infinity" not in text:  # else invalid JSON: msgpack only
        decoded.append(JSON_DECODER.decode(text))
    for events in decoded:
        assert_events(events, len(frame))
        assert all(isinstance(e, ev.Trade) for e in events[1::2])


# --- valid trades and quotes round-trip exactly ----------------------------------------

NS = 1_000_000_000
MIN_NS = calendar.timegm((1970, 1, 1, 0, 0, 0)) * NS
MAX_NS = calendar.timegm((2100, 12, 31, 23, 59, 59)) * NS + NS - 1
prices = st.floats(min_value=0.0, max_value=1e12, allow_nan=False, allow_infinity=False)
sizes = st.integers(0, 2**63 - 1)
symbols = st.text(min_size=1, max_size=12)


def _rfc3339(ns: int) -> str:
    seconds, nanos = divmod(ns, NS)
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{nanos:09d}Z"


def _wire_frames(
    messages: list[dict[str, Any]], ns: list[int]
) -> list[tuple[str | bytes, FrameDecoder]]:
    """The same messages as a JSON frame (RFC 3339 `t`) and a msgpack one (Timestamp ext)."""
    as_json = [{**m, "t": _rfc3339(n)} for m, n in zip(messages, ns, strict=True)]
    as_msgpack = [
        {**m, "t": msgpack.Timestamp.from_unix_nano(n)} for m, n in zip(messages, ns, strict=True)
    ]
    packed: bytes = msgpack.packb(as_msgpack)
    return [(json.dumps(as_json), JSON_DECODER), (packed, MSGPACK_DECODER)]


trades = st.tuples(symbols, prices, sizes, st.integers(MIN_NS, MAX_NS))
quotes = st.tuples(symbols, prices, sizes, prices, sizes, st.integers(MIN_NS, MAX_NS))


@FUZZ
@given(st.lists(trades, min_size=1, max_size=10))
def test_trades_round_trip_exactly(generated: list[tuple[str, float, int, int]]) -> None:
    wire = [{"T": "t", "S": s, "p": p, "s": z} for s, p, z, _ in generated]
    for raw, decoder in _wire_frames(wire, [g[3] for g in generated]):
        decoded = decoder.decode(raw)
        assert decoded == [ev.Trade(s, p, z, n) for s, p, z, n in generated]


@FUZZ
@given(st.lists(quotes, min_size=1, max_size=10))
def test_quotes_round_trip_exactly(
    generated: list[tuple[str, float, int, float, int, int]],
) -> None:
    wire = [
        {"T": "q", "S": s, "bp": bp, "bs": bs, "ap": ap, "as": az}
        for s, bp, bs, ap, az, _ in generated
    ]
    expected = [ev.Quote(s, bp, bs, ap, az, n) for s, bp, bs, ap, az, n in generated]
    for raw, decoder in _wire_frames(wire, [g[5] for g in generated]):
        decoded = decoder.decode(raw)
        assert decoded == expected
        for got, want in zip(decoded, expected, strict=True):
            assert isinstance(got, ev.Quote)
            # Exactness, not closeness: the same float bits and the same integer ns.
            assert math.copysign(1, got.bid_price) == math.copysign(1, want.bid_price)
            assert got.timestamp_ns == want.timestamp_ns
