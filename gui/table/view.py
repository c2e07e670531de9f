"""The ticker table view: fixed rows, movable/hideable columns, persisted header layout.

Column order, widths, visibility and the sort indicator are written to AppSettings
when they change (debounced: header drags fire per pixel), so a crash loses nothing.
They are stored by column key (gui.table.header_layout), never by index: the column set grows.
Columns declared `shown_by_default=False` start hidden, in a fresh table and in a saved
layout from before they existed; once the user shows or hides one, the layout keeps it.
"""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import QEvent, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QHelpEvent, QKeyEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QMenu,
    QTableView,
    QToolTip,
    QWidget,
)

from gui.settings.persistence import AppSettings
from gui.table import header_layout as hl
from gui.table.columns_history import RANGE_BAR_KEYS
from gui.table.delegates_range import RangeBarDelegate
from gui.table.header_room import ArrowRoomStyle, make_room_for_arrow, title_width
from gui.table.model import TickerFilterProxy, TickerTableModel
from gui.table.roles import TOOLTIP
from gui.table.sort_hold import RowHold, float_over
from gui.table.view_keys import TypeAhead, select_symbol, symbol_at

ROW_HEIGHT_PX = 22
MOVED_HIGHLIGHT_MS = 1200  # how long rows that moved in a re-sort stay marked
SAVE_DEBOUNCE_MS = 400
# Typical widest values per column key, for first-run column widths.
COLUMN_SAMPLES = {
    "symbol": "BRK.B ",
    "change_pct": "+88.88%",
    "bid_size": "88,888",
    "ask_size": "88,888",
    "volume": "888.8M",
    "trade_time": "00:00:00.000",
    "market_value": "8,888,888.88",
    "day_pnl": "+888,888.88",
    "total_pnl": "+888,888.88",
    "age": "88.8 s",
    "status": "EXPIRED",
    "spark": "8888888888888",  # sparkline: ~100 px of polyline
    "rel_volume": "88.8x",
    "gap_pct": "+88.88%",
    "range_52w_position": "88888888",  # a bar: ~60 px
    "day_range_position": "88888888",
    "avg_volume": "888.8M",
    "premarket_change_pct": "+88.88%",
    "afterhours_change_pct": "+88.88%",
}
_DEFAULT_SAMPLE = "88,888.88"
log = logging.getLogger(__name__)


class TickerView(QTableView):
    """QTableView over TickerFilterProxy with a column chooser and saved layout.

    Keyboard-first (issue 18): typing a ticker jumps to its row (by symbol, whatever the
    current column), Enter selects the row and emits `open_detail(symbol)`.
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
        self._settings = settings
        self.setModel(proxy)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
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
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(SAVE_DEBOUNCE_MS)
        self._save_timer.timeout.connect(self.save_layout)
        self._widths: dict[str, int] = {}  # last known width per key (hidden ones too)
        self.layout_problems: list[str] = []  # what was wrong with the saved layout
        # The range-position columns are painted bars (gui.table.delegates_range).
        self.range_bars = RangeBarDelegate(self)
        for i, column in enumerate(model.columns):
            if column.key in RANGE_BAR_KEYS:
                self.setItemDelegateForColumn(i, self.range_bars)
        # Rows hold still under the pointer and while the row menu is open (issue 18 #1).
        self.row_hold = RowHold(self.viewport(), model, self.highlight_moved)
        self._moved: set[str] = set()
        self._moved_timer = QTimer(self)
        self._moved_timer.setSingleShot(True)
        self._moved_timer.setInterval(MOVED_HIGHLIGHT_MS)
        self._moved_timer.timeout.connect(self._end_highlight)
        self._type_ahead = TypeAhead(self)
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

    def float_banner(self, banner: QWidget) -> None:
        """Float an alert banner over the top rows (gui.table.sort_hold.float_over)."""
        float_over(self, banner)

    # --- rows that moved in a re-sort ------------------------------------------------

    def highlight_moved(self, symbols: list[str]) -> None:
        """Mark rows a re-sort moved, briefly, so the eye finds where they went."""
        self._moved = set(symbols)
        self._moved_timer.start()
        self.viewport().update()

    def moved_symbols(self) -> set[str]:
        """The symbols highlighted now (tests)."""
        return set(self._moved)

    def _end_highlight(self) -> None:
        self._moved = set()
        self.viewport().update()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._moved:
            return
        painter = QPainter(self.viewport())
        colour = QColor(self.palette().highlight().color())
        colour.setAlpha(70)
        proxy = self.model()
        width = self.viewport().width()
        for symbol in self._moved:
            row = self.ticker_model.row_of(symbol)
            if row is None:
                continue
            index = proxy.mapFromSource(self.ticker_model.index(row, 0))  # type: ignore[attr-defined]
            if index.isValid():
                painter.fillRect(0, self.rowViewportPosition(index.row()), width,
                                 self.rowHeight(index.row()), colour)  # fmt: skip
        painter.end()

    # --- keyboard: type a ticker, Enter --------------------------------------------

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

    def _keys(self) -> list[str]:
        return [column.key for column in self.ticker_model.columns]

    def default_hidden(self) -> frozenset[str]:
        """Columns a fresh table hides (the column chooser shows them)."""
        return frozenset(c.key for c in self.ticker_model.columns if not c.shown_by_default)

    def restore_layout(self) -> None:
        """Apply the saved layout and sort by column key (old index-based state read once)."""
        header = self.horizontalHeader()
        keys = self._keys()
        self.size_columns_to_samples()  # columns the saved layout lacks keep these widths
        layout, legacy_keys = self._saved_layout()
        migrated = layout is not None and self._settings.header_layout() is None
        if layout is not None:
            # An index-based state from a 15/20-column build shows every column it lacked
            # (tests/gui/table/test_header_layout.py pins that); a key-based layout gives
            # the columns it never saw their default.
            defaults = frozenset() if migrated else self.default_hidden()
            layout = hl.reconcile(layout, keys, defaults)
            hl.apply(header, layout, keys)
            self._widths = dict(layout.widths)
        else:
            # A fresh table, or a hidden-key list from a build before the layout JSON
            # (which had none of the default-hidden columns): defaults added either way.
            hidden = set(self._settings.hidden_columns() or ()) | self.default_hidden()
            for i, key in enumerate(keys):
                header.setSectionHidden(i, key in hidden)
        sort = self._saved_sort(legacy_keys)
        if sort is not None and sort[0] in keys:
            order = Qt.SortOrder.DescendingOrder if sort[1] else Qt.SortOrder.AscendingOrder
            header.setSortIndicator(keys.index(sort[0]), order)  # the view then sorts
        if migrated:  # write the key-based form now: the old state is read only once
            self.save_layout()
            self._on_sort_changed(header.sortIndicatorSection(), header.sortIndicatorOrder())
        # Connected after restoring, so restoring does not write straight back.
        header.customContextMenuRequested.connect(self._on_header_menu)
        header.sectionMoved.connect(self._on_header_changed)
        header.sectionResized.connect(self._on_header_changed)
        header.sortIndicatorChanged.connect(self._on_sort_changed)

    def _saved_layout(self) -> tuple[hl.HeaderLayout | None, tuple[str, ...]]:
        """(layout, column keys an old index-based sort refers to)."""
        text = self._settings.header_layout()
        if text is not None:
            layout, problems = hl.parse_layout(text)
            self._report(problems)
            if layout is not None:
                return layout, hl.V2_KEYS
        state = self._settings.header_state()
        if state is None:
            return None, hl.V2_KEYS
        legacy = hl.read_legacy(state, self._settings.hidden_columns())
        if legacy is None:
            self._report(["saved column layout is from an unknown version; using defaults"])
            return None, hl.V2_KEYS
        return legacy, hl.LEGACY_KEYS[len(legacy.order)]

    def _saved_sort(self, legacy_keys: tuple[str, ...]) -> tuple[str, bool] | None:
        by_key = self._settings.sort_key()
        if by_key is not None:
            return by_key if by_key[0] else None
        by_index = self._settings.sort()  # older builds saved the column index
        if by_index is None:
            return None
        key = hl.legacy_sort_key(by_index[0], legacy_keys)
        return None if key is None else (key, by_index[1])

    def _report(self, problems: list[str]) -> None:
        for problem in problems:
            log.warning("%s (settings %s)", problem, self._settings.path)
        self.layout_problems += problems

    def size_columns_to_samples(self) -> None:
        """Widths from typical values, once (never ResizeToContents on live data)."""
        header = self.horizontalHeader()
        metrics = self.fontMetrics()
        for i, column in enumerate(self.ticker_model.columns):
            sample = COLUMN_SAMPLES.get(column.key, _DEFAULT_SAMPLE)
            width = max(metrics.horizontalAdvance(sample) + 12, title_width(header, column.header))
            header.resizeSection(i, width)

    def save_layout(self) -> None:
        self._save_timer.stop()
        layout = hl.capture(self.horizontalHeader(), self._keys(), self._widths)
        self._widths = dict(layout.widths)
        self._settings.set_header_layout(layout.to_json())
        # Also by key under the old name: builds that predate the layout JSON read it.
        # Columns hidden by default are left out: those builds never had them, and the
        # fallback that reads this list (restore_layout) hides them anyway.
        defaults = self.default_hidden()
        self._settings.set_hidden_columns(
            [k for k in layout.order if k in layout.hidden and k not in defaults]
        )

    def stop(self) -> None:
        """Flush a pending debounced save (shutdown)."""
        if self._save_timer.isActive():
            self.save_layout()

    def fill_columns_menu(self, menu: QMenu) -> None:
        """Checkable show/hide entry per column (the chooser of header and View menu)."""
        menu.clear()
        header = self.horizontalHeader()
        visible = sum(not header.isSectionHidden(i) for i in range(header.count()))
        for i, column in enumerate(self.ticker_model.columns):
            action = menu.addAction(column.header)
            action.setCheckable(True)
            action.setChecked(not header.isSectionHidden(i))
            action.setToolTip(column.tooltip)
            # The last visible column cannot be hidden: an empty table looks broken.
            action.setEnabled(header.isSectionHidden(i) or visible > 1)
            action.toggled.connect(lambda on, col=i: self.set_column_visible(col, on))

    def set_column_visible(self, column: int, visible: bool) -> None:
        self.horizontalHeader().setSectionHidden(column, not visible)
        self.save_layout()

    def _on_header_menu(self, pos: QPoint) -> None:
        menu = QMenu(self)
        self.fill_columns_menu(menu)
        menu.popup(self.horizontalHeader().mapToGlobal(pos))

    def _on_header_changed(self, *_args: int) -> None:
        self._save_timer.start()

    def _on_sort_changed(self, column: int, order: Qt.SortOrder) -> None:
        make_room_for_arrow(self.horizontalHeader(), column)  # issue 18 #10b
        keys = self._keys()
        key = keys[column] if 0 <= column < len(keys) else ""
        self._settings.set_sort_key(key, order == Qt.SortOrder.DescendingOrder)
