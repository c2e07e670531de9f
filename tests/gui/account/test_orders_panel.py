"""Orders dock: bracket / OCO legs grouped under their parent, coalesced refresh, fills."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt

from engine.account.book import AccountBook
from engine.account.models import OrderStatus
from gui.account.figures import group_orders
from gui.account.orders_model import AGE_COLUMN, ORDER_HEADERS
from gui.account.orders_panel import OrdersPanel
from tests.gui.account.factories import NS, fill, fill_update, loaded_book, order

DISPLAY = int(Qt.ItemDataRole.DisplayRole)
SECOND = 10**9


def bracket() -> Any:
    take_profit = order("tp", type="limit", limit=200.0, status=OrderStatus.HELD,
                        parent_id="parent", created_ns=NS + 1)  # fmt: skip
    stop_loss = order("sl", type="stop", limit=None, stop=140.0, status=OrderStatus.HELD,
                      parent_id="parent", created_ns=NS + 1)  # fmt: skip
    return order("parent", order_class="bracket", legs=(take_profit, stop_loss), created_ns=NS)


@pytest.fixture
def wall() -> list[int]:
    return [NS + 90 * SECOND]


@pytest.fixture
def book() -> AccountBook:
    simple = order("simple", "MSFT", created_ns=NS + 30 * SECOND, qty=100.0, filled=40.0,
                   status=OrderStatus.PARTIALLY_FILLED, limit=410.5)  # fmt: skip
    return loaded_book([], [bracket(), simple])


@pytest.fixture
def panel(qtbot: Any, book: AccountBook, wall: list[int]) -> OrdersPanel:
    panel = OrdersPanel(book, wall_ns=lambda: wall[0])
    qtbot.addWidget(panel)
    return panel


def texts(model: Any, row: int, parent: QModelIndex | None = None) -> dict[str, str]:
    parent = parent or QModelIndex()
    return {
        name: model.data(model.index(row, column, parent), DISPLAY)
        for column, name in enumerate(ORDER_HEADERS)
    }


def test_legs_are_grouped_under_their_parent(panel: OrdersPanel, qtmodeltester: Any) -> None:
    model = panel.orders_model
    qtmodeltester.check(model)
    assert model.rowCount() == 2  # the legs are not top-level rows
    newest = texts(model, 0)
    assert newest["Symbol"] == "MSFT"
    assert newest["Filled / Qty"] == "40 / 100"
    assert newest["Status"] == "partially filled"
    assert newest["Limit"] == "410.50"
    assert newest["Age"] == "1 m"  # created 60 s before the wall clock
    parent_index = model.index(1, 0)
    assert texts(model, 1)["Type"] == "limit (bracket)"
    assert model.rowCount(parent_index) == 2
    legs = [texts(model, r, parent_index) for r in range(2)]
    assert [(leg["Type"], leg["Limit"], leg["Stop"]) for leg in legs] == [
        ("limit", "200.00", "\u2014"), ("stop", "\u2014", "140.00"),
    ]  # fmt: skip
    assert model.parent(model.index(0, 0, parent_index)) == parent_index
    assert panel.orders_view.isExpanded(parent_index)  # legs are shown, not folded away
    assert panel.orders_label.text() == "Open orders (4)"


def test_flat_legs_with_a_parent_id_are_grouped_too() -> None:
    parent = order("p", order_class="oco")
    leg = order("leg", parent_id="p")
    orphan = order("orphan", parent_id="gone")  # its parent closed: shown on its own
    nodes = group_orders([parent, leg, orphan])
    assert [(n.order.id, [x.id for x in n.legs]) for n in nodes] == [
        ("p", ["leg"]), ("orphan", []),
    ]  # fmt: skip


def test_refresh_is_coalesced_on_the_book_version(
    panel: OrdersPanel, book: AccountBook, wall: list[int]
) -> None:
    rebuilds = panel.rebuilds
    assert not panel.refresh()
    assert not panel.refresh()
    assert panel.rebuilds == rebuilds  # the book did not change: nothing re-read
    wall[0] += 120 * SECOND
    panel.tick_ages()  # ages move with the clock, without a rebuild
    assert panel.orders_model.data(panel.orders_model.index(0, AGE_COLUMN), DISPLAY) == "3 m"
    book.apply_update(fill_update(fill("x1", "MSFT", order_id="simple", time_ns=wall[0])))
    assert panel.refresh()
    assert panel.rebuilds == rebuilds + 1
    assert panel.orders_model.rowCount() == 1  # the filled order left the open list


def test_recent_fills_newest_first_in_new_york_time(panel: OrdersPanel, book: AccountBook) -> None:
    assert panel.fills_label.text() == "Recent fills: none yet"
    book.reconcile(None, None, None, [
        fill("a", "AAPL", 5, 150.25, time_ns=NS, order_id="o1"),
        fill("b", "MSFT", 7, 410.0, time_ns=NS + 5 * SECOND, partial=True, order_id="o2"),
    ])  # fmt: skip
    panel.refresh()
    model = panel.fills_model
    rows = [[model.data(model.index(r, c), DISPLAY) for c in range(6)] for r in range(2)]
    # NS is 22:13:20 UTC = 17:13:20 in New York (EST).
    assert rows == [
        ["17:13:25", "MSFT", "buy", "7", "410.00", "partial"],
        ["17:13:20", "AAPL", "buy", "5", "150.25", ""],
    ]
