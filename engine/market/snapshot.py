"""The snapshot model: what is known about one symbol, where it came from, how fresh it is.

`SymbolSnapshot` is plain data. The merge rules (`engine.market.merge`) write it, the
store (`engine.market.store`) owns one per watched symbol and readers (table, detail
pane, alerts) only read it. Fields starting with `_` are merge bookkeeping, not display.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.market.trading_day import TradingDay

__all__ = ["NO_MARK", "Freshness", "PrevTrade", "Source", "SymbolSnapshot"]


class Source(enum.StrEnum):
    """Where a snapshot's live data came from (selects the TTL policy)."""

    STREAM = "stream"
    REST = "rest"
    SIMULATOR = "simulator"


class Freshness(enum.StrEnum):
    """Freshness class of a snapshot; readers hide values that are EXPIRED."""

    EMPTY = "empty"
    FRESH = "fresh"
    STALE = "stale"
    EXPIRED = "expired"


# The one kept previous trade: (price, size, exchange, exchange ns, trade id).
PrevTrade = tuple[float, int, str, int, int]
# `SymbolSnapshot._mark` before any data: every exchange time of a real day passes it.
NO_MARK = -(1 << 63)


@dataclass(slots=True)
class SymbolSnapshot:
    """Everything known about one symbol; mutable inside the store, read-only to readers."""

    symbol: str
    last_price: float | None = None
    last_size: int | None = None
    last_exchange: str | None = None
    last_trade_ns: int | None = None
    last_trade_id: int | None = None
    tick: int = 0
    bid_price: float | None = None
    bid_size: int | None = None
    ask_price: float | None = None
    ask_size: int | None = None
    quote_ns: int | None = None
    open: float | None = None
    high: float | None = None
    low: float | None = None
    volume: int | None = None
    vwap: float | None = None
    prev_close: float | None = None
    halted: bool = False  # no trading: a halt or pause, and through a UTP `Q` window
    quotation_only: bool = False  # halted, but quoting again (UTP `Q`; docs/protocol.md)
    status_code: str | None = None
    status_message: str | None = None
    halt_reason: str | None = None
    halt_end_note: str | None = None  # how the last halt ended, in words
    luld_up: float | None = None
    luld_down: float | None = None
    source: Source = Source.STREAM
    received_at: float | None = None
    updates: int = 0
    last_cancelled: bool = False  # the last trade was cancelled and no earlier one is kept
    # Bookkeeping (not for display): one kept previous trade, per-group exchange times.
    _prev_trade: PrevTrade | None = field(default=None, repr=False)
    _last_counted: bool = field(default=False, repr=False)
    _status_ns: int | None = field(default=None, repr=False)
    _luld_ns: int | None = field(default=None, repr=False)
    _day_ns: int | None = field(default=None, repr=False)
    _prev_close_ns: int | None = field(default=None, repr=False)
    # The day roll (engine.market.merge_day): the New York day of the newest price data,
    # the next exchange time at which the day needs a look (its regular close, then its
    # end), the held daily bar's close, and the day's last regular-session print.
    _day: TradingDay | None = field(default=None, repr=False)
    _mark: int = field(default=NO_MARK, repr=False)
    _day_close: float | None = field(default=None, repr=False)
    _regular_price: float | None = field(default=None, repr=False)
    _epoch: int = field(default=0, repr=False)
    _swept: Freshness = field(default=Freshness.EMPTY, repr=False)

    @property
    def spread(self) -> float | None:
        """Ask minus bid, or None unless both sides are quoted (a 0 price is an empty side)."""
        bid, ask = self.bid_price, self.ask_price
        if bid is None or ask is None or bid <= 0 or ask <= 0:
            return None
        return ask - bid

    @property
    def mid(self) -> float | None:
        """Midpoint of bid and ask, or None unless both sides are quoted."""
        bid, ask = self.bid_price, self.ask_price
        if bid is None or ask is None or bid <= 0 or ask <= 0:
            return None
        return (bid + ask) / 2

    @property
    def change(self) -> float | None:
        """Last price minus previous close, or None if either is unknown."""
        if self.last_price is None or self.prev_close is None:
            return None
        return self.last_price - self.prev_close

    @property
    def change_pct(self) -> float | None:
        """Change in percent of the previous close; None if unknown or the close is 0."""
        change = self.change
        if change is None or not self.prev_close:
            return None
        return change / self.prev_close * 100.0
