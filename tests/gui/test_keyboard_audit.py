"""Issue 18, keyboard-first: every action reachable without the mouse, checked as data on
the real main window, plus flows driven by key events only (no mouse).

The audit table in docs/keyboard.md is generated from the same walk
(`TICKERDESK_WRITE_KEYBOARD_DOC=1` rewrites it; a test says when it is stale). Gaps in
panes owned elsewhere are xfail(strict=True) with the gap named (docs/keyboard.md).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDialog,
    QLabel,
    QMenu,
    QMenuBar,
    QSizeGrip,
    QWidget,
)

from gui.shortcuts import SHORTCUTS, native_text, unbound_entries, unlisted_bindings

OFFSCREEN_SHOW = pytest.mark.qt_log_ignore(
    "This plugin does not support propagateSizeHints",
    r"This plugin does not support raise\(\)",
    "This plugin does not support grabbing the keyboard",
)
ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
DOC = Path(__file__).resolve().parents[2] / "docs" / "keyboard.md"
BEGIN, END = "<!-- audit:begin (generated) -->", "<!-- audit:end -->"
# Menus listing data (column names, layout names): entries past the free letters are
# reached with the arrow keys once the menu is open by its own mnemonic.
DATA_MENUS = {"Columns", "Sort by", "Layouts", "Delete layout", "Open windows", "Add to watchlist"}


@pytest.fixture
def window_symbols() -> list[str]:
    return ["AAPL", "MSFT", "SPY"]


@dataclass(frozen=True)
class Entry:
    path: tuple[str, ...]  # shown titles, menu bar first
    letters: tuple[str | None, ...]  # the mnemonic at each step
    keys: str  # the action's own shortcut, as Help lists it ("" if none)
    data_menu: bool


def _shown(text: str) -> str:
    from gui.window.mnemonics import strip_marks

    return strip_marks(text)


def _walk(menu: QMenu, path: tuple[str, ...], letters: tuple[str | None, ...]) -> Iterator[Entry]:
    from gui.window.mnemonics import mnemonic_of

    menu.aboutToShow.emit()  # menus filled when they open
    for action in menu.actions():
        if action.isSeparator() or not action.isVisible():
            continue
        step = (*path, _shown(action.text())), (*letters, mnemonic_of(menu, action))
        sub = action.menu()
        if isinstance(sub, QMenu):
            yield from _walk(sub, *step)
        else:
            keys = ", ".join(k.toString(k.SequenceFormat.NativeText) for k in action.shortcuts())
            yield Entry(step[0], step[1], keys, path[-1] in DATA_MENUS)


def menu_bar_entries(window: Any) -> list[Entry]:
    from gui.window.mnemonics import mnemonic_of

    bar: QMenuBar = window.menuBar()
    out: list[Entry] = []
    for action in bar.actions():
        menu = action.menu()
        assert isinstance(menu, QMenu)
        out += _walk(menu, (_shown(action.text()),), (mnemonic_of(bar, action),))
    return out


def _menus(window: Any) -> Iterator[QMenu]:
    bar = window.menuBar()
    stack = [a.menu() for a in bar.actions()]
    while stack:
        menu = stack.pop()
        assert isinstance(menu, QMenu)
        menu.aboutToShow.emit()
        yield menu
        stack += [a.menu() for a in menu.actions() if isinstance(a.menu(), QMenu)]


def active_popup() -> Any:
    """The open menu (a MnemonicMenu: its `mnemonic_of` says which letter to type)."""
    popup = QApplication.activePopupWidget()
    assert isinstance(popup, QMenu), popup
    return popup


def shown(qtbot: Any, window: Any) -> Any:
    window.show()
    window.activateWindow()  # shortcuts go to the active window only
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    return window


def focus() -> QWidget | None:
    return QApplication.focusWidget()


# --- the audit, as data ----------------------------------------------------------------


def test_every_menu_bar_action_has_a_mnemonic_path_or_a_key(make_window: Any) -> None:
    entries = menu_bar_entries(make_window())
    assert len(entries) > 40
    unreachable = []
    for entry in entries:
        steps = entry.letters if not entry.data_menu else entry.letters[:-1]
        if None in steps and not entry.keys:
            unreachable.append(" > ".join(entry.path))
    assert unreachable == []
    # Issue 18 #10a stays fixed: data keeps its "&" and gets no mnemonic from it.
    assert ("View", "Columns", "Day P&L") in [e.path for e in entries]


def test_no_menu_has_a_letter_twice(make_window: Any) -> None:
    from gui.window.mnemonics import mnemonic_of

    window = make_window()
    window.watchlists.lists.add_list("ETFs", ["SPY"])
    window.layouts.save_as("Morning")
    menus = [window.menuBar(), *_menus(window)]
    assert len(menus) > 10
    for menu in menus:
        letters = [mnemonic_of(menu, a) for a in menu.actions() if not a.isSeparator()]
        taken = [letter for letter in letters if letter is not None]
        assert len(taken) == len(set(taken)), (menu.title(), letters)


def test_the_tab_and_link_menus_have_letters_and_a_menu_bar_twin(make_window: Any) -> None:
    # The tab bar and the link chip take no focus: their menus must be reachable from
    # the menu bar (Watchlists > This watchlist, Window > Link colour).
    from gui.window.mnemonics import mnemonic_of

    window = make_window()
    window.watchlists.lists.add_list("ETFs", ["SPY"])
    tab_menu = window.watchlists.tabs.context_menu(0)
    tab_texts = [_shown(a.text()) for a in tab_menu.actions() if not a.isSeparator()]
    assert all(mnemonic_of(tab_menu, a) for a in tab_menu.actions() if not a.isSeparator())
    paths = [e.path for e in menu_bar_entries(window)]
    for text in tab_texts:
        assert ("Watchlists", "This watchlist", text) in paths, text
    chip_menu = window.layouts.chip.menu()
    assert [mnemonic_of(chip_menu, a) for a in chip_menu.actions()] == list("NRGBY")
    assert ("Window", "Link colour", "Red") in paths


@OFFSCREEN_SHOW
def test_every_bound_key_is_in_the_one_table(make_window: Any) -> None:
    window = make_window()
    assert unlisted_bindings(window) == []
    assert unbound_entries(window) == []
    detached = window.layouts.open_watchlist(0)
    assert unlisted_bindings(detached) == []
    assert unbound_entries(detached, "detached") == []
    detached.close()


_MOUSE = ("mousePressEvent", "mouseReleaseEvent", "mouseDoubleClickEvent")


def _clickable(widget: QWidget) -> bool:
    """A button, a link, or a widget of ours that answers the mouse."""
    if isinstance(widget, QSizeGrip):
        return False  # resizes the window: the window manager's keys do that
    if isinstance(widget, QAbstractButton):
        return True
    if isinstance(widget, QLabel) and (widget.openExternalLinks() or "<a " in widget.text()):
        return True  # a link to click
    ours = [c for c in type(widget).__mro__ if not c.__module__.startswith(("PySide6", "Shiboken"))]
    return any(name in vars(c) for c in ours for name in _MOUSE)


def test_nothing_in_the_status_bar_needs_the_mouse(make_window: Any) -> None:
    from gui.statusbar.account import AccountBadge, TradeStreamIndicator
    from gui.statusbar.gateway import BusIndicator, GatewayIndicator

    window = make_window()
    # The indicators the composition root adds later (gateway, bus, account) too.
    for label in (GatewayIndicator(lambda: None), BusIndicator(lambda: None),
                  AccountBadge(True), TradeStreamIndicator(None)):  # fmt: skip
        window.status.add(label)
    widgets = window.statusBar().findChildren(QWidget)
    assert len(widgets) >= 12
    mouse_only = [
        w.objectName() or type(w).__name__
        for w in widgets
        if _clickable(w) and not (w.focusPolicy().value & Qt.FocusPolicy.TabFocus.value)
    ]
    assert mouse_only == []
    # The filter mark is words, and Esc (listed) clears the filter it describes.
    assert not _clickable(window.watchlist_bar.filter_mark)


@OFFSCREEN_SHOW
def test_f6_cycles_the_panes_and_shift_f6_goes_back(make_window: Any, qtbot: Any) -> None:
    window = shown(qtbot, make_window())
    window.alerts.panel.show()
    window.detail.show()
    cycle = window.layouts.panes
    names = [name for name, _w in cycle.panes()]
    assert names == ["Table", "Add symbols", "Detail chart", "Time & sales", "Alerts"]
    window.table.setFocus()
    seen = [cycle.current()]
    for _ in names:
        qtbot.keyClick(focus(), Qt.Key.Key_F6)
        seen.append(cycle.current())
    assert seen == [*names, "Table"]
    qtbot.keyClick(focus(), Qt.Key.Key_F6, SHIFT)
    assert cycle.current() == names[-1]
    # A closed dock is skipped, not focused behind the user's back.
    window.detail.hide()
    assert "Detail chart" not in [name for name, _w in cycle.panes()]


@OFFSCREEN_SHOW
def test_dialogs_have_buddy_mnemonics_and_close_on_esc(make_window: Any, qtbot: Any) -> None:
    from gui.window.mnemonics import explicit_mnemonic

    window = shown(qtbot, make_window())
    window.open_settings()
    settings = window.settings_dialog
    qtbot.waitExposed(settings)
    settings.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is settings)
    rows = [w for w in settings.findChildren(QLabel) if w.buddy() is not None and w.text()]
    letters = [explicit_mnemonic(w.text()) for w in rows if w.buddy().isEnabled()]
    assert len(letters) >= 8
    assert None not in letters
    assert len(letters) == len(set(letters))
    # Alt+letter focuses the field of that row.
    row = next(w for w in rows if _shown(w.text()) == "Table refresh")
    letter = explicit_mnemonic(row.text())
    assert letter is not None
    qtbot.keyClick(focus(), letter.lower(), ALT)
    assert settings.flush_spin.hasFocus() or settings.flush_spin.isAncestorOf(focus())
    dialogs: list[QDialog] = [
        settings,
        window.dialogs.open_shortcuts(),
        window.dialogs.open_about(),
        window.dialogs.open_connection_details(),
    ]
    for dialog in dialogs:
        dialog.activateWindow()
        qtbot.waitUntil(lambda d=dialog: QApplication.activeWindow() is d)
        qtbot.keyClick(QApplication.focusWidget() or dialog, Qt.Key.Key_Escape)
        qtbot.waitUntil(lambda d=dialog: not d.isVisible())


# --- flows: key events only --------------------------------------------------------------


@OFFSCREEN_SHOW
def test_add_a_symbol_and_set_its_position_by_keyboard(make_window: Any, qtbot: Any) -> None:
    window = shown(qtbot, make_window())
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_N, CTRL)
    assert focus() is window.watchlist_bar.add_field
    qtbot.keyClicks(focus(), "NVDA")
    qtbot.keyClick(focus(), Qt.Key.Key_Return)
    assert window.symbols()[-1] == "NVDA"
    qtbot.keyClick(focus(), Qt.Key.Key_F6, SHIFT)  # back to the table
    assert focus() is window.table
    qtbot.keyClicks(window.table, "NV")  # type a ticker to jump to it
    assert window.current_symbol() == "NVDA"
    qtbot.keyClick(window.table, Qt.Key.Key_W, ALT)  # Watchlists
    menu = active_popup()
    qtbot.keyClick(menu, menu.mnemonic_of(window.portfolio.set_position_action))
    dialog = window.portfolio.position_dialog
    qtbot.waitUntil(lambda: dialog.isVisible())
    assert dialog.symbol == "NVDA"
    dialog.activateWindow()  # what a window manager does with a new dialog
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    assert focus() is dialog.quantity_field
    qtbot.keyClicks(QApplication.focusWidget(), "25")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    qtbot.keyClicks(QApplication.focusWidget(), "120.5")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert window.portfolio.book["NVDA"].quantity == 25


@OFFSCREEN_SHOW
def test_add_an_alert_for_the_selected_symbol_by_keyboard(make_window: Any, qtbot: Any) -> None:
    window = shown(qtbot, make_window())
    window.table.setFocus()
    qtbot.keyClicks(window.table, "MS")
    assert window.current_symbol() == "MSFT"
    qtbot.keyClick(window.table, Qt.Key.Key_A, CTRL | SHIFT)
    editor = window.alerts.panel.editor
    assert editor is not None
    qtbot.waitUntil(editor.isVisible)
    assert editor.symbol_field.text() == "MSFT"
    editor.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is editor)
    editor.threshold_field.setFocus()  # its row mnemonic is H2's (docs/keyboard.md)
    editor.threshold_field.selectAll()
    qtbot.keyClicks(editor.threshold_field, "450")
    qtbot.keyClick(editor.threshold_field, Qt.Key.Key_Return)
    assert [a.symbol for a in window.alerts.book.alerts()] == ["MSFT"]


@OFFSCREEN_SHOW
def test_open_and_close_a_detached_window_by_keyboard(make_window: Any, qtbot: Any) -> None:
    window = shown(qtbot, make_window())
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_D, ALT)  # Win&dow
    menu = active_popup()
    qtbot.keyClick(menu, menu.mnemonic_of(window.layouts.open_watchlist_action))
    assert [w.kind for w in window.layouts.windows] == ["watchlist"]
    detached = window.layouts.windows[0]
    qtbot.waitExposed(detached)
    detached.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is detached)
    detached.table.setFocus()
    qtbot.keyClick(detached.table, Qt.Key.Key_W, CTRL)
    qtbot.waitUntil(lambda: window.layouts.windows == [])


@OFFSCREEN_SHOW
def test_switch_the_feed_to_delayed_with_menu_mnemonics(make_window: Any, qtbot: Any) -> None:
    window = shown(qtbot, make_window())
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_S, ALT)  # &Stream
    stream = active_popup()
    feed = next(a for a in stream.actions() if a.text() == "Feed")
    qtbot.keyClick(stream, stream.mnemonic_of(feed))
    qtbot.waitUntil(lambda: QApplication.activePopupWidget() is feed.menu())
    feeds = active_popup()
    delayed = next(a for a in feeds.actions() if a.data() == "delayed_sip")
    with qtbot.waitSignal(window.feed_chosen) as chosen:
        qtbot.keyClick(feeds, feeds.mnemonic_of(delayed))
    assert chosen.args == ["delayed_sip"]
    assert window.feed_combo.currentText() == "delayed_sip"
    assert QApplication.activePopupWidget() is None  # the menus closed behind it


@OFFSCREEN_SHOW
def test_move_a_tab_without_dragging(make_window: Any, qtbot: Any) -> None:
    window = shown(qtbot, make_window())
    lists = window.watchlists.lists
    lists.add_list("ETFs", ["SPY"])
    lists.set_active(1)
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_W, ALT)
    menu = active_popup()
    this = next(a for a in menu.actions() if a.text() == "This watchlist")
    qtbot.keyClick(menu, menu.mnemonic_of(this))
    qtbot.waitUntil(lambda: QApplication.activePopupWidget() is this.menu())
    sub = active_popup()
    left = next(a for a in sub.actions() if a.text() == "Move tab left")
    qtbot.keyClick(sub, sub.mnemonic_of(left))
    assert lists.names() == ["ETFs", "Watchlist"]
    assert lists.active() == 0  # still the list shown


# --- docs/keyboard.md: generated from the walk above ------------------------------------


def _path_keys(entry: Entry) -> str:
    steps = []
    for i, (title, letter) in enumerate(zip(entry.path, entry.letters, strict=True)):
        if letter is None:
            steps.append(f"↓ to {title}")
        else:
            steps.append(f"Alt+{letter}" if i == 0 else letter)
    return ", ".join(steps)


def audit_table(window: Any) -> str:
    lines = ["### Menu bar", "", "| action | mnemonics | key |", "|---|---|---|"]
    for entry in menu_bar_entries(window):
        path = " \u203a ".join(p.replace("|", "\\|") for p in entry.path)
        lines.append(f"| {path} | {_path_keys(entry)} | {entry.keys} |")
    lines += ["", "### Keys (gui/shortcuts.py, as Help > Keyboard shortcuts lists them)", ""]
    lines += ["| key | action | area |", "|---|---|---|"]
    for shortcut in SHORTCUTS:
        lines.append(f"| {native_text(shortcut)} | {shortcut.description} | {shortcut.group} |")
    lines += ["", "### Panes (F6 / Shift+F6, in order)", ""]
    window.detail.show()
    window.alerts.panel.show()
    lines += [f"{n}. {name}" for n, (name, _w) in enumerate(window.layouts.panes.panes(), 1)]
    return "\n".join(lines) + "\n"


@OFFSCREEN_SHOW
def test_docs_keyboard_md_is_the_generated_audit(make_window: Any, qtbot: Any) -> None:
    window = shown(qtbot, make_window())
    table = audit_table(window)
    text = DOC.read_text(encoding="utf-8")
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    fresh = f"{head}{BEGIN}\n{table}{END}{tail}"
    if os.environ.get("TICKERDESK_WRITE_KEYBOARD_DOC"):
        DOC.write_text(fresh, encoding="utf-8")
    assert text == fresh, "docs/keyboard.md is stale: TICKERDESK_WRITE_KEYBOARD_DOC=1"


# --- the table: row and header menus by letter, sorting and ordering by keys (H4) -------


def _letters_unique(menu: Any, data: bool = False) -> list[str]:
    """The entries' letters in an open MnemonicMenu, unique; each entry has one unless
    the menu lists data (more columns than letters: the arrow keys reach the rest)."""
    letters = [menu.mnemonic_of(a) for a in menu.actions() if not a.isSeparator()]
    assert data or None not in letters, [_shown(a.text()) for a in menu.actions()]
    taken = [letter for letter in letters if letter is not None]
    assert len(taken) == len(set(taken)), letters
    return taken


def _entry(menu: Any, text: str) -> Any:
    return next(a for a in menu.actions() if _shown(a.text()) == text)


@OFFSCREEN_SHOW
def test_the_row_menu_gives_every_entry_a_letter_and_acts_by_it(
    make_window: Any, qtbot: Any
) -> None:
    window = shown(qtbot, make_window())
    window.table.setFocus()
    qtbot.keyClicks(window.table, "MS")
    qtbot.keyClick(window.table, Qt.Key.Key_Menu)  # the row menu, at MSFT
    menu = active_popup()
    _letters_unique(menu)
    texts = [_shown(a.text()) for a in menu.actions() if not a.isSeparator()]
    for text in ("Remove", "Set position…", "Move row up", "Move row down", "Sort by"):
        assert text in texts
    qtbot.keyClick(menu, menu.mnemonic_of(_entry(menu, "Set position…")))
    dialog = window.portfolio.position_dialog
    qtbot.waitUntil(lambda: dialog is not None and dialog.isVisible())
    assert dialog.symbol == "MSFT"
    dialog.close()


@OFFSCREEN_SHOW
def test_the_header_menu_gives_every_column_a_letter_and_keeps_day_pnl(
    make_window: Any, qtbot: Any
) -> None:
    from PySide6.QtCore import QPoint

    from gui.table.columns import COLUMN_INDEX

    window = shown(qtbot, make_window())
    header = window.table.horizontalHeader()
    header.customContextMenuRequested.emit(QPoint(5, 5))  # what a right-click asks for
    menu = active_popup()
    letters = _letters_unique(menu, data=True)
    assert len(letters) >= min(header.count(), 20)
    day_pnl = _entry(menu, "Day P&L")  # its "&" is data, shown, not eaten
    hidden = header.isSectionHidden(COLUMN_INDEX["day_pnl"])
    qtbot.keyClick(menu, menu.mnemonic_of(day_pnl))
    assert header.isSectionHidden(COLUMN_INDEX["day_pnl"]) is not hidden


@OFFSCREEN_SHOW
def test_sort_reverse_and_end_a_sort_with_keys_only(
    make_window: Any, qtbot: Any, store: Any
) -> None:
    from engine.events import Trade
    from gui.shortcuts import BY_ID
    from gui.table.columns import COLUMN_INDEX

    window = shown(qtbot, make_window())
    for n, (symbol, price) in enumerate([("AAPL", 200.0), ("MSFT", 400.0), ("SPY", 570.0)]):
        store.apply(Trade(symbol, price, 100, 1_750_000_000_000_000_000 + n, n + 1, "V"))
    window.model.flush()
    hand = ["MSFT", "SPY", "AAPL"]
    window.watchlists.set_list_symbols(0, hand)
    assert window.model.symbols() == hand
    table = window.table
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_S, CTRL | SHIFT)  # Reverse, with nothing sorted:
    assert "Not sorted" in window.statusBar().currentMessage()  # said, not silent
    assert window.model.symbols() == hand

    def sort_menu() -> Any:
        qtbot.keyClick(table, Qt.Key.Key_V, ALT)
        view = active_popup()
        sort_by = _entry(view, "Sort by")
        qtbot.keyClick(view, view.mnemonic_of(sort_by))
        qtbot.waitUntil(lambda: QApplication.activePopupWidget() is sort_by.menu())
        return active_popup()

    sub = sort_menu()
    assert _entry(sub, "Hand-made order").isChecked()
    qtbot.keyClick(sub, sub.mnemonic_of(_entry(sub, "Last")))
    assert window.model.sort_column() == COLUMN_INDEX["last"]
    assert window.model.symbols() == ["AAPL", "MSFT", "SPY"]
    assert table.horizontalHeader().sortIndicatorSection() == COLUMN_INDEX["last"]
    assert BY_ID["reverse_sort"].keys == ("Ctrl+Shift+S",)  # listed in Help
    qtbot.keyClick(table, Qt.Key.Key_S, CTRL | SHIFT)
    assert window.model.symbols() == ["SPY", "MSFT", "AAPL"]
    sub = sort_menu()
    assert _entry(sub, "Last").isChecked()
    qtbot.keyClick(sub, sub.mnemonic_of(_entry(sub, "Hand-made order")))
    assert window.model.sort_column() == -1
    assert table.horizontalHeader().sortIndicatorSection() == -1
    assert window.model.symbols() == hand  # as the third header click: the order back
    assert window.watchlists.lists.active_symbols() == hand


def test_menu_paths_named_in_the_ui_exist(make_window: Any) -> None:
    """Texts that send the user to a menu entry ("Watchlists > Set position…") name one
    that exists; the account's positions note named a "Positions" menu there is not."""
    import re

    from gui.account.figures import MANUAL_POSITIONS_NOTE

    paths = {entry.path for entry in menu_bar_entries(make_window())}
    named = re.findall(r"\(([^()>]+?) > ([^()]+?)\)", MANUAL_POSITIONS_NOTE)
    assert named
    for menu, item in named:
        assert (menu, item) in paths, (menu, item)
