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
        self._stale.update(symbols)
        self.write_shown()

    def _on_inserted(self, parent: QModelIndex, first: int, last: int) -> None:
        self._insert(first, self._model.symbols()[first : last + 1])

    def _on_removed(self, parent: QModelIndex, first: int, last: int) -> None:
        QStandardItemModel.removeRows(self, first, last - first + 1)  # not self.removeRows
        gone = self._order[first : last + 1]
        del self._order[first : last + 1]
        self._stale.difference_update(gone)

    def _about_to_reorder(self, *_args: Any) -> None:
        self.layoutAboutToBeChanged.emit()

    def _reorder(self, *_args: Any) -> None:
        """A sort or a move: the same rows in a new order. Persistent indexes (the view's
        selection and current row, through the proxy) follow their symbols; the Symbol
        column is rewritten and the other cells are stale until shown."""
        old, new = self._order, self._model.symbols()
        row_of = {symbol: row for row, symbol in enumerate(new)}
        before = self.persistentIndexList()
        after = []
        for index in before:
            row = row_of.get(old[index.row()]) if 0 <= index.row() < len(old) else None
            after.append(QModelIndex() if row is None else self.index(row, index.column()))
        self._order = list(new)
        blocked = self.blockSignals(True)  # no dataChanged inside a layout change
        try:
            item_at = self.item
            for row, symbol in enumerate(new):
                if old[row] != symbol:
                    item_at(row, 0).setData(symbol, DISPLAY)
        finally:
            self.blockSignals(blocked)
        self._stale.update(new)
        self.changePersistentIndexList(before, after)
        self.layoutChanged.emit()
        self.write_shown()

    # --- cells ---------------------------------------------------------------------------

    def mark_stale(self, rows: Iterable[int]) -> None:
        order = self._order
        self._stale.update(order[row] for row in rows)

    def mark_all_stale(self) -> None:
        self._stale.update(self._order)

    def write(self, rows: Collection[int], announce: bool = True) -> list[int]:
        """Write the stale rows among `rows` (rows on screen); returns them. `announce`:
        one dataChanged per block (a flush); False when the view is about to paint them."""
        stale, order = self._stale, self._order
        todo = [row for row in rows if order[row] in stale]
        if not todo:
            return todo
        blocked = self.blockSignals(True)  # one signal per block below, not one per cell
        try:
            for row in todo:
                self._write_row(row, order[row])
                stale.discard(order[row])
        finally:
            self.blockSignals(blocked)
        if announce:
            last_column = self.columnCount() - 1
            for first, last in contiguous_blocks(todo):
                self.dataChanged.emit(
                    self.index(first, 0), self.index(last, last_column), PAINT_ROLES
                )
        return todo

    def _write_row(self, row: int, symbol: str) -> None:
        cells = self._model.cells
        display, foreground, background = cells.display, cells.foreground, cells.background
        item_at, set_item = self.item, self.setItem
        for column, align in enumerate(self._align):
            item = item_at(row, column)
            if item is None:
                item = QStandardItem()
                item.setFlags(CELL_FLAGS)
                item.setData(align, ALIGNMENT)
                set_item(row, column, item)
            if column:  # the Symbol text is written with the row
                item.setData(display(symbol, column), DISPLAY)
            item.setData(foreground(symbol, column), FOREGROUND)
            item.setData(background(symbol, column), BACKGROUND)
            if column == 0:
                item.setData(cells.decoration(symbol, column), DECORATION)
            elif column == self._spark:
                item.setData(cells.sparkline(symbol, column), SPARKLINE_ROLE)
            elif column in self._raw_columns:
                item.setData(cells.raw(symbol, column), RAW_VALUE_ROLE)
        self.written += len(self._align)

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
