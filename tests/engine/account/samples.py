"""Hand-written Trading API objects in Alpaca's documented shapes (numbers as strings).

docs/account-and-history.md, "Trading API (account)" and "Account stream: trade_updates".
"""

from __future__ import annotations

import json
from typing import Any

ACCOUNT: dict[str, Any] = {
    "id": "904837e3-3b76-47ec-b432-046db621571b",
    "account_number": "PA2TDUEF3R8E",
    "status": "ACTIVE",
    "currency": "USD",
    "cash": "100000.5",
    "equity": "102500.25",
    "last_equity": "101000",
    "buying_power": "200000",
    "daytrading_buying_power": "0",
    "portfolio_value": "102500.25",
    "pattern_day_trader": False,
    "trading_blocked": False,
    "account_blocked": False,
}

POSITION_AAPL: dict[str, Any] = {
    "asset_id": "b0b6dd9d-8b9b-48a9-ba46-b9d54906e415",
    "symbol": "AAPL",
    "exchange": "NASDAQ",
    "asset_class": "us_equity",
    "qty": "50",
    "qty_available": "50",
    "side": "long",
    "avg_entry_price": "150.10",
    "cost_basis": "7505",
    "market_value": "9000",
    "current_price": "180",
    "lastday_price": "178",
    "change_today": "0.0112",
    "unrealized_pl": "1495",
    "unrealized_plpc": "0.199",
    "unrealized_intraday_pl": "100",
    "unrealized_intraday_plpc": "0.011",
}

POSITION_SPY_SHORT: dict[str, Any] = {
    "symbol": "SPY",
    "qty": "-10",
    "side": "short",
    "avg_entry_price": "500",
    "cost_basis": "-5000",
    "market_value": "-5100",
    "current_price": "510",
    "lastday_price": "505",
    "unrealized_pl": "-100",
    "unrealized_intraday_pl": "-50",
}


def order(
    order_id: str = "61e69015-8549-4bfd-b9c3-01e75843f47d",
    *,
    symbol: str = "AAPL",
    side: str = "buy",
    status: str = "new",
    qty: str | None = "100",
    filled_qty: str = "0",
    filled_avg_price: str | None = None,
    limit_price: str | None = "170.5",
    created_at: str = "2024-03-04T14:30:00.123456789Z",
    updated_at: str | None = "2024-03-04T14:30:00.2Z",
    order_class: str = "",
    legs: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "id": order_id,
        "client_order_id": "eb9e2aaa-f71a-4f51-b5b4-52a6c565dad4",
        "created_at": created_at,
        "updated_at": updated_at,
        "submitted_at": created_at,
        "filled_at": None,
        "expired_at": None,
        "canceled_at": None,
        "failed_at": None,
        "asset_id": "b0b6dd9d-8b9b-48a9-ba46-b9d54906e415",
        "symbol": symbol,
        "asset_class": "us_equity",
        "notional": None,
        "qty": qty,
        "filled_qty": filled_qty,
        "filled_avg_price": filled_avg_price,
        "order_class": order_class,
        "order_type": "limit",
        "type": "limit",
        "side": side,
        "time_in_force": "day",
        "limit_price": limit_price,
        "stop_price": None,
        "status": status,
        "extended_hours": False,
        "legs": legs,
    }


def activity(
    uuid: str,
    *,
    order_id: str = "61e69015-8549-4bfd-b9c3-01e75843f47d",
    qty: str = "40",
    cum_qty: str = "40",
    leaves_qty: str = "60",
    price: str = "170.5",
    kind: str = "partial_fill",
    time: str = "2024-03-04T14:31:00.5Z",
) -> dict[str, Any]:
    return {
        "id": f"20240304093100500::{uuid}",
        "activity_type": "FILL",
        "transaction_time": time,
        "type": kind,
        "price": price,
        "qty": qty,
        "side": "buy",
        "symbol": "AAPL",
        "leaves_qty": leaves_qty,
        "order_id": order_id,
        "cum_qty": cum_qty,
        "order_status": "partially_filled" if kind == "partial_fill" else "filled",
    }


def trade_update(
    event: str,
    order_obj: dict[str, Any],
    *,
    execution_id: str | None = None,
    qty: str | None = None,
    price: str | None = None,
    position_qty: str | None = None,
    timestamp: str = "2024-03-04T14:31:00.5Z",
) -> dict[str, Any]:
    data: dict[str, Any] = {"event": event, "timestamp": timestamp, "order": order_obj}
    if execution_id is not None:
        data["execution_id"] = execution_id
    if qty is not None:
        data["qty"] = qty
    if price is not None:
        data["price"] = price
    if position_qty is not None:
        data["position_qty"] = position_qty
    return {"stream": "trade_updates", "data": data}


def dumps(value: object) -> bytes:
    return json.dumps(value).encode()
