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

from PySide6.QtCore import QMimeData, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel

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
from gui.table.rowstates import contiguous_blocks

if TYPE_CHECKING:
    from gui.table.model import TickerTableModel

__all__ = ["DECORATION", "PAINT_ROLES", "PaintCache"]

DECORATION = int(Qt.ItemDataRole.DecorationRole)
PAINT_ROLES = [DISPLAY, FOREGROUND, BACKGROUND, DECORATION, RAW_VALUE_ROLE, SPARKLINE_ROLE]


class PaintCache(QStandardItemModel):
    """The ticker model's rows as Qt items, written for rows on screen (see module doc)."""

    def __init__(self, model: TickerTableModel) -> None:
        super().__init__(0, len(model.columns), model)
        self._model = model
        self._order: list[str] = []  # symbols in row order, as last mirrored
        self._stale: set[str] = set()  # rows whose cells (but Symbol) are not current
        # Per row, what its items hold: (text, foreground, background) per cell; None:
        # unknown (a new row, or a reorder moved other symbols' values into it).
        self._shadow: list[list[tuple[str, Any, Any] | None] | None] = []
        self._extras: list[list[Any] | None] = []  # the delegates' values, by row
        columns = model.columns
        self._align = [ALIGN_FLAGS[c.align] for c in columns]
        self._spark = next((i for i, c in enumerate(columns) if c.key == "spark"), -1)
        # Painted by delegates from these roles (gui.table.delegates*): only their columns.
        self._raw_columns = {i for i, c in enumerate(columns) if c.key in RANGE_BAR_KEYS}
        self.written = 0  # cells written (tests, benchmarks)
        self.invisibleRootItem().setFlags(ROOT_FLAGS)
        model.rowsInserted.connect(self._on_inserted)
        model.rowsRemoved.connect(self._on_removed)
        model.rowsAboutToBeMoved.connect(self._about_to_reorder)
        model.rowsMoved.connect(self._reorder)
        model.layoutAboutToBeChanged.connect(self._about_to_reorder)
        model.layoutChanged.connect(self._reorder)
        self._insert(0, model.symbols())

    # --- rows: follow the ticker model -------------------------------------------------

    def _symbol_item(self, symbol: str) -> QStandardItem:
        item = QStandardItem(symbol)
        item.setFlags(CELL_FLAGS)
        item.setData(self._align[0], ALIGNMENT)
        return item

    def _insert(self, row: int, symbols: Sequence[str]) -> None:
        if not symbols:
            return
        # One block with the Symbol cells already set: the proxy filters new rows on them.
        self.invisibleRootItem().insertRows(row, [self._symbol_item(s) for s in symbols])
        self._order[row:row] = symbols
        self._shadow[row:row] = [None] * len(symbols)
        self._extras[row:row] = [None] * len(symbols)
        self._stale.update(symbols)
        self.write_shown()

    def _on_inserted(self, parent: QModelIndex, first: int, last: int) -> None:
        self._insert(first, self._model.symbols()[first : last + 1])

    def _on_removed(self, parent: QModelIndex, first: int, last: int) -> None:
        QStandardItemModel.removeRows(self, first, last - first + 1)  # not self.removeRows
        gone = self._order[first : last + 1]
        del self._order[first : last + 1]
        del self._shadow[first : last + 1]
        del self._extras[first : last + 1]
        self._stale.difference_update(gone)

    def _about_to_reorder(self, *_args: Any) -> None:
        self.layoutAboutToBeChanged.emit()

    def _reorder(self, *_args: Any) -> None:
        """A sort or a move: the same rows in a new order. Persistent indexes (the view's
        selection and current row, through the proxy) follow their symbols; in the rows
        that now hold another symbol the Symbol cell is rewritten and the others are
        stale until shown."""
        old, new = self._order, self._model.symbols()
        row_of = {symbol: row for row, symbol in enumerate(new)}
        before = self.persistentIndexList()
        after = []
        for index in before:
            row = row_of.get(old[index.row()]) if 0 <= index.row() < len(old) else None
            after.append(QModelIndex() if row is None else self.index(row, index.column()))
        self._order = list(new)
        self._shadow = [
            shadow if old[row] == new[row] else None for row, shadow in enumerate(self._shadow)
        ]
        self._extras = [
            extra if old[row] == new[row] else None for row, extra in enumerate(self._extras)
        ]
        blocked = self.blockSignals(True)  # no dataChanged inside a layout change
        try:
            item_at = self.item
            for row, symbol in enumerate(new):
                if old[row] != symbol:
                    item_at(row, 0).setData(symbol, DISPLAY)
        finally:
            self.blockSignals(blocked)
        # Rows that kept their symbol keep their cells (a 1 Hz re-sort moves a few rows).
        self._stale.update(symbol for row, symbol in enumerate(new) if old[row] != symbol)
        self.changePersistentIndexList(before, after)
        self.layoutChanged.emit()
        self.write_shown()

    # --- cells ---------------------------------------------------------------------------

    def mark_stale(self, rows: Iterable[int]) -> None:
        order = self._order
        self._stale.update(order[row] for row in rows)

    def mark_all_stale(self, colours: bool = False) -> None:
        """Every row; `colours`: the brushes themselves changed (a theme switch)."""
        self._stale.update(self._order)
        if colours:
            self._shadow = [None] * len(self._order)
            self._extras = [None] * len(self._order)

    def write(self, rows: Collection[int], announce: bool = True) -> list[int]:
        """Write the stale rows among `rows` (rows on screen); returns them. `announce`:
        one dataChanged per block (a flush); False when the view is about to paint them."""
        stale, order = self._stale, self._order
        todo = [row for row in rows if order[row] in stale]
        if not todo:
            return todo
        span = [len(self._align), -1]  # the columns that changed, over all rows
        blocked = self.blockSignals(True)  # one signal per block below, not one per cell
        try:
            for row in todo:
                self._write_row(row, order[row], span)
                stale.discard(order[row])
        finally:
            self.blockSignals(blocked)
        if announce and span[1] >= 0:
            # Only the changed columns: an age tick repaints Age and Source, not the rows
            # (a range over ~200 cells repaints the whole viewport, gui.table.model).
            left, right = span
            for first, last in contiguous_blocks(todo):
                self.dataChanged.emit(self.index(first, left), self.index(last, right), PAINT_ROLES)
        return todo

    def _write_row(self, row: int, symbol: str, span: list[int]) -> None:
        """The row's cells, each role set only when it differs from what the item holds
        (`_shadow`: the last written text and brushes per cell, by row)."""
        cells = self._model.cells
        paint = cells.row_paint(symbol, self._model.shown_columns())
        old = self._shadow[row]
        item_at = self.item
        for column, cell in enumerate(paint):
            if cell is None:
                continue  # hidden: its shadow is None, so it is written once shown
            before = None if old is None else old[column]
            unchanged = before is not None and before[0] == cell[0]
            if unchanged and before[1] is cell[1] and before[2] is cell[2]:  # type: ignore[index]
                continue  # most cells of a ticking row
            span[0] = min(span[0], column)
            span[1] = max(span[1], column)
            item = item_at(row, column) or self._new_item(row, column)
            if before is None or before[0] != cell[0]:
                item.setData(cell[0], DISPLAY)
            if before is None or before[1] is not cell[1]:
                item.setData(cell[1], FOREGROUND)
            if before is None or before[2] is not cell[2]:
                item.setData(cell[2], BACKGROUND)
            self.written += 1
        self._shadow[row] = paint
        # Cells a delegate paints from other roles, and the resync mark: a few per row,
        # repainted with the row (the sparkline's history object stays the same while its
        # prices move: the delegate redraws it from there).
        self.item(row, 0).setData(cells.decoration(symbol, 0), DECORATION)
        extra = [(c, RAW_VALUE_ROLE, cells.raw(symbol, c)) for c in self._raw_columns]
        if self._spark >= 0:
            history = cells.sparkline(symbol, self._spark)
            extra.append((self._spark, SPARKLINE_ROLE, history))
        # What they show, to repaint them only when it moved: the sparkline's history
        # object stays the same while its prices move (its spark_version counts).
        seen = [value for _, _, value in extra]
        if self._spark >= 0:
            seen.append(None if history is None else history.spark_version)
        if self._extras[row] != seen:
            self._extras[row] = seen
            for column, role, value in extra:
                (item_at(row, column) or self._new_item(row, column)).setData(value, role)
                span[0] = min(span[0], column)
                span[1] = max(span[1], column)

    def _new_item(self, row: int, column: int) -> QStandardItem:
        item = QStandardItem()
        item.setFlags(CELL_FLAGS)
        item.setData(self._align[column], ALIGNMENT)
        self.setItem(row, column, item)
        return item

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
