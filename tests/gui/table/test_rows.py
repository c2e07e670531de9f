"""The row side of the ticker model (gui.table.rows): drag reorder and minimal watchlist edits."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt

from engine.market.store import MarketDataStore
from gui.table.columns import COLUMN_INDEX
from gui.table.model import SYMBOLS_MIME, TickerTableModel

SYMBOLS = ["AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "SPY"]


@pytest.fixture
def model(qapp: Any, store: MarketDataStore, clock: Any) -> TickerTableModel:
    m = TickerTableModel(store, clock=clock, flush_interval_ms=0)  # no timers
    m.set_symbols(SYMBOLS)
    return m


def test_move_row_and_drag_drop_reorder(model: TickerTableModel) -> None:
    changed: list[int] = []
    model.watchlist_changed.connect(lambda: changed.append(1))
    model.sort(COLUMN_INDEX["symbol"], Qt.SortOrder.AscendingOrder)
    model.set_symbols(SYMBOLS)  # back to the original order (sorting is not a change)
    changed.clear()
    model.move_row(0, 2)
    assert model.sort_column() == -1  # a manual move ends the sort, or it would be undone
    assert model.symbols()[:3] == ["MSFT", "NVDA", "AAPL"]
    model.move_row(2, 0)
    assert model.symbols()[:3] == SYMBOLS[:3]
    model.move_row(0, 99)  # out of range: ignored
    assert len(changed) == 2
    mime = model.mimeData([model.index(1, 0), model.index(1, 3), model.index(3, 0)])
    assert bytes(mime.data(SYMBOLS_MIME).data()) == b"MSFT\nAMZN"
    assert model.dropMimeData(mime, Qt.DropAction.MoveAction, 6, 0, QModelIndex())
    assert model.symbols() == ["AAPL", "NVDA", "GOOGL", "META", "MSFT", "AMZN", "TSLA", "SPY"]
    assert model.dropMimeData(mime, Qt.DropAction.MoveAction, 0, 0, QModelIndex())
    assert model.symbols()[:2] == ["MSFT", "AMZN"]
    assert not model.dropMimeData(mime, Qt.DropAction.CopyAction, 0, 0, QModelIndex())
    assert model.supportedDropActions() == Qt.DropAction.MoveAction
    assert model.flags(model.index(0, 0)) & Qt.ItemFlag.ItemIsDragEnabled
    assert model.flags(QModelIndex()) & Qt.ItemFlag.ItemIsDropEnabled


def test_set_symbols_inserts_and_removes_minimal_ranges(model: TickerTableModel) -> None:
    events: list[tuple[str, int, int]] = []
    model.rowsInserted.connect(lambda _p, a, b: events.append(("insert", a, b)))
    model.rowsRemoved.connect(lambda _p, a, b: events.append(("remove", a, b)))
    model.layoutChanged.connect(lambda *_: events.append(("layout", -1, -1)))
    model.set_symbols(["AAPL", "NVDA", "IBM", "ORCL", "AMZN", "GOOGL", "META", "TSLA", "SPY"])
    assert events == [("remove", 1, 1), ("insert", 2, 3)]
    events.clear()
    model.set_symbols(model.symbols())
    assert events == []  # same list: no signals at all
