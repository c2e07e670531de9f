"""A flush signals only the rows a view shows (issue 16); the others are painted from the
latest values when they scroll in, a sort moves them on screen or the filter lets them in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtTest import QAbstractItemModelTester

from engine.events import Trade
from engine.market.store import MarketDataStore
from gui.settings.persistence import AppSettings
from gui.table.columns import COLUMN_INDEX
from gui.table.model import TickerFilterProxy, TickerTableModel
from gui.table.view import TickerView

NS = 1_700_000_000_000_000_000
ROWS = 300
SYMBOLS = [f"S{i:03d}" for i in range(ROWS)]
LAST = COLUMN_INDEX["last"]
AGE = COLUMN_INDEX["age"]
_ids = iter(range(1, 10**9))


def trade(store: MarketDataStore, symbol: str, price: float) -> None:
    store.apply(Trade(symbol, price, 100, NS + next(_ids), next(_ids), "V"))


class Rig:
    def __init__(self, store: MarketDataStore, clock: Any, tmp_path: Path) -> None:
        self.model = TickerTableModel(store, clock=clock, flush_interval_ms=0)
        self.model.set_symbols(SYMBOLS)
        for i, symbol in enumerate(SYMBOLS):
            trade(store, symbol, 10.0 + i)
        self.model.flush()
        self.proxy = TickerFilterProxy(self.model)
        self.view = TickerView(self.model, self.proxy, AppSettings(tmp_path / "t.ini"))
        self.view.resize(600, 300)  # ~12 rows of 300 on screen
        self.changed: list[tuple[int, int, int, int]] = []
        self.model.dataChanged.connect(
            lambda a, b, *_: self.changed.append((a.row(), b.row(), a.column(), b.column()))
        )

    def rows_signalled(self) -> set[int]:
        return {row for top, bottom, *_ in self.changed for row in range(top, bottom + 1)}

    def last_text(self, symbol: str) -> str:
        """The Last cell as the view paints it (through the proxy), after a paint."""
        self.view.viewport().repaint()
        proxy_row = self.proxy.mapFromSource(
            self.model.index(self.model.row_of(symbol) or 0, 0)
        ).row()
        return str(self.proxy.index(proxy_row, LAST).data())


@pytest.fixture
def rig(qapp: Any, qtbot: Any, store: MarketDataStore, clock: Any, tmp_path: Path) -> Rig:
    r = Rig(store, clock, tmp_path)
    qtbot.addWidget(r.view)
    r.view.show()
    qtbot.waitExposed(r.view)
    qtbot.wait(20)  # painted once (the offscreen platform makes its backing store then)
    return r


def test_a_flush_signals_only_rows_on_screen_and_the_rest_paint_the_latest(
    rig: Rig, store: MarketDataStore, qtbot: Any
) -> None:
    QAbstractItemModelTester(rig.model, QAbstractItemModelTester.FailureReportingMode.Warning)
    shown = set(rig.view.shown_rows())
    assert 0 in shown
    assert len(shown) < ROWS // 4
    trade(store, "S001", 99.0)  # on screen
    trade(store, "S250", 77.0)  # far below the viewport
    trade(store, "S250", 78.0)  # latest wins
    assert rig.model.flush() == 2  # both rows applied (nothing dropped) ...
    assert rig.rows_signalled() == {1}  # ... but only the one on screen repainted
    # Scrolled into view, the row shows its latest price: no mark was needed.
    rig.view.scrollTo(rig.proxy.index(250, 0))
    qtbot.wait(10)
    assert 250 in rig.view.shown_rows()
    assert rig.last_text("S250") == "78.00"


def test_sort_and_filter_bring_unsignalled_rows_in_with_their_latest_values(
    rig: Rig, store: MarketDataStore
) -> None:
    trade(store, "S299", 5000.0)
    rig.model.flush()
    assert 299 not in rig.rows_signalled()
    rig.proxy.sort(LAST, Qt.SortOrder.DescendingOrder)  # the header click's path
    assert rig.model.symbols()[0] == "S299"  # sorted on the latest value
    assert rig.proxy.index(0, LAST).data() == "5,000.00"
    assert 0 in rig.view.shown_rows()
    rig.proxy.set_filter_text("S12")
    trade(store, "S123", 1.5)
    rig.changed.clear()
    rig.model.flush()
    assert rig.rows_signalled() == {rig.model.row_of("S123")}  # shown through the filter
    assert rig.last_text("S123") == "1.50"


def test_age_ticks_and_a_hidden_view_signal_nothing_off_screen(
    rig: Rig, store: MarketDataStore, qtbot: Any
) -> None:
    rig.model.tick_ages()
    ages = [(top, bottom) for top, bottom, left, right in rig.changed if left == AGE]
    assert ages
    assert max(bottom for _, bottom in ages) < ROWS // 4
    rig.model.flush()  # whatever the sweep marked
    rig.view.hide()
    rig.changed.clear()
    trade(store, "S002", 1.0)
    assert rig.model.flush() == 1
    assert rig.changed == []  # nothing on screen: nothing to repaint
    rig.view.show()
    qtbot.wait(20)  # shown and painted
    assert rig.last_text("S002") == "1.00"  # written when painted again


def test_without_a_view_every_changed_row_is_signalled(
    qapp: Any, store: MarketDataStore, clock: Any
) -> None:
    model = TickerTableModel(store, clock=clock, flush_interval_ms=0)
    model.set_symbols(SYMBOLS)
    model.flush()
    seen: list[int] = []
    model.dataChanged.connect(lambda a, *_: seen.append(a.row()))
    trade(store, "S250", 1.0)
    model.flush()
    assert seen == [250]
    assert model.data(model.index(250, LAST)) == "1.00"
    assert model.data(QModelIndex()) is None
