"""Undo for symbol removal: Delete is no longer a lossy action (issue 18, #9a).

Each removal is remembered as (list name, [(row, symbol), ...]) in a bounded stack; Ctrl+Z
(Edit > Undo) puts the most recent one back, each symbol at its row in its tab (the tab is
shown, since the user is undoing something they did there). Only the row comes back:
everything else kept per symbol (positions, alerts: gui.positions, engine.alerts) never
left, because removing a row does not touch them. Renamed lists are followed by name;
a deleted list takes its removals with it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence

from gui.watchlists.book import WatchlistSet

MAX_UNDO = 50  # removals remembered (bounded: docs/design.md)


@dataclass(slots=True)
class Removal:
    """Symbols taken out of one list, with the row each had."""

    list_name: str
    rows: list[tuple[int, str]]

    def symbols(self) -> list[str]:
        return [s for _, s in self.rows]


def restored(current: Sequence[str], rows: Sequence[tuple[int, str]]) -> list[str]:
    """`current` with each (row, symbol) put back at its row (lowest row first, so each
    lands where it was); a symbol already back in the list stays where it is."""
    out = list(current)
    for row, symbol in sorted(rows):
        if symbol not in out:
            out.insert(min(row, len(out)), symbol)
    return out


class RemovalUndo(QObject):
    """The stack of removals and the Undo action."""

    message_shown = Signal(str)

    def __init__(
        self,
        lists: WatchlistSet,
        put_back: Callable[[int, list[str]], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.lists = lists
        self._put_back = put_back  # (list index, its new symbols)
        self.stack: deque[Removal] = deque(maxlen=MAX_UNDO)
        self.action = QAction("Undo", self)
        self.action.setShortcut(QKeySequence.StandardKey.Undo)
        self.action.triggered.connect(self.undo)
        lists.renamed.connect(self._on_renamed)
        lists.removed.connect(self._on_list_removed)
        self._update_action()

    def record(
        self, index: int, symbols: Sequence[str], order: Sequence[str] | None = None
    ) -> Removal | None:
        """Remember that `symbols` are about to leave list `index` (call before removing);
        `order`: the list as shown (a sorted table's order), else the list's own order."""
        current = list(order) if order is not None else self.lists.symbols(index)
        rows = [(current.index(s), s) for s in dict.fromkeys(symbols) if s in current]
        if not rows:
            return None
        removal = Removal(self.lists.names()[index], rows)
        self.stack.append(removal)
        self._update_action()
        return removal

    def undo(self) -> list[str]:
        """Put the last removal back; returns the symbols restored."""
        if not self.stack:
            self.message_shown.emit("Nothing to undo")
            return []
        removal = self.stack.pop()
        self._update_action()
        index = self.lists.index_of(removal.list_name)
        if index is None:  # cannot happen while removals follow renames and deletions
            self.message_shown.emit(f"Watchlist \u201c{removal.list_name}\u201d no longer exists")
            return []
        current = self.lists.symbols(index)
        back = [s for s in removal.symbols() if s not in current]
        self.lists.set_active(index)
        self._put_back(index, restored(current, removal.rows))
        names = ", ".join(back) if back else ", ".join(removal.symbols())
        where = f" to \u201c{removal.list_name}\u201d" if self.lists.count() > 1 else ""
        self.message_shown.emit(f"Restored {names}{where}" if back else f"{names}: already back")
        return back

    def _update_action(self) -> None:
        last = self.stack[-1] if self.stack else None
        self.action.setEnabled(last is not None)
        if last is None:
            self.action.setText("Undo")
            return
        names = last.symbols()
        shown = ", ".join(names[:3]) + (f" (+{len(names) - 3})" if len(names) > 3 else "")
        self.action.setText(f"Undo remove {shown}")

    def _on_renamed(self, old: str, new: str) -> None:
        for removal in self.stack:
            if removal.list_name == old:
                removal.list_name = new

    def _on_list_removed(self, name: str) -> None:
        kept = [r for r in self.stack if r.list_name != name]
        if len(kept) != len(self.stack):
            self.stack = deque(kept, maxlen=MAX_UNDO)
            self._update_action()
