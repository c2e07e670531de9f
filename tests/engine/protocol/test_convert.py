"""engine.protocol.convert: a frame's wire messages -> events, quotes and trades built in
the loop (issue 16). The reference is each wire type's own `to_event`; the session
skips its control scan only for frames of trades and quotes alone."""

from __future__ import annotations

import json
from typing import Any

import msgpack
import pytest

from engine.events import Quote, ServerError, Trade
from engine.protocol import AlpacaSession, Encoding, FrameDecoder, HandshakeState
from engine.protocol.convert import make_converter
from engine.protocol.timestamps import make_wire_stamp
from engine.protocol.wire import WireMessage

BOTH = pytest.mark.parametrize("encoding", [Encoding.JSON, Encoding.MSGPACK])
T1 = "2024-03-01T15:30:00.123456789Z"
T2 = "2024-03-01T15:30:01Z"

MESSAGES: list[dict[str, Any]] = [
    {"T": "q", "S": "AAPL", "bp": 1.5, "bs": 3, "ap": 1.75, "as": 4, "t": T1,
     "bx": "V", "ax": "Q", "c": ["R"], "z": "C"},
    {"T": "q", "S": "MSFT", "bp": 0.0, "bs": 0, "ap": 2.0, "as": 1, "t": T2},
    {"T": "t", "S": "AAPL", "p": 1.6, "s": 100, "t": T1, "i": 7, "x": "V",
     "c": ["@", "I"], "z": "C"},
    {"T": "t", "S": "SPY", "p": 400.25, "s": 1, "t": T2, "c": None},
    {"T": "b", "S": "AAPL", "o": 1.0, "h": 2.0, "l": 0.5, "c": 1.5, "v": 10, "t": T2},
    {"T": "s", "S": "AAPL", "sc": "H", "sm": "Halted", "rc": "T1", "rm": "News", "t": T2},
    {"T": "success", "msg": "authenticated"},
]  # fmt: skip


def _frame(encoding: Encoding, messages: list[dict[str, Any]]) -> str | bytes:
    if encoding is Encoding.JSON:
        return json.dumps(messages)
    packed: bytes = msgpack.packb(messages)
    return packed


@BOTH
def test_the_converter_gives_what_each_to_event_gives(encoding: Encoding) -> None:
    decoder = FrameDecoder(encoding)
    wires: list[WireMessage] = decoder._codec.frame.decode(_frame(encoding, MESSAGES))
    stamp = make_wire_stamp(msgpack=encoding is Encoding.MSGPACK)
    events, plain = make_converter(stamp)(wires)
    assert events == [wire.to_event(stamp) for wire in wires]
    assert [type(e) for e in events[:4]] == [Quote, Quote, Trade, Trade]
    first, second = events[2], events[3]
    assert isinstance(first, Trade)
    assert isinstance(second, Trade)
    assert first.conditions == ("@", "I")
    assert second.conditions == ()
    assert not plain  # a bar, a status and a control message are in it


@BOTH
def test_only_trades_and_quotes_is_said_per_frame(encoding: Encoding) -> None:
    decoder = FrameDecoder(encoding)
    decoder.decode(_frame(encoding, MESSAGES[:4]))
    assert decoder.only_trades_and_quotes
    decoder.decode(_frame(encoding, [*MESSAGES[:2], {"T": "error", "code": 406, "msg": "x"}]))
    assert not decoder.only_trades_and_quotes
    decoder.decode(_frame(encoding, [{"T": "q", "S": "AAPL"}]))  # invalid: the slow path
    assert not decoder.only_trades_and_quotes
    decoder.decode(b"")
    assert not decoder.only_trades_and_quotes


@BOTH
def test_a_control_message_among_market_data_still_reaches_the_session(
    encoding: Encoding,
) -> None:
    session = AlpacaSession(encoding, drive=True, symbols=("AAPL",), channels=("trades",))
    session.receive(_frame(encoding, [{"T": "success", "msg": "connected"}]))
    assert session.state is HandshakeState.AUTHENTICATING
    # Authentication confirmed in the middle of a frame of quotes and trades.
    events = session.receive(_frame(encoding, [*MESSAGES[:2], MESSAGES[-1], *MESSAGES[2:4]]))
    assert len(events) == 5
    assert _state(session) is HandshakeState.AUTHENTICATED
    assert [read for read in session.data_to_send() if read]  # auth, then the subscribe
    # ...and an error at the end of one.
    events = session.receive(_frame(encoding, [MESSAGES[0], {"T": "error", "code": 500}]))
    assert isinstance(events[-1], ServerError)
    assert session.last_error is not None
    assert session.last_error.code == 500


def _state(session: AlpacaSession) -> HandshakeState:
    return session.state  # a call: mypy would keep the earlier assert's narrowing
