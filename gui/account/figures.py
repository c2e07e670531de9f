"""The account panels' figures and words, Qt-free (docs/account-and-history.md, "Trading API").

Position P&L is computed live from the TTL store's last price (the account's REST
`current_price` is at most a minute old and only a fallback): market value
`qty * last`, unrealized P&L `(last - avg_entry) * qty`, day P&L
`(last - lastday_price) * qty`, with qty negative for a short so one formula holds.
A figure on a stale price says so; an expired store price is never used (readers
hide expired data: engine/market/freshness.py). A value missing on the wire stays
None and shows as an em dash, never as 0.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine.market.snapshot import Freshness
from gui.formatting import format_age, format_percent, format_price, format_time_eastern
from gui.positions.book import Total, format_money, format_pnl, format_quantity, sum_values

if TYPE_CHECKING:
    from engine.account.models import Account, Fill, Order, Position
    from engine.market.store import MarketDataStore

READ_ONLY_NOTE = "Read-only: Tickerdesk never places, changes or cancels orders."
MANUAL_POSITIONS_NOTE = (
    "Manual positions (other brokers) stay in the watchlist table's position columns "
    "(Watchlists > Set position…); they are not part of this account."
)


class PriceSource(enum.StrEnum):
    """Where the price behind a position's figures came from."""

    LIVE = "live"  # the store, fresh
    STALE = "stale"  # the store, stale (still shown, marked)
    REST = "rest"  # the account's positions (REST current_price): no usable store price
    NONE = "none"


@dataclass(frozen=True, slots=True)
class PositionRow:
    """One account position with its live figures."""

    symbol: str
    qty: float  # signed: negative for a short
    side: str
    avg_entry: float | None
    last: float | None
    source: PriceSource
    age_s: float | None  # age of the store price (LIVE / STALE), else None
    market_value: float | None
    unrealized_pl: float | None
    day_pl: float | None
    note: str  # the price's provenance in words (tooltip)

    @property
    def stale(self) -> bool:
        return self.source is PriceSource.STALE


def signed_qty(position: Position) -> float:
    """Alpaca sends a short's qty negative; accept a positive one with side "short" too."""
    qty = position.qty
    return -abs(qty) if position.side == "short" else qty


def _times(qty: float, a: float | None, b: float | None = 0.0) -> float | None:
    if a is None or b is None:
        return None
    return (a - b) * qty


def position_row(position: Position, store: MarketDataStore, now: float) -> PositionRow:
    """Figures of `position` over the store's price at `now` (the store's monotonic clock)."""
    symbol = position.symbol
    snap = store.get(symbol)
    freshness = store.freshness(symbol, now)
    age = store.age(symbol, now)
    last: float | None = None
    source = PriceSource.NONE
    if snap is not None and snap.last_price is not None and freshness is Freshness.FRESH:
        last, source = snap.last_price, PriceSource.LIVE
        note = f"live price, {format_age(age, 'long')} old"
    elif snap is not None and snap.last_price is not None and freshness is Freshness.STALE:
        last, source = snap.last_price, PriceSource.STALE
        note = f"stale: price {format_age(age, 'long')} old"
    elif position.current_price is not None:
        last, source, age = position.current_price, PriceSource.REST, None
        why = "expired" if freshness is Freshness.EXPIRED else "not available"
        note = f"live price {why}; price from the account's positions (REST)"
    else:
        age = None
        note = "no price"
    qty = signed_qty(position)
    return PositionRow(
        symbol=symbol,
        qty=qty,
        side=position.side,
        avg_entry=position.avg_entry_price,
        last=last,
        source=source,
        age_s=age,
        market_value=None if last is None else qty * last,
        unrealized_pl=_times(qty, last, position.avg_entry_price),
        day_pl=_times(qty, last, position.lastday_price),
        note=note,
    )


def position_rows(
    positions: Iterable[Position], store: MarketDataStore, now: float
) -> list[PositionRow]:
    """Rows sorted by symbol (a stable order: rows never jump while prices move)."""
    return [position_row(p, store, now) for p in sorted(positions, key=lambda p: p.symbol)]


@dataclass(frozen=True, slots=True)
class PositionTotals:
    market_value: Total
    unrealized_pl: Total
    day_pl: Total
    on_stale: int  # rows whose figures rest on a stale price
    on_rest: int  # rows on the REST fallback price


def totals(rows: Sequence[PositionRow]) -> PositionTotals:
    return PositionTotals(
        market_value=sum_values(r.market_value for r in rows),
        unrealized_pl=sum_values(r.unrealized_pl for r in rows),
        day_pl=sum_values(r.day_pl for r in rows),
        on_stale=sum(1 for r in rows if r.source is PriceSource.STALE),
        on_rest=sum(1 for r in rows if r.source is PriceSource.REST),
    )


def totals_text(t: PositionTotals, count: int) -> str:
    """ "3 positions · value 25,140.00 · unrealized +1,020.50 · day P&L -80.25"."""
    if count == 0:
        return "No open positions."
    parts = [
        f"{count} position{'s' if count != 1 else ''}",
        f"value {format_money(t.market_value.value)}",
        f"unrealized {format_pnl(t.unrealized_pl.value)}",
        f"day P&L {format_pnl(t.day_pl.value)}",
    ]
    text = " · ".join(parts)
    if t.on_stale:
        text += f" ({t.on_stale} on stale prices)"
    missing = t.day_pl.missing
    if missing:
        text += f" ({missing} without a price or previous close, not counted)"
    return text


def live_equity(account: Account | None, rows: Sequence[PositionRow]) -> float | None:
    """Cash plus every position at the store's price (a short's value is negative), so
    the header moves with the market between the account's REST refreshes. None unless
    every position has a store price: mixing in a REST figure would mix two moments."""
    if account is None or account.cash is None:
        return None
    values = [r.market_value for r in rows if r.source in (PriceSource.LIVE, PriceSource.STALE)]
    if len(values) != len(rows) or any(v is None for v in values):
        return None
    return account.cash + sum(v for v in values if v is not None)


def account_header(account: Account | None, live: float | None = None) -> str:
    """ "Equity 101,234.56 live · Buying power 200,000.00 · Day P&L +1,234.56 (+1.23%)":
    equity is `live` (live_equity) when known, else Alpaca's own figure; day P&L is it
    against `last_equity`, the equity at the previous close."""
    if account is None:
        return "Account: not loaded yet"
    equity = live if live is not None else account.equity
    day_pl = None if equity is None or account.last_equity is None else equity - account.last_equity
    day = format_pnl(day_pl)
    if day_pl is not None and account.last_equity:
        day += f" ({format_percent(day_pl / account.last_equity * 100.0)})"
    return " · ".join(
        (
            f"Equity {format_money(equity)}{' live' if live is not None else ''}",
            f"Buying power {format_money(account.buying_power)}",
            f"Day P&L {day}",
        )
    )


def account_flags(account: Account | None) -> str:
    """The flags that matter, in words; "" when none is set."""
    if account is None:
        return ""
    words = []
    if account.account_blocked:
        words.append("Account blocked")
    if account.trading_blocked:
        words.append("Trading blocked")
    if account.pattern_day_trader:
        words.append("Pattern day trader (PDT rules apply)")
    if account.status and account.status.upper() != "ACTIVE":
        words.append(f"Account status: {account.status}")
    return " · ".join(words)


def stale_suffix(row: PositionRow) -> str:
    return " stale" if row.source is PriceSource.STALE else ""


def last_text(row: PositionRow) -> str:
    text = format_price(row.last)
    if row.source is PriceSource.REST:
        return f"{text} REST"
    return text + stale_suffix(row)


def figure_text(row: PositionRow, value: float | None, signed: bool = True) -> str:
    text = format_pnl(value) if signed else format_money(value)
    return text if value is None else text + stale_suffix(row)


# --- orders -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderNode:
    """One order and its legs (bracket / OCO / OTO), for a tree or indented rows."""

    order: Order
    legs: tuple[Order, ...]


def group_orders(orders: Sequence[Order]) -> list[OrderNode]:
    """Top-level orders in the given order, each with its legs.

    Legs may come nested (`Order.legs`, `nested=true`) or as their own entries with a
    `parent_id`; both end up under their parent once. A leg whose parent is not in the
    list stands on its own (its parent was filled or closed).
    """
    ids = {o.id for o in orders}
    loose: dict[str, list[Order]] = {}
    for order in orders:
        if order.parent_id is not None and order.parent_id in ids:
            loose.setdefault(order.parent_id, []).append(order)
    nodes = []
    for order in orders:
        if order.parent_id is not None and order.parent_id in ids:
            continue
        legs = {leg.id: leg for leg in (*order.legs, *loose.get(order.id, ()))}
        nodes.append(OrderNode(order, tuple(legs.values())))
    return nodes


def qty_text(order: Order) -> str:
    """ "40 / 100", or the notional when the order is in dollars."""
    filled = format_quantity(order.filled_qty)
    if order.qty is not None:
        return f"{filled} / {format_quantity(order.qty)}"
    if order.notional is not None:
        return f"{filled} / ${format_money(order.notional)}"
    return filled


def type_text(order: Order) -> str:
    cls = order.order_class
    return f"{order.type} ({cls})" if cls and cls != "simple" else order.type


def order_age_text(order: Order, now_ns: int) -> str:
    if order.created_ns is None:
        return format_age(None)
    return format_age((now_ns - order.created_ns) / 1e9)


def fill_time_text(fill: Fill) -> str:
    """Exchange time of day in New York, to the second."""
    return format_time_eastern(fill.time_ns)[:8]


def fill_message(fill: Fill, paper: bool) -> tuple[str, str]:
    """(title, text) of a fill's notification."""
    side = str(fill.side).upper()
    what = f"{side} {format_quantity(fill.qty)} {fill.symbol} @ {format_price(fill.price)}"
    if fill.partial:
        title = "Partial fill"
        if fill.cum_qty is not None and fill.leaves_qty is not None:
            done, left = format_quantity(fill.cum_qty), format_quantity(fill.leaves_qty)
            what += f" ({done} filled, {left} left)"
    else:
        title = "Order filled"
    return (f"{title} (paper)" if paper else title), what
