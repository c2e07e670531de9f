"""engine.protocol: byte-string frames in, typed events out; actions in, frames out."""

from __future__ import annotations

import calendar
import json
import struct
from typing import Any

import msgpack
import msgspec
import pytest

from engine.events import (
    Authenticated,
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
from engine.protocol import (
    AlpacaSession,
    Encoding,
    ErrorAction,
    ErrorPolicy,
    FrameDecoder,
    HandshakeState,
    classify_error,
    encode_auth,
    encode_subscribe,
    encode_unsubscribe,
)

NS = 1_000_000_000
T_1544 = calendar.timegm((2021, 2, 22, 15, 51, 44)) * NS  # independent of the code under test
T_1545 = calendar.timegm((2021, 2, 22, 15, 51, 45)) * NS
T_1915 = calendar.timegm((2021, 2, 22, 19, 15, 0)) * NS

# Alpaca's documented examples (docs/protocol.md), with the timestamp they mean in ns.
TRADE = {"T": "t", "S": "AAPL", "i": 96921, "x": "D", "p": 126.55, "s": 1,
         "t": "2021-02-22T15:51:44.208Z", "c": ["@", "I"], "z": "C"}  # fmt: skip
TRADE_NS = T_1544 + 208_000_000
QUOTE = {"T": "q", "S": "AMD", "bx": "U", "bp": 87.66, "bs": 1, "ax": "Q", "ap": 87.68,
         "as": 4, "t": "2021-02-22T15:51:45.335689322Z", "c": ["R"], "z": "C"}  # fmt: skip
QUOTE_NS = T_1545 + 335_689_322
BAR = {"T": "b", "S": "SPY", "o": 388.985, "h": 389.13, "l": 388.975, "c": 389.12,
       "v": 49378, "t": "2021-02-22T19:15:00Z", "n": 461, "vw": 389.062639}  # fmt: skip
STATUS = {"T": "s", "S": "AAPL", "sc": "H", "sm": "Trading Halt", "rc": "T12",
          "rm": "Trading Halted; For information requested by NASDAQ",
          "t": "2021-02-22T19:15:00Z", "z": "C"}  # fmt: skip
LULD = {"T": "l", "S": "VOO", "u": 353.03, "d": 319.43, "i": "B",
        "t": "2021-02-22T19:15:00Z", "z": "P"}  # fmt: skip
CORRECTION = {"T": "c", "S": "EEM", "x": "M", "oi": 52983525033527, "op": 39.1, "os": 13,
              "oc": [" ", "I"], "ci": 52983525034000, "cp": 39.2, "cs": 14, "cc": ["@"],
              "z": "B", "t": "2021-02-22T15:51:44.208Z"}  # fmt: skip
CANCEL = {"T": "x", "S": "AAPL", "i": 96921, "x": "D", "p": 126.55, "s": 1, "a": "C",
          "t": "2021-02-22T15:51:44.208Z", "z": "C"}  # fmt: skip
IMBALANCE = {"T": "i", "S": "IBM", "p": 128.5, "z": "A", "t": "2021-02-22T19:15:00Z",
             "extra": {"nested": [1, 2]}}  # fmt: skip

BOTH = pytest.mark.parametrize("encoding", [Encoding.JSON, Encoding.MSGPACK])


def _ts_ns(text: str) -> int:
    """Test-side RFC 3339 -> ns for the fixed examples above (UTC 'Z' only)."""
    head, _, frac = text.rstrip("Z").partition(".")
    date, time = head.split("T")
    fields = [int(x) for x in date.split("-") + time.split(":")]
    return calendar.timegm(tuple(fields)) * NS + int((frac or "0").ljust(9, "0"))


def frame(encoding: Encoding, *messages: Any, ext_timestamps: bool = True) -> str | bytes:
    """A server frame: JSON text, or msgpack bytes with `t` as Timestamp ext values."""
    if encoding == Encoding.JSON:
        return json.dumps(list(messages))
    converted: list[Any] = []
    for message in messages:
        stamp = message.get("t") if isinstance(message, dict) else None
        if ext_timestamps and isinstance(stamp, str) and stamp.endswith("Z"):
            ts = msgpack.Timestamp.from_unix_nano(_ts_ns(stamp))
            message = {**message, "t": ts}
        converted.append(message)
    packed: bytes = msgpack.packb(converted)
    return packed


def decode(encoding: Encoding, *messages: Any) -> list[Event]:
    return FrameDecoder(encoding).decode(frame(encoding, *messages))


# --- control messages ----------------------------------------------------------------


@BOTH
def test_connected_and_authenticated(encoding: Encoding) -> None:
    assert decode(encoding, {"T": "success", "msg": "connected"}) == [Connected()]
    assert decode(encoding, {"T": "success", "msg": "authenticated"}) == [Authenticated()]


@BOTH
def test_unknown_success_msg_is_a_decode_error(encoding: Encoding) -> None:
    [event] = decode(encoding, {"T": "success", "msg": "rebooting"})
    assert event == DecodeError("unknown success msg 'rebooting'", "success")


@BOTH
@pytest.mark.parametrize(
    "code", [400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 500, 999]
)
def test_server_error(encoding: Encoding, code: int) -> None:
    [event] = decode(encoding, {"T": "error", "code": code, "msg": "some text"})
    assert event == ServerError(code, "some text")


@BOTH
def test_server_error_without_msg(encoding: Encoding) -> None:
    assert decode(encoding, {"T": "error", "code": 406}) == [ServerError(406, "")]


@BOTH
def test_full_subscription(encoding: Encoding) -> None:
    message = {"T": "subscription", "trades": ["AAPL"], "quotes": ["AMD", "CLDR"],
               "bars": ["*"], "updatedBars": [], "dailyBars": ["VOO"], "statuses": ["*"],
               "lulds": [], "corrections": ["AAPL"], "cancelErrors": ["AAPL"]}  # fmt: skip
    assert decode(encoding, message) == [
        Subscription(
            trades=frozenset({"AAPL"}),
            quotes=frozenset({"AMD", "CLDR"}),
            bars=frozenset({"*"}),
            daily_bars=frozenset({"VOO"}),
            statuses=frozenset({"*"}),
            corrections=frozenset({"AAPL"}),
            cancel_errors=frozenset({"AAPL"}),
        )
    ]


@BOTH
def test_short_subscription_of_the_test_stream(encoding: Encoding) -> None:
    message = {"T": "subscription", "trades": [], "quotes": ["FAKEPACA"], "bars": ["FAKEPACA"]}
    assert decode(encoding, message) == [
        Subscription(quotes=frozenset({"FAKEPACA"}), bars=frozenset({"FAKEPACA"}))
    ]


@BOTH
def test_subscription_with_null_missing_and_unknown_channels(encoding: Encoding) -> None:
    message = {"T": "subscription", "trades": None, "quotes": ["A"], "lulds": None,
               "orderbooks": ["B"], "news": None}  # fmt: skip
    assert decode(encoding, message) == [Subscription(quotes=frozenset({"A"}))]
    assert decode(encoding, {"T": "subscription"}) == [Subscription()]


# --- market data ----------------------------------------------------------------------


@BOTH
def test_trade(encoding: Encoding) -> None:
    assert decode(encoding, TRADE) == [
        Trade("AAPL", 126.55, 1, TRADE_NS, 96921, "D", ("@", "I"), "C")
    ]


@BOTH
def test_quote_as_is_the_ask_size(encoding: Encoding) -> None:
    [quote] = decode(encoding, QUOTE)
    assert quote == Quote("AMD", 87.66, 1, 87.68, 4, QUOTE_NS, "U", "Q", ("R",), "C")
    assert isinstance(quote, Quote)
    assert quote.ask_size == 4
    assert quote.timestamp_ns % NS == 335_689_322  # all nine digits kept


@BOTH
@pytest.mark.parametrize(
    ("tag", "kind"), [("b", BarKind.MINUTE), ("d", BarKind.DAILY), ("u", BarKind.UPDATED)]
)
def test_bars(encoding: Encoding, tag: str, kind: BarKind) -> None:
    assert decode(encoding, {**BAR, "T": tag}) == [
        Bar(kind, "SPY", 388.985, 389.13, 388.975, 389.12, 49378, T_1915, 461, 389.062639)
    ]


@BOTH
def test_bar_without_optional_fields(encoding: Encoding) -> None:
    bar = {k: v for k, v in BAR.items() if k not in ("n", "vw")}
    assert decode(encoding, bar) == [
        Bar(BarKind.MINUTE, "SPY", 388.985, 389.13, 388.975, 389.12, 49378, T_1915, 0, None)
    ]


@BOTH
def test_trading_status(encoding: Encoding) -> None:
    [status] = decode(encoding, STATUS)
    assert status == TradingStatus(
        "AAPL", "H", "Trading Halt", "T12",
        "Trading Halted; For information requested by NASDAQ", T_1915, "C",
    )  # fmt: skip
    assert isinstance(status, TradingStatus)
    assert status.is_halt


@BOTH
def test_luld(encoding: Encoding) -> None:
    assert decode(encoding, LULD) == [Luld("VOO", 353.03, 319.43, "B", T_1915, "P")]


@BOTH
def test_correction(encoding: Encoding) -> None:
    assert decode(encoding, CORRECTION) == [
        Correction("EEM", "M", 52983525033527, 39.1, 13, 52983525034000, 39.2, 14,
                   TRADE_NS, (" ", "I"), ("@",), "B")
    ]  # fmt: skip


@BOTH
def test_cancel_error(encoding: Encoding) -> None:
    assert decode(encoding, CANCEL) == [
        CancelError("AAPL", 96921, "D", 126.55, 1, "C", TRADE_NS, "C")
    ]


@BOTH
def test_imbalance_with_unknown_keys(encoding: Encoding) -> None:
    assert decode(encoding, IMBALANCE) == [Imbalance("IBM", 128.5, T_1915, "A")]


@BOTH
def test_unknown_keys_and_null_conditions_are_tolerated(encoding: Encoding) -> None:
    trade = {**TRADE, "c": None, "new_field": {"a": [1, None]}, "u": "x"}
    assert decode(encoding, trade) == [Trade("AAPL", 126.55, 1, TRADE_NS, 96921, "D", (), "C")]


@BOTH
def test_mixed_batch_keeps_order(encoding: Encoding) -> None:
    events = decode(encoding, QUOTE, TRADE, BAR, STATUS, LULD, CORRECTION, CANCEL, IMBALANCE)
    kinds = [type(e) for e in events]
    assert kinds == [Quote, Trade, Bar, TradingStatus, Luld, Correction, CancelError, Imbalance]


@BOTH
def test_empty_array_is_no_events(encoding: Encoding) -> None:
    assert decode(encoding) == []


def test_msgpack_string_timestamps_are_accepted() -> None:
    raw = frame(Encoding.MSGPACK, QUOTE, ext_timestamps=False)
    assert FrameDecoder(Encoding.MSGPACK).decode(raw)[0] == decode(Encoding.JSON, QUOTE)[0]


def test_json_numeric_offset_timestamp() -> None:
    trade = {**TRADE, "t": "2021-02-22T10:51:44.208-05:00"}
    [event] = decode(Encoding.JSON, trade)
    assert isinstance(event, Trade)
    assert event.timestamp_ns == TRADE_NS


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (struct.pack(">I", T_1545 // NS), T_1545),  # timestamp 32
        (struct.pack(">Q", (335_689_322 << 34) | (T_1545 // NS)), QUOTE_NS),  # timestamp 64
        (struct.pack(">Iq", 335_689_322, T_1545 // NS), QUOTE_NS),  # timestamp 96
    ],
)
def test_msgpack_timestamp_ext_all_sizes(payload: bytes, expected: int) -> None:
    quote = {**QUOTE, "t": msgspec.msgpack.Ext(-1, payload)}
    [event] = FrameDecoder(Encoding.MSGPACK).decode(msgspec.msgpack.encode([quote]))
    assert isinstance(event, Quote)
    assert event.timestamp_ns == expected


def test_str_frame_is_json_even_for_a_msgpack_decoder() -> None:
    decoder = FrameDecoder(Encoding.MSGPACK)
    assert decoder.decode(json.dumps([TRADE])) == decode(Encoding.JSON, TRADE)


def test_json_bytes_frame() -> None:
    assert FrameDecoder().decode(json.dumps([TRADE]).encode()) == decode(Encoding.JSON, TRADE)


# --- one bad message costs only itself --------------------------------------------------

NAN, INF = float("nan"), float("inf")
# (message, reason fragment, type_tag, symbol) for both encodings.
BAD_MESSAGES: list[tuple[Any, str, str | None, str | None]] = [
    ({"S": "AAPL", "p": 1.0}, "no T", None, "AAPL"),
    ({"T": 5, "S": "AAPL"}, "T is not a string (got int)", None, "AAPL"),
    ({"T": None}, "no T", None, None),
    ({k: v for k, v in TRADE.items() if k != "p"}, "missing required field `p`", "t", "AAPL"),
    ({k: v for k, v in QUOTE.items() if k != "as"}, "missing required field `as`", "q", "AMD"),
    ({k: v for k, v in TRADE.items() if k != "t"}, "missing required field `t`", "t", "AAPL"),
    ({**TRADE, "p": "126.55"}, "Expected `float`, got `str`", "t", "AAPL"),
    ({**TRADE, "s": 1.5}, "Expected `int`, got `float`", "t", "AAPL"),
    ({**TRADE, "p": -0.01}, ">= 0.0", "t", "AAPL"),
    ({**QUOTE, "bs": -1}, ">= 0", "q", "AMD"),
    ({**BAR, "v": -5}, ">= 0", "b", "SPY"),
    ({**TRADE, "S": ""}, "length >= 1", "t", ""),
    ({**TRADE, "S": 7}, "Expected `str`, got `int`", "t", None),
    ({**TRADE, "c": "@"}, "Expected `array | null`", "t", "AAPL"),
    ({**TRADE, "t": "yesterday"}, "bad timestamp", "t", "AAPL"),
    ({**TRADE, "t": 1613994705}, "Expected", "t", "AAPL"),
    ({"T": "error", "code": "402", "msg": "auth failed"}, "Expected `int`, got `str`", "error",
     None),
    ({"T": "subscription", "trades": "AAPL"}, "Expected `array | null`", "subscription", None),
    (5, "not an object", None, None),
    ("t", "not an object", None, None),
    ([TRADE], "not an object", None, None),
    (None, "not an object", None, None),
]  # fmt: skip


@BOTH
@pytest.mark.parametrize(("bad", "reason", "tag", "symbol"), BAD_MESSAGES)
def test_bad_message_costs_only_itself(
    encoding: Encoding, bad: Any, reason: str, tag: str | None, symbol: str | None
) -> None:
    before, after = {**TRADE, "i": 1}, {**QUOTE, "S": "MSFT"}
    events = decode(encoding, before, bad, after)
    assert len(events) == 3
    assert isinstance(events[0], Trade)
    assert events[0].trade_id == 1
    assert isinstance(events[2], Quote)
    assert events[2].symbol == "MSFT"
    error = events[1]
    assert isinstance(error, DecodeError)
    assert reason in error.reason
    assert len(error.reason) <= 160
    assert error.type_tag == tag
    assert error.symbol == symbol


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("p", NAN, ">= 0.0"),
        ("p", INF, "<= 1.797"),
        ("p", -INF, ">= 0.0"),
    ],
)
def test_msgpack_nan_and_inf_prices(field: str, value: float, reason: str) -> None:
    # JSON cannot spell NaN/inf (see below); msgpack floats can.
    events = decode(Encoding.MSGPACK, TRADE, {**TRADE, field: value})
    assert isinstance(events[0], Trade)
    assert isinstance(events[1], DecodeError)
    assert reason in events[1].reason
    assert (events[1].type_tag, events[1].symbol) == ("t", "AAPL")


def test_json_out_of_range_number_costs_only_its_message() -> None:
    text = (
        '[{"T":"t","S":"AAPL","p":1e999,"s":1,"t":"2021-02-22T15:51:44Z"},'
        + json.dumps(TRADE)
        + "]"
    )
    events = FrameDecoder().decode(text)
    assert isinstance(events[0], DecodeError)
    assert "out of range" in events[0].reason
    assert isinstance(events[1], Trade)


@pytest.mark.parametrize(
    ("ext", "reason"),
    [
        (msgspec.msgpack.Ext(5, b"\x00" * 8), "ext type 5"),
        (msgspec.msgpack.Ext(-1, b"\x00" * 5), "5 bytes"),
        (msgspec.msgpack.Ext(-1, struct.pack(">Q", NS << 34)), "out of range"),
    ],
)
def test_msgpack_bad_timestamp_ext(ext: msgspec.msgpack.Ext, reason: str) -> None:
    raw = msgspec.msgpack.encode([{**TRADE, "t": ext}, QUOTE])
    events = FrameDecoder(Encoding.MSGPACK).decode(raw)
    assert isinstance(events[0], DecodeError)
    assert reason in events[0].reason
    assert (events[0].type_tag, events[0].symbol) == ("t", "AAPL")
    assert isinstance(events[1], Quote)


@BOTH
def test_unknown_type_is_counted_not_an_error(encoding: Encoding) -> None:
    events = decode(encoding, {"T": "n", "S": "AAPL", "headline": "x"}, TRADE, {"T": "zz"})
    assert events[0] == UnknownMessage("n", "AAPL")
    assert isinstance(events[1], Trade)
    assert events[2] == UnknownMessage("zz", None)


def test_long_tag_and_symbol_are_clipped() -> None:
    events = decode(Encoding.JSON, {"T": "y" * 1000, "S": "Z" * 1000})
    assert isinstance(events[0], UnknownMessage)
    assert len(events[0].type_tag) <= 32
    assert events[0].symbol is not None
    assert len(events[0].symbol) <= 32


# --- bad frames -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "raw", "reason"),
    [
        (Encoding.JSON, "", "empty frame"),
        (Encoding.JSON, b"", "empty frame"),
        (Encoding.MSGPACK, b"", "empty frame"),
        (Encoding.JSON, '{"T":"t","S":"AAPL"}', "not an array"),
        (Encoding.JSON, "42", "not an array"),
        (Encoding.JSON, '"hello"', "not an array"),
        (Encoding.JSON, "null", "not an array"),
        (Encoding.JSON, '[{"T":"t",', "malformed"),
        (Encoding.JSON, "[1] [2]", "malformed"),
        (Encoding.JSON, b'[{"T":"t","S":"\xff\xfe"}]', "malformed"),  # invalid UTF-8
        (Encoding.JSON, '[{"T":"t","S":"\ud800"}]', "malformed"),  # lone surrogate
        (Encoding.JSON, "[" * 100_000 + "]" * 100_000, "nested too deeply"),
        (Encoding.JSON, '[{"a":' * 50_000 + "1" + "}" * 50_000 + "]", "nested too deeply"),
        (Encoding.MSGPACK, msgpack.packb({"T": "t"}), "not an array"),
        (Encoding.MSGPACK, msgpack.packb(7), "not an array"),
        (Encoding.MSGPACK, b"\xc1", "malformed"),
        (Encoding.MSGPACK, msgpack.packb([TRADE])[:-3], "malformed"),
        (Encoding.MSGPACK, b"\x91" * 100_000 + b"\x90", "nested too deeply"),
    ],
)
def test_bad_frame_is_one_decode_error(encoding: Encoding, raw: str | bytes, reason: str) -> None:
    events = FrameDecoder(encoding).decode(raw)
    assert len(events) == 1
    assert isinstance(events[0], DecodeError)
    assert reason in events[0].reason
    assert len(events[0].reason) <= 160


def test_msgpack_non_string_keys() -> None:
    raw = msgpack.packb([{1: "t", "T": "t"}, TRADE], use_bin_type=True)
    events = FrameDecoder(Encoding.MSGPACK).decode(raw)
    assert isinstance(events[0], DecodeError)
    assert isinstance(events[1], Trade)


# --- encoding client actions ------------------------------------------------------------

ALL_CHANNELS = Subscription(
    trades=frozenset({"MSFT", "AAPL"}),
    quotes=frozenset({"AMD"}),
    bars=frozenset({"*"}),
    updated_bars=frozenset({"SPY"}),
    daily_bars=frozenset({"VOO"}),
    statuses=frozenset({"*"}),
    lulds=frozenset({"QQQ"}),
    corrections=frozenset({"AAPL"}),  # automatic: never sent
    cancel_errors=frozenset({"AAPL"}),  # automatic: never sent
)
ALL_CHANNELS_WIRE = {
    "trades": ["AAPL", "MSFT"], "quotes": ["AMD"], "bars": ["*"], "updatedBars": ["SPY"],
    "dailyBars": ["VOO"], "statuses": ["*"], "lulds": ["QQQ"],
}  # fmt: skip


def _read_frame(raw: str | bytes, encoding: Encoding) -> dict[str, Any]:
    if encoding == Encoding.JSON:
        assert isinstance(raw, str)
        result: dict[str, Any] = json.loads(raw)
    else:
        assert isinstance(raw, bytes)
        result = msgpack.unpackb(raw)
    return result


def test_encode_auth_json_exact() -> None:
    assert (
        encode_auth("PKKEY", "s3cret", Encoding.JSON)
        == '{"action":"auth","key":"PKKEY","secret":"s3cret"}'
    )


def test_encode_auth_msgpack() -> None:
    raw = encode_auth("PKKEY", "s3cret", Encoding.MSGPACK)
    message = _read_frame(raw, Encoding.MSGPACK)
    assert list(message.items()) == [("action", "auth"), ("key", "PKKEY"), ("secret", "s3cret")]


@BOTH
@pytest.mark.parametrize(
    ("encode", "action"), [(encode_subscribe, "subscribe"), (encode_unsubscribe, "unsubscribe")]
)
def test_encode_channels(encoding: Encoding, encode: Any, action: str) -> None:
    message = _read_frame(encode(ALL_CHANNELS, encoding), encoding)
    assert next(iter(message)) == "action"  # "action" first
    assert message == {"action": action, **ALL_CHANNELS_WIRE}


@BOTH
def test_encode_omits_empty_channels(encoding: Encoding) -> None:
    raw = encode_subscribe(Subscription(quotes=frozenset({"FAKEPACA"})), encoding)
    assert _read_frame(raw, encoding) == {"action": "subscribe", "quotes": ["FAKEPACA"]}
    raw = encode_unsubscribe(Subscription(corrections=frozenset({"X"})), encoding)
    assert _read_frame(raw, encoding) == {"action": "unsubscribe"}


def test_encode_subscribe_json_exact() -> None:
    raw = encode_subscribe(
        Subscription(trades=frozenset({"AAPL"}), daily_bars=frozenset({"VOO"})), Encoding.JSON
    )
    assert raw == '{"action":"subscribe","trades":["AAPL"],"dailyBars":["VOO"]}'


# --- errors as data -------------------------------------------------------------------

EXPECTED_POLICIES = [
    (400, ErrorAction.REPORT, False),
    (401, ErrorAction.REAUTHENTICATE, False),
    (402, ErrorAction.GIVE_UP, True),
    (403, ErrorAction.IGNORE, False),
    (404, ErrorAction.RETRY, True),
    (405, ErrorAction.REPORT, False),
    (406, ErrorAction.RETRY_SLOWLY, True),
    (407, ErrorAction.RETRY, True),
    (408, ErrorAction.GIVE_UP, True),
    (409, ErrorAction.GIVE_UP, True),
    (410, ErrorAction.REPORT, False),
    (411, ErrorAction.GIVE_UP, True),
    (500, ErrorAction.RETRY, True),
]


@pytest.mark.parametrize(("code", "action", "ends"), EXPECTED_POLICIES)
def test_classify_error_table(code: int, action: ErrorAction, ends: bool) -> None:
    policy = classify_error(code)
    assert policy == ErrorPolicy(code, action, ends, policy.explanation)
    assert len(policy.explanation) > 30
    assert policy.explanation.endswith(".")


def test_explanations_are_distinct() -> None:
    explanations = [classify_error(code).explanation for code, _, _ in EXPECTED_POLICIES]
    assert len(set(explanations)) == len(explanations)


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (402, ("key", "secret")),
        (406, ("another client", "one stream connection")),
        (409, ("plan", "'iex'")),
        (405, ("symbols",)),
        (407, ("slow",)),
    ],
)
def test_explanations_are_actionable(code: int, words: tuple[str, ...]) -> None:
    explanation = classify_error(code).explanation
    for word in words:
        assert word in explanation


@pytest.mark.parametrize("code", [0, 399, 412, 429, 501, -1])
def test_unknown_error_code(code: int) -> None:
    policy = classify_error(code)
    assert (policy.code, policy.action, policy.ends_session) == (code, ErrorAction.REPORT, False)
    assert str(code) in policy.explanation


# --- session --------------------------------------------------------------------------


def _control(encoding: Encoding, message: dict[str, Any]) -> str | bytes:
    return frame(encoding, message)


def state(session: AlpacaSession) -> HandshakeState:
    # A call, not an attribute read: mypy would keep an earlier assert's narrowing.
    return session.state


WELCOME = {"T": "success", "msg": "connected"}
AUTHED = {"T": "success", "msg": "authenticated"}


@BOTH
def test_session_happy_path(encoding: Encoding) -> None:
    session = AlpacaSession(encoding)
    assert state(session) == HandshakeState.AWAITING_WELCOME
    assert session.receive(_control(encoding, WELCOME)) == [Connected()]
    assert state(session) == HandshakeState.CONNECTED

    auth = session.auth("PKKEY", "s3cret")
    assert _read_frame(auth, encoding) == {"action": "auth", "key": "PKKEY", "secret": "s3cret"}
    assert state(session) == HandshakeState.AUTHENTICATING
    session.receive(_control(encoding, AUTHED))
    assert state(session) == HandshakeState.AUTHENTICATED

    wanted = Subscription(trades=frozenset({"AAPL"}), quotes=frozenset({"AAPL"}))
    sub = session.subscribe(wanted)
    assert _read_frame(sub, encoding)["action"] == "subscribe"
    assert session.subscription == Subscription()  # nothing confirmed yet
    session.receive(
        _control(encoding, {"T": "subscription", "trades": ["AAPL"], "quotes": ["AAPL"],
                            "corrections": ["AAPL"], "cancelErrors": ["AAPL"]})
    )  # fmt: skip
    assert state(session) == HandshakeState.SUBSCRIBED
    assert session.subscription.trades == frozenset({"AAPL"})
    assert session.subscription.cancel_errors == frozenset({"AAPL"})

    unsub = session.unsubscribe(Subscription(quotes=frozenset({"AAPL"})))
    assert _read_frame(unsub, encoding) == {"action": "unsubscribe", "quotes": ["AAPL"]}
    # The server states the full set; the session replaces rather than merges.
    session.receive(_control(encoding, {"T": "subscription", "trades": ["AAPL"]}))
    assert session.subscription == Subscription(trades=frozenset({"AAPL"}))

    events = session.receive(frame(encoding, TRADE, QUOTE))
    assert [type(e) for e in events] == [Trade, Quote]
    assert state(session) == HandshakeState.SUBSCRIBED
    session.close()
    assert state(session) == HandshakeState.CLOSED


@pytest.mark.parametrize(("code", "action", "ends"), EXPECTED_POLICIES)
def test_session_server_errors(code: int, action: ErrorAction, ends: bool) -> None:
    session = AlpacaSession()
    session.receive(_control(Encoding.JSON, WELCOME))
    session.auth("k", "s")
    session.receive(_control(Encoding.JSON, AUTHED))
    events = session.receive(_control(Encoding.JSON, {"T": "error", "code": code, "msg": "m"}))
    assert events == [ServerError(code, "m")]
    assert session.last_error == ServerError(code, "m")
    assert session.last_error_policy == classify_error(code)
    if ends:
        assert state(session) == HandshakeState.FAILED
    elif action == ErrorAction.REAUTHENTICATE:
        assert state(session) == HandshakeState.CONNECTED
    else:
        assert state(session) == HandshakeState.AUTHENTICATED


def test_session_auth_failure_is_final() -> None:
    session = AlpacaSession()
    session.receive(_control(Encoding.JSON, WELCOME))
    session.auth("k", "wrong")
    session.receive(_control(Encoding.JSON, {"T": "error", "code": 402, "msg": "auth failed"}))
    assert state(session) == HandshakeState.FAILED
    # A late control message does not resurrect a failed session.
    session.receive(_control(Encoding.JSON, AUTHED))
    assert state(session) == HandshakeState.FAILED
    session.close()
    assert state(session) == HandshakeState.CLOSED
    session.receive(_control(Encoding.JSON, WELCOME))
    assert state(session) == HandshakeState.CLOSED


def test_session_already_authenticated_is_harmless() -> None:
    session = AlpacaSession()
    session.receive(_control(Encoding.JSON, WELCOME))
    session.auth("k", "s")
    session.receive(_control(Encoding.JSON, {"T": "error", "code": 403, "msg": "already"}))
    assert state(session) == HandshakeState.AUTHENTICATED


def test_session_bad_frames_do_not_change_state() -> None:
    session = AlpacaSession()
    session.receive(_control(Encoding.JSON, WELCOME))
    for raw in ("", "garbage", "[5]", '[{"T":"zz"}]', b"\xff"):
        events = session.receive(raw)
        assert all(isinstance(e, DecodeError | UnknownMessage) for e in events)
    assert state(session) == HandshakeState.CONNECTED
    assert session.last_error is None


def test_session_keeps_no_secret() -> None:
    session = AlpacaSession(Encoding.MSGPACK)
    session.auth("PKKEY", "TOPSECRET-123")
    assert "TOPSECRET" not in repr(session)
    assert "TOPSECRET" not in str(vars(session))
    session.receive(b"\xff")
    assert "TOPSECRET" not in repr(session.receive(b"\xc1"))
