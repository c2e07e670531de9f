"""Keyboard-first watchlist flow (issue 18, #3 and #9c): focus stays in the add field after
Add while the symbol check runs against the simulator's REST endpoint on 127.0.0.1;
Alt+1 never types into the Filter field; an active filter is marked with the count of
hidden rows and Esc clears it; Ctrl+PgUp/PgDn and Alt+1..9 switch tabs."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from engine.core.tasks import TaskSet
from engine.net.rest import RestClient, RestConfig
from engine.simulator import Simulator, SimulatorConfig
from tests.waits import until

OFFSCREEN_SHOW = pytest.mark.qt_log_ignore(
    "This plugin does not support propagateSizeHints",
    r"This plugin does not support raise\(\)",
    "This plugin does not support grabbing the keyboard",
)
ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def window_symbols() -> list[str]:
    return ["AAPL", "MSFT", "SPY"]


def shown(qtbot: Any, window: Any) -> Any:
    window.show()
    window.activateWindow()  # shortcuts go to the active window only
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    return window


def focus() -> Any:
    return QApplication.focusWidget()


@OFFSCREEN_SHOW
def test_focus_stays_in_the_add_field_through_the_rest_check(
    qloop: asyncio.AbstractEventLoop, make_window: Any, qtbot: Any
) -> None:
    async def scenario() -> None:
        async with Simulator(SimulatorConfig(rate=0.0)) as sim:
            rest = RestClient(RestConfig(base_url=sim.rest_url))
            tasks = TaskSet()

            async def checker(symbols: list[str]) -> set[str]:
                return set(await rest.snapshots(symbols))

            try:
                window = make_window(tasks=tasks, checker=checker)
                window.show()
                window.activateWindow()  # no nested Qt loop inside the coroutine
                await until(lambda: QApplication.activeWindow() is window, "active")
                bar = window.watchlist_bar
                field = bar.add_field
                bar.focus_add_action.trigger()
                assert focus() is field
                qtbot.keyClicks(field, "NVDA")
                qtbot.keyClick(field, Qt.Key.Key_Return)
                await until(lambda: not bar.busy, "REST check")
                assert window.symbols() == ["AAPL", "MSFT", "SPY", "NVDA"]
                assert focus() is field  # never disabled: that gave its focus away
                assert field.isEnabled()
                # The next ticker goes where the user is typing, not into the filter.
                qtbot.keyClicks(focus(), "QQQ")
                assert field.text() == "QQQ"
                assert bar.filter_field.text() == ""
                assert window.proxy.rowCount() == 4  # nothing filtered away
                qtbot.keyClick(focus(), Qt.Key.Key_Return)
                await until(lambda: not bar.busy, "REST check")
                assert window.symbols()[-1] == "QQQ"
                assert focus() is field
            finally:
                await tasks.cancel_all()
                await rest.aclose()

    qloop.run_until_complete(scenario())


@OFFSCREEN_SHOW
def test_alt_1_switches_tabs_and_never_types_into_the_filter(make_window: Any, qtbot: Any) -> None:
    window = shown(qtbot, make_window())
    lists = window.watchlists.lists
    lists.add_list("ETFs", ["SPY", "QQQ"])
    bar = window.watchlist_bar
    bar.focus_filter_action.trigger()
    assert focus() is bar.filter_field
    qtbot.keyClick(bar.filter_field, Qt.Key.Key_2, ALT)
    assert lists.active() == 1
    qtbot.keyClick(bar.filter_field, Qt.Key.Key_1, ALT)
    assert lists.active() == 0
    assert bar.filter_field.text() == ""  # Alt+1 typed "1" here before
    # Past the last tab: said in words, and still nothing typed.
    qtbot.keyClick(bar.filter_field, Qt.Key.Key_5, ALT)
    assert lists.active() == 0
    assert bar.filter_field.text() == ""
    assert "no watchlist 5" in window.statusBar().currentMessage()


@OFFSCREEN_SHOW
def test_ctrl_page_keys_switch_tabs_from_the_table(make_window: Any, qtbot: Any) -> None:
    window = shown(qtbot, make_window())
    lists = window.watchlists.lists
    lists.add_list("ETFs", ["SPY", "QQQ"])
    lists.add_list("Energy", ["XOM"])
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_PageDown, CTRL)
    assert lists.active() == 1
    assert window.symbols() == ["SPY", "QQQ"]
    qtbot.keyClick(window.table, Qt.Key.Key_PageDown, CTRL)
    assert lists.active() == 2
    qtbot.keyClick(window.table, Qt.Key.Key_PageUp, CTRL)
    qtbot.keyClick(window.table, Qt.Key.Key_PageUp, CTRL)
    assert lists.active() == 0
    qtbot.keyClick(window.table, Qt.Key.Key_3, ALT)
    assert lists.active() == 2
    assert window.symbols() == ["XOM"]


@OFFSCREEN_SHOW
def test_an_active_filter_is_marked_with_the_hidden_count_and_esc_clears_it(
    make_window: Any, qtbot: Any
) -> None:
    window = shown(qtbot, make_window())
    bar = window.watchlist_bar
    mark = bar.filter_mark
    assert not mark.isVisible()
    bar.focus_filter_action.trigger()
    qtbot.keyClicks(bar.filter_field, "MS")
    assert window.proxy.rowCount() == 1
    qtbot.waitUntil(mark.isVisible)  # the toolbar lays it out on its next pass
    assert mark.text() == "Filter on · 2 hidden"
    assert "shows 1 of 3 rows" in mark.toolTip()
    window.add_symbols(["MSTR", "IBM"])  # the count follows rows coming and going
    assert mark.text() == "Filter on · 3 hidden"
    qtbot.keyClick(bar.filter_field, Qt.Key.Key_Escape)  # Esc in the filter
    assert bar.filter_field.text() == ""
    qtbot.waitUntil(lambda: not mark.isVisible())
    assert window.proxy.rowCount() == 5
    bar.filter_field.setText("AAPL")
    window.table.setFocus()
    qtbot.waitUntil(mark.isVisible)
    qtbot.keyClick(window.table, Qt.Key.Key_Escape)  # Esc in the table
    assert bar.filter_field.text() == ""
    assert window.proxy.rowCount() == 5
    qtbot.waitUntil(lambda: not mark.isVisible())
