"""Issue 18 #2 (time & sales pauses visibly when scrolled, holds its rows still, resumes
at the top, starts each symbol live) and #7b (no selection, or a symbol without data,
never leaves the previous symbol's chart and tape under the title)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMainWindow, QPushButton, QWidget

from engine.events import Trade
from engine.market.history import NS, PriceHistory
from engine.market.store import MarketDataStore
from gui.detail.pane import DetailPane

T0 = 1_750_000_000 * NS
PAUSED = re.compile(r"^paused · (\d+) new · jump to latest$")
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
_ids = iter(range(1, 10**9))


@pytest.fixture
def pane(qapp: Any, store: MarketDataStore, clock: Any) -> Any:
    store.watch(["AAPL", "MSFT", "NVDA"])
    history = PriceHistory()
    store.add_observer(history.on_event)
    host = QMainWindow()
    widget = DetailPane(store, clock, host, history=history, live_interval_ms=0)
    host.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, widget)
    host.resize(500, 800)
    host.show()
    QApplication.processEvents()
    yield widget
    host.close()


def prints(pane: DetailPane, store: MarketDataStore, symbol: str, count: int) -> None:
    """`count` new prints, then the pane's throttled tick."""
    for _ in range(count):
        n = next(_ids)
        assert store.apply(Trade(symbol, 100 + n / 100, 100, T0 + n * NS // 10, n, "V"))
    pane.refresh_live()
    QApplication.processEvents()


def top_row(pane: DetailPane) -> int:
    """The trade id of the row at the top of the visible list."""
    view = pane.time_sales
    entry = pane.time_sales_model.entry(view.indexAt(QPoint(2, 2)).row())
    assert entry is not None
    return entry.trade_id


def newest(pane: DetailPane) -> int:
    entry = pane.time_sales_model.entry(0)
    assert entry is not None
    return entry.trade_id


def paused_button(pane: DetailPane) -> QPushButton | None:
    """The visible "paused · N new · jump to latest" button, if any."""
    for button in pane.findChildren(QPushButton):
        if button.isVisible() and PAUSED.match(button.text()):
            return button
    return None


def next_tab_stop(widget: QWidget) -> QWidget:
    """Where Tab goes from `widget`: the next visible, enabled, tab-focusable widget."""
    other = widget.nextInFocusChain()
    while other is not None and other is not widget:
        tab = other.focusPolicy() & Qt.FocusPolicy.TabFocus
        if tab and other.isVisible() and other.isEnabled():
            return other
        other = other.nextInFocusChain()
    return widget


def wheel_down(pane: DetailPane) -> None:
    viewport = pane.time_sales.viewport()
    centre = QPointF(viewport.rect().center())
    event = QWheelEvent(
        centre, QPointF(viewport.mapToGlobal(centre.toPoint())), QPoint(0, 0), QPoint(0, -120),
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
        False,
    )  # fmt: skip
    QApplication.sendEvent(viewport, event)
    QApplication.processEvents()


def test_one_wheel_notch_pauses_visibly_and_holds_the_rows(
    pane: DetailPane, store: MarketDataStore
) -> None:
    pane.show_symbol("AAPL")
    prints(pane, store, "AAPL", 60)
    assert top_row(pane) == newest(pane)  # live: the newest print on top
    assert paused_button(pane) is None
    wheel_down(pane)
    assert pane.time_sales.verticalScrollBar().value() > 0
    reading = top_row(pane)
    assert reading != newest(pane)
    prints(pane, store, "AAPL", 37)
    assert top_row(pane) == reading  # the row being read holds still
    button = paused_button(pane)
    assert button is not None, "nothing says the list is paused"
    assert button.text() == "paused · 37 new · jump to latest"
    button.click()  # jump to latest: live again
    assert top_row(pane) == newest(pane)
    assert paused_button(pane) is None
    prints(pane, store, "AAPL", 5)
    assert top_row(pane) == newest(pane)  # and follows new prints


def test_arrow_keys_pause_and_scrolling_back_to_the_top_resumes(
    pane: DetailPane, store: MarketDataStore
) -> None:
    pane.show_symbol("AAPL")
    prints(pane, store, "AAPL", 60)
    view = pane.time_sales
    view.setFocus()
    rows = view.viewport().height() // view.verticalHeader().defaultSectionSize()
    for _ in range(rows + 3):  # past the last visible row: the list scrolls
        QTest.keyClick(view, Qt.Key.Key_Down)
    QApplication.processEvents()
    assert view.verticalScrollBar().value() > 0
    reading = top_row(pane)
    prints(pane, store, "AAPL", 4)
    assert top_row(pane) == reading
    button = paused_button(pane)
    assert button is not None
    assert button.text() == "paused · 4 new · jump to latest"
    # The jump is keyboard-reachable: Tab from the list, then Space.
    assert button.focusPolicy() & Qt.FocusPolicy.TabFocus
    assert not view.tabKeyNavigation()  # Tab leaves the list rather than walk its cells
    assert next_tab_stop(view) is button
    button.setFocus()
    QTest.keyClick(button, Qt.Key.Key_Space)
    QApplication.processEvents()
    assert top_row(pane) == newest(pane)
    assert paused_button(pane) is None
    # Scrolled away again, then back to the top by hand (Ctrl+Home): live, count cleared.
    wheel_down(pane)
    prints(pane, store, "AAPL", 2)
    assert paused_button(pane) is not None
    view.setFocus()
    QTest.keyClick(view, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    QApplication.processEvents()
    assert view.verticalScrollBar().value() == 0
    assert paused_button(pane) is None
    prints(pane, store, "AAPL", 3)
    assert top_row(pane) == newest(pane)
    wheel_down(pane)
    prints(pane, store, "AAPL", 1)
    button = paused_button(pane)
    assert button is not None
    assert button.text() == "paused · 1 new · jump to latest"  # counted afresh


def test_the_scroll_offset_does_not_carry_over_to_another_symbol(
    pane: DetailPane, store: MarketDataStore
) -> None:
    pane.show_symbol("AAPL")
    prints(pane, store, "AAPL", 60)
    prints(pane, store, "MSFT", 60)
    wheel_down(pane)
    prints(pane, store, "AAPL", 3)
    assert pane.time_sales.verticalScrollBar().value() > 0
    pane.show_symbol("MSFT")
    QApplication.processEvents()
    assert pane.time_sales.verticalScrollBar().value() == 0
    assert top_row(pane) == newest(pane)
    assert paused_button(pane) is None
    prints(pane, store, "MSFT", 3)
    assert top_row(pane) == newest(pane)  # live on the new symbol


def test_no_selection_clears_the_chart_and_tape(pane: DetailPane, store: MarketDataStore) -> None:
    pane.show_symbol("AAPL")
    prints(pane, store, "AAPL", 5)
    assert pane.chart.history is not None
    assert pane.time_sales_model.rowCount() == 5
    pane.show_symbol(None)  # e.g. the filter hid the selected row
    assert pane.title.text() == "Select a row"
    assert pane.chart.history is None, "the chart still shows AAPL under 'Select a row'"
    assert pane.chart.snap is None
    assert pane.time_sales_model.rowCount() == 0
    pane.chart.grab()
    assert pane.chart.drawn == {}  # nothing charted


def test_a_symbol_without_data_never_shows_the_previous_chart(
    pane: DetailPane, store: MarketDataStore
) -> None:
    pane.show_symbol("AAPL")
    prints(pane, store, "AAPL", 5)
    pane.chart.grab()
    assert pane.chart.drawn.get("trades")
    pane.show_symbol("TSLA")  # not watched yet: no snapshot, no history
    assert pane.title.text() == "TSLA"
    history = pane.chart.history
    assert history is None or history.symbol == "TSLA"
    assert pane.time_sales_model.rowCount() == 0
    pane.chart.grab()
    assert "trades" not in pane.chart.drawn
