"""The paint cache, second round (issue 16): no Python object per Qt item (GC pauses),
a flush formats and sets only the cells that changed, a re-sort rewrites only the rows
it moved, and the 1 Hz age tick writes only the Age-like cells of rows on screen, while
every row still shows its latest values when it is painted."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItem

from engine.events import Trade
from engine.market.store import MarketDataStore
from gui.settings.persistence import AppSettings
from gui.table.columns import COLUMN_INDEX
from gui.table.model import TickerFilterProxy, TickerTableModel
from gui.table.view import TickerView

NS = 1_700_000_000_000_000_000
SYMBOLS = [f"S{i:03d}" for i in range(300)]
LAST, AGE = COLUMN_INDEX["last"], COLUMN_INDEX["age"]
_ids = iter(range(1, 10**9))


def trade(store: MarketDataStore, symbol: str, price: float) -> None:
    store.apply(Trade(symbol, price, 100, NS + next(_ids), next(_ids), "V"))


@pytest.fixture
def table(
    qapp: Any, qtbot: Any, store: MarketDataStore, clock: Any, tmp_path: Path
) -> tuple[TickerTableModel, TickerFilterProxy, TickerView]:
    model = TickerTableModel(store, clock=clock, flush_interval_ms=0)
    model.set_symbols(SYMBOLS)  # before any view: every row is written (no viewport)
    for i, symbol in enumerate(SYMBOLS):
        trade(store, symbol, 10.0 + i)
    model.flush()
    proxy = TickerFilterProxy(model)
    view = TickerView(model, proxy, AppSettings(tmp_path / "t.ini"))
    view.resize(900, 300)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    qtbot.wait(20)
    return model, proxy, view


def _cell(proxy: TickerFilterProxy, model: TickerTableModel, symbol: str, column: int) -> Any:
    row = model.row_of(symbol)
    assert row is not None
    return proxy.mapFromSource(model.index(row, column)).data()


def test_the_cache_keeps_no_python_object_per_item(
    table: tuple[TickerTableModel, TickerFilterProxy, TickerView],
) -> None:
    model, proxy, _view = table
    proxy.sort(LAST, Qt.SortOrder.DescendingOrder)
    model.tick_ages()
    gc.collect()
    wrappers = [o for o in gc.get_objects() if isinstance(o, QStandardItem)]
    # Only the item prototype: 300 rows x every column were once 300 x 30 wrappers
    # the cyclic GC walked on every full collection.
    assert len(wrappers) <= 1
    assert proxy.index(0, 0).data() == "S299"
    assert proxy.index(0, LAST).data() == "309.00"


def test_a_flush_sets_only_the_cells_that_changed(
    table: tuple[TickerTableModel, TickerFilterProxy, TickerView], store: MarketDataStore
) -> None:
    model, proxy, _view = table
    cache = model.paint_cache()
    before = cache.written
    trade(store, "S002", 12.0)  # the same price again: no cell changes
    model.flush()
    assert cache.written == before
    trade(store, "S002", 13.5)
    model.flush()
    # Last (text, tick colour, flash), Change, Change %, Volume, Trade time, Age...: a few
    # cells, not the row's thirty.
    assert 0 < cache.written - before <= 12
    for column in range(len(model.columns)):
        assert _cell(proxy, model, "S002", column) == model.data(
            model.index(model.row_of("S002") or 0, column)
        )


def test_a_resort_rewrites_only_the_rows_it_moved(
    table: tuple[TickerTableModel, TickerFilterProxy, TickerView], store: MarketDataStore
) -> None:
    model, proxy, view = table
    proxy.sort(LAST, Qt.SortOrder.DescendingOrder)
    cache = model.paint_cache()
    shown = len(view.shown_rows())
    before = cache.written
    model.sort_now(LAST, Qt.SortOrder.DescendingOrder)  # nothing moved: nothing written
    assert cache.written == before
    trade(store, "S297", 400.0)  # third on screen -> first: rows 0..2 change symbol
    model.flush()
    before = cache.written
    model.sort_now(LAST, Qt.SortOrder.DescendingOrder)
    written = cache.written - before
    assert 0 < written <= 3 * len(model.columns) < shown * len(model.columns)
    assert [proxy.index(r, 0).data() for r in range(3)] == ["S297", "S299", "S298"]
    assert proxy.index(0, LAST).data() == "400.00"
    assert proxy.index(1, LAST).data() == "309.00"


def test_the_age_tick_writes_only_age_cells_on_screen_and_scrolled_rows_catch_up(
    table: tuple[TickerTableModel, TickerFilterProxy, TickerView], clock: Any, qtbot: Any
) -> None:
    model, proxy, view = table
    cache = model.paint_cache()
    shown = view.shown_rows()
    clock.advance(7.0)
    before = cache.written
    model.tick_ages()
    written = cache.written - before
    assert 0 < written <= len(shown) * 3  # Age (and the day's figures) of shown rows
    expected = model.data(model.index(0, AGE))
    assert _cell(proxy, model, SYMBOLS[0], AGE) == expected
    # A row far below was not written, but shows its age once scrolled in.
    view.scrollTo(proxy.index(280, 0))
    qtbot.wait(10)
    assert model.row_of("S280") in view.shown_rows()
    assert _cell(proxy, model, "S280", AGE) == model.data(model.index(280, AGE))
