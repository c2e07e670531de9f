"""What the ticker table paints, held in Qt's own item storage so a repaint never enters Python.

Issue 16: with the view on a Python model, every painted cell called into Python (flags,
multiData through the proxy, rowCount/columnCount), three quarters of a full repaint of a
1400x900 table. `PaintCache` is a QStandardItemModel the filter proxy (gui.table.sort)
reads instead: per cell the text, colours, alignment, flags and marks a paint needs,
written from `TickerTableModel` (gui.table.model) at flush time for the rows a view shows.
Its rows are the ticker model's rows, in the same order (it follows inserts, removals,
moves and sorts); the Symbol column is always current (the filter and the selection
read it), the other cells of a row are written when the row is on screen: a row that
changed off screen is only marked stale (its symbol in a set) and written when a view
is about to paint it (gui.table.view.TickerView.viewportEvent), so it shows the latest
values, and a flush writes tens of rows, never thousands.

Values are read from the ticker model (TickerTableModel.data computes every role), which
tests, export and the positions footer keep using; tooltips too, asked on hover only.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QMimeData, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel

from gui.table.cells import RowMemo
from gui.table.columns_history import RANGE_BAR_KEYS
from gui.table.roles import (
    ALIGN_FLAGS,
    ALIGNMENT,
    BACKGROUND,
    CELL_FLAGS,
    DISPLAY,
    FOREGROUND,
    RAW_VALUE_ROLE,
    ROOT_FLAGS,
    SPARKLINE_ROLE,
)

if TYPE_CHECKING:
    from gui.table.model import TickerTableModel

__all__ = ["DECORATION", "PAINT_ROLES", "PaintCache"]

DECORATION = int(Qt.ItemDataRole.DecorationRole)
PAINT_ROLES = [DISPLAY, FOREGROUND, BACKGROUND, DECORATION, RAW_VALUE_ROLE, SPARKLINE_ROLE]


class PaintCache(QStandardItemModel):
    """The ticker model's rows as Qt items, written for rows on screen (see module doc)."""

    # Rows were inserted and their Symbol cells written after the rows were announced:
    # a filtering proxy must look at them again (gui.table.sort.TickerFilterProxy).
    symbols_written = Signal()

    def __init__(self, model: TickerTableModel) -> None:
        super().__init__(0, len(model.columns), model)
        self._model = model
        self._order: list[str] = []  # symbols in row order, as last mirrored
        self._stale: set[str] = set()  # rows whose cells (but Symbol) are not current
        # Per row, what its items hold (gui.table.cells.RowMemo); None: nothing written
        # but the Symbol. Rows are slots: a reorder writes new symbols into them and the
        # memo still says what each item holds, so only cells that differ are set.
        self._memos: list[RowMemo | None] = []
        columns = model.columns
        self._width = len(columns)
        self._align = [ALIGN_FLAGS[c.align] for c in columns]
        self._spark = next((i for i, c in enumerate(columns) if c.key == "spark"), -1)
        # Painted by delegates from these roles (gui.table.delegates*): only their columns.
        self._raw_columns = [i for i, c in enumerate(columns) if c.key in RANGE_BAR_KEYS]
        # Cells that move with the clock, not with data (Age; the figures of the day):
        # the 1 Hz age tick writes only these, only in rows on screen (`tick_clock`).
        self._timed = [i for i, c in enumerate(columns) if c.needs_clock or c.figure]
        self._age_epoch = 0
        self._columns_seen: frozenset[int] = frozenset()  # the columns views showed
        self.written = 0  # cells written (tests, benchmarks)
        # Items are made by Qt (from this prototype) when a cell is first set through its
        # index: no Python wrapper per item is kept, so the cyclic GC has nothing of the
        # cache to walk (issue 16: 72 ms pauses at 10,000 rows with wrapped items).
        prototype = QStandardItem()
        prototype.setFlags(CELL_FLAGS)
        self.setItemPrototype(prototype)
        self.invisibleRootItem().setFlags(ROOT_FLAGS)
        model.rowsInserted.connect(self._on_inserted)
        model.rowsRemoved.connect(self._on_removed)
        model.rowsAboutToBeMoved.connect(self._about_to_reorder)
        model.rowsMoved.connect(self._reorder)
        model.layoutAboutToBeChanged.connect(self._about_to_reorder)
        model.layoutChanged.connect(self._reorder)
        self._insert(0, model.symbols())

    # --- rows: follow the ticker model -------------------------------------------------

    def _insert(self, row: int, symbols: Sequence[str]) -> None:
        if not symbols:
            return
        last = row + len(symbols) - 1
        QStandardItemModel.insertRows(self, row, len(symbols))
        self._order[row:row] = symbols
        self._memos[row:row] = [None] * len(symbols)
        self._stale.update(symbols)
        blocked = self.blockSignals(True)  # one dataChanged for the block, below
        try:
            index, set_data, align = self.index, self.setData, self._align[0]
            for offset, symbol in enumerate(symbols):
                cell = index(row + offset, 0)
                set_data(cell, symbol, DISPLAY)
                set_data(cell, align, ALIGNMENT)
        finally:
            self.blockSignals(blocked)
        self.dataChanged.emit(self.index(row, 0), self.index(last, 0), [DISPLAY, ALIGNMENT])
        self.symbols_written.emit()
        self.write_shown()

    def _on_inserted(self, parent: QModelIndex, first: int, last: int) -> None:
        self._insert(first, self._model.symbols()[first : last + 1])

    def _on_removed(self, parent: QModelIndex, first: int, last: int) -> None:
        QStandardItemModel.removeRows(self, first, last - first + 1)  # not self.removeRows
        gone = self._order[first : last + 1]
        del self._order[first : last + 1]
        del self._memos[first : last + 1]
        self._stale.difference_update(gone)

    def _about_to_reorder(self, *_args: Any) -> None:
        self.layoutAboutToBeChanged.emit()

    def _reorder(self, *_args: Any) -> None:
        """A sort or a move: the same rows in a new order. Persistent indexes (the view's
        selection and current row, through the proxy) follow their symbols; the rows that
        now hold another symbol get it in their Symbol cell (the filter reads it) and the
        rest of their cells when they are on screen (now, or when scrolled in), each cell
        set only where it differs: a re-sort costs the rows it moved, not the table."""
        old, new = self._order, self._model.symbols()
        row_of = {symbol: row for row, symbol in enumerate(new)}
        before = self.persistentIndexList()
        after = []
        for index in before:
            row = row_of.get(old[index.row()]) if 0 <= index.row() < len(old) else None
            after.append(QModelIndex() if row is None else self.index(row, index.column()))
        moved = [row for row, symbol in enumerate(new) if old[row] != symbol]
        self._order = list(new)
        blocked = self.blockSignals(True)  # no dataChanged inside a layout change
        try:
            cell, set_data = self.index, self.setData
            for row in moved:
                set_data(cell(row, 0), new[row], DISPLAY)
        finally:
            self.blockSignals(blocked)
        self._stale.update(new[row] for row in moved)
        self.changePersistentIndexList(before, after)
        self.layoutChanged.emit()
        self.write_shown()  # the rows on screen now: what a view reads next

    # --- cells ---------------------------------------------------------------------------

    def mark_stale(self, rows: Iterable[int]) -> None:
        order = self._order
        self._stale.update(order[row] for row in rows)

    def mark_all_stale(self, colours: bool = False) -> None:
        """Every row; `colours`: the brushes themselves changed (a theme switch)."""
        self._stale.update(self._order)
        if colours:
            for memo in self._memos:
                if memo is not None:
                    memo.forget_colours()

    def tick_clock(self) -> None:
        """The 1 Hz age tick: the timed cells (Age, the day's figures) of every row are
        due; rows on screen are written now (only those cells), the others when shown."""
        self._age_epoch += 1
        self.write_shown()

    def write(self, rows: Collection[int], announce: bool = True) -> list[int]:
        """Write the rows among `rows` (rows on screen) that are stale, or whose timed
        cells are due; returns them. `announce`: one dataChanged per written row over the
        columns that changed (a flush: Qt repaints those cells, not the viewport); False
        when the view is about to paint them."""
        stale, order, memos, epoch = self._stale, self._order, self._memos, self._age_epoch
        columns = self._model.shown_columns()
        shown = frozenset(range(self._width)) if columns is None else frozenset(columns)
        if not shown <= self._columns_seen:
            # A column shown again (or scrolled in) was not kept up to date: every row.
            stale.update(order)
            self._columns_seen = shown
        elif shown != self._columns_seen:
            self._columns_seen = shown
        todo = []
        for row in rows:
            memo = memos[row]
            if order[row] in stale or memo is None or memo.age_epoch != epoch:
                todo.append(row)
        if not todo:
            return todo
        full = sorted(shown)
        timed = [c for c in self._timed if c in shown]
        spans: list[tuple[int, int, int]] = []
        blocked = self.blockSignals(True)  # one signal per row below, not one per cell
        try:
            for row in todo:
                symbol = order[row]
                whole = symbol in stale or memos[row] is None
                span = self._write_row(row, symbol, full if whole else timed, whole)
                stale.discard(symbol)
                if span is not None:
                    spans.append((row, *span))
        finally:
            self.blockSignals(blocked)
        if announce:
            # Per row, only its changed cells: a range over ~200 cells makes QTableView
            # repaint its whole viewport (gui.table.model), a row's cells do not.
            index, emit = self.index, self.dataChanged.emit
            for row, left, right in spans:
                emit(index(row, left), index(row, right), PAINT_ROLES)
        return todo

    def _write_row(
        self, row: int, symbol: str, columns: list[int], whole: bool
    ) -> tuple[int, int] | None:
        """The row's cells in `columns` that differ from what its items hold (the memo);
        `whole`: also the delegates' values. Returns the changed columns' span."""
        memo = self._memos[row]
        if memo is None:
            memo = self._memos[row] = RowMemo(self._width)
        cells = self._model.cells
        index, set_data, align = self.index, self.setData, self._align
        texts = memo.texts  # None where nothing was written: the item is new, align it
        fresh = {c for c in columns if texts[c] is None} if None in texts else ()
        left, right = self._width, -1
        for column, role, value in cells.row_changes(symbol, columns, memo):
            cell = index(row, column)
            if role == DISPLAY and column in fresh:
                set_data(cell, align[column], ALIGNMENT)
            set_data(cell, value, role)
            left, right = min(left, column), max(right, column)
            self.written += 1
        memo.age_epoch = self._age_epoch
        if whole:
            span = self._write_extras(row, symbol, memo)
            if span is not None:
                left, right = min(left, span[0]), max(right, span[1])
        return None if right < 0 else (left, right)

    def _write_extras(self, row: int, symbol: str, memo: RowMemo) -> tuple[int, int] | None:
        """Cells a delegate paints from other roles, and the resync mark: repainted with
        the row only when what they show moved (the sparkline's history object stays the
        same while its prices move: its spark_version counts)."""
        cells = self._model.cells
        extra: list[tuple[int, int, Any]] = [(0, DECORATION, cells.decoration(symbol, 0))]
        extra += [(c, RAW_VALUE_ROLE, cells.raw(symbol, c)) for c in self._raw_columns]
        seen: list[Any] = [value for _, _, value in extra]
        if self._spark >= 0:
            history = cells.sparkline(symbol, self._spark)
            extra.append((self._spark, SPARKLINE_ROLE, history))
            seen += [history, None if history is None else history.spark_version]
        if memo.extras == seen:
            return None
        memo.extras = seen
        index, set_data, align = self.index, self.setData, self._align
        for column, role, value in extra:
            cell = index(row, column)
            if memo.texts[column] is None:
                set_data(cell, align[column], ALIGNMENT)
            set_data(cell, value, role)
        columns = [column for column, _, _ in extra]
        return min(columns), max(columns)

    def write_shown(self) -> None:
        """Write the stale rows some view shows (every row when no view said, see
        TickerTableModel.add_viewport)."""
        self.write(self._model.shown(range(len(self._order))))

    def is_stale(self, row: int) -> bool:
        return self._order[row] in self._stale

    # --- the rest of the model contract: from the ticker model ---------------------------

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY) -> Any:
        return self._model.headerData(section, orientation, role)

    def removeRows(
        self,
        row: int,
        count: int,
        parent: QModelIndex | QPersistentModelIndex = QModelIndex(),  # noqa: B008
    ) -> bool:
        # The view calls this after a MoveAction drop: rows leave only with the watchlist.
        return False

    def supportedDropActions(self) -> Qt.DropAction:
        return self._model.supportedDropActions()

    def supportedDragActions(self) -> Qt.DropAction:
        return self._model.supportedDragActions()

    def mimeTypes(self) -> list[str]:
        return self._model.mimeTypes()

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        model = self._model
        return model.mimeData([model.index(i.row(), i.column()) for i in indexes])

    def dropMimeData(
        self,
        data: QMimeData,
        action: Qt.DropAction,
        row: int,
        column: int,
        parent: QModelIndex | QPersistentModelIndex,
    ) -> bool:
        model = self._model
        target = model.index(parent.row(), parent.column()) if parent.isValid() else QModelIndex()
        return model.dropMimeData(data, action, row, column, target)
