"""Decoded wire messages -> events, a frame at a time (sans-I/O).

The same mapping as each wire type's `to_event` (engine.protocol.wire, the reference),
with quotes and trades, nearly every message of a live stream, built right here in the
loop: one Python call less per message (issue 16, docs/performance.md "Engine, second
round"). Anything else goes through its `to_event`. Raises ValueError on a bad
timestamp, as `to_event` does; the decoder then isolates the message.
"""

from __future__ import annotations

from collections.abc import Callable

from engine.events import Event, Quote, Trade
from engine.protocol.wire import StampFn, WireMessage, WireQuote, WireTrade

__all__ = ["Converter", "make_converter"]

# Returns the events and whether they are trades and quotes only (nothing for the
# session to look at: engine.protocol.session skips its per-event scan then).
type Converter = Callable[[list[WireMessage]], tuple[list[Event], bool]]


def make_converter(stamp: StampFn) -> Converter:
    """A function turning one frame's wire messages into its events, in order, and
    whether they are all trades and quotes."""
    wire_quote, wire_trade = WireQuote, WireTrade
    quote, trade = Quote, Trade

    def convert(wires: list[WireMessage]) -> tuple[list[Event], bool]:
        plain = True
        events: list[Event] = []
        append = events.append
        for w in wires:
            kind = type(w)
            if kind is wire_quote:
                q: WireQuote = w  # type: ignore[assignment]  # narrowed by `type() is`
                append(quote(q.S, q.bp, q.bs, q.ap, q.as_, stamp(q.t), q.bx, q.ax, q.c or (), q.z))
            elif kind is wire_trade:
                t: WireTrade = w  # type: ignore[assignment]
                append(trade(t.S, t.p, t.s, stamp(t.t), t.i, t.x, t.c or (), t.z))
            else:
                append(w.to_event(stamp))
                plain = False
        return events, plain

    return convert
