"""The demo account every key starts with (docs/simulator.md, "Trading API and
trade_updates"): cash 100,000; long AAPL 50 bought below the market (a gain), long MSFT
20 bought above it (a loss), short SPY 10 sold above it (a gain); an open buy limit
(day, extended hours) for 250 F that fills in three parts from 20 simulated seconds on
(partial_fill, partial_fill, fill: within the first minute when the market trades); a
resting buy limit for 10 NVDA at half the market (never fills); the earlier filled
orders of the positions plus one canceled order, with their FILL activities; and a
watchlist "Demo".

Prices come from the symbols' starting state, so the same seed gives the same account.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.simulator.trading.account import FillRecord, SimAccount, SimPosition
from engine.simulator.trading.fmt import NS_PER_S, new_id
from engine.simulator.trading.orders import SimOrder
from engine.simulator.trading.watchlists import WatchlistBook

if TYPE_CHECKING:
    from engine.simulator.trading.engine import TradingEngine

DAY_NS = 86_400 * NS_PER_S
# symbol, quantity (negative: short), entry price as a share of the previous close,
# days ago it was filled
PORTFOLIO = (("AAPL", 50, 0.92, 6), ("MSFT", 20, 1.06, 4), ("SPY", -10, 1.03, 2))
FILLING = ("F", 250.0)  # fills within the first simulated minute
RESTING = ("NVDA", 10.0)  # far below the market
FIRST_FILL_S = 20
PART_GAP_S = 15
WATCHLIST = ("AAPL", "MSFT", "NVDA", "SPY", "TSLA")


def _closed(acct: SimAccount, symbol: str, side: str, qty: float, price: float | None,
            at: int, status: str = "filled") -> None:  # fmt: skip
    o = SimOrder(new_id(), new_id(), symbol, side, "market" if price is None else "limit",
                 "day", qty, price, None, "simple", False, at, status=status,
                 updated_ns=at)  # fmt: skip
    if status == "filled" and price is not None:
        o.type, o.limit_price = "market", None
        o.filled_qty, o.filled_notional, o.filled_ns = qty, qty * price, at
        acct.fills.append(FillRecord(new_id(), at, o.id, symbol, side, qty, price, qty, 0.0,
                                     "filled"))  # fmt: skip
    else:
        o.canceled_ns = at
    acct.closed[o.id] = o


def seed(engine: TradingEngine, acct: SimAccount, book: WatchlistBook, now: int) -> None:
    market = engine.market
    for symbol, qty, share, days in PORTFOLIO:
        if not market.add_symbol(symbol):
            continue
        px = engine.prices(symbol)
        assert px is not None  # just added
        entry = round(px[1] * share, 2)
        acct.positions[symbol] = SimPosition(symbol, float(qty), entry)
        at = now - days * DAY_NS
        _closed(acct, symbol, "buy" if qty > 0 else "sell", float(abs(qty)), entry, at)
    if market.add_symbol(RESTING[0]):
        st = market.state(RESTING[0])
        assert st is not None
        _closed(acct, RESTING[0], "buy", 5.0, round(st.bid * 0.9, 2), now - DAY_NS, "canceled")
        hour_ago = now - 3600 * NS_PER_S
        acct.open_order(SimOrder(new_id(), new_id(), RESTING[0], "buy", "limit", "gtc",
                                 RESTING[1], round(st.bid * 0.5, 2), None, "simple", False,
                                 hour_ago, updated_ns=hour_ago))  # fmt: skip
    if market.add_symbol(FILLING[0]):
        st = market.state(FILLING[0])
        assert st is not None
        limit = round(max(st.ask * 1.01, st.ask + 0.05), 2)  # stays marketable for a minute
        order = SimOrder(new_id(), new_id(), FILLING[0], "buy", "limit", "day", FILLING[1],
                         limit, None, "simple", True, now, updated_ns=now,
                         next_fill_ns=now + FIRST_FILL_S * NS_PER_S,
                         interval_ns=PART_GAP_S * NS_PER_S)  # fmt: skip
        order.expires_ns = engine.expiry(order, now)
        acct.open_order(order)
    book.create("Demo", [s for s in WATCHLIST if market.add_symbol(s)], now)
