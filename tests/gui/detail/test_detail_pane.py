"""Detail pane: chart follows the selected symbol, time & sales applies corrections/cancels."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMainWindow

from engine.events import Bar, BarKind, CancelError, Correction, Luld, Quote, Trade, TradingStatus
from engine.market.history import DEFAULT_TAPE_SIZE, NS, PriceHistory
from engine.market.store import MarketDataStore
from gui.detail.chart import IntradayChart, nice_step
from gui.detail.pane import DetailPane
from gui.detail.time_sales import TimeSalesModel

T0 = 1_750_000_000 * NS  # 2025-06-15 15:06:40 UTC
# Showing a window with docks offscreen makes Qt warn once; harmless (as in test_main_window).
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
_ids = iter(range(1, 10**9))


@pytest.fixture
def history(store: MarketDataStore) -> PriceHistory:
    store.watch(["AAPL", "MSFT"])
    h = PriceHistory()
    store.add_observer(h.on_event)
    return h


@pytest.fixture
def pane(qapp: Any, store: MarketDataStore, clock: Any, history: PriceHistory) -> Any:
    # live_interval_ms=0: no timer; the test calls refresh_live() like the timer would.
    # Docked in a window as in the app (a floating dock makes offscreen Qt warn).
    host = QMainWindow()
    widget = DetailPane(store, clock, host, history=history, live_interval_ms=0)
    host.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, widget)
    host.resize(500, 800)
    host.show()
    yield widget
    host.close()


def trade(store: MarketDataStore, symbol: str, price: float, second: float) -> int:
    trade_id = next(_ids)
    assert store.apply(Trade(symbol, price, 100, T0 + int(second * NS), trade_id, "V"))
    return trade_id


def test_chart_draws_the_selected_symbol_with_levels_halts_and_bars(
    pane: DetailPane, store: MarketDataStore
) -> None:
    daily = Bar(BarKind.DAILY, "AAPL", 99.0, 100.5, 97.0, 100.0, 1_000, T0 - 3600 * NS, vwap=99.5)
    store.apply(daily)
    for minute in range(5):  # each raises the day high, so the store notifies observers
        start = T0 + minute * 60 * NS
        store.apply(Bar(BarKind.MINUTE, "AAPL", 100, 101 + minute * 0.2, 99, 100.5, 10, start))
    for second in range(30):
        trade(store, "AAPL", 100.0 + second * 0.05, 300 + second)
    store.apply(Quote("AAPL", 101.4, 3, 101.5, 4, T0 + 331 * NS))
    store.apply(Luld("AAPL", 105.0, 95.0, "B", T0 + 10 * NS))
    halt = TradingStatus("AAPL", "H", "Trading Halt", "LUDP", "Volatility pause", T0 + 332 * NS)
    store.apply(halt)
    pane.show_symbol("AAPL")
    pane.chart.grab()  # paints now (offscreen), as the event loop would
    drawn = pane.chart.drawn
    assert drawn["bars"] == 7  # five stream bars + two minutes folded from prints (T0 = :40)
    assert drawn["trades"] == 30
    for item in ("bid", "ask", "vwap", "high", "low", "luld", "halt"):
        assert drawn.get(item), item
    assert pane.chart.history is not None
    assert pane.chart.history.symbol == "AAPL"
    assert pane.values["Status"].text().startswith("HALTED")
    # Nothing moved: the throttled tick schedules no repaint.
    assert not pane.chart.refresh()
    trade(store, "AAPL", 101.0, 340)
    pane.refresh_live()
    assert pane._sources[0] is pane.chart.history  # same source, new version: just repaint
    pane.chart.grab()
    assert pane.chart.drawn["trades"] == 31
    # Selecting another symbol points the chart at that symbol.
    trade(store, "MSFT", 400.0, 1)
    pane.show_symbol("MSFT")
    pane.chart.grab()
    assert pane.chart.history is not None
    assert pane.chart.history.symbol == "MSFT"
    assert pane.chart.drawn["trades"] == 1
    assert "halt" not in pane.chart.drawn


def test_time_and_sales_applies_corrections_and_cancels(
    pane: DetailPane, store: MarketDataStore, qtmodeltester: Any
) -> None:
    pane.show_symbol("AAPL")
    first = trade(store, "AAPL", 100.00, 1)
    second = trade(store, "AAPL", 100.10, 2)
    pane.refresh_live()
    model = pane.time_sales_model
    qtmodeltester.check(model)
    assert model.rowCount() == 2
    assert model.index(0, 1).data() == "100.10"  # newest first
    store.apply(Correction("AAPL", "V", second, 100.10, 100, 777, 100.05, 60, T0 + 3 * NS))
    pane.refresh_live()
    pane.refresh()
    assert model.index(0, 1).data() == "100.05"
    assert model.index(0, 4).data() == "corrected"
    assert "Corrected from 100.10" in model.index(0, 1).data(Qt.ItemDataRole.ToolTipRole)
    assert pane.values["Last"].text() == "100.05 (corrected from 100.10)"
    store.apply(CancelError("AAPL", 777, "V", 100.05, 60, "C", T0 + 4 * NS))
    pane.refresh_live()
    pane.refresh()
    assert model.index(0, 4).data() == "cancelled"
    assert model.index(0, 1).data(Qt.ItemDataRole.FontRole).strikeOut()
    # The store reverted the last trade to the one before; the pane says what happened.
    assert pane.values["Last"].text() == "100.00 (100.05 cancelled)"
    previous = model.entry(1)
    assert previous is not None
    assert previous.trade_id == first
    qtmodeltester.check(model)


def test_time_and_sales_is_bounded_and_newest_first(
    pane: DetailPane, store: MarketDataStore, history: PriceHistory
) -> None:
    pane.show_symbol("AAPL")
    trade(store, "AAPL", 10.0, 0)
    pane.refresh_live()
    for i in range(1, 260):
        trade(store, "AAPL", 10.0 + i / 100, i / 10)
        if i % 50 == 0:
            pane.refresh_live()
    pane.refresh_live()
    model = pane.time_sales_model
    assert model.rowCount() == DEFAULT_TAPE_SIZE
    assert model.index(0, 1).data() == "12.59"  # newest first
    oldest = 259 - DEFAULT_TAPE_SIZE + 1
    assert model.index(DEFAULT_TAPE_SIZE - 1, 1).data() == f"{10 + oldest / 100:.2f}"
    tape = history.get("AAPL")
    assert tape is not None
    assert model.entry(0) is tape.tape[-1]


def test_time_sales_model_alone_contract(qapp: Any, qtmodeltester: Any) -> None:
    model = TimeSalesModel()
    qtmodeltester.check(model)
    assert model.rowCount() == 0
    assert not model.sync()


def test_expired_data_is_not_charted(pane: DetailPane, store: MarketDataStore, clock: Any) -> None:
    trade(store, "AAPL", 10.0, 0)
    pane.show_symbol("AAPL")
    assert pane.chart.history is not None
    clock.advance(3600)  # past the stream TTL's expiry
    pane.refresh_live()
    assert pane.chart.history is None
    assert pane.time_sales_model.rowCount() == 0


def test_chart_empty_and_nice_steps(qapp: Any) -> None:
    chart = IntradayChart()
    chart.resize(300, 200)
    chart.grab()
    assert chart.paints == 1
    assert chart.drawn == {}
    assert [nice_step(10, 5), nice_step(0.37, 4), nice_step(1234, 6)] == [2, 0.1, 500]
