"""Delete is undoable (issue 18, #9a): Ctrl+Z and Edit > Undo put a removed symbol back at
its row in its tab, with its position and alerts untouched; the stack is bounded and
follows renamed and deleted lists."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from gui.positions.book import Position
from gui.watchlists.book import WatchlistSet

OFFSCREEN_SHOW = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
CTRL = Qt.KeyboardModifier.ControlModifier
SYMBOLS = ["AAPL", "MSFT", "NVDA", "SPY", "QQQ"]


@pytest.fixture
def window_symbols() -> list[str]:
    return list(SYMBOLS)


def shown(qtbot: Any, window: Any) -> Any:
    window.show()
    window.activateWindow()  # shortcuts go to the active window only
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    return window


def select(window: Any, *symbols: str) -> None:
    # Not selectRow: row selection reads the global keyboard modifiers, and the Ctrl of a
    # key click just sent can still be down for it (Ctrl toggles).
    model = window.table.selectionModel()
    model.clearSelection()
    for symbol in symbols:
        index = window.proxy.mapFromSource(window.model.index(window.model.row_of(symbol), 0))
        model.select(index, model.SelectionFlag.Select | model.SelectionFlag.Rows)
        model.setCurrentIndex(index, model.SelectionFlag.NoUpdate)


def test_restored_puts_each_symbol_back_at_its_row() -> None:
    from gui.watchlists.undo import restored

    assert restored(["AAPL", "SPY"], [(1, "MSFT"), (2, "NVDA")]) == ["AAPL", "MSFT", "NVDA", "SPY"]
    assert restored(["AAPL"], [(7, "QQQ")]) == ["AAPL", "QQQ"]  # past the end: last
    assert restored(["MSFT", "AAPL"], [(1, "MSFT")]) == ["MSFT", "AAPL"]  # already back


@OFFSCREEN_SHOW
def test_delete_then_ctrl_z_restores_the_symbol_at_its_row_with_position_and_alerts(
    make_window: Any, qtbot: Any
) -> None:
    window = shown(qtbot, make_window())
    window.portfolio.set_position("NVDA", Position(10.0, 120.0))
    alert = window.alerts.book.add("NVDA", "above", 500.0)
    select(window, "NVDA")
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_Delete)
    assert window.symbols() == ["AAPL", "MSFT", "SPY", "QQQ"]
    assert "Removed NVDA" in window.statusBar().currentMessage()
    qtbot.keyClick(window.table, Qt.Key.Key_Z, CTRL)
    assert window.symbols() == SYMBOLS  # back at row 2, not appended
    assert window.watchlists.lists.symbols(0) == SYMBOLS  # and so persisted
    assert window.settings.watchlist() == SYMBOLS
    assert "Restored NVDA" in window.statusBar().currentMessage()
    assert window.portfolio.book["NVDA"] == Position(10.0, 120.0)  # untouched
    assert window.alerts.book.get(alert.id) is not None
    edit = {a.text(): a.menu() for a in window.menuBar().actions()}["&Edit"]
    assert [(a.text(), a.isEnabled()) for a in edit.actions()] == [("Undo", False)]  # done
    select(window, "MSFT")
    qtbot.keyClick(window.table, Qt.Key.Key_Delete)
    assert [a.text() for a in edit.actions()] == ["Undo remove MSFT"]  # Edit > Undo says what
    assert "Removed MSFT (Ctrl+Z to undo)" in window.statusBar().currentMessage()


@OFFSCREEN_SHOW
def test_edit_undo_restores_several_rows_in_their_own_tab(make_window: Any, qtbot: Any) -> None:
    window = shown(qtbot, make_window())
    lists = window.watchlists.lists
    menus = {a.text(): a.menu() for a in window.menuBar().actions()}
    assert window.watchlists.undo_action in menus["&Edit"].actions()
    select(window, "MSFT", "SPY")  # both rows, then one Remove
    window.remove_action.trigger()
    assert window.symbols() == ["AAPL", "NVDA", "QQQ"]
    lists.add_list("ETFs", ["DIA"])
    lists.set_active(1)
    lists.rename(0, "Tech")  # the removal follows its list by name
    window.watchlists.undo_action.trigger()
    assert lists.active() == 0  # the tab it came from is shown
    assert window.symbols() == SYMBOLS
    assert lists.symbols(1) == ["DIA"]
    assert "Restored MSFT, SPY to \u201cTech\u201d" in window.statusBar().currentMessage()


def test_the_stack_is_bounded_and_a_deleted_list_takes_its_removals(qapp: Any) -> None:
    from gui.watchlists.undo import MAX_UNDO, RemovalUndo

    lists = WatchlistSet()
    lists.load([("A", [f"S{i}" for i in range(MAX_UNDO + 5)]), ("B", ["X"])])
    undo = RemovalUndo(lists, lists.set_symbols)
    for i in range(MAX_UNDO + 5):
        undo.record(0, [f"S{i}"])
    assert len(undo.stack) == MAX_UNDO
    undo.record(1, ["X"])
    lists.set_symbols(1, [])
    assert lists.remove_list(1)
    assert all(r.list_name == "A" for r in undo.stack)
    assert undo.record(0, ["NOT_THERE"]) is None  # nothing removed, nothing recorded
