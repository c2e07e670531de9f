"""Several named watchlists: the union owner, tabs (new, rename, delete, drag, keys),
persistence with migration, and one stream connection serving every list."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from engine.market.store import MarketDataStore
from gui.runtime import Runtime, RuntimeOptions
from gui.settings.persistence import AppSettings
from gui.watchlists.book import MAX_NAME_LENGTH, WatchlistSet
from tests.waits import until

OFFSCREEN_SHOW = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


# --- WatchlistSet (no window) -------------------------------------------------------------


def test_union_is_watched_and_a_shared_symbol_survives_removal_from_one_list(
    qapp: Any, store: MarketDataStore
) -> None:
    lists = WatchlistSet(store)
    unions: list[list[str]] = []
    lists.union_changed.connect(unions.append)
    lists.load([("Tech", ["aapl", "MSFT"]), ("Mine", ["AAPL", "SPY"])])
    assert lists.union() == ["AAPL", "MSFT", "SPY"]
    assert set(store.symbols()) == {"AAPL", "MSFT", "SPY"}
    lists.set_symbols(0, ["MSFT"])  # AAPL leaves Tech but is still in Mine
    assert store.get("AAPL") is not None
    assert unions == [["AAPL", "MSFT", "SPY"]]  # the union did not change: no signal
    lists.set_symbols(1, ["SPY"])  # now no list holds AAPL
    assert store.get("AAPL") is None
    assert unions[-1] == ["MSFT", "SPY"]
    assert lists.remove_list(0)
    assert store.get("MSFT") is None
    assert lists.union() == ["SPY"]


def test_names_are_validated_and_the_last_list_cannot_go(qapp: Any) -> None:
    lists = WatchlistSet()
    assert lists.names() == ["Watchlist"]
    assert not lists.remove_list(0)
    second = lists.add_list()
    assert lists.names() == ["Watchlist", "Watchlist 2"]
    assert lists.rename(second, "  ") == "A watchlist needs a name"
    assert "already a watchlist" in (lists.rename(second, "watchlist") or "")
    assert "too long" in (lists.rename(second, "X" * (MAX_NAME_LENGTH + 1)) or "")
    assert lists.names()[second] == "Watchlist 2"  # refused renames change nothing
    assert lists.rename(second, " Tech ") is None
    assert lists.names() == ["Watchlist", "Tech"]
    lists.load([("", ["A"]), ("Dup", []), ("dup", ["B"])], active=9)
    assert lists.names() == ["Watchlist", "Dup", "dup 2"]
    assert lists.active() == 2  # clamped


def test_moving_and_removing_lists_keep_the_active_one_sensible(qapp: Any) -> None:
    lists = WatchlistSet()
    lists.load([("A", ["A"]), ("B", ["B"]), ("C", ["C"])], active=1)
    lists.move_list(0, 2)  # A to the end: B stays active
    assert lists.names() == ["B", "C", "A"]
    assert lists.active_symbols() == ["B"]
    shown: list[int] = []
    lists.active_changed.connect(shown.append)
    lists.remove_list(0)  # deleting the active list shows its neighbour
    assert lists.active_symbols() == ["C"]
    assert shown == [0]
    lists.step_active(-1)
    assert lists.active_symbols() == ["A"]  # wraps around
    lists.step_active(1)
    assert lists.active_symbols() == ["C"]


# --- in the window ------------------------------------------------------------------------


def test_tabs_switch_the_table_and_removal_keeps_shared_symbols_streaming(
    make_window: Any, store: MarketDataStore, qtbot: Any
) -> None:
    window = make_window()
    tabs = window.watchlists.tabs
    assert tabs.tab_bar.count() == 1
    window.watchlists.tabs.new_action.trigger()  # Ctrl+T
    assert tabs.tab_bar.count() == 2
    assert tabs.tab_bar.currentIndex() == 1
    assert window.symbols() == []  # a new list starts empty
    with qtbot.waitSignal(window.watchlist_changed) as union:
        window.add_symbols(["SPY", "AAPL"])
    assert union.args == [["AAPL", "MSFT", "SPY"]]
    assert window.all_symbols() == ["AAPL", "MSFT", "SPY"]
    window.select_symbol("AAPL")
    window.remove_selected()  # AAPL leaves this tab only
    assert window.symbols() == ["SPY"]
    assert store.get("AAPL") is not None  # still in the first list: still watched
    tabs.tab_bar.setCurrentIndex(0)
    assert window.symbols() == ["AAPL", "MSFT"]
    assert window.model.rowCount() == 2
    window.select_symbol("MSFT")
    window.remove_selected()
    assert store.get("MSFT") is None  # in no list any more


def test_add_to_another_watchlist_from_the_table_menu(make_window: Any) -> None:
    window = make_window()
    window.watchlists.lists.add_list("Other", ["TSLA"])
    added = window.watchlists.add_to_list(1, ["AAPL", "TSLA"])
    assert added == ["AAPL"]
    assert window.watchlists.lists.symbols(1) == ["TSLA", "AAPL"]
    assert window.symbols() == ["AAPL", "MSFT"]  # the shown list is unchanged


@OFFSCREEN_SHOW
def test_rename_by_dialog_and_delete_after_confirmation(make_window: Any, qtbot: Any) -> None:
    window = make_window()
    tabs = window.watchlists.tabs
    tabs.new_list()
    tabs.tab_bar.tabBarDoubleClicked.emit(1)
    dialog = tabs.rename_dialog
    assert dialog is not None
    assert dialog.isVisible()
    dialog.setTextValue("Earnings")
    dialog.accept()
    assert tabs.tab_bar.tabText(1) == "Earnings"
    # Refused name: a message, nothing renamed.
    with qtbot.waitSignal(tabs.message_shown) as message:
        tabs.rename("Earnings", "watchlist")
    assert "already a watchlist" in message.args[0]
    # Delete: cancel keeps it, Yes removes it.
    tabs.tab_bar.tabCloseRequested.emit(1)
    box = tabs.delete_box
    assert box is not None
    assert box.isVisible()
    assert "Earnings" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert window.watchlists.lists.names() == ["Watchlist", "Earnings"]
    tabs.delete_action.trigger()  # the active list (Earnings)
    box = tabs.delete_box
    assert box is not None
    box.button(QMessageBox.StandardButton.Yes).click()
    assert window.watchlists.lists.names() == ["Watchlist"]
    assert tabs.tab_bar.count() == 1
    assert not tabs.delete_action.isEnabled()  # the last list stays
    assert window.symbols() == ["AAPL", "MSFT"]


def test_dragging_a_tab_reorders_the_lists(make_window: Any, tmp_path: Path) -> None:
    path = tmp_path / "drag.ini"
    window = make_window(path)
    lists = window.watchlists.lists
    lists.add_list("Second", ["SPY"])
    lists.add_list("Third", ["QQQ"])
    window.watchlists.tabs.tab_bar.moveTab(2, 0)  # what a drag does; emits tabMoved
    assert lists.names() == ["Third", "Watchlist", "Second"]
    assert window.symbols() == ["AAPL", "MSFT"]  # the shown list did not change
    assert lists.active() == 1
    saved = AppSettings(path).watchlists()
    assert saved is not None
    assert [n for n, _ in saved[0]] == ["Third", "Watchlist", "Second"]


@OFFSCREEN_SHOW
def test_ctrl_tab_and_ctrl_shift_tab_cycle_the_lists(make_window: Any, qtbot: Any) -> None:
    window = make_window()
    window.watchlists.lists.add_list("B", ["SPY"])
    window.watchlists.lists.add_list("C", ["QQQ"])
    window.show()
    with qtbot.waitActive(window):
        window.activateWindow()
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    assert window.symbols() == ["SPY"]
    qtbot.keyClick(window.table, Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    assert window.symbols() == ["QQQ"]
    shift_ctrl = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(window.table, Qt.Key.Key_Backtab, shift_ctrl)
    assert window.symbols() == ["SPY"]
    qtbot.keyClick(window.table, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    assert window.watchlists.lists.count() == 4


def test_lists_and_active_tab_persist_and_the_old_key_migrates(
    make_window: Any, tmp_path: Path
) -> None:
    legacy = tmp_path / "legacy.ini"
    AppSettings(legacy).set_watchlist(["IBM", "SPY"])  # written by the one-list version
    window = make_window(legacy, symbols=("IGNORED",))
    assert window.watchlists.lists.lists() == [("Watchlist", ["IBM", "SPY"])]
    window.watchlists.lists.add_list("Tech", ["NVDA"])
    window.watchlists.lists.set_active(1)
    window.add_symbols(["AMD"])
    # Written at once (a crash now loses nothing), and read back by a new window.
    assert AppSettings(legacy).watchlists() == (
        [("Watchlist", ["IBM", "SPY"]), ("Tech", ["NVDA", "AMD"])],
        1,
    )
    assert AppSettings(legacy).watchlist() == ["IBM", "SPY"]  # older versions: first list
    second = make_window(legacy, symbols=("IGNORED",))
    assert second.watchlists.tabs.tab_bar.tabText(1) == "Tech"
    assert second.symbols() == ["NVDA", "AMD"]


@OFFSCREEN_SHOW
def test_every_list_streams_over_the_one_connection(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    path = tmp_path / "session.ini"
    AppSettings(path).set_watchlists([("Tech", ["AAPL", "MSFT"]), ("ETFs", ["SPY", "AAPL"])], 0)
    # These two lists only: no demo account, whose watchlist would be imported as a tab.
    AppSettings(path).set_trading_api("off")

    async def scenario() -> None:
        options = RuntimeOptions(
            demo=True, settings_path=path, simulator_rate=200.0, show_window=False
        )
        session = Runtime(options, asyncio.Event())
        try:
            await session.start()
            window, client, store = session.window, session.client, session.store
            assert window is not None
            assert client is not None
            assert store is not None
            assert window.symbols() == ["AAPL", "MSFT"]
            assert client.symbols == {"AAPL", "MSFT", "SPY"}  # the union
            # SPY is on a tab that is not shown, and still streams.
            await until(lambda: not session.symbols_without_data(), "data for all lists")
            # Not select + remove_selected: row selection reads the global keyboard
            # modifiers (Ctrl toggles), which earlier key-click tests can leave set.
            window.model.remove_symbols(["AAPL"])  # from Tech only: ETFs still holds AAPL
            assert client.symbols == {"AAPL", "MSFT", "SPY"}
            snap = store.get("AAPL")
            assert snap is not None
            before = snap.updates
            await until(lambda: snap.updates > before, "AAPL keeps updating")
            window.watchlists.lists.set_active(1)
            window.model.remove_symbols(["SPY"])  # what Delete on the selected row does
            assert client.symbols == {"AAPL", "MSFT"}
            assert store.get("SPY") is None
        finally:
            await session.close()

    qloop.run_until_complete(scenario())
