"""The orders dock: open orders (legs grouped under their parent) and recent fills below.

Pull, coalesced: `refresh()` compares the AccountBook's `version` with the last one
shown and rebuilds only when it moved (the controller calls it at 4 Hz); ages tick on
their own once a second (`tick_ages`). Read-only: no button here touches an order.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableView,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from gui.account.figures import READ_ONLY_NOTE, group_orders
from gui.account.orders_model import OpenOrdersModel, RecentFillsModel
from gui.settings.theme import LIGHT, Palette

if TYPE_CHECKING:
    from engine.account.book import AccountBook

RECENT_FILLS = 50


VIEW_MIN_HEIGHT = 44  # px: a header and a row


class OrdersPanel(QDockWidget):
    """Dock "Orders"; `refresh()` is cheap when the book did not change."""

    def __init__(
        self,
        book: AccountBook,
        wall_ns: Callable[[], int] = time.time_ns,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Orders", parent)
        self.setObjectName("accountOrdersDock")
        self.book = book
        self.version = -1  # the book version shown
        self.rebuilds = 0  # how often the book was re-read (tests: coalescing)
        self.orders_model = OpenOrdersModel(wall_ns, self)
        self.orders_view = QTreeView(self)
        self.orders_view.setObjectName("openOrdersTree")
        self.orders_view.setModel(self.orders_model)
        self.orders_view.setUniformRowHeights(True)
        self.orders_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.orders_view.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.orders_label = QLabel("Open orders", self)
        self.fills_model = RecentFillsModel(self)
        self.fills_view = QTableView(self)
        self.fills_view.setObjectName("recentFillsTable")
        self.fills_view.setModel(self.fills_model)
        self.fills_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.fills_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.fills_view.verticalHeader().setVisible(False)
        self.fills_view.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        self.fills_view.horizontalHeader().setStretchLastSection(True)
        self.fills_label = QLabel("Recent fills", self)
        self.note = QLabel(READ_ONLY_NOTE, self)
        self.note.setObjectName("ordersReadOnlyNote")
        self.note.setWordWrap(True)
        split = QSplitter(Qt.Orientation.Vertical, self)
        for label, view in ((self.orders_label, self.orders_view),
                            (self.fills_label, self.fills_view)):  # fmt: skip
            box = QWidget(split)
            box_layout = QVBoxLayout(box)
            box_layout.setContentsMargins(0, 0, 0, 0)
            box_layout.addWidget(label)
            # Small minimums: the dock shares the right column with the detail pane, and
            # the window must fit a 768 px laptop screen (docs/qt.md).
            view.setMinimumHeight(VIEW_MIN_HEIGHT)
            box_layout.addWidget(view, 1)
            split.addWidget(box)
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(split, 1)
        layout.addWidget(self.note)
        self.setWidget(body)
        self.set_palette(LIGHT)
        self.refresh()

    def set_palette(self, palette: Palette) -> None:
        self.note.setStyleSheet(f"QLabel {{ color: {palette.placeholder}; }}")

    def refresh(self) -> bool:
        """Re-read the book if its version moved; True when it did."""
        book = self.book
        if book.version == self.version:
            return False
        self.version = book.version
        self.rebuilds += 1
        nodes = group_orders(book.open_orders())
        if self.orders_model.set_nodes(nodes):
            self.orders_view.expandAll()  # legs always visible under their parent
        count = sum(1 + len(n.legs) for n in nodes)
        self.orders_label.setText(f"Open orders ({count})" if count else "Open orders: none")
        fills = sorted(book.recent_fills(RECENT_FILLS), key=lambda f: f.time_ns, reverse=True)
        self.fills_model.set_fills(fills)
        self.fills_label.setText("Recent fills" if fills else "Recent fills: none yet")
        return True

    def tick_ages(self) -> None:
        self.orders_model.tick_ages()
