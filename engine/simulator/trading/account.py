"""One simulated brokerage account: cash, positions, orders, FILL activities, and their
JSON as Alpaca's `/v2/account`, `/v2/positions` and `/v2/account/activities` give them.

Money as Alpaca computes it, simplified (docs/simulator.md, "Trading API and
trade_updates"): equity = cash + long market value + short market value (negative);
`last_equity` is the equity at the previous close (the cash and quantities held when the
trading day began, valued at each symbol's previous close); buying power is Reg T 2x:
`2 x equity - gross market value`, at least 0. Bounded: closed orders newest
`MAX_CLOSED`, activities newest `MAX_ACTIVITIES`.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any

from engine.simulator.trading.assets import asset_id, exchange
from engine.simulator.trading.fmt import activity_id, money, new_id, num, stable_id, ts
from engine.simulator.trading.orders import SimOrder

MAX_CLOSED = 500
MAX_ACTIVITIES = 1_000
MAX_OPEN = 500  # open orders per account (more: 403 like Alpaca's order limits)
START_CASH = 100_000.0

Prices = Callable[[str], tuple[float, float] | None]  # symbol -> (current, previous close)


@dataclasses.dataclass(slots=True)
class SimPosition:
    symbol: str
    qty: float  # negative: short
    avg: float  # average entry price


@dataclasses.dataclass(frozen=True, slots=True)
class FillRecord:
    execution_id: str
    time_ns: int
    order_id: str
    symbol: str
    side: str
    qty: float
    price: float
    cum_qty: float
    leaves_qty: float
    order_status: str

    @property
    def activity_id(self) -> str:
        return activity_id(self.time_ns, self.execution_id)


class SimAccount:
    """State of one key's account; the engine (engine.simulator.trading.engine) drives it."""

    def __init__(self, key: str, created_ns: int, cash: float = START_CASH) -> None:
        self.id = stable_id("account", key)
        self.number = "PA" + str(int(self.id.replace("-", "")[:12], 16) % 10**10).zfill(10)
        self.created_ns = created_ns
        self.cash = cash
        self.positions: dict[str, SimPosition] = {}
        self.open: dict[str, SimOrder] = {}  # top-level open orders by id (legs inside)
        self.closed: OrderedDict[str, SimOrder] = OrderedDict()  # newest last, bounded
        self.fills: deque[FillRecord] = deque(maxlen=MAX_ACTIVITIES)  # newest last
        self.prev_cash = cash
        self.prev_qty: dict[str, float] = {}
        self.day_key: int | None = None  # start of the trading day the snapshot belongs to

    # --- orders ---------------------------------------------------------------------

    def all_orders(self) -> list[SimOrder]:
        return [*self.closed.values(), *self.open.values()]

    def find(self, order_id: str) -> SimOrder | None:
        for o in (*self.open.values(), *reversed(self.closed.values())):
            if o.id == order_id:
                return o
            for leg in o.legs:
                if leg.id == order_id:
                    return leg
        return None

    def open_order(self, order: SimOrder) -> None:
        self.open[order.id] = order

    def client_id_taken(self, cid: str) -> bool:
        return any(o.client_order_id == cid for o in self.all_orders())

    def settle(self, order: SimOrder) -> None:
        """Move a top-level order to the closed list once it and its legs are done."""
        if order.parent_id is not None or order.is_open or any(g.is_open for g in order.legs):
            return
        if self.open.pop(order.id, None) is not None:
            self.closed[order.id] = order
            while len(self.closed) > MAX_CLOSED:
                self.closed.popitem(last=False)

    # --- fills ----------------------------------------------------------------------

    def apply_fill(self, order: SimOrder, qty: float, price: float, now_ns: int) -> FillRecord:
        """Book one execution: order quantities, position (average entry), cash."""
        order.filled_qty += qty
        order.filled_notional += qty * price
        order.updated_ns = now_ns
        done = order.leaves <= 1e-9
        order.status = "filled" if done else "partially_filled"
        if done:
            order.filled_ns = now_ns
        signed = qty if order.side == "buy" else -qty
        self.cash -= signed * price
        pos = self.positions.get(order.symbol)
        if pos is None:
            self.positions[order.symbol] = SimPosition(order.symbol, signed, price)
        else:
            new_qty = pos.qty + signed
            if abs(new_qty) < 1e-9:
                del self.positions[order.symbol]
            elif pos.qty * signed > 0:  # adding to the position: average in
                pos.avg = (pos.qty * pos.avg + signed * price) / new_qty
                pos.qty = new_qty
            elif pos.qty * new_qty < 0:  # crossed through zero: the rest opens at price
                pos.qty, pos.avg = new_qty, price
            else:  # reducing: the entry price stays
                pos.qty = new_qty
        record = FillRecord(new_id(), now_ns, order.id, order.symbol, order.side, qty, price,
                            order.filled_qty, order.leaves, order.status)  # fmt: skip
        self.fills.append(record)
        return record

    def position_qty(self, symbol: str) -> float:
        pos = self.positions.get(symbol)
        return pos.qty if pos is not None else 0.0

    # --- money ----------------------------------------------------------------------

    def roll_day(self, day_key: int) -> None:
        """A new trading day began: what is held now is what last_equity values."""
        if self.day_key != day_key:
            self.day_key = day_key
            self.prev_cash = self.cash
            self.prev_qty = {s: p.qty for s, p in self.positions.items()}

    def values(self, prices: Prices) -> dict[str, float]:
        long_mv = short_mv = last = 0.0
        for pos in self.positions.values():
            px = prices(pos.symbol)
            mv = pos.qty * (px[0] if px else pos.avg)
            if mv >= 0:
                long_mv += mv
            else:
                short_mv += mv
        for symbol, qty in self.prev_qty.items():
            px = prices(symbol)
            last += qty * (px[1] if px else 0.0)
        equity = self.cash + long_mv + short_mv
        return {"long": long_mv, "short": short_mv, "equity": equity,
                "last_equity": self.prev_cash + last,
                "buying_power": max(0.0, 2 * equity - (long_mv - short_mv))}  # fmt: skip

    def account_json(self, prices: Prices) -> dict[str, Any]:
        v = self.values(prices)
        bp = money(v["buying_power"])
        margin = (v["long"] - v["short"]) * 0.5
        return {
            "id": self.id, "admin_configurations": {}, "user_configurations": None,
            "account_number": self.number, "status": "ACTIVE", "crypto_status": "ACTIVE",
            "options_approved_level": 0, "options_trading_level": 0, "currency": "USD",
            "buying_power": bp, "regt_buying_power": bp,
            "daytrading_buying_power": money(2 * v["buying_power"]),
            "effective_buying_power": bp, "non_marginable_buying_power": money(max(0, self.cash)),
            "options_buying_power": money(max(0.0, self.cash)), "bod_dtbp": "0",
            "cash": money(self.cash), "accrued_fees": "0", "portfolio_value": money(v["equity"]),
            "pattern_day_trader": False, "trading_blocked": False, "transfers_blocked": False,
            "account_blocked": False, "created_at": ts(self.created_ns),
            "trade_suspended_by_user": False, "multiplier": "2", "shorting_enabled": True,
            "equity": money(v["equity"]), "last_equity": money(v["last_equity"]),
            "long_market_value": money(v["long"]), "short_market_value": money(v["short"]),
            "position_market_value": money(v["long"] - v["short"]),
            "initial_margin": money(margin), "maintenance_margin": money(margin * 0.6),
            "last_maintenance_margin": money(margin * 0.6), "sma": money(max(0, self.cash)),
            "daytrade_count": 0, "balance_asof": None, "crypto_tier": 0,
            "intraday_adjustments": "0", "pending_reg_taf_fees": "0",
        }  # fmt: skip

    def position_json(self, pos: SimPosition, prices: Prices) -> dict[str, Any]:
        px = prices(pos.symbol)
        price, lastday = px if px else (pos.avg, pos.avg)
        mv, basis = pos.qty * price, pos.qty * pos.avg
        held = self.prev_qty.get(pos.symbol)
        intraday = pos.qty * (price - lastday) if held == pos.qty else mv - basis
        intraday_base = abs(pos.qty * lastday if held == pos.qty else basis)
        return {
            "asset_id": asset_id(pos.symbol), "symbol": pos.symbol,
            "exchange": exchange(pos.symbol), "asset_class": "us_equity",
            "asset_marginable": True, "qty": num(pos.qty), "qty_available": num(pos.qty),
            "avg_entry_price": num(round(pos.avg, 4)),
            "side": "long" if pos.qty > 0 else "short",
            "market_value": money(mv), "cost_basis": money(basis),
            "unrealized_pl": money(mv - basis),
            "unrealized_plpc": num(round((mv - basis) / abs(basis), 6)) if basis else "0",
            "unrealized_intraday_pl": money(intraday),
            "unrealized_intraday_plpc": num(round(intraday / intraday_base, 6))
            if intraday_base else "0",
            "current_price": num(price), "lastday_price": num(lastday),
            "change_today": num(round((price - lastday) / lastday, 6)) if lastday else "0",
        }  # fmt: skip

    def activity_json(self, f: FillRecord) -> dict[str, Any]:
        return {
            "id": f.activity_id, "account_id": self.id, "activity_type": "FILL",
            "transaction_time": ts(f.time_ns),
            "type": "fill" if f.leaves_qty <= 1e-9 else "partial_fill",
            "price": num(f.price), "qty": num(f.qty), "side": f.side, "symbol": f.symbol,
            "leaves_qty": num(f.leaves_qty), "order_id": f.order_id, "cum_qty": num(f.cum_qty),
            "order_status": f.order_status,
        }  # fmt: skip
