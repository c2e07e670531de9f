"""Orders of the simulated account: the record, its JSON (Alpaca's order object), and the
validation of `POST /v2/orders` (422 for bad parameters, as Alpaca answers).

Supported: `market`, `limit`, `stop`, `stop_limit`; `qty` (whole or fractional shares);
`time_in_force` `day`, `gtc`, `ioc`, `fok`; `extended_hours` (DAY limit orders only);
`order_class` `simple`, `bracket`, `oco`, `oto` with `take_profit`/`stop_loss` legs.
Not modelled (422 "... not supported by the simulator"): `notional`, `trailing_stop`,
`opg`/`cls`.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from engine.simulator.trading.assets import asset_id
from engine.simulator.trading.fmt import new_id, num, ts

OPEN_STATUSES = frozenset(
    {"new", "partially_filled", "accepted", "pending_new", "held", "pending_cancel",
     "pending_replace", "accepted_for_bidding", "calculated", "done_for_day"}
)  # fmt: skip
TYPES = frozenset({"market", "limit", "stop", "stop_limit"})
TIFS = frozenset({"day", "gtc", "ioc", "fok"})
CLASSES = frozenset({"simple", "bracket", "oco", "oto"})
MAX_QTY = 10_000_000.0


@dataclasses.dataclass(slots=True)
class SimOrder:
    id: str
    client_order_id: str
    symbol: str
    side: str
    type: str
    time_in_force: str
    qty: float
    limit_price: float | None
    stop_price: float | None
    order_class: str
    extended_hours: bool
    created_ns: int
    status: str = "new"
    updated_ns: int = 0
    filled_qty: float = 0.0
    filled_notional: float = 0.0
    filled_ns: int | None = None
    canceled_ns: int | None = None
    expired_ns: int | None = None
    expires_ns: int | None = None  # a day order's end (None: never, e.g. always-on market)
    legs: list[SimOrder] = dataclasses.field(default_factory=list)
    parent_id: str | None = None
    triggered: bool = False  # a stop order whose stop price was reached
    next_fill_ns: int = 0  # no part fills before (parts are `fill_interval` apart)
    interval_ns: int | None = None  # this order's gap between parts (None: the config's)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def leaves(self) -> float:
        return max(0.0, self.qty - self.filled_qty)

    @property
    def avg_price(self) -> float | None:
        return self.filled_notional / self.filled_qty if self.filled_qty > 0 else None


def order_json(o: SimOrder, *, nested: bool = True) -> dict[str, Any]:
    """Alpaca's order object; numbers as strings, `legs` only when nested (else null)."""
    legs = [order_json(leg) for leg in o.legs] if nested and o.legs else None
    avg = o.avg_price
    return {
        "id": o.id, "client_order_id": o.client_order_id,
        "created_at": ts(o.created_ns), "updated_at": ts(o.updated_ns or o.created_ns),
        "submitted_at": ts(o.created_ns), "filled_at": ts(o.filled_ns),
        "expired_at": ts(o.expired_ns), "canceled_at": ts(o.canceled_ns), "failed_at": None,
        "replaced_at": None, "replaced_by": None, "replaces": None,
        "asset_id": asset_id(o.symbol), "symbol": o.symbol, "asset_class": "us_equity",
        "notional": None, "qty": num(o.qty), "filled_qty": num(o.filled_qty),
        "filled_avg_price": num(round(avg, 4)) if avg is not None else None,
        "order_class": o.order_class, "order_type": o.type, "type": o.type, "side": o.side,
        "position_intent": None, "time_in_force": o.time_in_force,
        "limit_price": num(o.limit_price), "stop_price": num(o.stop_price),
        "status": o.status, "extended_hours": o.extended_hours, "legs": legs,
        "trail_percent": None, "trail_price": None, "hwm": None, "subtag": None,
        "source": None, "expires_at": ts(o.expires_ns),
    }  # fmt: skip


class OrderError(ValueError):
    """A refused order: `status` (422 or 403) and Alpaca's message."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


def _number(body: dict[str, Any], name: str, *, required: bool = False) -> float | None:
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise OrderError(f"{name} is required")
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise OrderError(f"invalid {name}: {value!r}") from None
    if not math.isfinite(x) or x <= 0:
        raise OrderError(f"{name} must be > 0")
    return x


def _price(body: dict[str, Any], name: str, required: bool) -> float | None:
    x = _number(body, name, required=required)
    if x is not None and round(x, 4) != x:
        raise OrderError(f"invalid {name}: sub-penny increment does not fulfill minimum "
                         "pricing criteria")  # fmt: skip
    return x


def _leg_price(body: dict[str, Any], leg: str, name: str, required: bool) -> float | None:
    part = body.get(leg)
    if part is None:
        if required:
            raise OrderError(f"{leg} is required for this order_class")
        return None
    if not isinstance(part, dict):
        raise OrderError(f"invalid {leg}")
    return _price(part, name, required)


def parse_order(body: Any, now_ns: int) -> SimOrder:
    """A new order from `POST /v2/orders`, with its legs; OrderError when refused."""
    if not isinstance(body, dict):
        raise OrderError("request body format is invalid", 400)
    symbol = body.get("symbol")
    if not isinstance(symbol, str) or not symbol:
        raise OrderError("symbol is required")
    side = body.get("side")
    if side not in ("buy", "sell"):
        raise OrderError(f"invalid side: {side!r}")
    otype = body.get("type", body.get("order_type", "market"))
    if otype == "trailing_stop" or body.get("notional") is not None:
        raise OrderError(f"{'notional' if otype != 'trailing_stop' else otype} orders are "
                         "not supported by the simulator")  # fmt: skip
    if otype not in TYPES:
        raise OrderError(f"invalid order type: {otype!r}")
    tif = body.get("time_in_force")
    if tif not in TIFS:
        raise OrderError(f"invalid time_in_force: {tif!r} (the simulator takes day, gtc, "
                         "ioc, fok)")  # fmt: skip
    qty = _number(body, "qty", required=True)
    assert qty is not None
    if qty > MAX_QTY:
        raise OrderError("qty is too large")
    limit = _price(body, "limit_price", otype in ("limit", "stop_limit"))
    stop = _price(body, "stop_price", otype in ("stop", "stop_limit"))
    if otype in ("market", "stop") and limit is not None:
        raise OrderError("limit_price is not allowed for this order type")
    extended = bool(body.get("extended_hours", False))
    if extended and (otype != "limit" or tif != "day"):
        raise OrderError("extended hours order must be DAY limit orders")
    oclass = body.get("order_class") or "simple"
    if oclass not in CLASSES:
        raise OrderError(f"invalid order_class: {oclass!r}")
    cid = body.get("client_order_id") or new_id()
    if not isinstance(cid, str) or len(cid) > 128:
        raise OrderError("client_order_id must be a string of at most 128 characters")
    order = SimOrder(new_id(), cid, symbol.upper(), side, otype, tif, qty, limit, stop,
                     oclass, extended, now_ns, updated_ns=now_ns)  # fmt: skip
    if oclass != "simple":
        _add_legs(order, body, now_ns)
    return order


def _add_legs(order: SimOrder, body: dict[str, Any], now_ns: int) -> None:
    """Bracket: entry + take-profit limit + stop-loss (opposite side, held until the entry
    fills). OTO: entry + one of them. OCO: the take-profit limit is the parent, the stop
    its leg, both working at once (one filling cancels the other)."""
    oclass = order.order_class
    if order.time_in_force not in ("day", "gtc"):
        raise OrderError("time_in_force must be day or gtc for advanced orders")
    tp = _leg_price(body, "take_profit", "limit_price", oclass in ("bracket", "oco"))
    sl = _leg_price(body, "stop_loss", "stop_price", oclass in ("bracket", "oco"))
    sl_limit = _leg_price(body, "stop_loss", "limit_price", False) if sl is not None else None
    if oclass == "oto" and (tp is None) == (sl is None):
        raise OrderError("oto orders need exactly one of take_profit and stop_loss")
    if oclass == "oco":
        if order.type != "limit":
            raise OrderError("oco orders must be limit orders")
        order.limit_price = tp  # the take-profit is the parent (Alpaca's OCO shape)
        legs = [("stop_limit" if sl_limit else "stop", order.side, sl_limit, sl)]
    else:
        exit_side = "sell" if order.side == "buy" else "buy"
        legs = []
        if tp is not None:
            legs.append(("limit", exit_side, tp, None))
        if sl is not None:
            legs.append(("stop_limit" if sl_limit else "stop", exit_side, sl_limit, sl))
    status = "new" if oclass == "oco" else "held"
    for otype, side, limit, stop in legs:
        order.legs.append(SimOrder(
            new_id(), new_id(), order.symbol, side, otype, order.time_in_force, order.qty,
            limit, stop, oclass, False, now_ns, status=status, updated_ns=now_ns,
            parent_id=order.id,
        ))  # fmt: skip
