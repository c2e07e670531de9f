"""engine.protocol.outbound: events back to Alpaca's wire, exactly (round trip through the
client's own FrameDecoder), with Alpaca's field order and `T` first."""

from __future__ import annotations

import json

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.events import (
    Bar,
    BarKind,
    CancelError,
    Connected,
    Correction,
    DecodeError,
    Event,
    Imbalance,
    Luld,
    Quote,
    ServerError,
    Subscription,
    Trade,
    TradingStatus,
    UnknownMessage,
)
from engine.protocol.codec import Encoding
from engine.protocol.decoder import FrameDecoder
from engine.protocol.outbound import (
    CHANNEL_OF,
    channel_of,
    encode_message,
    frame_of,
    message_tag,
    rfc3339_ns,
    route_key,
)

T0 = 1_613_994_704_208_000_000  # 2021-02-22T11:51:44.208Z

TABLE: list[tuple[Event, str, str]] = [
    (Trade("AAPL", 126.55, 1, T0, 96921, "D", ("@", "I"), "C"), "t", "trades"),
    (Quote("AMD", 87.66, 1, 87.68, 4, T0 + 335_689_322, "U", "Q", ("R",), "C"), "q", "quotes"),
    (Bar(BarKind.MINUTE, "SPY", 388.985, 389.13, 388.975, 389.12, 49378, T0, 461, 389.06), "b",
     "bars"),
    (Bar(BarKind.UPDATED, "SPY", 1.0, 2.0, 0.5, 1.5, 10, T0, 3, None), "u", "updatedBars"),
    (Bar(BarKind.DAILY, "SPY", 1.0, 2.0, 0.5, 1.5, 10, T0, 3, 1.2), "d", "dailyBars"),
    (TradingStatus("AAPL", "H", "Trading Halt", "T12", "Info requested", T0, "C"), "s",
     "statuses"),
    (Luld("AAPL", 130.5, 120.25, "B", T0, "C"), "l", "lulds"),
    (Correction("AAPL", "D", 1, 2.5, 3, 4, 5.5, 6, T0, ("@",), ("@", "I"), "C"), "c", "trades"),
    (CancelError("AAPL", 96921, "D", 126.55, 1, "C", T0, "C"), "x", "trades"),
    (Imbalance("AAPL", 126.5, T0, "C"), "i", "statuses"),
]  # fmt: skip


@pytest.mark.parametrize("encoding", list(Encoding))
def test_every_event_type_round_trips_through_the_clients_decoder(encoding: Encoding) -> None:
    events = [event for event, _, _ in TABLE]
    frame = frame_of([encode_message(e, encoding) for e in events], encoding)
    assert FrameDecoder(encoding).decode(frame) == events


@pytest.mark.parametrize(("event", "tag", "channel"), TABLE)
def test_tags_and_channels(event: Event, tag: str, channel: str) -> None:
    assert message_tag(event) == tag
    assert channel_of(event) == channel
    assert route_key(event) == (channel, tag)


def test_channel_of_control_and_unknown_is_none() -> None:
    for event in (Connected(), ServerError(405, "x"), Subscription(), UnknownMessage("z"),
                  DecodeError("bad")):  # fmt: skip
        assert channel_of(event) is None
    assert CHANNEL_OF[Correction] == CHANNEL_OF[CancelError] == "trades"


def test_non_market_event_is_refused_in_words() -> None:
    with pytest.raises(ValueError, match="not a market data event"):
        encode_message(Connected(), Encoding.JSON)


def test_json_matches_alpacas_documented_trade_byte_for_byte() -> None:
    # docs/protocol.md, "Data messages" (time shifted to whole ms; order as documented)
    trade = Trade("AAPL", 126.55, 1, 1_613_994_704_208_000_000, 96921, "D", ("@", "I"), "C")
    assert encode_message(trade, Encoding.JSON) == (
        b'{"T":"t","S":"AAPL","i":96921,"x":"D","p":126.55,"s":1,'
        b'"t":"2021-02-22T11:51:44.208Z","c":["@","I"],"z":"C"}'
    )


def test_quote_keys_in_alpacas_order_with_as_the_ask_size() -> None:
    quote = TABLE[1][0]
    obj = json.loads(encode_message(quote, Encoding.JSON))
    assert list(obj) == ["T", "S", "bx", "bp", "bs", "ax", "ap", "as", "t", "c", "z"]
    assert obj["as"] == 4
    assert obj["ap"] == 87.68
    assert obj["t"] == "2021-02-22T11:51:44.543689322Z"


def test_msgpack_objects_start_with_T_and_carry_timestamp_ext() -> None:
    for event, tag, _ in TABLE:
        obj = msgpack.unpackb(encode_message(event, Encoding.MSGPACK), timestamp=0)
        assert next(iter(obj)) == "T"
        assert obj["T"] == tag
        assert isinstance(obj["t"], msgpack.Timestamp)
        assert obj["t"].to_unix_nano() == event.timestamp_ns  # type: ignore[union-attr]


def test_bar_without_vwap_leaves_vw_out() -> None:
    obj = json.loads(encode_message(TABLE[3][0], Encoding.JSON))
    assert "vw" not in obj
    assert obj["n"] == 3


@pytest.mark.parametrize("count", [0, 1, 15, 16, 65535, 65536])
def test_msgpack_frame_header_sizes(count: int) -> None:
    message = msgpack.packb({"T": "x"})
    frame = frame_of([message] * count, Encoding.MSGPACK)
    assert msgpack.unpackb(frame) == [{"T": "x"}] * count


def test_json_frame_is_an_array() -> None:
    assert frame_of([], Encoding.JSON) == b"[]"
    assert json.loads(frame_of([b'{"a":1}', b'{"b":2}'], Encoding.JSON)) == [{"a": 1}, {"b": 2}]


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (0, "1970-01-01T00:00:00Z"),
        (1, "1970-01-01T00:00:00.000000001Z"),
        (T0 + 500_000_000, "2021-02-22T11:51:44.708Z"),
        (-1, "1969-12-31T23:59:59.999999999Z"),
        (-62_135_596_800 * 10**9, "0001-01-01T00:00:00Z"),  # Go's zero time, padded year
    ],
)
def test_rfc3339_exact(ns: int, text: str) -> None:
    assert rfc3339_ns(ns) == text


_NS = st.integers(min_value=-62_135_596_800 * 10**9, max_value=253_402_300_799 * 10**9)
_PRICE = st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False)
_SIZE = st.integers(min_value=0, max_value=2**53)
_SYM = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ.", min_size=1, max_size=8)
_CODE = st.text(max_size=4)
_CONDS = st.lists(st.text(max_size=2), max_size=4).map(tuple)

_EVENTS = st.one_of(
    st.builds(Trade, _SYM, _PRICE, _SIZE, _NS, st.integers(0, 2**63 - 1), _CODE, _CONDS, _CODE),
    st.builds(Quote, _SYM, _PRICE, _SIZE, _PRICE, _SIZE, _NS, _CODE, _CODE, _CONDS, _CODE),
    st.builds(Bar, st.sampled_from(list(BarKind)), _SYM, _PRICE, _PRICE, _PRICE, _PRICE, _SIZE,
              _NS, _SIZE, st.none() | _PRICE),
    st.builds(TradingStatus, _SYM, _CODE, st.text(max_size=20), _CODE, st.text(max_size=20),
              _NS, _CODE),
    st.builds(Luld, _SYM, _PRICE, _PRICE, _CODE, _NS, _CODE),
    st.builds(Correction, _SYM, _CODE, _SIZE, _PRICE, _SIZE, _SIZE, _PRICE, _SIZE, _NS, _CONDS,
              _CONDS, _CODE),
    st.builds(CancelError, _SYM, _SIZE, _CODE, _PRICE, _SIZE, _CODE, _NS, _CODE),
    st.builds(Imbalance, _SYM, _PRICE, _NS, _CODE),
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(events=st.lists(_EVENTS, min_size=1, max_size=20), encoding=st.sampled_from(Encoding))
def test_round_trip_property(events: list[Event], encoding: Encoding) -> None:
    frame = frame_of([encode_message(e, encoding) for e in events], encoding)
    assert FrameDecoder(encoding).decode(frame) == events
