"""The simulated brokerage: one account per API key, orders matched against the live
market on every tick, and the trade_updates events they cause.

`TradingEngine.tick(now)` runs after each market step (engine.simulator.server); it costs
O(open orders) and nothing at all before the first trading request. Accounts are made on
first use with the demo portfolio (engine.simulator.trading.demo); at most `MAX_ACCOUNTS`
keys are kept (the least recently used is forgotten). Events go to `sink(key, event)`
(the trade_updates hub), unless `lose_updates` is set (a fault: fills that never arrive).
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from engine.market.calendar import (
    EASTERN,
    MarketSession,
    current_trading_day,
    day_hours,
    day_start,
    next_trading_day,
    session_at,
    to_ns,
)
from engine.simulator import state as st_mod
from engine.simulator.config import SimulatorConfig
from engine.simulator.market import Market
from engine.simulator.trading import demo, matching
from engine.simulator.trading.account import MAX_OPEN, FillRecord, SimAccount
from engine.simulator.trading.assets import AssetBook
from engine.simulator.trading.fmt import NS_PER_S, Reply, error, num, ts, unprocessable
from engine.simulator.trading.orders import OrderError, SimOrder, order_json, parse_order
from engine.simulator.trading.watchlists import WatchlistBook

MAX_ACCOUNTS = 256
Sink = Callable[[str, dict[str, Any]], None]


@dataclasses.dataclass(slots=True)
class TradingStats:
    orders_placed: int = 0
    orders_refused: int = 0  # POST /v2/orders answered 4xx
    fills: int = 0
    events: int = 0  # trade_updates events made (sent or lost)
    events_lost: int = 0  # made while `lose_updates` was on


class TradingEngine:
    def __init__(
        self, config: SimulatorConfig, market: Market, now_ns: Callable[[], int],
        on_symbols: Callable[[], None],
    ) -> None:  # fmt: skip
        self.config = config
        self.market = market
        self.now_ns = now_ns
        self.assets = AssetBook(market)
        self.accounts: OrderedDict[str, SimAccount] = OrderedDict()
        self.watchlists: dict[str, WatchlistBook] = {}
        self.forbidden: set[str] = set(config.trading_forbidden_keys)
        self.lose_updates = False
        self.stats = TradingStats()
        self.ticks = 0  # matching passes run (tests wait on it instead of on time)
        self.sink: Sink | None = None
        self._on_symbols = on_symbols
        self._symbols: frozenset[str] = frozenset()
        self._day_cache: tuple[int, int, MarketSession | None] = (-1, 0, None)

    # --- accounts -------------------------------------------------------------------

    def account(self, key: str) -> SimAccount:
        """The key's account, made with the demo portfolio on first use."""
        acct = self.accounts.get(key)
        if acct is not None:
            self.accounts.move_to_end(key)
            return acct
        now = self.now_ns()
        acct = self.accounts[key] = SimAccount(key, now)
        book = self.watchlists[key] = WatchlistBook(acct.id, self.assets)
        demo.seed(self, acct, book, now)
        acct.roll_day(self._day_info(now)[0])
        while len(self.accounts) > MAX_ACCOUNTS:
            old, _ = self.accounts.popitem(last=False)
            self.watchlists.pop(old, None)
        self._symbols_changed()
        return acct

    def symbols(self) -> frozenset[str]:
        """Symbols with an open order or a position: they trade although no stream
        subscribes them (so positions move and orders can fill)."""
        return self._symbols

    def _symbols_changed(self) -> None:
        wanted = frozenset(
            s for a in self.accounts.values() for s in (*a.positions, *(o.symbol for o in
                                                                          a.open.values()))
        )  # fmt: skip
        if wanted != self._symbols:
            self._symbols = wanted
            self._on_symbols()

    # --- market facts ---------------------------------------------------------------

    def _day_info(self, now: int) -> tuple[int, MarketSession | None]:
        """(start of the current trading day, session or None for always-on), cached a
        simulated minute (calendar lookups are not free; docs/simulator.md)."""
        minute = now // st_mod.MINUTE_NS
        if self._day_cache[0] != minute:
            if self.config.day:
                at = datetime.fromtimestamp(now / 1e9, UTC)
                key = to_ns(day_start(current_trading_day(at)))
                session: MarketSession | None = session_at(at).session
            else:
                key, session = st_mod.day_start_ns(now), None
            self._day_cache = (minute, key, session)
        return self._day_cache[1], self._day_cache[2]

    def prices(self, symbol: str) -> tuple[float, float] | None:
        """(current price = last trade, previous close) of a symbol, None if unknown."""
        st = self.market.state(symbol)
        if st is None:
            return None
        today, _ = self._day_info(self.now_ns())
        daily = st.daily
        lastday = st.prev_daily.c if daily.start_ns >= today else daily.c
        return st.last_price, lastday

    def expiry(self, order: SimOrder, now: int) -> int | None:
        """A day order ends at the close (after-hours end if extended) of its trading
        day, in the real day only; after the close it is for the next day."""
        if order.time_in_force != "day" or not self.config.day:
            return None
        at = datetime.fromtimestamp(now / 1e9, UTC).astimezone(EASTERN)
        hours = day_hours(at.date())
        if hours is None or at >= (hours.post_close if order.extended_hours else hours.close):
            hours = day_hours(next_trading_day(at.date()))
        assert hours is not None  # next_trading_day returns a trading day
        return to_ns(hours.post_close if order.extended_hours else hours.close)

    # --- orders ---------------------------------------------------------------------

    def place(self, key: str, body: Any) -> Reply:
        acct = self.account(key)
        now = self.now_ns()
        try:
            order = parse_order(body, now)
            self._check(acct, order)
        except OrderError as exc:
            self.stats.orders_refused += 1
            if exc.status == 403:
                return error(403, str(exc), 40310000)
            return error(exc.status, str(exc)) if exc.status != 422 else unprocessable(str(exc))
        order.expires_ns = self.expiry(order, now)
        for leg in order.legs:
            leg.expires_ns = order.expires_ns
        acct.open[order.id] = order
        self.stats.orders_placed += 1
        self._event(key, "new", order, now)
        if order.order_class == "oco":
            for leg in order.legs:
                self._event(key, "new", leg, now)
        self._symbols_changed()
        return 200, order_json(order), []  # it fills from the next tick on, as Alpaca's do

    def _check(self, acct: SimAccount, order: SimOrder) -> None:
        if not self.assets.exists(order.symbol):
            raise OrderError("asset not found")
        if acct.client_id_taken(order.client_order_id):
            raise OrderError("client_order_id must be unique")
        if len(acct.open) >= MAX_OPEN:
            raise OrderError("too many open orders", 403)
        st = self.market.state(order.symbol)
        if order.side == "buy" and st is not None:
            cost = order.qty * (order.limit_price or st.ask)
            if cost > acct.values(self.prices)["buying_power"]:
                raise OrderError("insufficient buying power", 403)

    def cancel(self, key: str, order_id: str) -> Reply:
        acct = self.account(key)
        order = acct.find(order_id)
        if order is None:
            return 404, {"code": 40410000, "message": "order not found"}, []
        if not order.is_open:
            return unprocessable(f"order is not cancelable (status {order.status})")
        now = self.now_ns()
        top = acct.open.get(order.parent_id or order.id, order)
        for o in (top, *top.legs) if order is top else (order,):
            self._end(key, o, "canceled", now)
        acct.settle(top)
        self._symbols_changed()
        return 204, None, []

    def cancel_all(self, key: str) -> Reply:
        acct = self.account(key)
        out = []
        for order in list(acct.open.values()):
            self.cancel(key, order.id)
            out.append({"id": order.id, "status": 200, "body": order_json(order)})
        return 207, out, []

    def _end(self, key: str, order: SimOrder, status: str, now: int) -> None:
        if not order.is_open:
            return
        order.status = status
        order.updated_ns = now
        if status == "canceled":
            order.canceled_ns = now
        elif status == "expired":
            order.expired_ns = now
        self._event(key, status, order, now)

    # --- matching -------------------------------------------------------------------

    def tick(self, now: int) -> None:
        """Expire, trigger and fill what the market allows now (after each market step)."""
        self.ticks += 1
        if not self.accounts:
            return
        day_key, _ = self._day_info(now)
        changed = False
        for key, acct in self.accounts.items():
            acct.roll_day(day_key)
            for order in list(acct.open.values()):
                changed |= self._match_order(key, acct, order, now)
        if changed:
            self._symbols_changed()

    def _match_order(self, key: str, acct: SimAccount, top: SimOrder, now: int) -> bool:
        """One pass over an order and its working legs; True if it left the open list."""
        _, session = self._day_info(now)
        for order in (top, *top.legs):
            if not order.is_open or order.status == "held":
                continue
            if order.expires_ns is not None and now >= order.expires_ns:
                self._end(key, order, "expired", now)
                continue
            self._match_one(key, acct, top, order, now, session)
        acct.settle(top)
        return top.id not in acct.open

    def _match_one(
        self, key: str, acct: SimAccount, top: SimOrder, order: SimOrder, now: int,
        session: MarketSession | None,
    ) -> None:  # fmt: skip
        immediate = order.time_in_force in ("ioc", "fok")
        st = self.market.state(order.symbol)
        price = None
        if (
            st is not None
            and matching.session_allows(order, session)
            and self.market.halts.may_trade(order.symbol)
            and now >= order.next_fill_ns
        ):
            price = matching.fill_price(order, st)  # fmt: skip
        if price is None:
            if immediate:
                self._end(key, order, "canceled", now)
            return
        qty = matching.part_qty(order, float(self.config.fill_slice_qty))
        fill = acct.apply_fill(order, qty, price, now)
        interval = order.interval_ns or int(self.config.fill_interval_s * NS_PER_S)
        order.next_fill_ns = now + interval
        self.stats.fills += 1
        event = "fill" if order.status == "filled" else "partial_fill"
        self._event(key, event, order, now, fill, acct.position_qty(order.symbol))
        if order.status != "filled":
            if immediate:
                self._end(key, order, "canceled", now)
            return
        if order is top and top.order_class in ("bracket", "oto"):
            for leg in top.legs:  # the entry filled: the exits start working
                leg.status, leg.updated_ns, leg.next_fill_ns = "new", now, now
                self._event(key, "new", leg, now)
        elif top.order_class == "oco" or order is not top:
            for other in (top, *top.legs):  # one side of the OCO filled: cancel the rest
                if other is not order:
                    self._end(key, other, "canceled", now)

    def _event(
        self, key: str, event: str, order: SimOrder, now: int, fill: FillRecord | None = None,
        position_qty: float | None = None,
    ) -> None:  # fmt: skip
        """A trade_updates event: the order object as `/v2/orders` gives it, and for a
        fill its execution_id (the uuid in the FILL activity's id), price, qty and
        position_qty (docs/account-and-history.md, "Account stream: trade_updates")."""
        self.stats.events += 1
        if self.lose_updates:
            self.stats.events_lost += 1
            return
        if self.sink is None:
            return
        data: dict[str, Any] = {"event": event, "timestamp": ts(now), "order": order_json(order)}
        if fill is not None:
            data["execution_id"] = fill.execution_id
            data["price"] = num(fill.price)
            data["qty"] = num(fill.qty)
            data["position_qty"] = num(position_qty or 0.0)
        self.sink(key, {"stream": "trade_updates", "data": data})
