"""Account objects for the GUI tests, with the fields the panels read (engine.account.models)."""

from __future__ import annotations

from itertools import count
from typing import Any

from engine.account.book import AccountBook
from engine.account.models import Account, Fill, Order, OrderStatus, Position, Side, TradeUpdate
from engine.events import Trade
from engine.market.store import MarketDataStore

NS = 1_700_000_000_000_000_000  # 2023-11-14 22:13:20 UTC
_trade_ids = count(1)


def account(**changes: Any) -> Account:
    values: dict[str, Any] = {
        "account_number": "PA0000TEST", "status": "ACTIVE", "currency": "USD", "cash": 50_000.0,
        "equity": 101_000.0, "last_equity": 100_000.0, "buying_power": 200_000.0,
        "portfolio_value": 101_000.0, "pattern_day_trader": False, "trading_blocked": False,
        "account_blocked": False,
    }  # fmt: skip
    values.update(changes)
    return Account(**values)


def position(
    symbol: str, qty: float, avg: float | None, current: float | None, lastday: float | None
) -> Position:
    return Position(
        symbol=symbol, qty=qty, side="long" if qty > 0 else "short", avg_entry_price=avg,
        cost_basis=None if avg is None else avg * qty,
        market_value=None if current is None else current * qty, current_price=current,
        lastday_price=lastday, unrealized_pl=None, unrealized_intraday_pl=None,
    )  # fmt: skip


def order(
    oid: str, symbol: str = "AAPL", *, status: OrderStatus = OrderStatus.NEW,
    created_ns: int = NS, legs: tuple[Order, ...] = (), parent_id: str | None = None,
    order_class: str = "simple", type: str = "limit", limit: float | None = 150.0,
    stop: float | None = None, qty: float | None = 100.0, filled: float = 0.0,
    updated_ns: int | None = None,
) -> Order:  # fmt: skip
    return Order(
        id=oid, client_order_id=f"c-{oid}", symbol=symbol, side=Side.BUY, type=type,
        time_in_force="day", qty=qty, notional=None, filled_qty=filled, filled_avg_price=None,
        limit_price=limit, stop_price=stop, status=status, order_class=order_class,
        created_ns=created_ns, updated_ns=updated_ns or created_ns, filled_ns=None, legs=legs,
        parent_id=parent_id,
    )  # fmt: skip


def fill(
    key: str, symbol: str = "AAPL", qty: float = 10.0, price: float = 150.0, *,
    time_ns: int = NS, partial: bool = False, order_id: str = "o1",
    cum_qty: float | None = None, leaves_qty: float | None = None,
) -> Fill:  # fmt: skip
    return Fill(
        key=key, order_id=order_id, symbol=symbol, side=Side.BUY, qty=qty, price=price,
        time_ns=time_ns, cum_qty=cum_qty, leaves_qty=leaves_qty, partial=partial,
    )  # fmt: skip


def fill_update(
    f: Fill, status: OrderStatus = OrderStatus.FILLED, qty: float = 100.0, created_ns: int = NS
) -> TradeUpdate:
    """The order as it is after `f` (updated at the fill's time: newer than its creation)."""
    o = order(f.order_id, f.symbol, status=status, filled=f.cum_qty or f.qty, qty=qty,
              created_ns=created_ns, updated_ns=f.time_ns)  # fmt: skip
    event = "partial_fill" if f.partial else "fill"
    return TradeUpdate(event=event, order=o, fill=f, time_ns=f.time_ns, position_qty=None)


def loaded_book(positions: list[Position], orders: list[Order] | None = None) -> AccountBook:
    book = AccountBook()
    book.reconcile(account(), positions, orders or [], [])
    return book


def trade(store: MarketDataStore, symbol: str, price: float) -> None:
    store.watch([symbol])
    assert store.apply(Trade(symbol, price, 100, NS + next(_trade_ids)))
