"""Main window: the wiring point of the ticker table, watchlists, detail pane, alerts and status.

Owns no sockets, parses nothing and creates no engine object: the composition root
(gui.runtime) hands it the store, health, settings, tasks, price history and alert book.
It builds the rooms' widgets, connects them, lays out the menus (gui.window.menus) and
reports intents (quit, connect, feed, settings) as signals the composition root wires to
the engine. Theme changes reach every painter through ThemeController.theme_changed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime

from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QApplication, QMainWindow, QVBoxLayout, QWidget

from engine.alerts.book import AlertBook
from engine.config import DEFAULT_FEED
from engine.core.tasks import TaskSet
from engine.events import Subscription
from engine.market.history import PriceHistory
from engine.market.store import MarketDataStore
from engine.net.health import StreamHealth
from engine.plan import SymbolBudget
from gui.alerts.controller import AlertsController
from gui.detail.pane import DetailPane
from gui.positions.controller import PositionsController
from gui.settings.dialog import ConnectionProbe, SettingsDialog, StreamSettings
from gui.settings.display import DisplayController
from gui.settings.persistence import AppSettings
from gui.settings.theme import ThemeController
from gui.shortcuts import apply_shortcuts
from gui.statusbar import StatusIndicators
from gui.table.columns import COLUMN_INDEX
from gui.table.delegates import SparklineDelegate
from gui.table.model import TickerFilterProxy, TickerTableModel
from gui.table.view import TickerView
from gui.watchlists.bar import SymbolChecker, WatchlistBar
from gui.watchlists.controller import WatchlistController
from gui.window.dialogs import WindowDialogs
from gui.window.geometry import GeometryKeeper, scroll_dock
from gui.window.layouts import WindowLayouts
from gui.window.menus import Submenu, WindowActions, fill_menu_bar
from gui.window.painters import connect_painters
from gui.window.tab_columns import leading_width
from gui.window.table_menu import open_table_menu

APP_TITLE = "Tickerdesk"
DEMO_SUFFIX = " — simulated data"
DETAIL_REFRESH_MS = 500


class MainWindow(QMainWindow):
    """The one window. Signals carry user intents to the composition root."""

    quit_requested = Signal()
    watchlist_changed = Signal(list)
    connect_requested = Signal(bool)
    feed_chosen = Signal(str)
    settings_applied = Signal(object)

    def __init__(
        self,
        store: MarketDataStore,
        health: StreamHealth,
        settings: AppSettings,
        tasks: TaskSet,
        *,
        history: PriceHistory,
        alerts: AlertBook,
        symbols: Sequence[str] = (),
        clock: Callable[[], float] = time.monotonic,
        demo: bool = False,
        checker: SymbolChecker | None = None,
        probe: ConnectionProbe | None = None,
        subscription: Callable[[], Subscription] = Subscription,
        flush_ms: int = 50,
        feed: str = DEFAULT_FEED.value,
        stream_settings: StreamSettings | None = None,
        credentials_source: str = "none",
        budget: SymbolBudget | None = None,  # the stream's symbol budget (status bar)
        poll_interval_s: float | None = None,
        session_clock: Callable[[], datetime] | None = None,  # a demo's simulated clock
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.store = store
        self.health = health
        self.settings = settings
        self.tasks = tasks
        self.history = history
        self.clock = clock
        self.probe = probe
        self.credentials_source = credentials_source
        self.stream_settings = stream_settings or StreamSettings(None, feed, "json", flush_ms)
        self.settings_dialog: SettingsDialog | None = None
        self.demo = demo
        self._closing = False

        # watch_store=False: several lists share the store; WatchlistSet owns the union.
        self.model = TickerTableModel(
            store, clock, self, flush_interval_ms=flush_ms, watch_store=False
        )
        self.proxy = TickerFilterProxy(self.model, self)
        self.table = TickerView(self.model, self.proxy, settings, self)
        # Sparklines and the detail chart: bounded per-symbol history fed by the store.
        self._history_observer = history.on_event  # one bound method, to remove later
        store.add_observer(self._history_observer)
        self.model.history = history
        self.sparklines = SparklineDelegate(self.table)
        self.table.setItemDelegateForColumn(COLUMN_INDEX["spark"], self.sparklines)
        self.watchlist_changed.connect(history.retain)
        self.watchlists = WatchlistController(
            self.model, settings, store, self.table.horizontalHeader().sortIndicatorOrder, self
        )
        self.portfolio = PositionsController(
            self.model, self.proxy, self.table, settings, self.current_symbol, self
        )
        central = QWidget(self)
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.watchlists.tabs)
        column.addWidget(self.table)
        column.addWidget(self.portfolio.footer)
        self.setCentralWidget(central)

        self.watchlist_bar = WatchlistBar(tasks, self.model.symbols, checker, self)
        self.addToolBar(self.watchlist_bar)
        self.detail = DetailPane(store, clock, self, history=history, settings=settings)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.detail)
        self.status = StatusIndicators(
            self.statusBar(), health, clock, demo, budget=budget,
            poll_interval_s=poll_interval_s, session_clock=session_clock,
        )  # fmt: skip
        self.alerts = AlertsController(
            alerts, settings.alerts_path(), store, window=self, table=self.table,
            flushed=self.model.flushed, current_symbol=self.current_symbol,
        )  # fmt: skip
        self.table.float_banner(self.alerts.banner)  # overlays, never pushes rows (#1)
        self.dialogs = WindowDialogs(self, health, subscription, clock)
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        self.theme = ThemeController.from_settings(app, settings, self)
        self.display = DisplayController(self, settings)
        self.geometry_keeper = GeometryKeeper(self, settings)
        for dock in (self.detail, self.alerts.panel):  # the docks never eat the table
            scroll_dock(dock)
        self.geometry_keeper.table_width = lambda: leading_width(self.table, "volume")
        self.layouts = WindowLayouts(self, flush_ms)
        self.commands = commands = WindowActions(self, feed)
        # The window's own commands, under the names tests and the fault harness use.
        self.remove_action = commands.remove_action
        self.connect_action = commands.connect_action
        self.settings_action = commands.settings_action
        self.quit_action = commands.quit_action
        self.feed_combo, self.feed_group = commands.feed_combo, commands.feed_group
        self._place_commands()
        self._build_menus()

        self._detail_timer = QTimer(self)
        self._detail_timer.setInterval(DETAIL_REFRESH_MS)
        self._detail_timer.timeout.connect(self._refresh_detail)
        self._detail_timer.start()

        self.set_demo(demo)
        self._restore(symbols)
        connect_painters(self)
        self.theme.apply()
        self.display.apply()
        self._connect_signals()
        if self.proxy.rowCount() > 0:  # the detail pane starts with something to show
            self.table.selectRow(0)

    # --- construction ------------------------------------------------------------

    def _place_commands(self) -> None:
        self.table.addAction(self.remove_action)
        bar = self.watchlist_bar
        bar.addSeparator()
        bar.addAction(self.remove_action)
        bar.addAction(self.connect_action)
        bar.addWidget(self.feed_combo)
        bar.addAction(self.settings_action)
        self.detail_action = self.detail.toggleViewAction()
        self.detail_action.setText("Detail pane")

    def _build_menus(self) -> None:
        bar, alerts, dialogs, pf = self.watchlist_bar, self.alerts, self.dialogs, self.portfolio
        order = self.table.order  # sort, move rows and columns (gui.table.view_order)
        fill_menu_bar(self.menuBar(), {
            "&File": [self.portfolio.file_actions(), None, self.settings_action, None,
                      self.quit_action],
            "&Edit": [self.watchlists.undo_action],
            "&Stream": [self.connect_action, Submenu("Feed", [self.feed_group.actions()]), None,
                        dialogs.details_action],
            "&View": [bar.focus_add_action, bar.focus_filter_action, self.detail_action,
                      Submenu("Columns", on_show=self.table.fill_columns_menu),
                      Submenu("Sort by", on_show=order.fill_sort_menu), order.column_actions, None,
                      alerts.dock_action, Submenu("Theme", [self.theme.fill_menu]), None,
                      self.display.fill_menu],
            "&Watchlists": self.watchlists.menu_entries([self.remove_action, pf.copy_action,
                pf.set_position_action, alerts.add_alert_action, *order.row_actions],
                self.selected_symbols),
            "Win&dow": self.layouts.menu_entries(),
            "&Help": dialogs.help_entries(),
        })  # fmt: skip
        # Every key comes from the one table in gui.shortcuts, which Help lists.
        apply_shortcuts({
            "add_symbols": bar.focus_add_action, "filter": bar.focus_filter_action,
            "remove_symbols": self.remove_action, "settings": self.settings_action,
            "quit": self.quit_action, "copy_rows": self.portfolio.copy_action,
            **self.watchlists.shortcut_actions(), "clear_filter": bar.clear_filter_action,
            **alerts.shortcut_actions(), **self.display.shortcut_actions(),
            **dialogs.shortcut_actions(), **self.layouts.shortcut_actions(),
        })  # fmt: skip

    def _connect_signals(self) -> None:
        self.watchlists.union_changed.connect(self.watchlist_changed)
        self.watchlists.tabs.message_shown.connect(self._on_watchlist_bar_message)
        self.portfolio.message_shown.connect(self._on_watchlist_bar_message)
        self.watchlist_bar.symbols_accepted.connect(self.add_symbols)
        self.watchlist_bar.message_shown.connect(self._on_watchlist_bar_message)
        self.layouts.message_shown.connect(self._on_watchlist_bar_message)
        self.table.order.message_shown.connect(self._on_watchlist_bar_message)
        self.watchlist_bar.filter_changed.connect(self.proxy.set_filter_text)
        self.watchlist_bar.filter_mark.watch(self.proxy, self.table)  # "9 hidden", Esc
        self.remove_action.triggered.connect(self.remove_selected)
        self.connect_action.toggled.connect(self._on_connect_toggled)
        self.settings_action.triggered.connect(self.open_settings)
        self.quit_action.triggered.connect(self.quit_requested)
        self.feed_combo.currentTextChanged.connect(self._on_feed_chosen)
        self.table.customContextMenuRequested.connect(self._on_table_menu)
        self.table.open_detail.connect(self.show_detail)  # Enter in the table (issue 18)
        self.table.selectionModel().selectionChanged.connect(self._refresh_detail)
        self.table.selectionModel().currentRowChanged.connect(self.layouts.main_selected)

    # --- restore / persist ---------------------------------------------------------

    def _restore(self, fallback_symbols: Sequence[str]) -> None:
        self.watchlists.restore(fallback_symbols)
        self.table.restore_layout()
        self.portfolio.apply_startup_columns()
        self.layouts.positions.apply()  # per tab: hidden where the tab holds no position
        self.geometry_keeper.remember_default()  # Reset layout's docks
        self.geometry_keeper.restore()
        self.layouts.restore_session()

    def save_now(self) -> None:
        """Write everything the user arranged (also done on each change)."""
        self.table.save_layout()
        self.geometry_keeper.save()
        self.watchlists.save()
        self.settings.sync()

    # --- watchlist -----------------------------------------------------------------

    def symbols(self) -> list[str]:
        """The active watchlist (the table's rows)."""
        return self.model.symbols()

    def all_symbols(self) -> list[str]:
        """Every watchlist's symbols, once: what the stream subscribes."""
        return self.watchlists.union()

    def add_symbols(self, symbols: Sequence[str]) -> list[str]:
        added = self.model.add_symbols(list(symbols))
        column = self.model.sort_column()
        if column >= 0:
            self.model.sort_now(column, self.table.horizontalHeader().sortIndicatorOrder())
        return added

    def selected_symbols(self) -> list[str]:
        rows = {self.proxy.mapToSource(i).row() for i in self.table.selectionModel().selectedRows()}
        all_symbols = self.model.symbols()
        return [all_symbols[r] for r in sorted(rows) if 0 <= r < len(all_symbols)]

    def remove_selected(self) -> None:
        self.watchlists.remove_symbols(self.selected_symbols())  # undoable: Ctrl+Z, said

    def _on_watchlist_bar_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 6000)

    # --- table menu, detail --------------------------------------------------------

    def _on_table_menu(self, pos: QPoint) -> None:  # letters, Move row, Sort by (table_menu)
        pf, chosen, lists = self.portfolio, self.selected_symbols(), self.watchlists
        open_table_menu(self.table, pos, [self.remove_action, self.watchlist_bar.focus_add_action,
            self.alerts.add_alert_action, None, pf.set_position_action, pf.copy_action,
            Submenu("Add to watchlist", on_show=lambda m: lists.fill_add_entries(m, chosen))],
            self)  # fmt: skip

    def show_detail(self, symbol: str) -> None:  # Enter on a row: shown, brought forward
        self.detail.show()
        self.detail.raise_()
        self.detail.show_symbol(symbol)

    def current_symbol(self) -> str | None:
        index = self.table.currentIndex()
        if not index.isValid():
            selected = self.table.selectionModel().selectedRows()
            if not selected:
                return None
            index = selected[0]
        row = self.proxy.mapToSource(index).row()
        symbols = self.model.symbols()
        return symbols[row] if 0 <= row < len(symbols) else None

    def _refresh_detail(self, *_args: object) -> None:
        if not self.detail.isHidden():  # closed by the user: no work
            self.detail.show_symbol(self.current_symbol())

    def select_symbol(self, symbol: str) -> None:
        row = self.model.row_of(symbol)
        if row is None:
            return
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if index.isValid():
            self.table.selectRow(index.row())
            self.table.setCurrentIndex(index)

    # --- stream intents ------------------------------------------------------------

    def set_demo(self, demo: bool) -> None:
        self.demo = demo
        self.setWindowTitle(APP_TITLE + (DEMO_SUFFIX if demo else ""))
        self.status.set_demo(demo)
        self.watchlist_bar.set_open_universe(demo)  # any well-formed ticker (simulated)

    def set_connected(self, connected: bool) -> None:
        """Reflect the stream's on/off state in the toggle without re-emitting."""
        self.connect_action.blockSignals(True)
        self.connect_action.setChecked(connected)
        self.commands.set_connect_text(connected)
        self.connect_action.blockSignals(False)

    def _on_connect_toggled(self, on: bool) -> None:
        self.commands.set_connect_text(on)
        self.connect_requested.emit(on)

    def _on_feed_chosen(self, feed: str) -> None:
        self.commands.check_feed(feed)
        self.settings.set_feed(feed)
        self.feed_chosen.emit(feed)

    def open_settings(self) -> None:
        """Show the settings dialog non-modally (open(), never exec(): qasync #59)."""
        if self.settings_dialog is not None and self.settings_dialog.isVisible():
            self.settings_dialog.raise_()
            return
        dialog = SettingsDialog(
            self.stream_settings, self.tasks, self.probe, self.credentials_source, self
        )
        dialog.applied.connect(self._on_settings_applied)
        self.settings_dialog = dialog
        dialog.open()

    def _on_settings_applied(self, values: StreamSettings) -> None:
        self.settings.set_encoding(values.encoding)
        self.settings.set_flush_ms(values.flush_ms)
        if values.flush_ms != self.stream_settings.flush_ms:
            self.model.set_flush_interval(values.flush_ms)  # live: no restart needed
        if values.feed != self.feed_combo.currentText():
            self.feed_combo.blockSignals(True)
            self.feed_combo.setCurrentText(values.feed)
            self.feed_combo.blockSignals(False)
            self.settings.set_feed(values.feed)
        if values.plan is not None and values.plan != self.stream_settings.plan:
            self.settings.set_plan(values.plan)  # chosen: no longer the feed's default
        self.stream_settings = values
        self.settings_applied.emit(values)

    # --- life cycle ----------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop timers and persist (called by the app before the loop ends)."""
        self._closing = True
        self._detail_timer.stop()
        self.detail.stop()
        self.store.remove_observer(self._history_observer)
        self.geometry_keeper.stop()
        self.layouts.shutdown()
        self.table.stop()
        self.status.stop()
        self.alerts.shutdown()
        self.dialogs.close()
        self.portfolio.stop()
        self.save_now()

    def closeEvent(self, event: QCloseEvent) -> None:
        # The app owns shutdown (docs/qt.md): a close asks it to stop; the loop ends later.
        if not self._closing:
            self.save_now()
            self.quit_requested.emit()
        event.accept()
