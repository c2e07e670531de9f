"""Qt table model over the watchlist, reading the TTL store with coalesced, ranged updates.

A timer drains `store.drain_changes()` every `flush_interval_ms` and emits one
`dataChanged` per contiguous block of changed rows, so per-flush cost follows changed
rows, not message count. Once a view has said which rows it shows (`add_viewport`), only
changed rows that some view shows are signalled: the rest need no mark, since data() reads
the store when a row is painted, so a row that scrolls into view, or that a sort or the
filter brings in, is painted from the latest values (issue 16: at 10,000 symbols the
flush spent 22-51 ms signalling thousands of rows nobody saw).

Rows are inserted/removed only when the watchlist changes (gui.table.rows). Sorting
happens inside this model, on raw values, on demand and at most ~1 Hz (never per tick: a
dynamically sorting proxy re-sorts on every dataChanged, docs/qt.md). The view should use
fixed row heights and no ResizeToContents on live columns.

Pieces: gui.table.rows (row structure, drag and drop), gui.table.rowstates (freshness and
tick-flash state, no Qt), gui.table.cells (what each role of a cell holds, the brushes),
gui.table.roles (role numbers and Qt flags), gui.table.columns (the columns, no Qt).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QModelRoleData,
    QModelRoleDataSpan,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)

from engine.market.history import PriceHistory
from engine.market.store import MarketDataStore
from gui.positions.book import Position
from gui.settings.theme import LIGHT, Palette
from gui.table.cells import CellPresenter
from gui.table.columns import COLUMN_INDEX, COLUMNS, ColumnDef
from gui.table.pacing import FlushPacer
from gui.table.paint_cache import PaintCache
from gui.table.roles import (
    AGE_ROLES,
    ALIGN_FLAGS,
    ALIGNMENT,
    DISPLAY,
    PALETTE_ROLES,
    RAW_VALUE_ROLE,
    ROW_ROLES,
    TOOLTIP,
)
from gui.table.rows import SYMBOLS_MIME, SymbolRowsModel
from gui.table.rowstates import FLASH_SECONDS, contiguous_blocks
from gui.table.sort import TickerFilterProxy, stable_order
from gui.table.sort_hold import live_holders

RawValueRole = RAW_VALUE_ROLE  # Qt.UserRole + 1: the raw (unformatted) value of a cell
SortRole = RawValueRole  # the proxy and sort_now order by the raw value, never display text
__all__ = [
    "AGE_CHUNK_ROWS",
    "AGE_ROLES",
    "FLASH_SECONDS",
    "ROW_ROLES",
    "SYMBOLS_MIME",
    "RawValueRole",
    "SortRole",
    "TickerFilterProxy",  # defined in gui.table.sort; the window imports it from here
    "TickerTableModel",
    "contiguous_blocks",
]

SORT_INTERVAL_MS = 1000
AGE_INTERVAL_MS = 1000
AGE_CHUNK_ROWS = 64  # x 2 columns = 128 cells per range, under the ~200-cell repaint-all

# A view's rows on screen now, as source-model rows (gui.table.view.TickerView.shown_rows).
Viewport = Callable[[], Collection[int]]


class TickerTableModel(SymbolRowsModel):
    """Rows = watchlist symbols (store snapshots), columns = `gui.table.columns.COLUMNS`.

    flush_interval_ms <= 0 starts no timers (tests/benchmarks drive flush/tick_ages).
    Colours follow `set_palette` (gui.settings.theme; LIGHT until told otherwise).
    """

    flushed = Signal(int)  # rows updated by one flush
    columns: tuple[ColumnDef, ...] = COLUMNS

    def __init__(
        self,
        store: MarketDataStore,
        clock: Callable[[], float] = time.monotonic,
        parent: QObject | None = None,
        flush_interval_ms: int = 50,
        watch_store: bool = True,
        palette: Palette = LIGHT,
    ) -> None:
        super().__init__(store, clock, parent, watch_store)
        self._cells = CellPresenter(store, self._row_states.by_symbol, clock, self.columns, palette)
        self._roles = self._cells.handlers
        self._sort_column = -1
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._age_first = COLUMN_INDEX["age"]
        self._age_last = COLUMN_INDEX["status"]
        self._flush_timer = QTimer(self)
        self._flush_timer.timeout.connect(self._on_flush_timer)
        self.pacer = FlushPacer(flush_interval_ms)  # stretches the interval under overload
        self._age_timer = QTimer(self)
        self._age_timer.setInterval(AGE_INTERVAL_MS)
        self._age_timer.timeout.connect(self.tick_ages)
        # The shown list's hand-made (drag and drop) order while a header sort is on: what
        # the third header click returns to (issue 18 #9b); a tab switch sets its list's.
        self.hand_order: list[str] | None = None
        self._sort_timer = QTimer(self)
        self._sort_timer.setInterval(SORT_INTERVAL_MS)
        self._sort_timer.timeout.connect(self._on_sort_timer_timeout)
        self._timers_enabled = flush_interval_ms > 0
        self._viewports: list[Viewport] = []  # none: every changed row is signalled
        self._column_views: list[Viewport | None] = []  # beside each: its shown columns
        self._hold_set: set[object] = set()  # the views holding the re-sort (hold_sort)
        self._paint: PaintCache | None = None  # made by the first proxy (gui.table.sort)
        if self._timers_enabled:
            self._flush_timer.start(flush_interval_ms)
            self._age_timer.start()

    @property
    def cells(self) -> CellPresenter:
        """What each role of a cell holds (gui.table.cells): the paint cache writes from it."""
        return self._cells

    def paint_cache(self) -> PaintCache:
        """The Qt-side copy of what the view paints (gui.table.paint_cache), made once."""
        if self._paint is None:
            self._paint = PaintCache(self)
        return self._paint

    def write_shown(self) -> None:
        """Write the stale rows a view shows into the paint cache (all rows: no view)."""
        if self._paint is not None:
            self._paint.write_shown()

    @property
    def history(self) -> PriceHistory | None:
        """The trade-price history SPARKLINE_ROLE serves (gui.table.delegates); None: none."""
        return self._cells.history

    @history.setter
    def history(self, history: PriceHistory | None) -> None:
        self._cells.history = history

    def set_exchange_clock(self, now_ns: Callable[[], int]) -> None:
        """The exchange time the history columns measure the day by (Rel volume's minute
        of the day): the wall clock, or a demo simulator's clock (`--demo-at`)."""
        self._cells.exchange_ns = now_ns

    def set_palette(self, palette: Palette) -> None:
        """Theme switch (ThemeController.theme_changed): this model's tone brushes from
        `palette`, then one repaint of every row's colours."""
        self._cells.set_palette(palette)
        if self._paint is not None:
            self._paint.mark_all_stale(colours=True)
            self.write_shown()
        if self._symbols:
            last_row, last_column = len(self._symbols) - 1, len(self.columns) - 1
            self.dataChanged.emit(
                self.createIndex(0, 0), self.createIndex(last_row, last_column), PALETTE_ROLES
            )

    def set_positions(self, positions: Mapping[str, Position]) -> None:
        """Use this book (symbol -> Position) for the position columns; repaints changed rows."""
        changed = self._row_states.set_positions(positions)
        self._emit_rows([self._rows[symbol] for symbol in changed])

    def sort_column(self) -> int:
        """The column the 1 Hz re-sort keeps ordered, -1 for none (the user's own order)."""
        return self._sort_column

    # --- live updates -----------------------------------------------------------------

    def add_viewport(self, shown_rows: Viewport, shown_columns: Viewport | None = None) -> None:
        """A view of this model: from now on a flush signals only the changed rows some
        view shows (`shown_rows()`, source rows); the others are painted from the store
        when they come into view (data() computes every cell when it is painted).
        `shown_columns()`: the columns it does not hide (None: all)."""
        self._viewports.append(shown_rows)
        self._column_views.append(shown_columns)

    def remove_viewport(self, shown_rows: Viewport) -> None:
        if shown_rows in self._viewports:
            del self._column_views[self._viewports.index(shown_rows)]
            self._viewports.remove(shown_rows)

    def shown_columns(self) -> Collection[int] | None:
        """Columns some view shows (the paint cache computes only those); None: all."""
        if not self._column_views or None in self._column_views:
            return None
        shown: set[int] = set()
        for columns in self._column_views:
            assert columns is not None
            shown.update(columns())
        return shown

    def shown(self, rows: Collection[int]) -> Collection[int]:
        """`rows` that some registered view shows; all of them when no view registered."""
        if not self._viewports:
            return rows
        shown: set[int] = set()
        for viewport in self._viewports:
            shown.update(viewport())
        return shown.intersection(rows)

    def flush(self) -> int:
        """Drain store changes, emit one dataChanged per contiguous row block; returns rows."""
        changed = self._store.drain_changes()
        now = self._clock()
        states = self._row_states
        rows = states.refresh(changed, self._rows, now)
        states.end_flashes(self._rows, now, rows)
        self._emit_rows(rows)
        self.flushed.emit(len(rows))
        return len(rows)

    def _on_flush_timer(self) -> None:
        interval = self.pacer.tick()
        if interval is not None:
            self._flush_timer.setInterval(interval)
        self.flush()

    def set_flush_interval(self, ms: int) -> None:
        """Apply a new flush interval now (Settings): restart the timer; ms <= 0 stops it."""
        self.pacer = FlushPacer(ms)  # fresh pacing state: the old stretch was for the old rate
        if ms <= 0:
            self._flush_timer.stop()
        else:
            self._flush_timer.start(ms)

    def flush_interval(self) -> int:
        """The flush timer's current interval in ms (0 when stopped)."""
        return self._flush_timer.interval() if self._flush_timer.isActive() else 0

    def _emit_rows(self, rows: Collection[int]) -> None:
        if self._paint is not None:
            self._paint.mark_stale(rows)
        rows = self.shown(rows)
        if self._paint is not None:
            # Writing the cells is the repaint's work done ahead (gui.table.paint_cache):
            # the pacer counts it with the painting it sheds (gui.table.pacing).
            start = time.perf_counter()
            self._paint.write(rows)
            self.pacer.note_paint(time.perf_counter() - start)
        last_column = len(self.columns) - 1
        # createIndex, not index(): index() re-enters Python for rowCount/columnCount
        # twice per call (QAbstractTableModel::hasIndex); rows here are known valid.
        create = self.createIndex
        emit = self.dataChanged.emit
        for first, last in contiguous_blocks(rows):
            emit(create(first, 0), create(last, last_column), ROW_ROLES)

    def tick_ages(self) -> None:
        """1 Hz: sweep TTLs, repaint rows whose freshness changed, then Age/Status in row chunks."""
        now = self._clock()
        swept = self._store.sweep(now)
        self._emit_rows(self._row_states.refresh(swept, self._rows, now))
        # Age/Status over all rows, in chunks: measured on Qt 6.12, a dataChanged range of
        # more than ~200 cells makes QTableView repaint its whole viewport, while a small
        # range outside the visible rows repaints nothing.
        count = len(self._symbols)
        if self._paint is not None:
            # Every row's age moved on: rows on screen get their Age (and the day's
            # figures) now, only those cells; the others when they are shown.
            self._paint.tick_clock()
        if self._viewports:  # the rows on screen; the others read their age when painted
            blocks = contiguous_blocks(self.shown(range(count)))
        else:
            blocks = [
                (first, min(first + AGE_CHUNK_ROWS, count) - 1)
                for first in range(0, count, AGE_CHUNK_ROWS)
            ]
        for first, last in blocks:
            self.dataChanged.emit(
                self.createIndex(first, self._age_first),
                self.createIndex(last, self._age_last),
                AGE_ROLES,
            )

    # --- sorting ------------------------------------------------------------------------

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Header click: remember the sort column (re-applied ~1 Hz) and sort now; -1 clears."""
        self._sort_column = column if 0 <= column < len(self.columns) else -1
        self._sort_order = order
        if self._sort_column < 0:
            self._sort_timer.stop()
            return
        if self._timers_enabled:
            self._sort_timer.start()
        self.sort_now(self._sort_column, order)

    def sort_now(self, column: int, order: Qt.SortOrder) -> None:
        """Stable sort of the rows by the column's raw value (None last); keeps selection."""
        if not 0 <= column < len(self.columns) or len(self._symbols) < 2:
            return
        col = self.columns[column]
        now = self._clock()
        raw_of = self._cells.raw_of
        values = [raw_of(symbol, col, now) for symbol in self._symbols]
        positions = stable_order(values, order == Qt.SortOrder.DescendingOrder)
        if positions == list(range(len(positions))):
            return  # already in order: no layoutChanged, no repaint
        self._relayout([self._symbols[i] for i in positions])

    def _on_sort_timer_timeout(self) -> None:
        if self._sort_column >= 0 and not self.sort_held():
            self.sort_now(self._sort_column, self._sort_order)

    sort_released = Signal(list)  # the order before a hold's end re-sorted (sort_hold.RowHold)

    def sort_held(self) -> bool:
        """True while a view holds the rows still (pointer over it, its menu open)."""
        return bool(live_holders(self._hold_set))

    def hold_sort(self, held: bool, holder: object = None) -> None:
        """Hold the ~1 Hz re-sort (issue 18 #1: rows must not move under the pointer, or a
        click lands on another symbol) while any `holder` (a view) holds; when the last
        lets go, re-sort at once and say so (`sort_released`: each view marks the rows
        that moved). Explicit sorts (a header click, an add) still run."""
        holders = live_holders(self._hold_set)
        if held:
            holders.add(holder)
        elif holder in holders:
            holders.discard(holder)
            if not holders and self._sort_column >= 0:
                before = list(self._symbols)
                self.sort_now(self._sort_column, self._sort_order)
                self.sort_released.emit(before)

    def _order_changed_by_hand(self) -> None:
        # A drag ends the sort order; otherwise the ~1 Hz re-sort would undo the user's
        # drag a moment later.
        self._sort_column = -1
        self._sort_timer.stop()

    # --- QAbstractItemModel: cells --------------------------------------------------------

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = DISPLAY) -> Any:
        handler = self._roles.get(role)
        if handler is None:
            return None  # fast path: the view asks for many roles we do not serve
        row, column = index.row(), index.column()
        if not (0 <= row < len(self._symbols) and 0 <= column < len(self.columns)):
            return None
        return handler(self._symbols[row], column)

    def multiData(
        self,
        index: QModelIndex | QPersistentModelIndex,
        roleDataSpan: QModelRoleDataSpan | QModelRoleData,  # noqa: N803 (Qt's name)
    ) -> None:
        """Every role of one cell in one call: Qt 6's item delegate asks for seven roles
        per painted cell through this; one Python call instead of seven cuts a full
        repaint by ~20% (measured; the proxy forwards it, gui.table.sort)."""
        row, column = index.row(), index.column()
        if not (0 <= row < len(self._symbols) and 0 <= column < len(self.columns)):
            return
        symbol = self._symbols[row]
        handlers = self._roles.get
        # The span supports len/[] (so iteration) at runtime; the stubs do not say so.
        entries: Any = (roleDataSpan,) if isinstance(roleDataSpan, QModelRoleData) else roleDataSpan
        for role_data in entries:
            # The delegate reuses one span for every cell it paints: each entry must be
            # written, an invalid value cleared, or the previous cell's colour bleeds in.
            handler = handlers(role_data.role())
            value = None if handler is None else handler(symbol, column)
            if value is None:
                role_data.clearData()
            else:
                role_data.setData(value)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        column = self.columns[section]
        if role == DISPLAY:
            return column.header
        if role == TOOLTIP:
            return column.tooltip
        if role == ALIGNMENT:
            return ALIGN_FLAGS[column.align]
        return None
