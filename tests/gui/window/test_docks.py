"""Issue 18, #6: the docks never eat the table.

The main window can be made 1024x600; the default layout at 1366x768 shows Symbol … Volume;
position columns are hidden on tabs without positions; a long halt message never widens
the detail pane, and no such width is saved.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from engine.events import Trade
from engine.market.store import MarketDataStore
from gui.positions.book import POSITION_COLUMN_KEYS, Position
from gui.table.columns import COLUMN_INDEX

OFFSCREEN_SHOW = pytest.mark.qt_log_ignore("This plugin does not support")
CORE_COLUMNS = ("symbol", "last", "change_pct", "bid", "ask", "volume")
LONG_HALT = "Trading halted: " + "news pending, volatility trading pause, " * 12


def _shown(window: Any, qtbot: Any, width: int, height: int) -> None:
    window.resize(width, height)
    window.show()
    qtbot.waitExposed(window)
    QApplication.processEvents()
    QApplication.processEvents()


def _position_columns_shown(window: Any) -> bool:
    header = window.table.horizontalHeader()
    return any(not header.isSectionHidden(COLUMN_INDEX[k]) for k in POSITION_COLUMN_KEYS)


@OFFSCREEN_SHOW
def test_main_window_can_be_made_1024x600(make_window: Any, qtbot: Any) -> None:
    window = make_window()
    _shown(window, qtbot, 1366, 768)
    window.resize(1024, 600)
    QApplication.processEvents()
    assert window.minimumSizeHint().height() <= 600
    assert window.minimumSizeHint().width() <= 1024
    assert (window.width(), window.height()) == (1024, 600)
    assert window.table.height() > 100  # the table, not the docks, keeps the room


@OFFSCREEN_SHOW
def test_default_layout_at_1366x768_shows_the_core_columns(
    make_window: Any, qtbot: Any, store: MarketDataStore, clock: Any
) -> None:
    window = make_window()
    # A position on another tab: the active tab still starts without position columns.
    other = window.watchlists.lists.add_list("Held", ["NVDA"])
    window.portfolio.set_position("NVDA", Position(10, 100.0))
    window.watchlists.lists.set_active(other)
    window.watchlists.lists.set_active(0)
    store.apply(Trade("AAPL", 187.25, 100, 1_700_000_000_000_000_000, 1, "V"), clock())
    _shown(window, qtbot, 1366, 768)
    header = window.table.horizontalHeader()
    room = window.table.viewport().width()

    def visible(key: str) -> bool:
        i = COLUMN_INDEX[key]
        right = header.sectionViewportPosition(i) + header.sectionSize(i)
        return (
            not header.isSectionHidden(i)
            and header.sectionViewportPosition(i) >= 0
            and right <= room
        )

    qtbot.waitUntil(lambda: all(visible(k) for k in CORE_COLUMNS), timeout=3000)
    assert not _position_columns_shown(window)


def test_position_columns_start_hidden_on_tabs_without_positions(make_window: Any) -> None:
    window = make_window()
    lists = window.watchlists.lists
    other = lists.add_list("Tech", ["NVDA", "AMD"])
    window.portfolio.set_position("AAPL", Position(5, 150.0))  # on the first tab
    assert _position_columns_shown(window)
    lists.set_active(other)
    assert not _position_columns_shown(window)  # no position on this tab
    lists.set_active(0)
    assert _position_columns_shown(window)
    # Shown by hand on the tab without positions: remembered for that tab.
    lists.set_active(other)
    window.table.set_column_visible(COLUMN_INDEX["total_pnl"], True)
    lists.set_active(0)
    lists.set_active(other)
    assert _position_columns_shown(window)


@OFFSCREEN_SHOW
def test_a_long_halt_message_never_widens_the_detail_pane_nor_is_saved(
    make_window: Any, qtbot: Any, store: MarketDataStore, tmp_path: Path
) -> None:
    path = tmp_path / "halt.ini"
    window = make_window(path)
    _shown(window, qtbot, 1366, 768)
    qtbot.waitUntil(lambda: window.detail.width() > 0)
    QApplication.processEvents()
    before = window.detail.width()
    snap = store.get("AAPL")
    assert snap is not None
    snap.halted = True
    snap.halt_reason = LONG_HALT
    window.select_symbol("AAPL")
    window.detail.show_symbol("AAPL")
    for _ in range(3):
        QApplication.processEvents()
    assert "HALTED" in window.detail.values["Status"].text()
    assert window.detail.width() <= before + 2
    assert window.detail.width() < window.width() // 2
    window.geometry_keeper.save()
    again = make_window(path)
    _shown(again, qtbot, 1366, 768)
    QApplication.processEvents()
    assert again.detail.width() < again.width() // 2


@OFFSCREEN_SHOW
def test_a_saved_over_wide_detail_pane_is_put_back_on_restore(
    make_window: Any, qtbot: Any, tmp_path: Path
) -> None:
    from PySide6.QtCore import Qt

    path = tmp_path / "wide.ini"
    window = make_window(path)
    _shown(window, qtbot, 1366, 768)
    # What an old build saved after a halt message forced the pane wide.
    window.detail.setMinimumWidth(1100)
    window.resizeDocks([window.detail], [1100], Qt.Orientation.Horizontal)
    QApplication.processEvents()
    window.geometry_keeper.save()
    window.detail.setMinimumWidth(300)
    again = make_window(path)
    _shown(again, qtbot, 1366, 768)
    qtbot.waitUntil(lambda: again.detail.width() < again.width() // 2, timeout=3000)


def test_a_first_start_on_a_1024x600_screen_is_maximized_so_the_frame_fits(
    make_window: Any,
) -> None:
    """On a 1024x600 screen a 600 px tall window plus its title bar ended below the
    screen, status bar and all (seen under openbox). There the first start maximizes;
    on a large screen it takes the default size, not maximized."""
    from PySide6.QtCore import QRect

    from gui.window.geometry import DEFAULT_SIZE

    small = make_window()
    small.geometry_keeper.default_size(QRect(0, 0, 1024, 600))
    assert small.windowState() & Qt.WindowState.WindowMaximized
    large = make_window()
    large.geometry_keeper.default_size(QRect(0, 0, 1920, 1080))
    assert not large.windowState() & Qt.WindowState.WindowMaximized
    assert (large.width(), large.height()) == DEFAULT_SIZE
