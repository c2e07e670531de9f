"""Sorting and filtering helpers for the ticker table: stable raw-value order, filter proxy.

The proxy only filters (symbol substring); sorting stays in the source model, on demand
and at ~1 Hz, because a dynamically sorting proxy re-sorts on every tick (docs/qt.md).
The proxy's source is the ticker model's paint cache (gui.table.paint_cache, same rows),
so the view paints without calling Python; `sort` goes to the ticker model and
`mapFromSource` also takes the ticker model's indexes. This module does not import the
model (it would be a cycle): it needs only its `sort` and `paint_cache`.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from gui.table.columns import COLUMN_INDEX
from gui.table.roles import RAW_VALUE_ROLE
from gui.table.sort_hold import restore_order

SORT_ROLE = RAW_VALUE_ROLE  # = gui.table.model.RawValueRole: sort by raw value, not text


def stable_order(values: list[Any], descending: bool) -> list[int]:
    """Stable order of positions by value, None always last whatever the direction."""
    present = [i for i, value in enumerate(values) if value is not None]
    missing = [i for i, value in enumerate(values) if value is None]
    try:
        present.sort(key=values.__getitem__, reverse=descending)  # reverse keeps stability
    except TypeError:  # mixed types in one column should not happen; never crash on it
        present.sort(key=lambda i: str(values[i]), reverse=descending)
    return present + missing


class TickerFilterProxy(QSortFilterProxyModel):
    """Symbol substring filter (case-insensitive) that forwards sorting to the source model.

    The proxy itself never sorts (dynamicSortFilter off, sortColumn -1), so ticking prices
    cost no proxy work; header clicks reach the source's `sort` (TickerTableModel.sort).
    """

    def __init__(self, source: QAbstractItemModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ticker_model = source
        self.setDynamicSortFilter(False)
        self.setFilterKeyColumn(COLUMN_INDEX["symbol"])
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setSortRole(SORT_ROLE)
        # The view paints from Qt items, never calling Python per cell (issue 16): the
        # source is the model's paint cache, whose rows are the model's rows.
        self._paint_model = source.paint_cache()  # type: ignore[attr-defined]
        self.setSourceModel(self._paint_model)
        # New rows reach the proxy before their Symbol cells are written (the cache makes
        # no Python item objects, gui.table.paint_cache): with a filter on, look again.
        self._paint_model.symbols_written.connect(self._refilter_new_rows)

    def _refilter_new_rows(self) -> None:
        if self.filterRegularExpression().pattern():
            self.beginFilterChange()  # Qt 6.10's form of invalidateRowsFilter()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_filter_text(self, text: str) -> None:
        """Show only rows whose symbol contains `text` (case-insensitive); "" shows all."""
        self.setFilterFixedString(text.strip())

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """A header click. The first sort remembers the hand-made (drag and drop) order;
        the third click (no sort) returns to it rather than leaving the rows in the last
        sorted order (issue 18 #9b). A drag while sorted ends the sort (the model), so
        the order it leaves is the hand-made one."""
        model = self._ticker_model
        was_sorted = model.sort_column() >= 0  # type: ignore[attr-defined]
        if column >= 0 and not was_sorted:
            model.hand_order = model.symbols()  # type: ignore[attr-defined]
        model.sort(column, order)
        hand = getattr(model, "hand_order", None)
        if column < 0 and was_sorted and hand is not None:
            current = model.symbols()  # type: ignore[attr-defined]
            restored = restore_order(hand, current)
            if restored != current:
                model.set_symbols(restored)  # type: ignore[attr-defined]
        if column < 0:
            model.hand_order = None  # type: ignore[attr-defined]

    def mapFromSource(self, source_index: QModelIndex | QPersistentModelIndex) -> QModelIndex:
        """Also takes an index of the ticker model (same rows as the paint cache): callers
        map `model.index(row, 0)` to the view's row."""
        if source_index.isValid() and source_index.model() is self._ticker_model:
            source_index = self._paint_model.index(source_index.row(), source_index.column())
        return super().mapFromSource(source_index)
