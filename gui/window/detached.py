"""Top-level windows besides the main one: a watchlist tab, or the detail chart.

One process, one store, one connection: a detached window reads the same MarketDataStore
and PriceHistory as the main window and subscribes nothing itself (the watchlist tab's
symbols are already in WatchlistSet's union). A detached watchlist is another view of a
tab: edits made in it flow back into the WatchlistSet, and the tab stays in the main
window; closing the window is all it takes to dock it back (its tab is still there, and
"Show in main window" selects it). Each window has a link-colour chip (gui.window.links).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import QByteArray, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QLabel, QStatusBar, QToolButton, QVBoxLayout, QWidget

from engine.market.history import PriceHistory
from engine.market.store import Freshness, MarketDataStore
from gui.detail.chart import STYLES, IntradayChart, parse_style
from gui.detail.chart_controls import ChartControls
from gui.formatting import menu_text
from gui.positions.book import Position
from gui.settings.persistence import AppSettings
from gui.settings.theme import Palette
from gui.table.columns import COLUMN_INDEX
from gui.table.delegates import SparklineDelegate
from gui.table.model import TickerFilterProxy, TickerTableModel
from gui.table.view import TickerView
from gui.watchlists.book import WatchlistSet
from gui.window.links import NONE, LinkChip, LinkHub
from gui.window.mnemonics import MnemonicMenu
from gui.window.store_tee import StoreTee
from gui.window.tab_columns import apply_header_text, header_text
from gui.window.table_menu import open_table_menu

CHART_REFRESH_MS = 250  # a detached chart repaints at most 4 Hz, and only on new data


def _geometry_text(widget: QWidget) -> str:
    return bytes(widget.saveGeometry().toBase64().data()).decode("ascii")


def restore_geometry(widget: QWidget, text: object) -> None:
    if isinstance(text, str) and text:
        widget.restoreGeometry(QByteArray.fromBase64(text.encode("ascii")))


class DetachedWindow(QWidget):
    """What both kinds share: a top row with the link chip, the hub, closing cleanly."""

    closed = Signal(object)  # the window, once, when it closes
    colour_changed = Signal()  # the user picked a link colour (the session is saved)
    kind = ""

    def __init__(self, hub: LinkHub, colour: str, title: str) -> None:
        super().__init__(None, Qt.WindowType.Window)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.hub = hub
        self.chip = LinkChip(colour, self)
        self.chip.colour_chosen.connect(self._on_colour_chosen)
        self.title = QLabel(title, self)
        bold = self.title.font()  # a font, not a style sheet: the label keeps the theme's
        bold.setBold(True)  # palette (a style sheet here painted it dark on dark)
        self.title.setFont(bold)
        self.top = QHBoxLayout()
        self.top.setContentsMargins(4, 2, 4, 2)
        self.top.addWidget(self.chip)
        self.top.addWidget(self.title, 1)
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(0, 0, 0, 0)
        self.column.setSpacing(0)
        self.column.addLayout(self.top)
        hub.join(self, colour, self.follow)
        self._done = False

    def _on_colour_chosen(self, colour: str) -> None:
        self.hub.set_colour(self, colour)
        self.colour_changed.emit()

    def follow(self, symbol: str) -> None:
        raise NotImplementedError

    def set_colour(self, colour: str) -> None:
        self.chip.set_colour(colour)
        self.hub.set_colour(self, self.chip.colour)

    def colour(self) -> str:
        return self.chip.colour

    def capture(self) -> dict[str, Any]:
        return {"kind": self.kind, "geometry": _geometry_text(self), "link": self.colour()}

    def set_palette(self, palette: Palette) -> None:
        del palette

    def stop(self) -> None:
        """Leave the hub and stop timers (once); the window may still be closing."""
        if not self._done:
            self._done = True
            self.hub.leave(self)
            self.closed.emit(self)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.stop()
        event.accept()


class DetachedWatchlist(DetachedWindow):
    """One watchlist tab in its own window: its own model over a StoreTee, same list."""

    kind = "watchlist"

    def __init__(
        self,
        name: str,
        lists: WatchlistSet,
        store: MarketDataStore,
        settings: AppSettings,
        hub: LinkHub,
        *,
        history: PriceHistory,
        book: Callable[[], Mapping[str, Position]],
        header: str | None = None,
        colour: str = NONE,
        clock: Callable[[], float] = time.monotonic,
        flush_ms: int = 50,
        exchange_ns: Callable[[], int] | None = None,
    ) -> None:
        super().__init__(hub, colour, name)
        self.setObjectName("detachedWatchlist")
        self.name = name
        self.lists = lists
        self._book = book
        self._shown_book: Mapping[str, Position] | None = None
        self._syncing = False
        self.tee = StoreTee(store, lambda: self.model.symbols())
        self.model = TickerTableModel(
            self.tee.as_store(), clock, self, flush_interval_ms=flush_ms, watch_store=False
        )
        self.model.history = history
        if exchange_ns is not None:
            # The main table's exchange clock (the demo's simulated session, else the wall
            # clock): Rel volume's minute of the day and the sparklines' time axis must
            # read the same time in every window (docs/ui.md, "One exchange clock").
            self.model.set_exchange_clock(exchange_ns)
        self.proxy = TickerFilterProxy(self.model, self)
        self.table = TickerView(self.model, self.proxy, settings, self)
        self.sparklines = SparklineDelegate(self.table)
        self.table.setItemDelegateForColumn(COLUMN_INDEX["spark"], self.sparklines)
        self.set_header(header)
        self.back_button = QToolButton(self)
        self.back_button.setText("Show in main window")
        self.back_button.setToolTip("Close this window; the tab stays in the main window")
        self.back_button.setAutoRaise(True)
        self.top.addWidget(self.back_button)
        self.back_button.clicked.connect(self.dock_back)
        self.column.addWidget(self.table, 1)
        self.remove_action = QAction("Remove", self)
        self.remove_action.setShortcut(QKeySequence.StandardKey.Delete)
        self.remove_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.remove_action.triggered.connect(self.remove_selected)
        self.table.addAction(self.remove_action)
        # The row menu as in the main window, for what a detached tab does (table_menu);
        # a command that does nothing says why below the table (the main window: its
        # status bar).
        self.table.customContextMenuRequested.connect(self._on_table_menu)
        self.messages = QStatusBar(self)
        self.messages.setSizeGripEnabled(False)
        self.messages.hide()
        self.messages.messageChanged.connect(lambda text: self.messages.setVisible(bool(text)))
        self.column.addWidget(self.messages)
        self.table.order.message_shown.connect(lambda text: self.messages.showMessage(text, 6000))
        header_view = self.table.horizontalHeader()
        header_view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header_view.customContextMenuRequested.connect(self._on_header_menu)
        self.model.watchlist_changed.connect(self._on_model_changed)
        self.model.flushed.connect(self._follow_book)
        lists.lists_changed.connect(self._on_lists_changed)
        lists.renamed.connect(self._on_renamed)
        lists.removed.connect(self._on_removed)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_changed)
        self._on_lists_changed()
        self._follow_book()
        self.setWindowTitle(f"Tickerdesk — {name}")
        self.resize(720, 420)

    # --- the list, both ways --------------------------------------------------------

    def index(self) -> int | None:
        return self.lists.index_of(self.name)

    def _on_lists_changed(self) -> None:
        index = self.index()
        if index is None or self._syncing:
            return
        symbols = self.lists.symbols(index)
        if symbols != self.model.symbols():
            self._syncing = True
            try:
                self.model.set_symbols(symbols)
                column = self.model.sort_column()
                if column >= 0:
                    self.model.sort_now(column, self.table.horizontalHeader().sortIndicatorOrder())
            finally:
                self._syncing = False

    def _on_model_changed(self) -> None:
        index = self.index()
        if index is None or self._syncing:
            return
        self._syncing = True
        try:
            self.lists.set_symbols(index, self.model.symbols())
        finally:
            self._syncing = False

    def _on_renamed(self, old: str, new: str) -> None:
        if old == self.name:
            self.name = new
            self.title.setText(new)
            self.setWindowTitle(f"Tickerdesk — {new}")

    def _on_removed(self, name: str) -> None:
        if name == self.name:
            self.close()

    def dock_back(self) -> None:
        """Show this tab in the main window and close this one."""
        index = self.index()
        if index is not None:
            self.lists.set_active(index)
        self.close()

    def remove_selected(self) -> None:
        rows = {self.proxy.mapToSource(i).row() for i in self.table.selectionModel().selectedRows()}
        symbols = self.model.symbols()
        chosen = [symbols[r] for r in sorted(rows) if 0 <= r < len(symbols)]
        if chosen:
            self.model.remove_symbols(chosen)

    def _follow_book(self, *_args: object) -> None:
        book = self._book()
        if book is not self._shown_book:  # the positions controller replaces its dict
            self._shown_book = book
            self.model.set_positions(book)

    # --- links ------------------------------------------------------------------------

    def current_symbol(self) -> str | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        row = self.proxy.mapToSource(index).row()
        symbols = self.model.symbols()
        return symbols[row] if 0 <= row < len(symbols) else None

    def _on_current_changed(self, *_args: object) -> None:
        self.hub.publish(self, self.current_symbol())

    def follow(self, symbol: str) -> None:
        row = self.model.row_of(symbol)
        if row is None:
            return
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if index.isValid():
            self.table.setCurrentIndex(index)
            self.table.selectRow(index.row())

    # --- columns ----------------------------------------------------------------------

    def header_text(self) -> str:
        return header_text(self.table)

    def set_header(self, text: str | None) -> None:
        """Column order, widths and visibility from a layout (JSON), else the defaults."""
        apply_header_text(self.table, text)

    def _on_table_menu(self, pos: QPoint) -> None:
        back = QAction("Show in main window", self.table)
        back.triggered.connect(self.dock_back)
        menu = open_table_menu(self.table, pos, [self.remove_action, None, back], self)
        menu.destroyed.connect(back.deleteLater)  # one per opening, gone with the menu

    def _on_header_menu(self, pos: QPoint) -> None:
        # Not TickerView.fill_columns_menu: that one saves the MAIN table's layout.
        header = self.table.horizontalHeader()
        menu = MnemonicMenu("", self)  # a letter per entry (docs/keyboard.md)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        for i, column in enumerate(self.model.columns):
            action = menu.addAction(menu_text(column.header))  # "Day P&L" is data
            action.setCheckable(True)
            action.setChecked(not header.isSectionHidden(i))
            action.toggled.connect(lambda on, col=i: header.setSectionHidden(col, not on))
        menu.popup(header.mapToGlobal(pos))

    # --- life cycle -------------------------------------------------------------------

    def capture(self) -> dict[str, Any]:
        return {**super().capture(), "list": self.name, "header": self.header_text()}

    def set_palette(self, palette: Palette) -> None:
        self.model.set_palette(palette)
        self.sparklines.set_palette(palette)
        self.table.viewport().update()

    def stop(self) -> None:
        self.tee.detach()
        self.model.set_flush_interval(0)
        super().stop()


class DetachedChart(DetachedWindow):
    """The detail chart of one symbol in its own window; follows its link colour."""

    kind = "chart"

    def __init__(
        self,
        symbol: str | None,
        store: MarketDataStore,
        history: PriceHistory,
        hub: LinkHub,
        *,
        colour: str = NONE,
        style: str | None = None,
        refresh_ms: int = CHART_REFRESH_MS,
    ) -> None:
        super().__init__(hub, colour, symbol or "No symbol")
        self.setObjectName("detachedChart")
        self._store = store
        self._history = history
        self.symbol: str | None = None
        self._sources: tuple[object, object] = (None, None)
        self.chart = IntradayChart(self)
        # No settings: this window's style is its own, saved with the layout.
        self.controls = ChartControls(self.chart, None, self)
        chosen = parse_style(style) if style else None
        if chosen is not None and chosen in STYLES:
            self.controls.choose(*chosen, save=False)
        self.column.addWidget(self.controls)
        self.column.addWidget(self.chart, 1)
        self._timer = QTimer(self)
        self._timer.setInterval(refresh_ms)
        self._timer.timeout.connect(self.refresh)
        if refresh_ms > 0:
            self._timer.start()
        self.follow(symbol or "")
        self.resize(640, 380)

    def follow(self, symbol: str) -> None:
        self.symbol = symbol or None
        self.title.setText(symbol or "No symbol")
        self.setWindowTitle(f"Tickerdesk — chart {symbol}" if symbol else "Tickerdesk — chart")
        self.refresh()

    def refresh(self) -> None:
        symbol = self.symbol
        history = self._history.get(symbol) if symbol else None
        snap = self._store.get(symbol) if symbol else None
        if snap is not None and self._store.freshness(symbol or "") is Freshness.EXPIRED:
            history, snap = None, None  # docs/design.md, invariant 4: expired is not drawn
        shown_history, shown_snap = self._sources
        if history is not shown_history or snap is not shown_snap:  # identity, not ==
            self._sources = (history, snap)
            self.chart.set_source(history, snap)
            return
        self.chart.refresh()

    def capture(self) -> dict[str, Any]:
        style = f"{self.chart.chart_style}:{self.chart.minutes}"
        return {**super().capture(), "symbol": self.symbol or "", "style": style}

    def set_palette(self, palette: Palette) -> None:
        self.chart.set_palette(palette)

    def stop(self) -> None:
        self._timer.stop()
        super().stop()
