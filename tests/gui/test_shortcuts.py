"""Keyboard: one table binds every shortcut; Help lists it; zoom, density, full screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence

from engine.market.store import MarketDataStore
from gui.settings.display import ZOOM_RANGE, Density, row_height, zoomed_point_size
from gui.settings.persistence import AppSettings
from gui.shortcuts import (
    BY_ID,
    SHORTCUTS,
    ShortcutsDialog,
    apply_shortcuts,
    unbound_entries,
    unlisted_bindings,
)

OFFSCREEN_SHOW = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def test_table_ids_and_keys_are_unique() -> None:
    assert len(BY_ID) == len(SHORTCUTS)
    keys = [k for s in SHORTCUTS for k in (*s.keys, *s.aliases)]
    assert len(keys) == len(set(keys))
    for shortcut in SHORTCUTS:
        for key in (*shortcut.keys, *shortcut.aliases):
            assert not QKeySequence(key).isEmpty(), key


def test_every_binding_in_the_window_is_listed_and_every_entry_is_bound(
    make_window: Any, qtbot: Any, tmp_path: Path, store: MarketDataStore, clock: Any
) -> None:
    window = make_window(tmp_path / "k.ini")
    assert unlisted_bindings(window) == []
    assert unbound_entries(window) == []
    assert window.display.full_screen_action.shortcut() == QKeySequence("F11")
    assert window.settings_action.shortcut() == QKeySequence("Ctrl+,")
    window.shutdown()


def test_a_stray_binding_is_caught(
    make_window: Any, qtbot: Any, tmp_path: Path, store: MarketDataStore, clock: Any
) -> None:
    window = make_window(tmp_path / "k.ini")
    stray = QAction("Secret", window)
    stray.setShortcut(QKeySequence("Ctrl+J"))
    assert unlisted_bindings(window) == ["'Secret': Ctrl+J"]
    assert apply_shortcuts({"no_such_command": stray}) == ["no_such_command"]
    window.shutdown()


@OFFSCREEN_SHOW
def test_help_dialog_lists_the_table(
    make_window: Any, qtbot: Any, tmp_path: Path, store: MarketDataStore, clock: Any
) -> None:
    window = make_window(tmp_path / "k.ini")
    window.dialogs.shortcuts_action.trigger()
    dialog = window.dialogs.shortcuts_dialog
    assert isinstance(dialog, ShortcutsDialog)
    assert dialog.isVisible()
    assert not dialog.isModal()
    rows = dialog.rows()
    assert len(rows) == len(SHORTCUTS)
    assert ("F11", "Full screen on / off") in rows
    assert any(keys.startswith("Ctrl++") for keys, _ in rows)
    window.shutdown()


def test_zoom_and_density_math() -> None:
    assert zoomed_point_size(10.0, 0) == 10.0
    assert zoomed_point_size(10.0, 1) == pytest.approx(11.2)
    assert zoomed_point_size(10.0, 99) == zoomed_point_size(10.0, ZOOM_RANGE[1])
    assert zoomed_point_size(6.0, -3) == 6.0  # never unreadably small
    assert row_height(15, Density.COMFORTABLE) > row_height(15, Density.COMPACT) > 15


@OFFSCREEN_SHOW
def test_zoom_keys_density_and_full_screen_apply_and_persist(
    make_window: Any, qtbot: Any, tmp_path: Path, store: MarketDataStore, clock: Any
) -> None:
    window = make_window(tmp_path / "k.ini")
    window.show()
    with qtbot.waitActive(window):  # shortcuts go to the active window only
        window.activateWindow()
    display = window.display
    rows = window.table.verticalHeader()
    compact = rows.defaultSectionSize()
    size = window.table.font().pointSizeF()
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: display.zoom_steps == 1)
    assert window.table.font().pointSizeF() > size
    assert rows.defaultSectionSize() > compact
    display.density_actions[Density.COMFORTABLE].trigger()
    comfortable = rows.defaultSectionSize()
    display.zoom_reset_action.trigger()
    assert window.table.font().pointSizeF() == size
    assert compact < rows.defaultSectionSize() < comfortable
    qtbot.keyClick(window.table, Qt.Key.Key_F11)
    qtbot.waitUntil(window.isFullScreen)
    assert display.full_screen_action.isChecked()
    display.full_screen_action.trigger()
    assert not window.isFullScreen()
    window.shutdown()

    settings = AppSettings(tmp_path / "k.ini")
    assert (settings.row_density(), settings.zoom_steps()) == ("comfortable", 0)
    again = make_window(tmp_path / "k.ini")
    assert again.display.density is Density.COMFORTABLE
    assert again.table.verticalHeader().defaultSectionSize() > compact
    again.shutdown()


@OFFSCREEN_SHOW
def test_tab_undo_and_filter_keys_are_in_the_one_table_and_listed(
    make_window: Any, qtbot: Any, tmp_path: Path
) -> None:
    # Issue 18, #9c / #9a / #3: the new keys come from the table like every other key.
    assert "Ctrl+PgDown" in BY_ID["next_watchlist"].keys
    assert "Ctrl+PgUp" in BY_ID["previous_watchlist"].keys
    assert [BY_ID[f"watchlist_{n}"].keys for n in range(1, 10)] == [
        (f"Alt+{n}",) for n in range(1, 10)
    ]
    assert BY_ID["undo"].keys == ("Ctrl+Z",)
    assert BY_ID["clear_filter"].keys == ("Esc",)
    window = make_window(tmp_path / "k.ini")
    assert unlisted_bindings(window) == []
    assert unbound_entries(window) == []
    tabs = window.watchlists.tabs
    assert tabs.goto_actions[0].shortcut() == QKeySequence("Alt+1")
    assert QKeySequence("Ctrl+PgDown") in tabs.next_action.shortcuts()
    assert window.watchlists.undo_action.shortcut() == QKeySequence("Ctrl+Z")
    window.dialogs.shortcuts_action.trigger()
    dialog = window.dialogs.shortcuts_dialog
    assert isinstance(dialog, ShortcutsDialog)
    rows = dict(dialog.rows())
    assert rows["Alt+1"] == "Show watchlist 1 (the first tab)"
    assert rows["Ctrl+Tab, Ctrl+PgDown"] == "Next watchlist"
    assert rows["Ctrl+Z"].startswith("Undo the last removal")
    assert rows["Esc"].startswith("Clear the filter")
    window.shutdown()
