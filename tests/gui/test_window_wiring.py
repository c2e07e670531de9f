"""The window as a wiring point: engine parts come from outside, one theme signal reaches
every painter, menus are declared once, geometry is saved debounced, dialogs open once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu

from engine.alerts.book import AlertBook
from engine.config import FEEDS
from engine.events import Trade
from engine.market.history import PriceHistory
from engine.market.store import MarketDataStore
from gui.alerts.notify import banner_css
from gui.runtime import engine_parts
from gui.settings.feeds import feed_words
from gui.settings.persistence import AppSettings
from gui.settings.theme import DARK, LIGHT, ThemeMode
from gui.statusbar.style import Level, badge_css
from gui.table.columns import COLUMN_INDEX, Tone
from gui.window.geometry import GeometryKeeper

T0 = 1_700_000_000 * 1_000_000_000
# Qt's offscreen platform says so for show() and raise(); only offscreen.
OFFSCREEN_SHOW = pytest.mark.qt_log_ignore("This plugin does not support")


def test_engine_parts_load_the_saved_alert_book(tmp_path: Path) -> None:
    settings = AppSettings(tmp_path / "p.ini")
    book = AlertBook()
    book.add("AAPL", "above", 150.0, note="saved")
    book.save(settings.alerts_path())
    parts = engine_parts(settings)
    assert [a.note for a in parts.alerts.alerts()] == ["saved"]
    assert isinstance(parts.history, PriceHistory)
    assert engine_parts(settings).history is not parts.history  # fresh per call


def test_window_shows_the_engine_objects_it_is_given(
    make_window: Any, store: MarketDataStore
) -> None:
    history, book = PriceHistory(), AlertBook()
    window = make_window(history=history, alerts=book)
    assert window.history is history
    assert window.model.history is history
    assert window.alerts.book is book
    store.apply(Trade("AAPL", 101.0, 1, T0, trade_id=1))  # observed while the window lives
    assert history.get("AAPL") is not None
    window.shutdown()
    store.apply(Trade("MSFT", 55.0, 1, T0 + 1, trade_id=2))  # shut down: no longer observed
    assert history.get("MSFT") is None


def test_one_theme_signal_recolours_every_painter(make_window: Any, qapp: Any) -> None:
    window = make_window()
    theme = window.theme
    try:
        theme.set_mode(ThemeMode.DARK)
        assert window.alerts.banner.styleSheet() == banner_css(DARK)
        assert window.status.connection.colours[Level.OK] == DARK.levels["ok"]
        assert window.status.insecure.styleSheet() == badge_css(DARK.levels["bad"])
        assert window.sparklines.colours[1].name() == DARK.tones[Tone.UP]
        assert window.detail.time_sales_model.up.color().name() == DARK.tones[Tone.UP]
        theme.set_mode(ThemeMode.LIGHT)
        assert window.alerts.banner.styleSheet() == banner_css(LIGHT)
        assert window.status.connection.colours[Level.OK] == LIGHT.levels["ok"]
    finally:
        theme.set_mode(ThemeMode.LIGHT)  # the QApplication palette is app-wide


def test_two_windows_keep_their_own_palettes(
    make_window: Any, tmp_path: Path, store: MarketDataStore
) -> None:
    """No module-wide colour table: switching one window leaves the other's painters."""
    dark, light = make_window(tmp_path / "d.ini"), make_window(tmp_path / "l.ini")
    store.apply(Trade("AAPL", 100.0, 1, T0, trade_id=1))
    store.apply(Trade("AAPL", 101.0, 1, T0 + 1, trade_id=2))  # up-tick
    try:
        dark.theme.set_mode(ThemeMode.DARK)
        light.theme.set_mode(ThemeMode.LIGHT)
        assert dark.status.age.colours[Level.BAD] == DARK.levels["bad"]
        assert light.status.age.colours[Level.BAD] == LIGHT.levels["bad"]
        for window, palette in ((dark, DARK), (light, LIGHT)):
            window.model.flush()
            index = window.model.index(0, COLUMN_INDEX["last"])
            brush = window.model.data(index, Qt.ItemDataRole.ForegroundRole)
            assert brush.color().name() == palette.tones[Tone.UP]
    finally:
        dark.theme.set_mode(ThemeMode.LIGHT)


def _titles(menu: QMenu) -> list[str]:
    return [a.text() for a in menu.actions()]


def test_menu_bar_is_laid_out_from_one_declaration(make_window: Any) -> None:
    window = make_window()
    menus = {a.text(): a.menu() for a in window.menuBar().actions()}
    # "&Edit" added deliberately (issue 18, #9a: Edit > Undo, Ctrl+Z, undoes a removal).
    # "Win&dow" added deliberately (issue 18: windows, link colours, layouts, Reset layout).
    assert list(menus) == [
        "&File", "&Edit", "&Stream", "&View", "&Watchlists", "Win&dow", "&Help"
    ]  # fmt: skip
    stream = _titles(menus["&Stream"])
    assert stream[0] == "Disconnect"
    assert "Connection details…" in stream
    feed_menu = next(a.menu() for a in menus["&Stream"].actions() if a.text() == "Feed")
    # Words, not bare codes, deliberately (issue 18, #10e); the action data stays the code.
    assert _titles(feed_menu) == [feed_words(feed) for feed in FEEDS]
    assert [a.data() for a in feed_menu.actions()] == list(FEEDS)
    view = menus["&View"]
    theme_menu = next(a.menu() for a in view.actions() if a.text() == "Theme")
    assert _titles(theme_menu)[:3] == ["System", "Light", "Dark"]
    columns_menu = next(a.menu() for a in view.actions() if a.text() == "Columns")
    columns_menu.aboutToShow.emit()  # filled when it opens
    assert len(columns_menu.actions()) > 0
    assert "Alerts list" in _titles(view)
    # "About Tickerdesk" added deliberately (issue 18, #10f).
    assert _titles(menus["&Help"]) == ["Keyboard shortcuts", "About Tickerdesk"]
    feed_menu.actions()[1].trigger()  # the menu moves the toolbar's combo
    assert window.feed_combo.currentText() == FEEDS[1]


@OFFSCREEN_SHOW
def test_geometry_is_saved_once_the_user_lets_go(
    make_window: Any, qtbot: Any, tmp_path: Path
) -> None:
    window = make_window(tmp_path / "g.ini")
    keeper = window.geometry_keeper
    assert isinstance(keeper, GeometryKeeper)
    window.show()  # a hidden window gets its resize event only when shown
    qtbot.waitExposed(window)
    keeper.timer.stop()
    window.resize(640, 420)
    assert keeper.timer.isActive()  # debounced, not written per pixel
    keeper.timer.timeout.emit()
    assert AppSettings(tmp_path / "g.ini").geometry() is not None


@OFFSCREEN_SHOW
def test_help_and_details_dialogs_open_once(make_window: Any) -> None:
    window = make_window()
    dialogs = window.dialogs
    first = dialogs.open_connection_details()
    assert dialogs.open_connection_details() is first
    dialogs.shortcuts_action.trigger()
    shortcuts = dialogs.shortcuts_dialog
    dialogs.shortcuts_action.trigger()
    assert dialogs.shortcuts_dialog is shortcuts
    assert first.isVisible()
    assert shortcuts is not None
    assert shortcuts.isVisible()
    window.shutdown()
    assert not first.isVisible()
    assert not shortcuts.isVisible()
