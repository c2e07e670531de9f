"""When and at what price an order fills against the simulated market.

The rules (docs/simulator.md, "Trading API and trade_updates"):
- a buy takes the ask, a sell the bid, of the symbol's current quote;
- `market`: fills at once; `limit`: a buy when ask <= limit, a sell when bid >= limit;
- `stop`/`stop_limit`: triggered when a buy's ask or last trade reaches the stop (a
  sell's bid or last trade falls to it), then a market / limit order;
- at most `fill_slice` shares per part, one part per `fill_interval` simulated seconds,
  so a large order fills in parts (partial_fill ... fill);
- in the real day (SimulatorConfig.day) nothing fills while the market is closed, and
  in the pre-market and after-hours only `extended_hours` orders; never while the
  symbol is halted. The always-on market fills at any hour.
- `ioc` fills one part at most and cancels the rest; `fok` fills all at once or cancels.
"""

from __future__ import annotations

from engine.market.calendar import MarketSession
from engine.simulator.state import SymbolState
from engine.simulator.trading.orders import SimOrder

EXTENDED = frozenset({MarketSession.PRE_MARKET, MarketSession.AFTER_HOURS})


def session_allows(order: SimOrder, session: MarketSession | None) -> bool:
    """`session` None: the always-on market, which trades at any hour."""
    if session is None or session is MarketSession.REGULAR:
        return True
    return order.extended_hours and session in EXTENDED


def _triggered(order: SimOrder, st: SymbolState) -> bool:
    stop = order.stop_price
    if stop is None:
        return True
    if order.side == "buy":
        return st.ask >= stop or st.last_price >= stop
    return st.bid <= stop or st.last_price <= stop


def fill_price(order: SimOrder, st: SymbolState) -> float | None:
    """The price this order fills at now, or None if it does not (yet)."""
    if st.bid <= 0 or st.ask <= 0 or st.ask < st.bid:
        return None  # no usable quote
    if order.type in ("stop", "stop_limit") and not order.triggered:
        if not _triggered(order, st):
            return None
        order.triggered = True
    px = st.ask if order.side == "buy" else st.bid
    limit = order.limit_price
    if order.type in ("limit", "stop_limit") and limit is not None:
        if order.side == "buy" and px > limit:
            return None
        if order.side == "sell" and px < limit:
            return None
    return px


def part_qty(order: SimOrder, fill_slice: float) -> float:
    """How much of the order one part fills: the rest, or a slice of a large order."""
    if order.time_in_force == "fok":
        return order.leaves
    return min(order.leaves, fill_slice)
