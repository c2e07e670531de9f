"""Issue 18, #10: small but visible. The `&` of "Day P&L" survives in menus (#10a); the
Settings dialog fits its text at 1024x600 (#10c); the feed list says what each feed is
(#10e); Help has About with versions, licences and where the files live (#10f)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QSize
from PySide6.QtWidgets import QLabel, QMenu

from engine.core.tasks import TaskSet
from gui.formatting import menu_text
from gui.settings.dialog import SettingsDialog, StreamSettings
from gui.window.about import COMPONENTS

OFFSCREEN_SHOW = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def _menu(window: Any, title: str) -> QMenu:
    for action in window.menuBar().actions():
        if action.text().replace("&", "") == title:
            menu = action.menu()
            assert isinstance(menu, QMenu)
            return menu
    raise AssertionError(f"no {title} menu")


def _submenu(menu: QMenu, title: str) -> QMenu:
    for action in menu.actions():
        if action.menu() is not None and action.text() == title:
            sub = action.menu()
            assert isinstance(sub, QMenu)
            return sub
    raise AssertionError(f"no {title} submenu")


def test_day_and_total_pl_keep_their_ampersand_in_the_columns_menu(make_window: Any) -> None:
    window = make_window()
    columns = _submenu(_menu(window, "View"), "Columns")
    columns.aboutToShow.emit()
    shown = {action.iconText() for action in columns.actions()}  # mnemonics stripped
    assert "Day P&L" in shown
    assert "Total P&L" in shown
    assert "Day PL" not in shown
    columns.aboutToShow.emit()  # refilled: still escaped once, never twice
    assert "Day P&L" in {action.iconText() for action in columns.actions()}
    assert menu_text("P&&L") == "P&&L"
    assert menu_text("P&L") == "P&&L"


def test_the_feed_list_says_what_each_feed_is(make_window: Any) -> None:
    window = make_window()
    feeds = _submenu(_menu(window, "Stream"), "Feed")
    shown = [action.iconText() for action in feeds.actions()]
    assert shown == [
        "IEX \u2014 free, one exchange",
        "SIP \u2014 all exchanges, paid plan",
        "Delayed SIP \u2014 15 minutes late",
        "Test \u2014 Alpaca's test stream",
    ]
    combo = window.feed_combo
    assert combo.currentText() == "iex"  # the code, for every caller
    assert combo.current_words() == "IEX \u2014 free, one exchange"
    combo.setCurrentText("delayed_sip")
    assert combo.current_words() == "Delayed SIP \u2014 15 minutes late"
    dialog = SettingsDialog(StreamSettings(None, "sip", "json", 50), TaskSet())
    assert dialog.feed_combo.currentText() == "sip"
    assert dialog.feed_combo.current_words() == "SIP \u2014 all exchanges, paid plan"
    dialog.deleteLater()


@OFFSCREEN_SHOW
def test_help_has_about_with_versions_licences_and_places(
    make_window: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_window(path=tmp_path / "about.ini")
    help_menu = _menu(window, "Help")
    about = [a for a in help_menu.actions() if a.text() == "About Tickerdesk"]
    assert about
    opened: list[str] = []

    def open_url(url: Any) -> bool:
        opened.append(url.toLocalFile())
        return True

    monkeypatch.setattr("gui.window.about.QDesktopServices.openUrl", open_url)
    about[0].trigger()
    dialog = window.dialogs.about_dialog
    assert dialog is not None
    assert dialog.isVisible()
    text = dialog.text()
    assert "Tickerdesk" in text
    for name, _use, licence in COMPONENTS:
        assert name in text
        assert licence in text
    assert "LGPL" in text
    assert str(tmp_path / "about.ini") in text  # where the settings live
    assert str(tmp_path / "crashes") in text
    assert "gateway-credentials" in text
    assert "Logs" in text
    dialog.open_buttons["Settings"].click()
    assert opened == [str(tmp_path)]


@OFFSCREEN_SHOW
@pytest.mark.parametrize("screen", [QSize(1024, 600), QSize(1366, 768)])
def test_settings_dialog_never_clips_its_text(qtbot: Any, screen: QSize, qapp: Any) -> None:
    from PySide6.QtCore import QRect

    dialog = SettingsDialog(StreamSettings(None, "iex", "json", 50), TaskSet(), None, "none")
    qtbot.addWidget(dialog)
    available = QRect(0, 0, screen.width(), screen.height())
    dialog.screen().availableGeometry = lambda: available  # type: ignore[method-assign]
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.width() <= screen.width()
    assert dialog.height() <= screen.height()
    for label in dialog._stream_page.findChildren(QLabel):
        if not label.isVisible() or not label.text():
            continue
        if label.wordWrap():
            need = label.heightForWidth(label.width())
            assert label.height() >= need, (label.text(), label.height(), need)
        else:
            assert label.width() >= label.sizeHint().width(), label.text()
