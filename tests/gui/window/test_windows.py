"""Several top-level windows, link colours and named layouts (issue 18, "Several windows").

One process, one store, one connection: a detached tab reads the main window's store
through a StoreTee and edits the same WatchlistSet; link colours route a selection to
every window of that colour; layouts capture windows, docks, tabs, columns and links.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication

from engine.events import Trade
from engine.market.store import MarketDataStore
from gui.settings.layouts_store import LayoutsStore
from gui.settings.persistence import AppSettings
from gui.table.columns import COLUMN_INDEX
from gui.window.detached import DetachedChart, DetachedWatchlist

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
