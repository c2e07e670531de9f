"""Qt table model over the watchlist, reading the TTL store with coalesced, ranged updates.

A timer drains `store.drain_changes()` every `flush_interval_ms` and emits one
`dataChanged` per contiguous block of changed rows, so per-flush cost follows changed
rows, not message count. Rows are inserted/removed only when the watchlist changes.
Sorting happens inside this model, on raw values, on demand and at most ~1 Hz (never
per tick: a dynamically sorting proxy re-sorts on every dataChanged, QT_NOTES.md).
The view should use fixed row heights and no ResizeToContents on live columns.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QModelRoleData,
    QModelRoleDataSpan,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor

from engine.market.history import PriceHistory, SymbolHistory
from engine.market.store import Freshness, MarketDataStore
from gui.positions.book import Position
from gui.table.columns import (
    COLUMN_INDEX,
    COLUMNS,
    Align,
    ColumnDef,
    RowState,
    Tone,
    background_tone,
    foreground_tone,
    raw_value,
    row_tooltip,
)
from gui.table.delegates import SPARKLINE_ROLE
from gui.table.pacing import FlushPacer
from gui.table.sort import SORT_ROLE, TickerFilterProxy, stable_order

RawValueRole = SORT_ROLE  # Qt.UserRole + 1: the raw (unformatted) value of a cell
SortRole = RawValueRole  # the proxy and sort_now order by the raw value, never display text
__all__ = [
    "AGE_CHUNK_ROWS",
    "AGE_ROLES",
    "FLASH_SECONDS",
    "ROW_ROLES",
    "SYMBOLS_MIME",
    "RawValueRole",
    "SortRole",
    "TickerFilterProxy",  # defined in gui.table.sort, re-exported: api.md names it here
    "TickerTableModel",
    "contiguous_blocks",
    "set_tone_brushes",
]

SYMBOLS_MIME = "application/x-tickerdesk-symbols"
FLASH_SECONDS = 0.6
SORT_INTERVAL_MS = 1000
AGE_INTERVAL_MS = 1000
AGE_CHUNK_ROWS = 64  # x 2 columns = 128 cells per range, under the ~200-cell repaint-all

_ALIGN = {
    Align.LEFT: Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
    Align.RIGHT: Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
    Align.CENTER: Qt.AlignmentFlag.AlignCenter,
}
_BRUSHES = {
    Tone.UP: QBrush(QColor(0, 150, 60)),
    Tone.DOWN: QBrush(QColor(205, 35, 35)),
    Tone.MUTED: QBrush(QColor(140, 140, 140)),
    Tone.FLASH_UP: QBrush(QColor(200, 245, 205)),
    Tone.FLASH_DOWN: QBrush(QColor(250, 210, 210)),
    Tone.HALTED: QBrush(QColor(255, 225, 150)),
}


def set_tone_brushes(brushes: Mapping[Tone, QBrush]) -> None:
    """Theme switch (gui.settings.theme): models paint with these from their next data() call."""
    _BRUSHES.update(brushes)


_CELL_FLAGS = (
    Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
)
_ROOT_FLAGS = Qt.ItemFlag.ItemIsDropEnabled  # drops land between rows, not onto them
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_BACKGROUND = int(Qt.ItemDataRole.BackgroundRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
# Explicit roles in every dataChanged: views and proxies skip work for roles not listed.
ROW_ROLES = [_DISPLAY, _FOREGROUND, _BACKGROUND, _TOOLTIP, RawValueRole, SPARKLINE_ROLE]
AGE_ROLES = [_DISPLAY, _TOOLTIP, RawValueRole]


def contiguous_blocks(rows: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted, de-duplicated rows as inclusive (first, last) runs: {0,1,2,5} -> [(0,2),(5,5)]."""
    blocks: list[tuple[int, int]] = []
    for row in sorted(set(rows)):
        if blocks and blocks[-1][1] == row - 1:
            blocks[-1] = (blocks[-1][0], row)
        else:
            blocks.append((row, row))
    return blocks


def _normalised(symbols: Iterable[str]) -> list[str]:
    # Same keys as MarketDataStore.watch (stripped, upper-case); validation is the caller's.
    return [s for s in (raw.strip().upper() for raw in symbols) if s]


class TickerTableModel(QAbstractTableModel):
    """Rows = watchlist symbols (store snapshots), columns = `gui.table.columns.COLUMNS`.

    flush_interval_ms <= 0 starts no timers (tests/benchmarks drive flush/tick_ages).
    """

    watchlist_changed = Signal()  # rows added, removed or moved (not on sort)
    flushed = Signal(int)  # rows updated by one flush
    columns: tuple[ColumnDef, ...] = COLUMNS

    def __init__(
        self,
        store: MarketDataStore,
        clock: Callable[[], float] = time.monotonic,
        parent: QObject | None = None,
        flush_interval_ms: int = 50,
        watch_store: bool = True,
    ) -> None:
        super().__init__(parent)
        self._store = store
        # False when several lists share the store (gui.watchlists.book.WatchlistSet owns the
        # union): removing a row here must not unwatch a symbol another list still shows.
        self._watch_store = watch_store
        self._positions: Mapping[str, Position] = {}
        self.history: PriceHistory | None = None  # serves SPARKLINE_ROLE (gui.table.delegates)
        self._spark_column = COLUMN_INDEX["spark"]
        self._clock = clock
        self._symbols: list[str] = []
        self._rows: dict[str, int] = {}
        self._states: dict[str, RowState] = {}
        self._flashing: dict[str, float] = {}  # symbol -> flash end (bounded by flashing rows)
        self._sort_column = -1
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._age_first = COLUMN_INDEX["age"]
        self._age_last = COLUMN_INDEX["status"]
        self._roles: dict[int, Callable[[int, int], Any]] = {
            _DISPLAY: self._display,
            _ALIGNMENT: self._alignment,
            _FOREGROUND: self._foreground,
            _BACKGROUND: self._background,
            _TOOLTIP: self._tooltip,
            RawValueRole: self._raw,
            SPARKLINE_ROLE: self._sparkline,
        }
        self._flush_timer = QTimer(self)
        self._flush_timer.timeout.connect(self._on_flush_timer)
        self.pacer = FlushPacer(flush_interval_ms)  # stretches the interval under overload
        self._age_timer = QTimer(self)
        self._age_timer.setInterval(AGE_INTERVAL_MS)
        self._age_timer.timeout.connect(self.tick_ages)
        self._sort_timer = QTimer(self)
        self._sort_timer.setInterval(SORT_INTERVAL_MS)
        self._sort_timer.timeout.connect(self._on_sort_timer_timeout)
        self._timers_enabled = flush_interval_ms > 0
        if self._timers_enabled:
            self._flush_timer.start(flush_interval_ms)
            self._age_timer.start()

    # --- watchlist ------------------------------------------------------------------

    def symbols(self) -> list[str]:
        """The watchlist in row order (a copy)."""
        return list(self._symbols)

    def row_of(self, symbol: str) -> int | None:
        return self._rows.get(symbol)

    def sort_column(self) -> int:
        """The column the 1 Hz re-sort keeps ordered, -1 for none (the user's own order)."""
        return self._sort_column

    def add_symbols(self, symbols: Sequence[str]) -> list[str]:
        """Append new symbols as one inserted block; returns those actually added."""
        added: list[str] = []
        for symbol in _normalised(symbols):
            if symbol not in self._rows and symbol not in added:
                added.append(symbol)
        if added:
            self._insert(len(self._symbols), added)
            self.watchlist_changed.emit()
        return added

    def remove_symbols(self, symbols: Sequence[str]) -> None:
        """Remove symbols (unknown ones ignored), one removal per contiguous block."""
        rows = [self._rows[s] for s in _normalised(symbols) if s in self._rows]
        if rows:
            self._remove_rows(rows)
            self.watchlist_changed.emit()

    def set_symbols(self, symbols: Sequence[str]) -> None:
        """Replace the watchlist: remove absent rows, reorder kept ones, insert new ones."""
        wanted: list[str] = list(dict.fromkeys(_normalised(symbols)))
        wanted_set = set(wanted)
        changed = False
        gone = [row for row, symbol in enumerate(self._symbols) if symbol not in wanted_set]
        if gone:
            self._remove_rows(gone)
            changed = True
        kept_order = [s for s in wanted if s in self._rows]
        if kept_order != self._symbols:
            self._relayout(kept_order)
            changed = True
        row = 0
        while row < len(wanted):
            if wanted[row] in self._rows:
                row += 1
                continue
            end = row
            while end < len(wanted) and wanted[end] not in self._rows:
                end += 1
            self._insert(row, wanted[row:end])
            changed = True
            row = end
        if changed:
            self.watchlist_changed.emit()

    def move_row(self, src: int, dst: int) -> None:
        """Move one row so it ends at index `dst` (drag reorder); out of range is ignored.

        A manual move ends any sort order (sort_column() becomes -1); otherwise the ~1 Hz
        re-sort would undo the user's drag a moment later.
        """
        count = len(self._symbols)
        if not (0 <= src < count and 0 <= dst < count) or src == dst:
            return
        self._sort_column = -1
        self._sort_timer.stop()
        # Qt's destinationChild counts in pre-move rows: moving down needs dst + 1.
        if not self.beginMoveRows(
            QModelIndex(), src, src, QModelIndex(), dst + 1 if dst > src else dst
        ):
            return
        self._symbols.insert(dst, self._symbols.pop(src))
        self._reindex()
        self.endMoveRows()
        self.watchlist_changed.emit()

    def _insert(self, row: int, symbols: list[str]) -> None:
        if self._watch_store:
            self._store.watch(symbols)
        self.beginInsertRows(QModelIndex(), row, row + len(symbols) - 1)
        self._symbols[row:row] = symbols
        now = self._clock()
        for symbol in symbols:
            state = RowState(symbol, position=self._positions.get(symbol))
            snap = self._store.get(symbol)
            if snap is not None:
                state.freshness = self._store.freshness(symbol, now)
                state.seen_price = snap.last_price
            self._states[symbol] = state
        self._reindex()
        self.endInsertRows()

    def _remove_rows(self, rows: list[int]) -> None:
        symbols = [self._symbols[row] for row in rows]
        for first, last in reversed(contiguous_blocks(rows)):  # bottom-up keeps indexes valid
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._symbols[first : last + 1]
            self._reindex()
            self.endRemoveRows()
        for symbol in symbols:
            self._states.pop(symbol, None)
            self._flashing.pop(symbol, None)
        if self._watch_store:
            self._store.unwatch(symbols)

    def _reindex(self) -> None:
        self._rows = {symbol: row for row, symbol in enumerate(self._symbols)}

    def _relayout(self, new_order: list[str]) -> None:
        """Permute rows in place, keeping persistent indexes (selection, current) valid."""
        self.layoutAboutToBeChanged.emit()  # PySide6: no arguments (QT_NOTES.md)
        old_symbols = self._symbols
        self._symbols = new_order
        self._reindex()
        old_indexes = self.persistentIndexList()
        new_indexes = []
        for index in old_indexes:
            row = (
                self._rows.get(old_symbols[index.row()])
                if 0 <= index.row() < len(old_symbols)
                else None
            )
            new_indexes.append(QModelIndex() if row is None else self.index(row, index.column()))
        self.changePersistentIndexList(old_indexes, new_indexes)
        self.layoutChanged.emit()

    def set_positions(self, positions: Mapping[str, Position]) -> None:
        """Use this book (symbol -> Position) for the position columns; repaints changed rows."""
        self._positions = positions
        rows = []
        for symbol, state in self._states.items():
            position = positions.get(symbol)
            if position != state.position:
                state.position = position
                rows.append(self._rows[symbol])
        self._emit_rows(rows)

    # --- live updates -----------------------------------------------------------------

    def flush(self) -> int:
        """Drain store changes, emit one dataChanged per contiguous row block; returns rows."""
        changed = self._store.drain_changes()
        now = self._clock()
        rows: set[int] = set()
        for symbol in changed:
            row = self._rows.get(symbol)
            if row is None:
                continue  # not on the watchlist (e.g. wildcard subscription): not ours
            self._refresh_state(symbol, now)
            rows.add(row)
        if self._flashing:
            ended = [s for s, until in self._flashing.items() if until <= now]
            for symbol in ended:
                del self._flashing[symbol]
                self._states[symbol].flash_tick = 0
                rows.add(self._rows[symbol])
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

    def _refresh_state(self, symbol: str, now: float) -> None:
        state = self._states[symbol]
        state.freshness = self._store.freshness(symbol, now)
        snap = self._store.get(symbol)
        price = None if snap is None else snap.last_price
        if price is not None and state.seen_price is not None and price != state.seen_price:
            state.flash_tick = 1 if price > state.seen_price else -1
            state.flash_until = now + FLASH_SECONDS
            self._flashing[symbol] = state.flash_until
        state.seen_price = price

    def _emit_rows(self, rows: Iterable[int]) -> None:
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
        rows = set()
        for symbol in swept:
            row = self._rows.get(symbol)
            if row is not None:
                self._refresh_state(symbol, now)
                rows.add(row)
        self._emit_rows(rows)
        # Age/Status over all rows, in chunks: measured on Qt 6.12, a dataChanged range of
        # more than ~200 cells makes QTableView repaint its whole viewport, while a small
        # range outside the visible rows repaints nothing.
        count = len(self._symbols)
        for first in range(0, count, AGE_CHUNK_ROWS):
            last = min(first + AGE_CHUNK_ROWS, count) - 1
            self.dataChanged.emit(
                self.index(first, self._age_first), self.index(last, self._age_last), AGE_ROLES
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
        values = [self._raw_of(symbol, col, now) for symbol in self._symbols]
        positions = stable_order(values, order == Qt.SortOrder.DescendingOrder)
        if positions == list(range(len(positions))):
            return  # already in order: no layoutChanged, no repaint
        self._relayout([self._symbols[i] for i in positions])

    def _on_sort_timer_timeout(self) -> None:
        if self._sort_column >= 0:
            self.sort_now(self._sort_column, self._sort_order)

    # --- QAbstractItemModel -------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._symbols)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        handler = self._roles.get(role)
        if handler is None:
            return None  # fast path: the view asks for many roles we do not serve
        row, column = index.row(), index.column()
        if not (0 <= row < len(self._symbols) and 0 <= column < len(self.columns)):
            return None
        return handler(row, column)

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
        handlers = self._roles.get
        # The span supports len/[] (so iteration) at runtime; the stubs do not say so.
        entries: Any = (roleDataSpan,) if isinstance(roleDataSpan, QModelRoleData) else roleDataSpan
        for role_data in entries:
            # The delegate reuses one span for every cell it paints: each entry must be
            # written, an invalid value cleared, or the previous cell's colour bleeds in.
            handler = handlers(role_data.role())
            value = None if handler is None else handler(row, column)
            if value is None:
                role_data.clearData()
            else:
                role_data.setData(value)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        column = self.columns[section]
        if role == _DISPLAY:
            return column.header
        if role == _TOOLTIP:
            return column.tooltip
        if role == _ALIGNMENT:
            return _ALIGN[column.align]
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        # Called per painted cell: constants, since enum `|` costs ~1 us each (profiled).
        return _CELL_FLAGS if index.isValid() else _ROOT_FLAGS

    # Row reorder by drag and drop. removeRows is deliberately not implemented: the view
    # would call it after a MoveAction drop and delete the rows we just moved.
    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [SYMBOLS_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        rows = sorted({index.row() for index in indexes if index.isValid()})
        mime = QMimeData()
        symbols = [self._symbols[row] for row in rows if row < len(self._symbols)]
        mime.setData(SYMBOLS_MIME, QByteArray("\n".join(symbols).encode("utf-8")))
        return mime

    def dropMimeData(
        self,
        data: QMimeData,
        action: Qt.DropAction,
        row: int,
        column: int,
        parent: QModelIndex | QPersistentModelIndex,
    ) -> bool:
        if action == Qt.DropAction.IgnoreAction:
            return True
        if action != Qt.DropAction.MoveAction or not data.hasFormat(SYMBOLS_MIME):
            return False
        raw = bytes(data.data(SYMBOLS_MIME).data()).decode("utf-8", errors="replace")
        symbols = [s for s in raw.split("\n") if s in self._rows]
        if not symbols:
            return False
        target = row if row >= 0 else parent.row() if parent.isValid() else len(self._symbols)
        target = max(0, min(target, len(self._symbols)))
        for symbol in symbols:  # insertion point "before row target", in current numbering
            src = self._rows[symbol]
            if src < target:
                self.move_row(src, target - 1)
            else:
                self.move_row(src, target)
                target += 1
        return True

    # --- role handlers (row, column already bounds-checked) ----------------------------

    def _raw_of(self, symbol: str, column: ColumnDef, now: float) -> Any:
        snap = self._store.get(symbol)
        if snap is None:
            return symbol if column.key == "symbol" else None
        return raw_value(column, snap, self._states[symbol], now)

    def _raw(self, row: int, column: int) -> Any:
        col = self.columns[column]
        return self._raw_of(self._symbols[row], col, self._clock() if col.needs_clock else 0.0)

    def _display(self, row: int, column: int) -> str:
        return self.columns[column].formatter(self._raw(row, column))

    def _alignment(self, row: int, column: int) -> Any:
        return _ALIGN[self.columns[column].align]

    def _foreground(self, row: int, column: int) -> QBrush | None:
        symbol = self._symbols[row]
        snap = self._store.get(symbol)
        if snap is None:
            return None
        col = self.columns[column]
        state = self._states[symbol]
        value = raw_value(col, snap, state, 0.0) if col.tone is not None else None
        tone = foreground_tone(col, snap, state, value)
        return None if tone is None else _BRUSHES[tone]

    def _background(self, row: int, column: int) -> QBrush | None:
        symbol = self._symbols[row]
        snap = self._store.get(symbol)
        if snap is None:
            return None
        tone = background_tone(self.columns[column], snap, self._states[symbol])
        return None if tone is None else _BRUSHES[tone]

    def _sparkline(self, row: int, column: int) -> SymbolHistory | None:
        # Repaints only with its row's flush (ROW_ROLES); expired data is not drawn.
        symbol = self._symbols[row]
        if column != self._spark_column or self.history is None:
            return None
        if self._states[symbol].freshness is Freshness.EXPIRED:
            return None
        return self.history.get(symbol)

    def _tooltip(self, row: int, column: int) -> str | None:
        symbol = self._symbols[row]
        snap = self._store.get(symbol)
        if snap is None:
            return f"{symbol}: not in the data store"
        return row_tooltip(snap, self._states[symbol], self._clock())
