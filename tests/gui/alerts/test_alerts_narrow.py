"""The alerts dock narrow and from the keyboard (issue 18 follow-up, docs/ui.md).

At 260 px every column of the rule table is at least as wide as its title or reachable by
scrolling sideways (none hidden), each cell's tooltip carries its whole text, the recent
alerts list keeps each line whole in a tooltip, and the buttons wrap inside the dock. The
buttons are reachable by Tab and Alt+letter, and in the rule table Delete removes the
selected rule, Enter edits it, Space turns it off and on.
"""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QMenuBar, QWidget

from engine.alerts.book import AlertBook
from gui.alerts.model import HEADERS
from gui.alerts.notify import AlertBanner, Notifier
from gui.alerts.panel import AlertsPanel

OFFSCREEN_SHOW = pytest.mark.qt_log_ignore("This plugin does not support")
LONG_NOTE = "breakout above the opening range on volume, " * 4


def _book() -> AlertBook:
    book = AlertBook(wall_clock=lambda: 1_700_000_000.0)
    book.add("AAPL", "pct_above", 3.5, note=LONG_NOTE, once=True, cooldown_s=900)
    book.add("BRK.B", "crosses", 4_321.5, cooldown_s=90)
    book.add("MSFT", "below", 300.0, enabled=False)
    book.evaluate("AAPL", 200.0, 3.6)  # fired: a count, a time and a state
    return book


@pytest.fixture
def panel(qtbot: Any) -> AlertsPanel:
    book = _book()
    host = QWidget()  # the banner's host
    qtbot.addWidget(host)
    panel = AlertsPanel(book, None, Notifier(AlertBanner(host), use_tray=False, sound=False))
    qtbot.addWidget(panel)
    panel.poll()
    return panel


def _shown_at(panel: AlertsPanel, qtbot: Any, width: int) -> None:
    panel.resize(width, 420)
    panel.show()
    qtbot.waitExposed(panel)
    for _ in range(3):
        QApplication.processEvents()


@OFFSCREEN_SHOW
def test_every_column_fits_its_title_or_scrolls_into_view_at_260px(
    panel: AlertsPanel, qtbot: Any
) -> None:
    _shown_at(panel, qtbot, 260)
    view = panel.view
    header = view.horizontalHeader()
    room = view.viewport().width()
    assert room < header.length()  # too narrow for all: it scrolls sideways
    bar = view.horizontalScrollBar()
    assert header.length() <= room + bar.maximum()  # ... as far as the last column
    for column, title in enumerate(HEADERS):
        assert not header.isSectionHidden(column), title
        assert header.sectionSize(column) >= header.sectionSizeHint(column), title
        assert header.sectionSize(column) <= room, title  # whole on screen when scrolled to
    # The dock's own body does not scroll sideways: the table does, inside it.
    assert panel.widget().width() <= panel.width()
    for button in (panel.add_button, panel.clear_button, panel.sound_box):
        right = button.mapTo(panel, button.rect().topRight()).x()
        assert button.isVisible(), button.text()
        assert right <= panel.width(), button.text()


@OFFSCREEN_SHOW
def test_every_cell_and_recent_alert_carries_its_full_text_as_a_tooltip(
    panel: AlertsPanel, qtbot: Any
) -> None:
    _shown_at(panel, qtbot, 260)
    model = panel.model
    tip_role = Qt.ItemDataRole.ToolTipRole
    for row in range(model.rowCount()):
        for column in range(model.columnCount()):
            text = model.index(row, column).data() or ""
            tip = model.index(row, column).data(tip_role)
            assert tip, (row, HEADERS[column])
            assert text in tip, (row, HEADERS[column], text, tip)
    assert LONG_NOTE.strip() in model.index(0, len(HEADERS) - 1).data(tip_role)
    assert panel.history.count() == 1
    item = panel.history.item(0)
    assert item.toolTip() == item.text()
    assert "AAPL" in item.text()


def test_columns_are_measured_once_not_per_update(panel: AlertsPanel) -> None:
    header = panel.view.horizontalHeader()
    for column in range(len(HEADERS)):
        assert header.sectionResizeMode(column) != header.ResizeMode.ResizeToContents
    before = [header.sectionSize(c) for c in range(len(HEADERS) - 1)]
    panel.book.add("GOOGL", "above", 123_456.78, note="x")
    panel._after_edit()
    assert [header.sectionSize(c) for c in range(len(HEADERS) - 1)] == before


@OFFSCREEN_SHOW
def test_delete_enter_and_space_in_the_rule_list(panel: AlertsPanel, qtbot: Any) -> None:
    _shown_at(panel, qtbot, 260)
    view = panel.view
    view.setFocus()
    view.selectRow(2)
    assert panel.selected_alert() is not None
    assert not panel.book.alerts()[2].enabled
    assert panel.toggle_button.text().replace("&", "") == "Enable"
    QTest.keyClick(view, Qt.Key.Key_Space)  # on again
    assert panel.book.alerts()[2].enabled
    assert panel.toggle_button.text().replace("&", "") == "Disable"
    QTest.keyClick(view, Qt.Key.Key_Space)
    assert not panel.book.alerts()[2].enabled
    view.selectRow(1)
    QTest.keyClick(view, Qt.Key.Key_Return)  # edits the selected rule
    assert panel.editor is not None
    assert panel.editor.symbol_field.text() == "BRK.B"
    panel.editor.close()
    QTest.keyClick(view, Qt.Key.Key_Delete)  # removes it; the next one is selected
    assert [a.symbol for a in panel.book.alerts()] == ["AAPL", "MSFT"]
    alert = panel.selected_alert()
    assert alert is not None
    assert alert.symbol == "MSFT"
    QTest.keyClick(view, Qt.Key.Key_Delete)
    assert [a.symbol for a in panel.book.alerts()] == ["AAPL"]


@OFFSCREEN_SHOW
def test_the_buttons_are_reachable_by_tab_and_pressed_by_enter_or_space(
    panel: AlertsPanel, qtbot: Any
) -> None:
    _shown_at(panel, qtbot, 420)
    panel.view.selectRow(0)
    panel.add_button.setFocus()
    order: list[QWidget | None] = [panel.add_button]
    for _ in range(8):
        focused = QApplication.focusWidget()
        assert focused is not None
        QTest.keyClick(focused, Qt.Key.Key_Tab)
        order.append(QApplication.focusWidget())
    expected = [panel.add_button, panel.edit_button, panel.delete_button, panel.toggle_button,
                panel.rearm_button, panel.view, panel.sound_box, panel.clear_button,
                panel.history]  # fmt: skip
    assert order == expected
    panel.toggle_button.setFocus()
    QTest.keyClick(panel.toggle_button, Qt.Key.Key_Return)  # Enter presses a focused button
    assert not panel.book.alerts()[0].enabled
    QTest.keyClick(panel.toggle_button, Qt.Key.Key_Space)
    assert panel.book.alerts()[0].enabled
    panel.clear_button.setFocus()
    QTest.keyClick(panel.clear_button, Qt.Key.Key_Enter)
    assert panel.history.count() == 0
    # Alt+letter: Add… opens the editor.
    panel.activateWindow()
    qtbot.waitUntil(panel.isActiveWindow)
    QTest.keyClick(panel.view, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: panel.editor is not None)  # a mnemonic animates the click
    assert panel.editor is not None
    assert panel.editor.isVisible()
    panel.editor.close()


def _mnemonic(text: str) -> str:
    return QKeySequence.mnemonic(text).toString()


@OFFSCREEN_SHOW
def test_the_panel_mnemonics_clash_with_nothing_in_the_window(make_window: Any) -> None:
    window = make_window()
    panel = window.alerts.panel
    ours = [w for w in panel.findChildren(QAbstractButton) if _mnemonic(w.text())]
    assert len(ours) >= 6
    taken: dict[str, list[str]] = {}
    for button in window.findChildren(QAbstractButton):
        if _mnemonic(button.text()):
            taken.setdefault(_mnemonic(button.text()), []).append(button.text())
    bar = window.findChild(QMenuBar)
    assert bar is not None
    for action in bar.actions():
        if _mnemonic(action.text()):
            taken.setdefault(_mnemonic(action.text()), []).append(action.text())
    for action in window.findChildren(type(bar.actions()[0])):
        for key in action.shortcuts():
            taken.setdefault(key.toString(), []).append(action.text())
    for button in ours:
        assert taken[_mnemonic(button.text())] == [button.text()], taken[_mnemonic(button.text())]


@OFFSCREEN_SHOW
def test_the_alert_editor_has_a_letter_per_field_and_starts_at_the_price(qtbot: Any) -> None:
    """Alt+letter reaches every field of Add alert; prefilled with the selected symbol,
    the cursor waits in Threshold, the one thing left to type (docs/keyboard.md)."""
    from gui.alerts.editor import AlertEditor

    editor = AlertEditor(symbol="AAPL", price=190.0)
    qtbot.addWidget(editor)
    editor.show()
    qtbot.waitExposed(editor)
    letters: dict[str, str] = {}
    for field in (editor.symbol_field, editor.kind_combo, editor.threshold_field,
                  editor.cooldown_combo, editor.note_field):  # fmt: skip
        labels = [w for w in editor.findChildren(QLabel) if w.buddy() is field]
        assert len(labels) == 1
        key = QKeySequence.mnemonic(labels[0].text()).toString()
        assert key, labels[0].text()
        assert key not in letters, (key, letters)
        letters[key] = labels[0].text()
    assert editor.focusWidget() is editor.threshold_field
