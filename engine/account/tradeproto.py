"""The `trade_updates` conversation, sans-I/O: frames in, events out, never raising.

A different protocol from the market-data stream (docs/account-and-history.md, "Account
stream: trade_updates"): the client sends `auth` then `listen`; the server answers on
named streams (`authorization`, `listening`, `trade_updates`). The paper endpoint sends
binary frames holding JSON, or msgpack when that codec was chosen: text and binary frames
are both accepted, and a binary frame is read as JSON or msgpack by its first byte. A
frame may hold one message or a list of them. Anything unreadable or unknown becomes a
`ProtoProblem` in words; the connection goes on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from engine.account.decode import fill_key, order_from_obj
from engine.account.fields import describe, read_ns, read_num, read_str
from engine.account.models import Fill, Order, TradeUpdate

__all__ = [
    "TRADE_UPDATES",
    "Authorized",
    "Listening",
    "ProtoProblem",
    "TradeProto",
    "TradeProtoEvent",
    "Unauthorized",
]

TRADE_UPDATES = "trade_updates"
_FILL_EVENTS = frozenset({"fill", "partial_fill"})
_JSON_START = frozenset(b"{[ \t\r\n")  # msgpack maps/arrays start with 0x80-0x9f, 0xdc-0xdf
_JSON = msgspec.json.Decoder()
_MSGPACK = msgspec.msgpack.Decoder()
_ENCODE = msgspec.json.Encoder()


@dataclass(frozen=True, slots=True)
class Authorized:
    """The server accepted the key pair."""


@dataclass(frozen=True, slots=True)
class Unauthorized:
    """The server refused the key pair (or a request made before auth); `reason` in words."""

    reason: str
    code: int | None = None  # e.g. 406: the account's one connection is held elsewhere


@dataclass(frozen=True, slots=True)
class Listening:
    """The streams the server confirmed; one we may not have is left out."""

    streams: tuple[str, ...]

    @property
    def trade_updates(self) -> bool:
        return TRADE_UPDATES in self.streams


@dataclass(frozen=True, slots=True)
class ProtoProblem:
    """A frame or message that could not be used, in words (counted by the caller)."""

    words: str


type TradeProtoEvent = Authorized | Unauthorized | Listening | TradeUpdate | ProtoProblem


class TradeProto:
    """The trade_updates protocol state: `authorized`, `listening`, `problems` counted."""

    def __init__(self) -> None:
        self.authorized = False
        self.listening: tuple[str, ...] = ()
        self.problems = 0

    def auth_frame(self, key: str, secret: str) -> str:
        """The auth message. It holds the secret: send it, never log it."""
        return _ENCODE.encode({"action": "auth", "key": key, "secret": secret}).decode()

    def listen_frame(self, streams: tuple[str, ...] = (TRADE_UPDATES,)) -> str:
        return _ENCODE.encode({"action": "listen", "data": {"streams": list(streams)}}).decode()

    def feed(self, data: bytes | bytearray | memoryview | str) -> list[TradeProtoEvent]:
        """One received frame -> its events, in order."""
        loaded, problem = _load(data)
        if problem is not None:
            return self._problem(problem)
        messages = loaded if isinstance(loaded, list) else [loaded]
        events: list[TradeProtoEvent] = []
        for message in messages:
            event = self._message(message)
            if isinstance(event, list):
                events.extend(event)
            else:
                events.append(event)
        self.problems += sum(isinstance(event, ProtoProblem) for event in events)
        return events

    def _problem(self, words: str) -> list[TradeProtoEvent]:
        self.problems += 1
        return [ProtoProblem(words)]

    def _message(self, message: object) -> TradeProtoEvent | list[TradeProtoEvent]:
        if not isinstance(message, dict):
            return ProtoProblem(f"message is not an object ({describe(message)})")
        stream = message.get("stream")
        data = message.get("data")
        if not isinstance(data, dict):
            data = {}
        if stream == "authorization":
            return self._authorization(data, message)
        if stream == "listening":
            streams = data.get("streams")
            if not isinstance(streams, list):
                streams = []  # an empty or null list: listening to nothing
            self.listening = tuple(s for s in streams if isinstance(s, str))
            return Listening(self.listening)
        if stream == TRADE_UPDATES:
            return _trade_update(data)
        if stream == "error":
            text = read_str(data, "error_message") or read_str(data, "message")
            return ProtoProblem(f"the server reported an error: {text or describe(data)}")
        return ProtoProblem(f"unknown message on stream {describe(stream)}")

    def _authorization(self, data: dict[str, Any], message: dict[str, Any]) -> TradeProtoEvent:
        # Both auth forms ("auth" and the older "authenticate") get this answer; the
        # status may sit in `data` (documented) or, tolerated, beside it.
        status = data.get("status", message.get("status"))
        if status == "authorized":
            self.authorized = True
            return Authorized()
        if status == "unauthorized":
            self.authorized = False
            action = read_str(data, "action")
            detail = read_str(data, "message") or read_str(message, "message")
            reason = "the key pair was refused"
            if action == "listen":
                reason = "listen was refused: not authenticated"
            code = data.get("code")
            return Unauthorized(
                f"{reason}: {detail}" if detail else reason,
                code if isinstance(code, int) and not isinstance(code, bool) else None,
            )
        return ProtoProblem(f"authorization answer with unknown status {describe(status)}")


def _load(data: bytes | bytearray | memoryview | str) -> tuple[Any, str | None]:
    if isinstance(data, str):
        try:
            return _JSON.decode(data), None
        except msgspec.DecodeError as exc:
            return None, f"text frame is not JSON ({exc})"
    raw = bytes(data)
    if not raw:
        return None, "empty binary frame"
    # The paper endpoint sends JSON in binary frames; msgpack when chosen. The other
    # reading is tried too before the frame is given up.
    first, second = (_JSON, _MSGPACK) if raw[0] in _JSON_START else (_MSGPACK, _JSON)
    for decoder in (first, second):
        try:
            return decoder.decode(raw), None
        except (msgspec.DecodeError, UnicodeDecodeError):
            continue
    return None, f"binary frame of {len(raw)} bytes is neither JSON nor msgpack"


def _trade_update(data: dict[str, Any]) -> TradeProtoEvent | list[TradeProtoEvent]:
    problems: list[str] = []
    event = read_str(data, "event")
    order = order_from_obj(data.get("order"), problems)
    if not event or order is None:
        words = "; ".join(problems) or "no event"
        return ProtoProblem(f"trade update skipped: {words}")
    where = f"{event} of order {order.id}"
    time_ns = read_ns(data, "timestamp", where, problems)
    position_qty = read_num(data, "position_qty", where, problems)
    fill: Fill | None = None
    if event in _FILL_EVENTS:
        fill = _fill(data, event, order, time_ns, where, problems)
    update = TradeUpdate(event, order, fill, time_ns, position_qty)
    if not problems:
        return update
    return [update, *(ProtoProblem(words) for words in problems)]


def _fill(
    data: dict[str, Any],
    event: str,
    order: Order,
    time_ns: int | None,
    where: str,
    problems: list[str],
) -> Fill | None:
    # The event's `qty` and `price` are this one execution's (a partial_fill's too).
    qty = read_num(data, "qty", where, problems)
    price = read_num(data, "price", where, problems)
    when = time_ns if time_ns is not None else order.filled_ns or order.updated_ns
    if qty is None or price is None or when is None:
        problems.append(f"{where}: no fill shown, quantity, price or time missing")
        return None
    cum_qty = order.filled_qty
    leaves = order.qty - cum_qty if order.qty is not None else None
    return Fill(
        key=fill_key(read_str(data, "execution_id"), order.id, cum_qty),
        order_id=order.id,
        symbol=order.symbol,
        side=order.side,
        qty=qty,
        price=price,
        time_ns=when,
        cum_qty=cum_qty,
        leaves_qty=leaves,
        partial=event == "partial_fill",
    )
