"""Sparkline column: history served by the model's role, painted by the delegate, halts marked."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QTableView

from engine.events import Bar, BarKind, Luld, Snapshot, Trade, TradingStatus
from engine.market.history import NS, PriceHistory, SymbolHistory
from engine.market.store import MarketDataStore
from gui.table.columns import COLUMN_INDEX
from gui.table.delegates import DOWN, SPARKLINE_ROLE, UP, SparklineDelegate
from gui.table.model import ROW_ROLES, TickerTableModel

T0 = 1_750_000_000 * NS
SPARK = COLUMN_INDEX["spark"]
SYMBOLS = ["UPPY", "DOWNY", "QUIET"]


@pytest.fixture
def wired(qapp: Any, store: MarketDataStore, clock: Any) -> tuple[TickerTableModel, PriceHistory]:
    model = TickerTableModel(store, clock=clock, flush_interval_ms=0)
    model.set_symbols(SYMBOLS)
    history = PriceHistory()
    store.add_observer(history.on_event)
    model.history = history
    return model, history


def feed(store: MarketDataStore, symbol: str, prices: list[float]) -> None:
    for second, price in enumerate(prices):
        assert store.apply(Trade(symbol, price, 100, T0 + second * NS, second + 1, "V"))


def count_colour(image: QImage, rect: Any, colour: QColor) -> int:
    """Pixels in `rect` of the same dominant hue as `colour` (antialiasing blends edges)."""
    want = (colour.red(), colour.green(), colour.blue())
    grey = max(want) - min(want) < 30
    hits = 0
    for x in range(rect.left(), rect.right() + 1):
        for y in range(rect.top(), rect.bottom() + 1):
            pixel = image.pixelColor(x, y)
            rgb = (pixel.red(), pixel.green(), pixel.blue())
            if grey:
                hits += max(rgb) - min(rgb) < 30 and max(rgb) < 200
            else:
                main = want.index(max(want))
                hits += all(rgb[main] > rgb[i] + 40 for i in range(3) if i != main)
    return hits


def test_model_serves_history_only_for_the_sparkline_column(
    wired: tuple[TickerTableModel, PriceHistory], store: MarketDataStore, qtmodeltester: Any
) -> None:
    model, history = wired
    feed(store, "UPPY", [10.0, 10.5, 11.0])
    model.flush()
    spark = model.index(0, SPARK).data(SPARKLINE_ROLE)
    assert isinstance(spark, SymbolHistory)
    assert spark is history.get("UPPY")
    assert spark.prices.points()[1] == [10.0, 10.5, 11.0]
    assert model.index(0, COLUMN_INDEX["last"]).data(SPARKLINE_ROLE) is None
    assert model.index(2, SPARK).data(SPARKLINE_ROLE) is None  # no trades yet
    assert model.index(0, SPARK).data(Qt.ItemDataRole.DisplayRole) == ""
    qtmodeltester.check(model)


def test_flush_repaints_the_sparkline_through_its_role(
    wired: tuple[TickerTableModel, PriceHistory], store: MarketDataStore
) -> None:
    model, _ = wired
    model.flush()  # the watch itself marked every row changed
    seen: list[tuple[int, int, int, int, list[int]]] = []
    model.dataChanged.connect(
        lambda a, b, roles: seen.append((a.row(), b.row(), a.column(), b.column(), list(roles)))
    )
    feed(store, "DOWNY", [20.0])
    model.flush()
    assert seen == [(1, 1, 0, model.columnCount() - 1, ROW_ROLES)]
    assert SPARKLINE_ROLE in ROW_ROLES


def test_delegate_paints_a_polyline_in_the_cell(
    wired: tuple[TickerTableModel, PriceHistory], store: MarketDataStore, clock: Any
) -> None:
    model, _ = wired
    # A full 15-minute window: the line spans the cell (the axis is time, issue 18 #10g).
    feed(store, "UPPY", [10.0 + i * 0.1 for i in range(900)])
    feed(store, "DOWNY", [50.0 - i * 0.05 for i in range(900)])
    model.flush()
    clock.advance(1.0)  # let the tick flash (a light green/red row background) end first
    model.flush()
    view = QTableView()
    view.setModel(model)
    delegate = SparklineDelegate(view)
    view.setItemDelegateForColumn(SPARK, delegate)
    view.setColumnWidth(SPARK, 120)
    view.resize(1600, 200)
    view.show()
    image = QImage(view.viewport().size(), QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    view.viewport().render(image)
    up_cell = view.visualRect(model.index(0, SPARK))
    down_cell = view.visualRect(model.index(1, SPARK))
    quiet_cell = view.visualRect(model.index(2, SPARK))
    assert count_colour(image, up_cell, UP) > 40  # a 100+ px line, antialiased
    assert count_colour(image, up_cell, DOWN) == 0
    assert count_colour(image, down_cell, DOWN) > 40
    assert count_colour(image, quiet_cell, UP) + count_colour(image, quiet_cell, DOWN) == 0
    built = delegate.polygons_built
    view.viewport().render(image)  # no new prices: cached polygons, nothing rebuilt
    assert delegate.polygons_built == built
    # Stale rows draw muted: not green even though the price went up.
    clock.advance(400)
    model.tick_ages()
    image.fill(QColor("white"))
    view.viewport().render(image)
    assert count_colour(image, up_cell, UP) == 0
    assert count_colour(image, up_cell, QColor(140, 140, 140)) > 40
    view.close()


def test_halt_marks_the_row_until_resume_and_luld_is_in_the_tooltip(
    wired: tuple[TickerTableModel, PriceHistory], store: MarketDataStore
) -> None:
    model, history = wired
    feed(store, "UPPY", [10.0, 10.1])
    store.apply(Luld("UPPY", 11.0, 9.0, "B", T0 + 5 * NS))
    store.apply(TradingStatus("UPPY", "H", "Trading Halt", "LUDP", "Volatility pause", T0 + 6 * NS))
    model.flush()
    index = model.index(0, COLUMN_INDEX["status"])
    assert index.data() == "HALTED"
    halted_brush = index.data(Qt.ItemDataRole.BackgroundRole)
    assert halted_brush is not None
    tip = index.data(Qt.ItemDataRole.ToolTipRole)
    assert "Volatility pause" in tip
    assert "LULD band: 9.00" in tip
    entry = history.get("UPPY")
    assert entry is not None
    assert entry.halted
    feed(store, "UPPY", [])  # nothing: still halted after another flush
    model.flush()
    assert model.index(0, 0).data(Qt.ItemDataRole.BackgroundRole) == halted_brush
    # Q resumes quoting only: the row stays halted until T (issue 12 defect #7; this test
    # asserted the defect before, with Q ending the halt).
    store.apply(TradingStatus("UPPY", "Q", "Quotation Resumption", "LUDP", "", T0 + 9 * NS))
    model.flush()
    assert index.data() == "HALTED"
    assert "quoting again" in index.data(Qt.ItemDataRole.ToolTipRole)
    assert entry.halted
    store.apply(TradingStatus("UPPY", "T", "Trading Resumption", "", "", T0 + 10 * NS))
    model.flush()
    assert index.data() != "HALTED"
    assert model.index(0, 0).data(Qt.ItemDataRole.BackgroundRole) != halted_brush
    assert not entry.halted
    assert entry.halts[-1].end_ns == T0 + 10 * NS


def test_change_tooltip_names_the_previous_trading_day_close(
    wired: tuple[TickerTableModel, PriceHistory], store: MarketDataStore
) -> None:
    model, _ = wired
    prev = Bar(BarKind.DAILY, "QUIET", 9.0, 11.0, 8.0, 10.0, 1, T0 - 86_400 * NS)
    last = Trade("QUIET", 10.5, 1, T0 + NS)
    store.apply(Snapshot("QUIET", latest_trade=last, prev_daily_bar=prev))
    model.flush()
    assert model.index(2, COLUMN_INDEX["change"]).data() == "+0.50"
    tip = model.index(2, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert "previous trading day's close 10.00" in tip
    header_tip = model.headerData(COLUMN_INDEX["change"], Qt.Orientation.Horizontal,
                                  Qt.ItemDataRole.ToolTipRole)  # fmt: skip
    assert "prevDailyBar" in header_tip
