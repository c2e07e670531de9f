"""`tickerdesk-watch --account`: the user's Alpaca account, read-only, without a GUI.

The app's AccountService (engine.account.service) over the Trading API and the
trade_updates stream, its REST calls spending the same request budget as the market-data
snapshots (docs/account-and-history.md, "Plans and limits"). `--json` adds `account`,
`positions` and `open_orders` to the document; positions' market value and unrealized
P&L use the store's fresh price when the symbol is watched, else the account's own
(REST) figures, and say which (`price_source`). Tickerdesk never places, changes or
cancels orders.
"""

from __future__ import annotations

from typing import Any

from engine.account.book import AccountBook
from engine.account.client import TradingRest, is_paper_url
from engine.account.models import Order, Position
from engine.account.service import AccountService
from engine.account.stream import trading_stream_url
from engine.config import Credentials
from engine.market.snapshot import Freshness
from engine.market.store import MarketDataStore
from engine.net.budget import RequestBudget
from engine.net.health import StreamHealth
from engine.net.rest import RestClient, RestConfig
from engine.protocol.session import DEMO_AUTH

__all__ = ["WatchAccount"]


class WatchAccount:
    """One run's account: book, service and the trade stream's health."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials | None,
        budget: RequestBudget | None,
        store: MarketDataStore,
        *,
        stream_url: str | None = None,
        demo: bool = False,
        insecure: bool = False,
        ca_file: str | None = None,
    ) -> None:
        creds = credentials or (Credentials(*DEMO_AUTH) if demo else None)
        rest_config = RestConfig(base_url, "iex", creds, insecure, ca_file=ca_file)
        self._rest = RestClient(rest_config, budget=budget)
        self._store = store
        self.book = AccountBook()
        self.health = StreamHealth()
        self.fills = 0
        self.service = AccountService(
            TradingRest(self._rest), stream_url or trading_stream_url(base_url), creds, self.book,
            self.health, self._on_fill, paper=is_paper_url(base_url), insecure=insecure,
            ca_file=ca_file,
        )  # fmt: skip

    def _on_fill(self, _fill: object) -> None:
        self.fills += 1

    def start(self) -> None:
        self.service.start()

    async def stop(self) -> None:
        await self.service.stop()
        await self._rest.aclose()

    def document(self) -> dict[str, Any]:
        """`account`, `positions`, `open_orders` and the account stream's state."""
        account = self.book.account
        return {
            "account": None if account is None else {
                "account_number": account.account_number, "status": account.status,
                "equity": account.equity, "last_equity": account.last_equity,
                "day_pl": _money(account.day_pl), "cash": account.cash,
                "buying_power": account.buying_power, "paper": self.service.paper,
                "pattern_day_trader": account.pattern_day_trader,
                "trading_blocked": account.trading_blocked,
                "account_blocked": account.account_blocked,
            },
            "positions": [self._position(p) for p in self.book.positions.values()],
            "open_orders": [_order(o) for o in self.book.open_orders()],
            "account_stream": {
                "state": str(self.health.state), "last_error": self.health.last_error,
                "reconnects": self.health.reconnects, "fills_seen": self.fills,
            },
            "account_error": self.service.last_error,
        }  # fmt: skip

    def _position(self, p: Position) -> dict[str, Any]:
        qty = p.qty if p.side != "short" else -abs(p.qty)
        snap = self._store.get(p.symbol)
        live = (
            snap is not None
            and snap.last_price is not None
            and self._store.freshness(p.symbol) is Freshness.FRESH
        )
        price = snap.last_price if live and snap is not None else p.current_price
        value = qty * price if price is not None else p.market_value
        unrealized = p.unrealized_pl
        if live and price is not None and p.avg_entry_price is not None:
            unrealized = (price - p.avg_entry_price) * qty
        return {
            "symbol": p.symbol, "qty": qty, "side": p.side,
            "avg_entry_price": p.avg_entry_price, "price": price,
            "price_source": "stream" if live else "rest",
            "market_value": _money(value), "unrealized_pl": _money(unrealized),
        }  # fmt: skip


def _money(value: float | None) -> float | None:
    """To the cent: products of prices carry float noise (0.1 * 3 = 0.30000000000000004)."""
    return None if value is None else round(value, 2)


def _order(o: Order) -> dict[str, Any]:
    return {
        "id": o.id, "symbol": o.symbol, "side": str(o.side), "type": o.type,
        "qty": o.qty, "filled_qty": o.filled_qty, "status": str(o.status),
        "limit_price": o.limit_price, "stop_price": o.stop_price,
        "time_in_force": o.time_in_force, "legs": [_order(leg) for leg in o.legs],
    }  # fmt: skip
