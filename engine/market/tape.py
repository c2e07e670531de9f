"""Time & sales: one entry per print in time order, rewritten in place by corrections and
cancels. A late print (older than the newest) goes where its time puts it
(`insert_in_time_order`); the tape stays bounded by its deque's `maxlen`."""

from __future__ import annotations

import enum
from collections import deque

from engine.events import CancelError, Correction, Trade

__all__ = ["TapeEntry", "TapeState", "insert_in_time_order"]


class TapeState(enum.StrEnum):
    """What later messages said about a print (Alpaca `c` corrections, `x` C/E)."""

    OK = "ok"
    CORRECTED = "corrected"
    CANCELLED = "cancelled"
    ERROR = "error"


class TapeEntry:
    """One print in time & sales; corrections rewrite it in place, keeping the original."""

    __slots__ = (
        "conditions",
        "exchange",
        "original_price",
        "original_size",
        "price",
        "size",
        "state",
        "timestamp_ns",
        "trade_id",
    )

    def __init__(self, trade: Trade, conditions: tuple[str, ...] | None = None) -> None:
        self.timestamp_ns = trade.timestamp_ns
        self.price = trade.price
        self.size = trade.size
        self.exchange = trade.exchange
        self.trade_id = trade.trade_id
        # `conditions`: the same value, shared (PriceHistory interns the few that exist).
        self.conditions = trade.conditions if conditions is None else conditions
        self.state = TapeState.OK
        self.original_price: float | None = None
        self.original_size: int | None = None

    def correct(self, ev: Correction) -> None:
        """Show the corrected print; the first original price and size are kept."""
        if self.original_price is None:
            self.original_price, self.original_size = self.price, self.size
        self.price, self.size = ev.corrected_price, ev.corrected_size
        self.trade_id = ev.corrected_id
        self.conditions = ev.corrected_conditions
        self.state = TapeState.CORRECTED

    def void(self, ev: CancelError) -> None:
        """Mark the print cancelled (`C`) or in error (`E`); it stays on the tape."""
        self.state = TapeState.ERROR if ev.action == "E" else TapeState.CANCELLED

    def __repr__(self) -> str:
        return f"TapeEntry({self.trade_id}, {self.price}, {self.size}, {self.state})"


def insert_in_time_order(tape: deque[TapeEntry], entry: TapeEntry) -> bool:
    """Insert a late print after every entry not newer than it; False if it would be the
    oldest entry of a full tape (it would fall off at once). O(distance from the end)."""
    ts = entry.timestamp_ns
    index = len(tape)
    while index > 0 and tape[index - 1].timestamp_ns > ts:
        index -= 1
    if len(tape) == tape.maxlen:
        if index == 0:
            return False
        tape.popleft()  # deque.insert refuses a full bounded deque
        index -= 1
    tape.insert(index, entry)
    return True
