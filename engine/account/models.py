"""The user's Alpaca account as plain data: account, positions, orders, fills, updates.

Frozen dataclasses the decoders (`engine.account.decode`, `engine.account.tradeproto`)
produce and the book (`engine.account.book`) and the GUI read. Money is a float; a value
missing on the wire stays None, never 0 (docs/account-and-history.md, "Trading API
(account)"); times are int nanoseconds since the epoch, UTC.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, time

__all__ = [
    "Account",
    "Asset",
    "CalendarDay",
    "Fill",
    "MarketClock",
    "Order",
    "OrderStatus",
    "Position",
    "ServerWatchlist",
    "Side",
    "TradeUpdate",
    "fill_identity",
]


class Side(enum.StrEnum):
    BUY = "buy"
    SELL = "sell"


class OrderStatus(enum.StrEnum):
    """Alpaca's order statuses (docs/account-and-history.md, "GET /v2/orders")."""

    NEW = "new"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    DONE_FOR_DAY = "done_for_day"
    CANCELED = "canceled"
    EXPIRED = "expired"
    REPLACED = "replaced"
    PENDING_CANCEL = "pending_cancel"
    PENDING_REPLACE = "pending_replace"
    PENDING_NEW = "pending_new"
    ACCEPTED = "accepted"
    ACCEPTED_FOR_BIDDING = "accepted_for_bidding"
    STOPPED = "stopped"
    REJECTED = "rejected"
    SUSPENDED = "suspended"
    CALCULATED = "calculated"
    HELD = "held"

    @property
    def is_open(self) -> bool:
        """Whether the order may still fill: every status but the final ones."""
        return self not in _FINAL


_FINAL = frozenset(
    {
        OrderStatus.FILLED,
        OrderStatus.CANCELED,
        OrderStatus.EXPIRED,
        OrderStatus.REPLACED,
        OrderStatus.REJECTED,
    }
)


@dataclass(frozen=True, slots=True)
class Account:
    account_number: str
    status: str
    currency: str
    cash: float | None
    equity: float | None
    last_equity: float | None  # equity at the previous close
    buying_power: float | None
    portfolio_value: float | None
    pattern_day_trader: bool
    trading_blocked: bool
    account_blocked: bool

    @property
    def day_pl(self) -> float | None:
        """Today's P&L: equity - last_equity (docs/account-and-history.md), or None."""
        if self.equity is None or self.last_equity is None:
            return None
        return self.equity - self.last_equity

    @property
    def day_pl_pct(self) -> float | None:
        """Today's P&L in percent of last_equity, or None (unknown, or no equity then)."""
        pl = self.day_pl
        if pl is None or not self.last_equity:
            return None
        return pl / self.last_equity * 100.0


@dataclass(frozen=True, slots=True)
class Position:
    symbol: str
    qty: float  # negative for a short position, as Alpaca sends it
    side: str  # "long" / "short"
    avg_entry_price: float | None
    cost_basis: float | None
    market_value: float | None
    current_price: float | None
    lastday_price: float | None
    unrealized_pl: float | None
    unrealized_intraday_pl: float | None


@dataclass(frozen=True, slots=True)
class Order:
    id: str
    client_order_id: str
    symbol: str
    side: Side
    type: str
    time_in_force: str
    qty: float | None  # None for a notional order
    notional: float | None
    filled_qty: float
    filled_avg_price: float | None
    limit_price: float | None
    stop_price: float | None
    status: OrderStatus
    order_class: str
    created_ns: int | None
    updated_ns: int | None
    filled_ns: int | None
    legs: tuple[Order, ...] = ()
    parent_id: str | None = None

    @property
    def newest_ns(self) -> int:
        """The latest time the order is known to have changed (0: unknown)."""
        return max(self.updated_ns or 0, self.filled_ns or 0, self.created_ns or 0)


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution. `key`: the execution id (a REST activity's id is
    "<timestamp>::<execution uuid>": decoders keep the uuid), else f"{order_id}:{cum_qty}"."""

    key: str
    order_id: str
    symbol: str
    side: Side
    qty: float  # this execution's quantity
    price: float
    time_ns: int
    cum_qty: float | None  # the order's filled quantity after this execution
    leaves_qty: float | None
    partial: bool


def fill_identity(key: str) -> str:
    """The execution uuid in a fill key: the part after "::" of an activity id.

    The stream's `execution_id` and the REST activity of the same execution share it
    (docs/account-and-history.md, "How Tickerdesk reads the account").
    """
    return key.rpartition("::")[2]


@dataclass(frozen=True, slots=True)
class TradeUpdate:
    """One `trade_updates` event: the order as it is now, and the fill if it was one."""

    event: str
    order: Order
    fill: Fill | None  # only for fill / partial_fill
    time_ns: int | None
    position_qty: float | None


@dataclass(frozen=True, slots=True)
class Asset:
    symbol: str
    name: str
    exchange: str
    tradable: bool
    status: str
    asset_class: str


@dataclass(frozen=True, slots=True)
class MarketClock:
    timestamp_ns: int
    is_open: bool
    next_open_ns: int
    next_close_ns: int


@dataclass(frozen=True, slots=True)
class CalendarDay:
    date: date
    open: time
    close: time


@dataclass(frozen=True, slots=True)
class ServerWatchlist:
    id: str
    name: str
    symbols: tuple[str, ...]  # empty in the list answer (GET /v2/watchlists has no assets)
    updated_ns: int | None
