"""Several top-level windows, link colours and named layouts (issue 18, "Several windows").

One process, one store, one connection: a detached tab reads the main window's store
through a StoreTee and edits the same WatchlistSet; link colours route a selection to
every window of that colour; layouts capture windows, docks, tabs, columns and links.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from engine.demo import DemoOptions, parse_demo_at
from engine.events import Trade
from engine.market.store import MarketDataStore
from gui.runtime import Runtime, RuntimeOptions
from gui.settings.layouts_store import LayoutsStore
from gui.settings.persistence import AppSettings
from gui.table.columns import COLUMN_INDEX
from gui.window.detached import DetachedChart, DetachedWatchlist
from tests.waits import until

OFFSCREEN_SHOW = pytest.mark.qt_log_ignore("This plugin does not support")


@OFFSCREEN_SHOW
def test_a_tab_opens_in_its_own_window_on_the_same_store_and_list(
    make_window: Any, store: MarketDataStore, clock: Any
) -> None:
    window = make_window()
    lists = window.watchlists.lists
    tech = lists.add_list("Tech", ["NVDA", "AMD"])
    observers = len(store._observers)
    detached = window.layouts.open_watchlist(tech)
    assert isinstance(detached, DetachedWatchlist)
    assert detached.isWindow()
    assert detached.isVisible()
    assert detached.model.symbols() == ["NVDA", "AMD"]
    # Both tables see the store's changes: the main one drains it, the tee keeps its own.
    store.apply(Trade("NVDA", 880.0, 10, 1_700_000_000_000_000_000, 1, "V"), clock())
    store.apply(Trade("AAPL", 187.0, 10, 1_700_000_000_000_000_000, 2, "V"), clock())
    window.model.flush()
    assert detached.model.flush() == 1  # NVDA's row
    # Edits flow both ways through the WatchlistSet (the tab stays in the main window).
    window.watchlists.add_to_list(tech, ["TSLA"])
    assert detached.model.symbols() == ["NVDA", "AMD", "TSLA"]
    detached.model.remove_symbols(["AMD"])
    assert lists.symbols(tech) == ["NVDA", "TSLA"]
    lists.rename(tech, "Chips")
    assert detached.windowTitle().endswith("Chips")
    detached.close()
    QApplication.processEvents()
    assert detached not in window.layouts.windows
    assert len(store._observers) == observers  # the tee left the store's hot path
    assert lists.names()[tech] == "Chips"  # closing docks it back: the tab is still there
    again = window.layouts.open_watchlist(tech)
    assert again is not None
    again.back_button.click()  # "Show in main window"
    QApplication.processEvents()
    assert lists.active() == tech
    assert window.layouts.windows == []


@OFFSCREEN_SHOW
def test_the_tab_menu_opens_a_tab_in_a_new_window(make_window: Any) -> None:
    window = make_window()
    menu = window.watchlists.tabs.context_menu(0)
    entry = next(a for a in menu.actions() if a.text() == "Open in new window")
    entry.trigger()
    assert [w.kind for w in window.layouts.windows] == ["watchlist"]


@OFFSCREEN_SHOW
def test_windows_of_one_link_colour_follow_one_symbol(make_window: Any) -> None:
    window = make_window()
    layouts = window.layouts
    layouts.set_main_colour("red")
    red_chart = layouts.open_chart("AAPL")
    blue_chart = layouts.open_chart("AAPL", colour="blue")
    assert isinstance(red_chart, DetachedChart)
    assert red_chart.colour() == "red"  # a new window takes the main window's colour
    window.select_symbol("MSFT")
    assert red_chart.symbol == "MSFT"
    assert blue_chart.symbol == "AAPL"  # another colour: not linked
    # A detached watchlist of the colour drives the main window and the chart.
    lists = window.watchlists.lists
    other = lists.add_list("More", ["AAPL", "MSFT"])
    table = layouts.open_watchlist(other, colour="red")
    assert table is not None
    table.follow("AAPL")  # as if its row were clicked: it publishes to red
    assert window.current_symbol() == "AAPL"
    assert red_chart.symbol == "AAPL"
    layouts.set_main_colour("none")
    table.follow("MSFT")
    assert window.current_symbol() == "AAPL"  # unlinked now


@OFFSCREEN_SHOW
def test_named_layouts_are_saved_in_settings_and_restored(make_window: Any, tmp_path: Path) -> None:
    path = tmp_path / "layouts.ini"
    window = make_window(path)
    layouts = window.layouts
    lists = window.watchlists.lists
    tech = lists.add_list("Tech", ["NVDA"])
    layouts.set_main_colour("green")
    layouts.open_watchlist(tech, colour="green")
    layouts.open_chart("MSFT", colour="yellow", style="line:1")
    window.table.set_column_visible(COLUMN_INDEX["spread"], False)
    assert layouts.save_as("Two screens")
    assert LayoutsStore(AppSettings(path)).names() == ["Two screens"]  # in the ini file
    layouts.reset()
    assert layouts.windows == []
    assert layouts.chip.colour == "none"
    assert not window.table.horizontalHeader().isSectionHidden(COLUMN_INDEX["spread"])
    assert layouts.restore("Two screens")
    kinds = sorted((w.kind, w.colour()) for w in layouts.windows)
    assert kinds == [("chart", "yellow"), ("watchlist", "green")]
    chart = next(w for w in layouts.windows if isinstance(w, DetachedChart))
    assert (chart.symbol, chart.chart.chart_style) == ("MSFT", "line")
    assert layouts.chip.colour == "green"
    assert window.table.horizontalHeader().isSectionHidden(COLUMN_INDEX["spread"])
    assert not layouts.restore("No such layout")
    assert layouts.save_as("   ") is False  # a name is needed, said in words


@OFFSCREEN_SHOW
def test_detached_windows_reopen_at_the_next_start(make_window: Any, tmp_path: Path) -> None:
    path = tmp_path / "session.ini"
    window = make_window(path)
    window.layouts.open_chart("MSFT", colour="blue")
    window.shutdown()
    again = make_window(path)
    assert [(w.kind, w.colour()) for w in again.layouts.windows] == [("chart", "blue")]


def test_reset_layout_is_always_in_the_window_menu_with_a_key(make_window: Any) -> None:
    window = make_window()
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "Win&dow")
    titles = [a.text() for a in menu.actions()]
    assert "Save layout as…" in titles
    assert "Layouts" in titles
    assert "Reset layout" in titles
    assert window.layouts.reset_action.shortcut() == QKeySequence("Ctrl+Shift+R")
    assert window.layouts.reset_action.isEnabled()


REL_VOLUME = COLUMN_INDEX["rel_volume"]


def rel_volume_text(model: Any, symbol: str) -> str:
    return str(model.data(model.index(model.symbols().index(symbol), REL_VOLUME)))


@OFFSCREEN_SHOW
def test_a_detached_table_measures_rel_volume_by_the_demo_clock_like_the_main_one(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """The demo runs a simulated Friday 11:00 ET whatever the machine's clock says: Rel
    volume (the day's volume / the usual volume by this minute) must be measured at the
    simulated minute in a detached window too, not at the wall clock's."""
    symbols = ["AAPL", "MSFT"]

    async def scenario() -> None:
        options = RuntimeOptions(
            demo=True, symbols=symbols, settings_path=tmp_path / "rel.ini",
            demo_clock=DemoOptions(start_ns=parse_demo_at("2026-11-20T11:00-05:00")),
        )  # fmt: skip
        runtime = Runtime(options, asyncio.Event())
        try:
            await runtime.start()
            window = runtime.window
            assert window is not None
            detached = window.layouts.open_watchlist(0)
            assert detached is not None
            assert not detached.table.horizontalHeader().isSectionHidden(REL_VOLUME)

            def shown() -> bool:
                return all(
                    rel_volume_text(window.model, s) not in ("", "\u2014", "None") for s in symbols
                )

            await until(shown, "Rel volume in the main table")
            for symbol in symbols:  # back to back: the simulated minute is the same
                main_text = rel_volume_text(window.model, symbol)
                assert rel_volume_text(detached.model, symbol) == main_text, symbol
            assert detached.model.cells.exchange_ns() // 60_000_000_000 == (
                runtime.exchange_ns() // 60_000_000_000
            )
        finally:
            await runtime.close()

    qloop.run_until_complete(scenario())


@OFFSCREEN_SHOW
def test_a_detached_table_follows_a_clock_given_to_the_main_table_later(
    make_window: Any,
) -> None:
    """Windows restored at start are made before the runtime gives the main table its
    clock (gui.runtime): the detached table asks the main one each time."""
    window = make_window()
    detached = window.layouts.open_watchlist(0)
    assert detached is not None
    window.model.set_exchange_clock(lambda: 1_763_654_400_000_000_000)
    assert detached.model.cells.exchange_ns() == 1_763_654_400_000_000_000


def _active_detached(make_window: Any, qtbot: Any) -> tuple[Any, DetachedWatchlist, int]:
    window = make_window()
    lists = window.watchlists.lists
    tech = lists.add_list("Tech", ["NVDA", "AMD", "TSLA"])
    detached = window.layouts.open_watchlist(tech)
    assert isinstance(detached, DetachedWatchlist)
    qtbot.waitExposed(detached)
    detached.activateWindow()  # a window's keys reach its active window only
    qtbot.waitUntil(lambda: QApplication.activeWindow() is detached)
    detached.table.setFocus()
    return window, detached, tech


@OFFSCREEN_SHOW
def test_tab_leaves_a_detached_table_for_its_link_chip_and_show_in_main_window(
    make_window: Any, qtbot: Any
) -> None:
    """Keyboard-first (issue 18): the table took Tab for cell-to-cell moves, so the link
    chip and "Show in main window" could not be reached without the mouse."""
    window, detached, tech = _active_detached(make_window, qtbot)
    reached = []
    for _ in range(4):
        focused = QApplication.focusWidget()
        assert focused is not None
        QTest.keyClick(focused, Qt.Key.Key_Tab)
        reached.append(QApplication.focusWidget())
    assert detached.chip in reached
    assert detached.back_button in reached
    while (focused := QApplication.focusWidget()) is not detached.back_button:
        assert focused is not None
        QTest.keyClick(focused, Qt.Key.Key_Tab)
    QTest.keyClick(detached.back_button, Qt.Key.Key_Space)  # "Show in main window"
    qtbot.waitUntil(lambda: window.layouts.windows == [])
    assert window.watchlists.lists.active() == tech


@OFFSCREEN_SHOW
def test_a_detached_table_has_the_row_menu_and_moves_rows_by_keyboard(
    make_window: Any, qtbot: Any
) -> None:
    from gui.window.mnemonics import MnemonicMenu, strip_marks

    window, detached, tech = _active_detached(make_window, qtbot)
    lists = window.watchlists.lists
    table = detached.table
    QTest.keyClicks(table, "ts")  # TSLA
    ctrl_shift = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    QTest.keyClick(table, Qt.Key.Key_Up, ctrl_shift)
    assert lists.symbols(tech) == ["NVDA", "TSLA", "AMD"]  # kept in the watchlist
    QTest.keyClick(table, Qt.Key.Key_Menu)
    menu = QApplication.activePopupWidget()
    assert isinstance(menu, MnemonicMenu)
    entries = {strip_marks(a.text()): a for a in menu.actions() if not a.isSeparator()}
    assert {"Remove", "Move row up", "Move row down", "Sort by", "Show in main window"} <= set(
        entries
    )
    letters = [menu.mnemonic_of(a) for a in entries.values()]
    assert None not in letters
    assert len(set(letters)) == len(letters)
    letter = menu.mnemonic_of(entries["Remove"])
    assert letter is not None
    QTest.keyClicks(menu, letter)
    assert lists.symbols(tech) == ["NVDA", "AMD"]  # the menu acted on the current row
    detached.close()
