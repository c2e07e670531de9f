"""The detail pane from the keyboard (issue 18, keyboard-first; docs/ui.md "Keyboard").

Tab walks the pane top to bottom as drawn: the chart style buttons (1m 5m 15m Line), the
chart (arrows pan, +/- zoom, Home), the time & sales list, then its "jump to latest" when
paused. Space or Enter presses a focused style button or the jump.
"""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMainWindow, QWidget

from engine.market.history import PriceHistory
from engine.market.store import MarketDataStore
from gui.detail.pane import DetailPane
from tests.gui.detail.test_time_sales_live import newest, paused_button, prints, top_row, wheel_down

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


@pytest.fixture
def pane(qapp: Any, qtbot: Any, store: MarketDataStore, clock: Any) -> Any:
    store.watch(["AAPL"])
    history = PriceHistory()
    store.add_observer(history.on_event)
    host = QMainWindow()
    widget = DetailPane(store, clock, host, history=history, live_interval_ms=0)
    host.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, widget)
    host.resize(600, 800)
    host.show()
    qtbot.waitExposed(host)
    host.activateWindow()
    QApplication.processEvents()
    yield widget
    host.close()


def _tab(widget: QWidget) -> QWidget:
    QTest.keyClick(widget, Qt.Key.Key_Tab)
    QApplication.processEvents()
    focused = QApplication.focusWidget()
    assert focused is not None
    return focused


def test_tab_walks_the_pane_top_to_bottom(pane: DetailPane, store: MarketDataStore) -> None:
    # The style buttons are one exclusive group, like radio buttons: Tab stops at the
    # chosen one, the arrow keys move to (and choose) the others.
    controls = pane.chart_controls
    chosen = controls.group.checkedButton()
    assert chosen is not None
    chosen.setFocus()
    QApplication.processEvents()
    order: list[QWidget] = [chosen]
    for _ in range(2):
        order.append(_tab(order[-1]))
    assert order == [chosen, pane.chart, pane.time_sales]
    line = controls.buttons[("line", 1)]
    line.setFocus()
    QTest.keyClick(line, Qt.Key.Key_Left)
    assert QApplication.focusWidget() is controls.buttons[("candles", 15)]
    # Paused: the jump is the next stop after the list.
    pane.show_symbol("AAPL")
    prints(pane, store, "AAPL", 60)
    wheel_down(pane)
    prints(pane, store, "AAPL", 3)
    jump = paused_button(pane)
    assert jump is not None
    pane.time_sales.setFocus()
    assert _tab(pane.time_sales) is jump


def test_enter_or_space_choose_a_chart_style(pane: DetailPane) -> None:
    five = pane.chart_controls.buttons[("candles", 5)]
    line = pane.chart_controls.buttons[("line", 1)]
    five.setFocus()
    QTest.keyClick(five, Qt.Key.Key_Return)
    assert (pane.chart.chart_style, pane.chart.minutes) == ("candles", 5)
    assert five.isChecked()
    line.setFocus()
    QTest.keyClick(line, Qt.Key.Key_Enter)
    assert pane.chart.chart_style == "line"
    five.setFocus()
    QTest.keyClick(five, Qt.Key.Key_Space)
    assert (pane.chart.chart_style, pane.chart.minutes) == ("candles", 5)


def test_enter_on_jump_to_latest_resumes_live(pane: DetailPane, store: MarketDataStore) -> None:
    pane.show_symbol("AAPL")
    prints(pane, store, "AAPL", 60)
    wheel_down(pane)
    prints(pane, store, "AAPL", 2)
    jump = paused_button(pane)
    assert jump is not None
    jump.setFocus()
    QTest.keyClick(jump, Qt.Key.Key_Return)
    QApplication.processEvents()
    assert paused_button(pane) is None
    assert top_row(pane) == newest(pane)
