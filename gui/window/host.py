"""What gui.window's helpers need of the main window, as a Protocol.

gui.window may not import gui.main_window (the import contract "gui domain packages never
import the top", pyproject.toml): the layouts and the theme wiring are typed against this
instead, and the main window satisfies it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from engine.market.history import PriceHistory
from engine.market.store import MarketDataStore
from gui.alerts.controller import AlertsController
from gui.detail.pane import DetailPane
from gui.positions.controller import PositionsController
from gui.settings.persistence import AppSettings
from gui.settings.theme import ThemeController
from gui.statusbar import StatusIndicators
from gui.table.delegates import SparklineDelegate
from gui.table.model import TickerTableModel
from gui.table.view import TickerView
from gui.watchlists.bar import WatchlistBar
from gui.watchlists.controller import WatchlistController
from gui.window.geometry import GeometryKeeper


class WindowHost(Protocol):
    """The main window's parts (a QMainWindow besides: callers cast for Qt's own API)."""

    settings: AppSettings
    store: MarketDataStore
    history: PriceHistory
    clock: Callable[[], float]
    model: TickerTableModel
    table: TickerView
    sparklines: SparklineDelegate
    detail: DetailPane
    watchlist_bar: WatchlistBar
    status: StatusIndicators
    alerts: AlertsController
    watchlists: WatchlistController
    portfolio: PositionsController
    theme: ThemeController
    geometry_keeper: GeometryKeeper

    def current_symbol(self) -> str | None: ...

    def select_symbol(self, symbol: str) -> None: ...

    def save_now(self) -> None: ...
