"""The ticker table view: fixed rows, movable/hideable columns, persisted header layout.

The header layout (first-run widths, saved and restored by column key, the column
chooser) is kept by gui.table.view_layout.HeaderLayoutKeeper; rows holding still under
the pointer and the moved-row marks by gui.table.sort_hold; type-ahead and the keyboard
row menu by gui.table.view_keys. This class wires them to one QTableView.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QContextMenuEvent, QHelpEvent, QKeyEvent, QPaintEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QMenu,
    QTableView,
    QToolTip,
    QWidget,
)

from gui.settings.persistence import AppSettings
from gui.table.columns_history import RANGE_BAR_KEYS
from gui.table.delegates_range import RangeBarDelegate
from gui.table.header_room import ArrowRoomStyle
from gui.table.model import TickerFilterProxy, TickerTableModel
from gui.table.roles import TOOLTIP
from gui.table.sort_hold import MOVED_HIGHLIGHT_MS, MovedHighlight, RowHold, float_over
from gui.table.view_keys import TypeAhead, is_menu_key, open_row_menu, select_symbol, symbol_at
from gui.table.view_layout import HeaderLayoutKeeper
from gui.table.view_order import TableOrder

__all__ = ["MOVED_HIGHLIGHT_MS", "ROW_HEIGHT_PX", "TickerView"]

ROW_HEIGHT_PX = 22


class TickerView(QTableView):
    """QTableView over TickerFilterProxy with a column chooser and saved layout.

    Keyboard-first (issue 18): typing a ticker jumps to its row (by symbol, whatever the
    current column), Enter selects the row and emits `open_detail(symbol)`, the Menu key
    and Shift+F10 open the row menu at the current row; Tab leaves the table; sorting and
    moving rows and columns have keys and menu entries (`order`, gui.table.view_order).
    """

    open_detail = Signal(str)

    def __init__(
        self,
        model: TickerTableModel,
        proxy: TickerFilterProxy,
        settings: AppSettings,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("tickerTable")
        self.ticker_model = model
        self.setModel(proxy)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        # Tab leaves the table for the next control (a detached window's link chip and
        # "Show in main window" were unreachable); the arrow keys move between cells.
        self.setTabKeyNavigation(False)
        rows = self.verticalHeader()
        # Fixed row heights: ResizeToContents on live data costs 80-180 ms per flush.
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(ROW_HEIGHT_PX)
        rows.setVisible(False)
        # Drag reorder: the model implements mime drag/drop of whole rows.
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropOverwriteMode(False)
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        header = self.horizontalHeader()
        self._header_style = ArrowRoomStyle()  # kept: setStyle does not take ownership
        header.setStyle(self._header_style)  # a sorted title ends before its arrow (#10b)
        header.setSectionsMovable(True)
        header.setSortIndicatorClearable(True)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        # Header clicks reach TickerTableModel.sort through the proxy (-1 = unsorted);
        # the proxy itself never sorts ticking columns (docs/qt.md: ~145 ms per flush).
        self.setSortingEnabled(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setMinimumSectionSize(36)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.layout_keeper = HeaderLayoutKeeper(self, model.columns, settings)
        # The range-position columns are painted bars (gui.table.delegates_range).
        self.range_bars = RangeBarDelegate(self)
        for i, column in enumerate(model.columns):
            if column.key in RANGE_BAR_KEYS:
                self.setItemDelegateForColumn(i, self.range_bars)
        # Rows hold still under the pointer and while the row menu is open (issue 18 #1).
        self._moved = MovedHighlight(self)
        self.row_hold = RowHold(self.viewport(), model, self.highlight_moved)
        self._type_ahead = TypeAhead(self)
        # Sort, end a sort, move rows and columns by keyboard (gui.table.view_order).
        self.order = TableOrder(self, model)
        # A flush signals only the rows some view shows (gui.table.model: issue 16).
        shown_rows = self.shown_rows
        model.add_viewport(shown_rows, self.shown_columns)
        self.destroyed.connect(lambda *_: model.remove_viewport(shown_rows))
        # Hidden columns are not written to the paint cache: one shown again is written
        # into every row as it is painted (hiding or showing resizes to or from 0).
        self.horizontalHeader().sectionResized.connect(self._on_section_resized)

    def shown_columns(self) -> list[int]:
        """The model columns this view does not hide."""
        header = self.horizontalHeader()
        return [i for i in range(header.count()) if not header.isSectionHidden(i)]

    def _on_section_resized(self, column: int, old: int, new: int) -> None:
        if old == 0 and new > 0:  # shown again: its cells were not kept while hidden
            self.ticker_model.paint_cache().mark_all_stale()
            self.viewport().update()

    def shown_rows(self) -> list[int]:
        """The source-model rows on screen now (none while the view is hidden): what a
        flush must signal; rows scrolled, sorted or filtered in later are painted then."""
        if not self.isVisible():
            return []
        # A filter or row change lays the view out later: do it now (a no-op otherwise),
        # or the old scroll offset would say no row is on screen.
        self.executeDelayedItemsLayout()
        first = self.rowAt(0)
        if first < 0:
            return []
        proxy = self.model()
        last = self.rowAt(self.viewport().height() - 1)
        if last < 0:
            last = proxy.rowCount() - 1
        to_source, index = proxy.mapToSource, proxy.index  # type: ignore[attr-defined]
        return [to_source(index(row, 0)).row() for row in range(first, last + 1)]

    def viewportEvent(self, event: QEvent) -> bool:
        """Time each viewport paint for the flush pacer (gui.table.pacing): under a firehose
        the table's repaint, not the socket, is what fills the GUI thread."""
        kind = event.type()
        if kind == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            return self._show_tooltip(event)
        if kind == QEvent.Type.ContextMenu:
            return self.row_hold.around_context_menu(
                lambda: super(TickerView, self).viewportEvent(event)
            )
        if kind != QEvent.Type.Paint:
            return super().viewportEvent(event)
        start = time.perf_counter()
        # Rows that changed off screen and are now shown (scrolled, sorted or filtered
        # in) get their latest values before they are painted (gui.table.paint_cache).
        self.ticker_model.paint_cache().write(self.shown_rows(), announce=False)
        handled = super().viewportEvent(event)
        self.ticker_model.pacer.note_paint(time.perf_counter() - start)
        return handled

    def event(self, event: QEvent) -> bool:
        # The window system's keyboard context menu (X11: the Menu key) comes to the view
        # itself, at a point in the wrong coordinates and around the row hold: it is
        # opened at the current row instead (gui.table.view_keys.open_row_menu).
        if (
            event.type() == QEvent.Type.ContextMenu
            and isinstance(event, QContextMenuEvent)
            and event.reason() == QContextMenuEvent.Reason.Keyboard
        ):
            open_row_menu(self)
            event.accept()
            return True
        return super().event(event)

    def float_banner(self, banner: QWidget) -> None:
        """Float an alert banner over the top rows (gui.table.sort_hold.float_over)."""
        float_over(self, banner)

    # --- rows that moved in a re-sort ------------------------------------------------

    def highlight_moved(self, symbols: list[str]) -> None:
        """Mark rows a re-sort moved, briefly, so the eye finds where they went."""
        self._moved.show(symbols)

    def moved_symbols(self) -> set[str]:
        """The symbols highlighted now (tests)."""
        return set(self._moved.symbols)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        self._moved.paint(self._view_row_of)

    def _view_row_of(self, symbol: str) -> int | None:
        row = self.ticker_model.row_of(symbol)
        if row is None:
            return None
        index = self.model().mapFromSource(self.ticker_model.index(row, 0))  # type: ignore[attr-defined]
        return index.row() if index.isValid() else None

    # --- keyboard: type a ticker, Enter, the Menu key --------------------------------

    def keyboardSearch(self, search: str) -> None:
        """Type a ticker to jump to it (gui.table.view_keys), not Qt's current-column match."""
        symbol = self._type_ahead.find(search)
        if symbol is not None:
            self.select_symbol(symbol)

    def select_symbol(self, symbol: str) -> bool:
        """Select and make current `symbol`'s row (keeps the current column)."""
        return select_symbol(self, symbol)

    def current_symbol(self) -> str | None:
        return symbol_at(self, self.currentIndex())

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if is_menu_key(event):  # Menu, Shift+F10: the row menu at the current row
            open_row_menu(self)
            event.accept()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not (
            event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        ):
            symbol = self.current_symbol()
            if symbol is not None:
                self.select_symbol(symbol)
                self.open_detail.emit(symbol)
                event.accept()
                return
        super().keyPressEvent(event)

    def _show_tooltip(self, event: QHelpEvent) -> bool:
        """Tooltips are computed on hover, from the ticker model (not kept per cell)."""
        index = self.indexAt(event.pos())
        if not index.isValid():
            QToolTip.hideText()
            event.ignore()
            return True
        source = self.model().mapToSource(index)  # type: ignore[attr-defined]
        model = self.ticker_model
        text = model.data(model.index(source.row(), source.column()), TOOLTIP)
        QToolTip.showText(event.globalPos(), text or "", self.viewport(), self.visualRect(index))
        return True

    # --- header layout (gui.table.view_layout) ----------------------------------------

    @property
    def layout_problems(self) -> list[str]:
        """What was wrong with the saved layout (said in words, also logged)."""
        return self.layout_keeper.problems

    def default_hidden(self) -> frozenset[str]:
        """Columns a fresh table hides (the column chooser shows them)."""
        return self.layout_keeper.default_hidden()

    def restore_layout(self) -> None:
        """Apply the saved layout and sort by column key (old index-based state read once)."""
        self.layout_keeper.restore()

    def size_columns_to_samples(self) -> None:
        """Widths from typical values, once (never ResizeToContents on live data)."""
        self.layout_keeper.size_columns_to_samples()

    def save_layout(self) -> None:
        self.layout_keeper.save()

    def stop(self) -> None:
        """Flush a pending debounced save (shutdown)."""
        self.layout_keeper.stop()

    def fill_columns_menu(self, menu: QMenu) -> None:
        """Checkable show/hide entry per column (the chooser of header and View menu)."""
        self.layout_keeper.fill_columns_menu(menu)

    def set_column_visible(self, column: int, visible: bool) -> None:
        self.layout_keeper.set_column_visible(column, visible)
