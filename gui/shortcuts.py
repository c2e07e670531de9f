"""Every keyboard shortcut, declared once; the window binds from this table, Help lists it.

`apply_shortcuts(actions)` sets each action's keys from `SHORTCUTS` (the one place a key is
chosen), and `unlisted_bindings(window)` finds any QAction bound elsewhere with keys that
are not in the table (tests assert there are none), so Help > Keyboard shortcuts cannot
drift from what the keys really do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


def _nth(n: int) -> str:
    return {1: "first", 2: "second", 3: "third"}.get(n, f"{n}th")


@dataclass(frozen=True, slots=True)
class Shortcut:
    """One command: its id (the window maps ids to actions), keys (portable text), words.

    `aliases` are bound too but not listed (spellings of the same keys, like Backtab).
    `scope` says which windows bind it: "main" (the main window), "detached" (each
    window opened from the Window menu; gui.window.layouts) or "table" (every ticker
    table, in the main window and in each detached watchlist: gui.table.view_order).
    """

    id: str
    keys: tuple[str, ...]
    description: str
    group: str
    aliases: tuple[str, ...] = ()
    scope: str = "main"


SHORTCUTS: tuple[Shortcut, ...] = (
    Shortcut("add_symbols", ("Ctrl+N",), "Add symbols (focus the add field)", "Watchlist"),
    Shortcut("remove_symbols", ("Del",), "Remove the selected symbols", "Watchlist"),
    Shortcut("undo", ("Ctrl+Z",), "Undo the last removal (back where it was)", "Watchlist"),
    Shortcut("filter", ("Ctrl+F",), "Filter the table", "Watchlist"),
    Shortcut("clear_filter", ("Esc",), "Clear the filter (in the table or the filter)",
             "Watchlist"),
    Shortcut("copy_rows", ("Ctrl+C",), "Copy the selected rows", "Watchlist"),
    Shortcut("new_watchlist", ("Ctrl+T",), "New watchlist", "Watchlist"),
    Shortcut("next_watchlist", ("Ctrl+Tab", "Ctrl+PgDown"), "Next watchlist", "Watchlist"),
    # Shift+Tab arrives as Key_Backtab on some platforms: bind both spellings.
    Shortcut("previous_watchlist", ("Ctrl+Shift+Tab", "Ctrl+PgUp"), "Previous watchlist",
             "Watchlist", aliases=("Ctrl+Shift+Backtab",)),
    # One entry per key: each is its own action (gui.watchlists.tabs), so Help lists nine.
    *(Shortcut(f"watchlist_{n}", (f"Alt+{n}",), f"Show watchlist {n} (the {_nth(n)} tab)",
               "Watchlist") for n in range(1, 10)),
    # The table's own keys (gui.table.view_order), in every window with a table: they
    # act with the table focused (Ctrl+Shift+arrows select words in the add field).
    Shortcut("reverse_sort", ("Ctrl+Shift+S",), "Reverse the sort order (View > Sort by "
             "chooses the column, or the hand-made order)", "Table", scope="table"),
    Shortcut("move_row_up", ("Ctrl+Shift+Up",), "Move the current row up (hand-made order)",
             "Table", scope="table"),
    Shortcut("move_row_down", ("Ctrl+Shift+Down",), "Move the current row down (hand-made "
             "order)", "Table", scope="table"),
    Shortcut("move_column_left", ("Ctrl+Shift+Left",), "Move the current column left",
             "Table", scope="table"),
    Shortcut("move_column_right", ("Ctrl+Shift+Right",), "Move the current column right",
             "Table", scope="table"),
    Shortcut("add_alert", ("Ctrl+Shift+A",), "Add an alert for the selected symbol", "Alerts"),
    Shortcut("alerts_panel", ("Ctrl+Shift+L",), "Show or hide the alerts list", "Alerts"),
    Shortcut("settings", ("Ctrl+,",), "Settings", "Application"),
    Shortcut("quit", ("Ctrl+Q",), "Quit", "Application"),
    Shortcut("full_screen", ("F11",), "Full screen on / off", "View"),
    # Ctrl+= too: on US layouts "+" needs Shift, so Ctrl+Plus alone would not fire.
    Shortcut("zoom_in", ("Ctrl++", "Ctrl+="), "Larger text (wall display)", "View"),
    Shortcut("zoom_out", ("Ctrl+-",), "Smaller text", "View"),
    Shortcut("zoom_reset", ("Ctrl+0",), "Default text size", "View"),
    Shortcut("connection_details", ("Ctrl+I",), "Connection details", "Stream"),
    Shortcut("reset_layout", ("Ctrl+Shift+R",), "Reset the window layout", "Window"),
    # Pane to pane (gui.window.panes): table, add field, detail chart, time & sales, alerts.
    Shortcut("next_pane", ("F6",), "Focus the next pane (table, add field, detail, "
             "time & sales, alerts)", "Window"),
    Shortcut("previous_pane", ("Shift+F6",), "Focus the previous pane", "Window"),
    Shortcut("close_window", ("Ctrl+W",), "Close a window opened from the Window menu "
             "(its tab stays in the main window)", "Window", scope="detached"),
    Shortcut("keyboard_help", ("F1",), "This list of keyboard shortcuts", "Help"),
)  # fmt: skip
BY_ID: dict[str, Shortcut] = {s.id: s for s in SHORTCUTS}


def key_sequences(shortcut: Shortcut) -> list[QKeySequence]:
    """Everything bound: the listed keys, then the aliases."""
    return [QKeySequence(k) for k in (*shortcut.keys, *shortcut.aliases)]


def native_text(shortcut: Shortcut) -> str:
    """The listed keys as the platform spells them (⌘ on macOS), joined for display."""
    return ", ".join(
        QKeySequence(k).toString(QKeySequence.SequenceFormat.NativeText) for k in shortcut.keys
    )


def apply_shortcuts(actions: Mapping[str, QAction]) -> list[str]:
    """Bind each action's keys from the table; returns ids with no table entry (a bug)."""
    missing = []
    for shortcut_id, action in actions.items():
        shortcut = BY_ID.get(shortcut_id)
        if shortcut is None:
            missing.append(shortcut_id)
            continue
        action.setShortcuts(key_sequences(shortcut))
        tip = action.toolTip() or action.text().rstrip("…")
        if "(" not in tip:
            action.setToolTip(f"{tip} ({native_text(shortcut)})")
    return missing


def _portable(sequences: Iterable[QKeySequence]) -> frozenset[str]:
    return frozenset(s.toString(QKeySequence.SequenceFormat.PortableText) for s in sequences)


def unlisted_bindings(root: QWidget) -> list[str]:
    """Actions under `root` whose keys are not exactly one table entry's keys (drift)."""
    listed = {_portable(key_sequences(s)) for s in SHORTCUTS}
    problems = []
    for action in root.findChildren(QAction):
        keys = _portable(action.shortcuts())
        if keys and keys not in listed:
            problems.append(f"{action.text()!r}: {', '.join(sorted(keys))}")
    return problems


def unbound_entries(root: QWidget, scope: str = "main") -> list[str]:
    """Table entries of `scope` (and the "table" ones, when `root` holds a ticker table)
    no action under `root` is bound to (listed but dead)."""
    bound = {_portable(a.shortcuts()) for a in root.findChildren(QAction)}
    has_table = root.findChild(QWidget, "tickerTable") is not None
    scopes = {scope, "table"} if has_table else {scope}
    return [
        s.id for s in SHORTCUTS if s.scope in scopes and _portable(key_sequences(s)) not in bound
    ]


class ShortcutsDialog(QDialog):
    """Help > Keyboard shortcuts: non-modal, one row per table entry."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle("Keyboard shortcuts")
        self.setModal(False)
        self.table = QTableWidget(len(SHORTCUTS), 3, self)
        self.table.setHorizontalHeaderLabels(["Keys", "Command", "Area"])
        for row, shortcut in enumerate(SHORTCUTS):
            cells = (native_text(shortcut), shortcut.description, shortcut.group)
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                self.table.setItem(row, col, item)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)  # static
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.table.setWordWrap(False)
        self.resize(600, 560)

    def rows(self) -> list[tuple[str, str]]:
        """(keys, command) as shown, for tests and accessibility checks."""
        out = []
        for r in range(self.table.rowCount()):
            keys, command = self.table.item(r, 0), self.table.item(r, 1)
            out.append((keys.text() if keys else "", command.text() if command else ""))
        return out
