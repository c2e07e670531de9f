"""Sorting and filtering helpers for the ticker table: stable raw-value order, filter proxy.

The proxy only filters (symbol substring); sorting stays in the source model, on demand
and at ~1 Hz, because a dynamically sorting proxy re-sorts on every tick (docs/qt.md).
The proxy needs nothing of the ticker model beyond QAbstractItemModel's own virtuals
`sort` and `multiData`, which the model overrides, so this module does not import it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QModelRoleData,
    QModelRoleDataSpan,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from gui.table.columns import COLUMN_INDEX
from gui.table.roles import RAW_VALUE_ROLE

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
        self.setSourceModel(source)

    def set_filter_text(self, text: str) -> None:
        """Show only rows whose symbol contains `text` (case-insensitive); "" shows all."""
        self.setFilterFixedString(text.strip())

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._ticker_model.sort(column, order)

    def multiData(
        self,
        index: QModelIndex | QPersistentModelIndex,
        roleDataSpan: QModelRoleDataSpan | QModelRoleData,  # noqa: N803 (Qt's name)
    ) -> None:
        # QSortFilterProxyModel would answer multiData with one source data() call per
        # role; forwarding keeps a painted cell at one call into the model (gui.table.model).
        self._ticker_model.multiData(self.mapToSource(index), roleDataSpan)
