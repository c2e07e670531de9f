"""The ticker table's rows as a Qt model: which symbols, in which order, dragged how.

`SymbolRowsModel` owns the watchlist side of `gui.table.model.TickerTableModel`: rows are
inserted or removed only when the watchlist changes (one signal per contiguous block), a
reorder is a layout change that keeps persistent indexes (selection, current) on their
symbols, and rows move by drag and drop of a symbols MIME type. It keeps each row's
`RowState` (gui.table.rowstates) in step with the rows; cell content is the subclass's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from PySide6.QtCore import (
    QAbstractTableModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from engine.market.store import MarketDataStore
from gui.table.roles import CELL_FLAGS, ROOT_FLAGS
from gui.table.rowstates import RowStates, contiguous_blocks, normalised

__all__ = ["SYMBOLS_MIME", "SymbolRowsModel"]

SYMBOLS_MIME = "application/x-tickerdesk-symbols"


class SymbolRowsModel(QAbstractTableModel):
    """One row per watchlist symbol (store keys: stripped, upper-case), with its RowState."""

    watchlist_changed = Signal()  # rows added, removed or moved (not on sort)

    def __init__(
        self,
        store: MarketDataStore,
        clock: Callable[[], float] = time.monotonic,
        parent: QObject | None = None,
        watch_store: bool = True,
    ) -> None:
        super().__init__(parent)
        self._store = store
        # False when several lists share the store (gui.watchlists.book.WatchlistSet owns the
        # union): removing a row here must not unwatch a symbol another list still shows.
        self._watch_store = watch_store
        self._clock = clock
        self._symbols: list[str] = []
        self._rows: dict[str, int] = {}
        self._row_states = RowStates(store)

    def _order_changed_by_hand(self) -> None:
        """A manual move (drag, move_row) is about to reorder rows: a subclass that keeps
        the rows sorted drops its sort here, or it would undo the user's move."""

    # --- watchlist ------------------------------------------------------------------

    def symbols(self) -> list[str]:
        """The watchlist in row order (a copy)."""
        return list(self._symbols)

    def row_of(self, symbol: str) -> int | None:
        return self._rows.get(symbol)

    def add_symbols(self, symbols: Sequence[str]) -> list[str]:
        """Append new symbols as one inserted block; returns those actually added."""
        added: list[str] = []
        for symbol in normalised(symbols):
            if symbol not in self._rows and symbol not in added:
                added.append(symbol)
        if added:
            self._insert(len(self._symbols), added)
            self.watchlist_changed.emit()
        return added

    def remove_symbols(self, symbols: Sequence[str]) -> None:
        """Remove symbols (unknown ones ignored), one removal per contiguous block."""
        rows = [self._rows[s] for s in normalised(symbols) if s in self._rows]
        if rows:
            self._remove_rows(rows)
            self.watchlist_changed.emit()

    def set_symbols(self, symbols: Sequence[str]) -> None:
        """Replace the watchlist: remove absent rows, reorder kept ones, insert new ones."""
        wanted: list[str] = list(dict.fromkeys(normalised(symbols)))
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

        A manual move ends any sort order (see `_order_changed_by_hand`).
        """
        count = len(self._symbols)
        if not (0 <= src < count and 0 <= dst < count) or src == dst:
            return
        self._order_changed_by_hand()
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
        self._row_states.add(symbols, self._clock())
        self._reindex()
        self.endInsertRows()

    def _remove_rows(self, rows: list[int]) -> None:
        symbols = [self._symbols[row] for row in rows]
        for first, last in reversed(contiguous_blocks(rows)):  # bottom-up keeps indexes valid
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._symbols[first : last + 1]
            self._reindex()
            self.endRemoveRows()
        self._row_states.discard(symbols)
        if self._watch_store:
            self._store.unwatch(symbols)

    def _reindex(self) -> None:
        self._rows = {symbol: row for row, symbol in enumerate(self._symbols)}

    def _relayout(self, new_order: list[str]) -> None:
        """Permute rows in place, keeping persistent indexes (selection, current) valid."""
        self.layoutAboutToBeChanged.emit()  # PySide6: no arguments (docs/qt.md)
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

    # --- QAbstractItemModel: shape, flags, drag and drop ----------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._symbols)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        return CELL_FLAGS if index.isValid() else ROOT_FLAGS

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
