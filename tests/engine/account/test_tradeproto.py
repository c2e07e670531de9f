"""The trade_updates conversation without a socket: text and binary frames, JSON and
msgpack, both auth answers, listen, updates, and garbage as ProtoProblem (never raised).
docs/account-and-history.md, "Account stream: trade_updates"."""

from __future__ import annotations

import json

import msgspec
import pytest

from engine.account.models import OrderStatus, Side, TradeUpdate
from engine.account.tradeproto import (
    Authorized,
    Listening,
    ProtoProblem,
    TradeProto,
    Unauthorized,
)
from tests.engine.account.samples import dumps, order, trade_update

AUTHORIZED = {"stream": "authorization", "data": {"action": "authenticate", "status": "authorized"}}
LISTENING = {"stream": "listening", "data": {"streams": ["trade_updates"]}}


def test_frames_to_send() -> None:
    proto = TradeProto()
    assert json.loads(proto.auth_frame("KEY", "SECRET")) == {
        "action": "auth",
        "key": "KEY",
        "secret": "SECRET",
    }
    assert json.loads(proto.listen_frame()) == {
        "action": "listen",
        "data": {"streams": ["trade_updates"]},
    }


@pytest.mark.parametrize("kind", ["text", "binary-json", "msgpack"])
def test_handshake_answers_in_every_frame_kind(kind: str) -> None:
    def frame(message: object) -> str | bytes:
        if kind == "text":
            return json.dumps(message)
        if kind == "binary-json":
            return dumps(message)
        return msgspec.msgpack.encode(message)

    proto = TradeProto()
    assert proto.feed(frame(AUTHORIZED)) == [Authorized()]
    assert proto.authorized
    events = proto.feed(frame(LISTENING))
    assert events == [Listening(("trade_updates",))]
    assert isinstance(events[0], Listening)
    assert events[0].trade_updates
    assert proto.problems == 0


def test_older_auth_form_answer_and_refusals() -> None:
    proto = TradeProto()
    # The answer to {"action":"authenticate","data":{...}} (the older form) and to "auth".
    assert proto.feed(
        '{"stream":"authorization","data":{"action":"auth","status":"authorized"}}'
    ) == [Authorized()]
    refused = proto.feed(
        dumps(
            {
                "stream": "authorization",
                "data": {"action": "authenticate", "status": "unauthorized"},
            }
        )
    )
    assert refused == [Unauthorized("the key pair was refused")]
    assert not proto.authorized
    listen_refused = proto.feed(
        '{"stream":"authorization","data":{"action":"listen","status":"unauthorized"}}'
    )
    assert isinstance(listen_refused[0], Unauthorized)
    assert "listen" in listen_refused[0].reason


def test_listening_without_trade_updates_and_empty_list() -> None:
    proto = TradeProto()
    events = proto.feed('{"stream":"listening","data":{"streams":[]}}')
    assert events == [Listening(())]
    assert isinstance(events[0], Listening)
    assert not events[0].trade_updates
    assert proto.feed('{"stream":"listening","data":{"streams":null}}') == [Listening(())]


def test_fill_update_in_a_binary_frame() -> None:
    body = order("o1", status="filled", filled_qty="100", filled_avg_price="170.4")
    message = trade_update(
        "fill", body, execution_id="exec-1", qty="60", price="170.45", position_qty="150"
    )
    [update] = TradeProto().feed(dumps(message))
    assert isinstance(update, TradeUpdate)
    assert update.event == "fill"
    assert update.order.status is OrderStatus.FILLED
    assert update.position_qty == 150.0
    fill = update.fill
    assert fill is not None
    assert fill.key == "exec-1"
    assert (fill.qty, fill.price, fill.cum_qty, fill.leaves_qty) == (60.0, 170.45, 100.0, 0.0)
    assert fill.side is Side.BUY
    assert not fill.partial
    assert fill.time_ns == update.time_ns == 1709562660500000000


def test_msgpack_update_with_timestamp_extension() -> None:
    body = order("o2", status="partially_filled", filled_qty="40")
    message = trade_update("partial_fill", body, execution_id="e2", qty="40", price="170.5")
    message["data"]["timestamp"] = msgspec.msgpack.Ext(-1, (1709562660).to_bytes(4, "big"))
    frame = msgspec.msgpack.encode([message])  # a list of one message is fine too
    [update] = TradeProto().feed(frame)
    assert isinstance(update, TradeUpdate)
    assert update.fill is not None
    assert update.fill.partial
    assert update.time_ns == 1709562660 * 1_000_000_000
    assert update.fill.leaves_qty == 60.0


def test_non_fill_events_carry_no_fill() -> None:
    for event in ("new", "canceled", "expired", "replaced", "rejected", "pending_new"):
        status = {"pending_new": "pending_new"}.get(event, "new" if event == "new" else event)
        [update] = TradeProto().feed(dumps(trade_update(event, order("o", status=status))))
        assert isinstance(update, TradeUpdate), event
        assert update.fill is None


def test_fill_without_price_keeps_the_order_and_says_why() -> None:
    body = order("o3", status="filled", filled_qty="100")
    events = TradeProto().feed(dumps(trade_update("fill", body, execution_id="e3", qty="100")))
    assert isinstance(events[0], TradeUpdate)
    assert events[0].fill is None
    assert any(isinstance(e, ProtoProblem) and "price" in e.words for e in events[1:])


@pytest.mark.parametrize(
    "frame",
    [
        b"",
        b"\x00\x01garbage\xff",
        "not json",
        "[1, 2, 3]",
        '{"stream": "mystery", "data": {}}',
        '{"stream": "trade_updates", "data": {"event": "fill", "order": {"id": "x"}}}',
        '{"stream": "trade_updates", "data": "nope"}',
        '{"stream": "authorization", "data": {"status": "maybe"}}',
        msgspec.msgpack.encode(42),
    ],
)
def test_garbage_is_a_problem_in_words_never_raised(frame: str | bytes) -> None:
    proto = TradeProto()
    events = proto.feed(frame)
    assert events
    assert all(isinstance(e, ProtoProblem) for e in events)
    assert all(isinstance(e, ProtoProblem) and e.words for e in events)
    assert proto.problems == len(events)
