"""Open orders as a tree (bracket / OCO / OTO legs under their parent) and recent fills.

Both models are filled by `gui.account.orders_panel.OrdersPanel` when the AccountBook's
version moved (coalesced, docs/design.md: the GUI pulls); the Age column repaints once
a second on its own (`tick_ages`). Index internal ids: 0 for a top-level order, parent
row + 1 for a leg (ints, never Python objects: nothing to keep alive for Qt).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)

from gui.account.figures import (
    OrderNode,
    fill_time_text,
    order_age_text,
    qty_text,
    type_text,
)
from gui.formatting import MISSING, format_price
from gui.positions.book import format_quantity

if TYPE_CHECKING:
    from engine.account.models import Fill, Order

DISPLAY = int(Qt.ItemDataRole.DisplayRole)
TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_Index = QModelIndex | QPersistentModelIndex

# Status last: its words are the longest ("partially filled"), so a narrow dock clips
# nothing else.
ORDER_HEADERS = ("Symbol", "Side", "Type", "Filled / Qty", "Limit", "Stop", "TIF", "Age", "Status")
AGE_COLUMN = ORDER_HEADERS.index("Age")
_ORDER_RIGHT = frozenset({3, 4, 5, AGE_COLUMN})


def _optional_price(value: float | None) -> str:
    return MISSING if value is None else format_price(value)


def order_cells(order: Order, now_ns: int) -> tuple[str, ...]:
    return (
        order.symbol,
        str(order.side),
        type_text(order),
        qty_text(order),
        _optional_price(order.limit_price),
        _optional_price(order.stop_price),
        order.time_in_force,
        order_age_text(order, now_ns),
        str(order.status).replace("_", " "),
    )


class OpenOrdersModel(QAbstractItemModel):
    """Top-level rows = open orders (newest first); children = their legs."""

    def __init__(
        self, wall_ns: Callable[[], int] = time.time_ns, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.nodes: list[OrderNode] = []
        self._wall_ns = wall_ns  # created_at is wall time (UTC ns); a demo passes its own

    def _shape(self, nodes: Sequence[OrderNode]) -> list[tuple[str, tuple[str, ...]]]:
        return [(n.order.id, tuple(leg.id for leg in n.legs)) for n in nodes]

    def set_nodes(self, nodes: Sequence[OrderNode]) -> bool:
        """Show `nodes`; True when the tree's shape changed (the model was reset)."""
        new = list(nodes)
        if self._shape(new) != self._shape(self.nodes):
            self.beginResetModel()
            self.nodes = new
            self.endResetModel()
            return True
        self.nodes = new
        self._repaint(0, len(ORDER_HEADERS) - 1)
        return False

    def tick_ages(self) -> None:
        """Repaint the Age column (once a second: ages move without the book changing)."""
        self._repaint(AGE_COLUMN, AGE_COLUMN)

    def _repaint(self, first: int, last: int) -> None:
        if not self.nodes:
            return
        self.dataChanged.emit(self.index(0, first), self.index(len(self.nodes) - 1, last))
        for row, node in enumerate(self.nodes):
            if node.legs:
                parent = self.index(row, 0)
                self.dataChanged.emit(
                    self.index(0, first, parent), self.index(len(node.legs) - 1, last, parent)
                )

    def order_at(self, index: _Index) -> Order | None:
        if not index.isValid():
            return None
        parent_id = index.internalId()
        if parent_id == 0:
            row = index.row()
            return self.nodes[row].order if 0 <= row < len(self.nodes) else None
        parent_row = parent_id - 1
        if not 0 <= parent_row < len(self.nodes):
            return None
        legs = self.nodes[parent_row].legs
        return legs[index.row()] if 0 <= index.row() < len(legs) else None

    # --- QAbstractItemModel -----------------------------------------------------------

    def index(self, row: int, column: int, parent: _Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, 0)
        return self.createIndex(row, column, parent.row() + 1)

    def parent(self, child: _Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not child.isValid():
            return QModelIndex()
        parent_id = child.internalId()
        if parent_id == 0:
            return QModelIndex()
        return self.createIndex(parent_id - 1, 0, 0)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        if not parent.isValid():
            return len(self.nodes)
        if parent.internalId() != 0 or parent.column() != 0:
            return 0  # legs have no legs; only column 0 holds children
        row = parent.row()
        return len(self.nodes[row].legs) if 0 <= row < len(self.nodes) else 0

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return len(ORDER_HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY) -> Any:
        if role == DISPLAY and orientation == Qt.Orientation.Horizontal:
            return ORDER_HEADERS[section] if 0 <= section < len(ORDER_HEADERS) else None
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: _Index, role: int = DISPLAY) -> Any:
        order = self.order_at(index)
        column = index.column()
        if order is None or not 0 <= column < len(ORDER_HEADERS):
            return None
        if role == DISPLAY:
            return order_cells(order, self._wall_ns())[column]
        if role == ALIGNMENT:
            return _RIGHT if column in _ORDER_RIGHT else _LEFT
        if role == TOOLTIP:
            leg = (
                " (a leg of a bracket / OCO order)" if order.parent_id or index.internalId() else ""
            )
            return f"order {order.id}{leg}; client id {order.client_order_id}"
        return None


FILL_HEADERS = ("Time (ET)", "Symbol", "Side", "Qty", "Price", "")


class RecentFillsModel(QAbstractTableModel):
    """Recent fills, newest first."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.fills: list[Fill] = []

    def set_fills(self, fills: Sequence[Fill]) -> bool:
        keys = [f.key for f in fills]
        if keys == [f.key for f in self.fills]:
            return False
        self.beginResetModel()
        self.fills = list(fills)
        self.endResetModel()
        return True

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.fills)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(FILL_HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY) -> Any:
        if role == DISPLAY and orientation == Qt.Orientation.Horizontal:
            return FILL_HEADERS[section] if 0 <= section < len(FILL_HEADERS) else None
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: _Index, role: int = DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.fills):
            return None
        column = index.column()
        if not 0 <= column < len(FILL_HEADERS):
            return None
        fill = self.fills[index.row()]
        if role == DISPLAY:
            return (
                fill_time_text(fill), fill.symbol, str(fill.side), format_quantity(fill.qty),
                format_price(fill.price), "partial" if fill.partial else "",
            )[column]  # fmt: skip
        if role == ALIGNMENT:
            return _RIGHT if column in (0, 3, 4) else _LEFT
        if role == TOOLTIP:
            return f"order {fill.order_id}; execution {fill.key}"
        return None
