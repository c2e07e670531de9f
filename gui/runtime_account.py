"""The account side of the composition root: the user's Alpaca account, read-only.

`AccountLink` makes, for one key and endpoint at a time, the engine objects of the
account (`AccountBook`, the trade_updates stream's own `StreamHealth`, `TradingRest` over
a REST client spending the key's one request budget, `AccountService`) and the window's
account widgets (positions and orders docks, fill notifications, the PAPER/LIVE badge,
the trade stream's state). Tickerdesk never places, changes or cancels orders
(docs/account-and-history.md, "Trading API (account)").

The panels, the badge and the stream state show at once; with a start-up gate given
(gui.runtime_gate) the account's requests (REST reads, trade_updates, the watchlist
sync, the asset list) go out when it opens: after the first live row, or a 1 s cap.

Which endpoint: the demo uses its simulator's Trading API and `/stream`; otherwise the
Settings choice (off, paper, live), or, never chosen, the one the key opens
(`gui.settings.persistence.default_trading_api`).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

from engine.account.assets_cache import SymbolDirectory
from engine.account.book import AccountBook
from engine.account.client import LIVE_TRADING_URL, PAPER_TRADING_URL, TradingRest
from engine.account.service import AccountService
from engine.account.stream import trading_stream_url
from engine.config import LIVE_REST_URL, Credentials
from engine.core.tasks import TaskSet
from engine.net.budget import RequestBudget
from engine.net.health import StreamHealth
from engine.net.rest import RestClient, RestConfig
from engine.protocol.session import DEMO_AUTH
from gui.account.controller import AccountPanels
from gui.runtime_gate import FirstData
from gui.settings.persistence import AppSettings, default_trading_api
from gui.statusbar.account import AccountBadge, TradeStreamIndicator
from gui.watchlists.sync import WatchlistSync

if TYPE_CHECKING:
    from pathlib import Path

    from engine.market.store import MarketDataStore
    from engine.simulator import Simulator
    from gui.main_window import MainWindow

__all__ = ["AccountLink", "TradingEndpoint", "endpoint"]

log = logging.getLogger("gui.runtime")

ACCOUNT_DOCK_HEIGHT = 200  # px, first shown; the user's own size is saved with the layout


@dataclass(frozen=True, slots=True)
class TradingEndpoint:
    """Where the account lives: the Trading API base, its trade_updates stream, paper?
    and the key pair that opens it."""

    rest_url: str
    stream_url: str
    paper: bool
    credentials: Credentials | None
    demo: bool = False  # the built-in simulator's demo account


def endpoint(
    settings: AppSettings,
    credentials: Credentials | None,
    simulator: Simulator | None,
    rest_url: str | None = LIVE_REST_URL,
    ws_url: str | None = None,
) -> TradingEndpoint | None:
    """The account's endpoint, or None: Trading API off (in the demo too), or no key
    for Alpaca. The built-in simulator, or a server of the user's own (`--rest-url`, e.g.
    `tickerdesk-sim`), serves its Trading API on its REST base and trade_updates at
    `/stream` under its websocket base, with the demo key when none is given."""
    if settings.trading_api() == "off":
        return None
    if simulator is not None:
        rest_url, ws_url = simulator.rest_url, simulator.ws_url
    if rest_url is not None and rest_url != LIVE_REST_URL and ws_url is not None:
        # The demo account opens with the demo key the data stream uses too.
        key = credentials or Credentials(*DEMO_AUTH)
        stream = f"{ws_url.rstrip('/')}/stream"
        return TradingEndpoint(rest_url, stream, True, key, demo=simulator is not None)
    if credentials is None:
        return None
    choice = settings.trading_api() or default_trading_api(credentials.key_id)
    base = LIVE_TRADING_URL if choice == "live" else PAPER_TRADING_URL
    return TradingEndpoint(base, trading_stream_url(base), choice != "live", credentials)


class AccountLink:
    """The account's engine objects and widgets for one endpoint and key at a time."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.health = StreamHealth(clock=clock)  # the trade_updates stream's own
        self.book: AccountBook | None = None
        self.service: AccountService | None = None
        self.panels: AccountPanels | None = None
        self.watch_sync: WatchlistSync | None = None  # tabs in sync with Alpaca's lists
        self.symbols = SymbolDirectory()  # the asset list: search with names, validation
        self.badge = AccountBadge(None)
        self.indicator = TradeStreamIndicator(None, clock, rest_error=self._rest_error)
        self.where: TradingEndpoint | None = None
        self._rest: RestClient | None = None
        self._gated = TaskSet()  # the connect waiting for the start-up gate

    def attach(self, window: MainWindow) -> None:
        """Put the badge and the stream state in the status bar (hidden while off)."""
        window.status.add(self.badge)
        window.status.add(self.indicator)
        window.watchlist_bar.set_directory(self.symbols)

    def _rest_error(self) -> str | None:
        return self.service.last_error if self.service is not None else None

    def start(
        self,
        where: TradingEndpoint | None,
        budget: RequestBudget | None,
        store: MarketDataStore,
        window: MainWindow,
        insecure: bool = False,
        now_ns: Callable[[], int] = time.time_ns,
        ca_file: str | None = None,
        gate: FirstData | None = None,
    ) -> None:
        """Connect the account at `where` (None: leave it off) and show it; `now_ns` is
        the exchange clock order ages count on (a demo's simulated one). The panels show
        at once; with a `gate` not yet open, the requests start when it opens."""
        self.where = where
        if where is None:
            return
        credentials = where.credentials
        try:
            rest = RestClient(
                RestConfig(where.rest_url, "iex", credentials, insecure, ca_file=ca_file),
                budget=budget,
            )
        except Exception as exc:  # a bad URL or key format: say so, keep the app running
            log.warning("no account: %s", exc)
            return
        self._rest = rest
        self.health = StreamHealth(clock=self._clock)
        self.book = AccountBook()
        self.panels = AccountPanels(
            self.book, store, where.paper, window.alerts.notifier, self._clock, now_ns,
            parent=window,
        )  # fmt: skip
        self.service = AccountService(
            TradingRest(rest), where.stream_url, credentials, self.book, self.health,
            self.panels.on_fill, paper=where.paper, insecure=insecure, ca_file=ca_file,
            clock=self._clock,
        )  # fmt: skip
        self.badge.set_mode(where.paper)
        self.indicator.set_health(self.health)
        self._dock(window, self.panels)
        window.theme.theme_changed.connect(self.panels.set_palette)
        self.panels.set_palette(window.theme.palette)
        service = self.service  # Alpaca's calendar wins on an unscheduled closure
        self.watch_sync = WatchlistSync(window.watchlists, service.rest, window.settings,
                                        window.tasks)  # fmt: skip
        window.status.market_session.set_server_calendar(
            lambda: (service.server_calendar, service.calendar_note)
        )
        # The asset list is cached beside the settings, refreshed daily; the demo's
        # simulator answers at once, so its list stays in memory.
        path = window.settings.path
        cache = None if where.demo else path.with_name(f"{path.stem}.assets.json")
        connect = functools.partial(self._connect, service, self.watch_sync, cache)
        if gate is None:
            connect()
        else:
            gate.start_when_open(connect, self._gated, "tickerdesk-account-gate")

    def _connect(self, service: AccountService, sync: WatchlistSync, cache: Path | None) -> None:
        """The account's requests start: REST reads and trade_updates, the watchlist
        sync's first pass, the asset list (unless this account was stopped meanwhile)."""
        if service is not self.service:
            return
        service.start()
        sync.start()
        self.symbols.start(service.rest, cache)

    @staticmethod
    def _dock(window: MainWindow, panels: AccountPanels) -> None:
        # Under the table, as tabs, with the right column (detail, alerts) keeping the
        # bottom-right corner: the account then adds nothing to the window's minimum
        # height, which must fit a 768 px laptop screen (docs/qt.md).
        window.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        area = Qt.DockWidgetArea.BottomDockWidgetArea
        for dock in (panels.positions, panels.orders):
            window.addDockWidget(area, dock)
        window.tabifyDockWidget(panels.positions, panels.orders)
        panels.positions.raise_()
        # A strip under the table, not half of it: the watchlist stays the main view.
        window.resizeDocks([panels.positions], [ACCOUNT_DOCK_HEIGHT], Qt.Orientation.Vertical)

    async def stop(self, window: MainWindow | None = None) -> None:
        """Disconnect the account and take its docks away (e.g. another key)."""
        await self._gated.cancel_all()
        await self.symbols.stop()  # first, with the sync: both talk through the service
        sync, self.watch_sync = self.watch_sync, None
        if sync is not None:
            await sync.stop()
        service, self.service = self.service, None
        if service is not None:
            await service.stop()
        rest, self._rest = self._rest, None
        if rest is not None:
            await rest.aclose()
        panels, self.panels = self.panels, None
        if panels is not None:
            panels.stop()
            if window is not None:
                for dock in (panels.positions, panels.orders):
                    window.removeDockWidget(dock)
                    dock.deleteLater()
        self.badge.set_mode(None)
        self.indicator.set_health(None)
        if window is not None:
            window.status.market_session.set_server_calendar(None)
        self.book = None
