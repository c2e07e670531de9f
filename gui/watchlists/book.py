"""Several named watchlists over one stream: the single owner of the union the store watches.

Alpaca allows one stream connection per account, so every list is served by the same
subscription: the UNION of all lists. A symbol may sit in several lists; removing it from
one only unwatches it when no other list still holds it. The table models therefore never
watch/unwatch the store themselves (TickerTableModel(watch_store=False)); this object does,
and `union_changed` carries the union to the session (StreamClient.set_symbols, whose own
store.watch/unwatch of the same difference is then a no-op).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Signal

from engine.market.store import MarketDataStore

DEFAULT_NAME = "Watchlist"
MAX_NAME_LENGTH = 40


@dataclass(slots=True)
class Watchlist:
    """One named list of normalised symbols in the user's order."""

    name: str
    symbols: list[str] = field(default_factory=list)


def _normalised(symbols: Sequence[str]) -> list[str]:
    # Same keys as MarketDataStore.watch and TickerTableModel (stripped, upper-case, unique).
    return list(dict.fromkeys(s for s in (raw.strip().upper() for raw in symbols) if s))


class WatchlistSet(QObject):
    """Named lists (at least one), the active one, and the union of all of them.

    Invariant: with a store, `store` watches exactly `union()` (plus whatever others watch).
    """

    lists_changed = Signal()  # names, order or any list's symbols changed: persist
    active_changed = Signal(int)  # the active list's index
    union_changed = Signal(list)  # the set of all symbols changed; carries union()
    # The stream's priority order changed (a tab switch, an add, a removal, a reorder of
    # rows or tabs): the symbol budget splits it again (gui.watchlists.budget).
    priority_changed = Signal()
    renamed = Signal(str, str)  # old name, new name (a synced tab follows: gui.watchlists.sync)
    removed = Signal(str)  # the deleted list's name

    def __init__(self, store: MarketDataStore | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._lists: list[Watchlist] = [Watchlist(DEFAULT_NAME)]
        self._active = 0
        self._union: list[str] = []

    # --- queries ------------------------------------------------------------------------

    def count(self) -> int:
        return len(self._lists)

    def names(self) -> list[str]:
        return [wl.name for wl in self._lists]

    def symbols(self, index: int) -> list[str]:
        """The symbols of list `index` (a copy); [] for an index out of range."""
        return list(self._lists[index].symbols) if 0 <= index < len(self._lists) else []

    def lists(self) -> list[tuple[str, list[str]]]:
        """(name, symbols) per list in tab order (copies): what persistence stores."""
        return [(wl.name, list(wl.symbols)) for wl in self._lists]

    def active(self) -> int:
        return self._active

    def active_symbols(self) -> list[str]:
        return self.symbols(self._active)

    def index_of(self, name: str) -> int | None:
        for i, wl in enumerate(self._lists):
            if wl.name == name:
                return i
        return None

    def union(self) -> list[str]:
        """Every symbol of every list, once, in first-seen order (tab order, then row order)."""
        return list(self._union)

    def priority(self) -> list[str]:
        """Every symbol once, in the order the stream's symbol budget serves them: the
        active (visible) list in row order, then the other lists in tab order."""
        others = (s for i, wl in enumerate(self._lists) if i != self._active for s in wl.symbols)
        return list(dict.fromkeys([*self._lists[self._active].symbols, *others]))

    def unique_name(self, base: str = DEFAULT_NAME) -> str:
        """`base`, else "base 2", "base 3", … whichever no list uses yet."""
        taken = {wl.name.casefold() for wl in self._lists}
        if base.casefold() not in taken:
            return base
        n = 2
        while f"{base} {n}".casefold() in taken:
            n += 1
        return f"{base} {n}"

    def name_problem(self, name: str, index: int | None = None) -> str | None:
        """Why `name` cannot name list `index` (None: a new list), or None when it can."""
        text = name.strip()
        if not text:
            return "A watchlist needs a name"
        if len(text) > MAX_NAME_LENGTH:
            return f"Name too long ({len(text)} characters; at most {MAX_NAME_LENGTH})"
        for i, wl in enumerate(self._lists):
            if i != index and wl.name.casefold() == text.casefold():
                return f"There is already a watchlist named \u201c{wl.name}\u201d"
        return None

    # --- changes ------------------------------------------------------------------------

    def load(self, lists: Sequence[tuple[str, Sequence[str]]], active: int = 0) -> None:
        """Replace everything (restore from settings); bad or duplicate names get fixed ones."""
        self._lists = []
        for name, symbols in lists:
            clean = name.strip()[:MAX_NAME_LENGTH]
            if self.name_problem(clean) is not None:
                clean = self.unique_name(clean or DEFAULT_NAME)
            self._lists.append(Watchlist(clean, _normalised(symbols)))
        if not self._lists:
            self._lists.append(Watchlist(DEFAULT_NAME))
        self._active = min(max(active, 0), len(self._lists) - 1)
        self._changed()
        self.active_changed.emit(self._active)

    def set_symbols(self, index: int, symbols: Sequence[str]) -> None:
        """Replace list `index`'s symbols (the table's rows after an add/remove/move)."""
        if not 0 <= index < len(self._lists):
            return
        wanted = _normalised(symbols)
        if wanted != self._lists[index].symbols:
            self._lists[index].symbols = wanted
            self._changed()

    def add_list(self, name: str | None = None, symbols: Sequence[str] = ()) -> int:
        """Append a list (a unique default name when `name` is None or taken); returns its index."""
        chosen = name.strip() if name is not None else ""
        if not chosen or self.name_problem(chosen) is not None:
            chosen = self.unique_name(chosen[:MAX_NAME_LENGTH] or DEFAULT_NAME)
        self._lists.append(Watchlist(chosen, _normalised(symbols)))
        self._changed()
        return len(self._lists) - 1

    def rename(self, index: int, name: str) -> str | None:
        """Rename list `index`; returns why not (and changes nothing), or None when done."""
        if not 0 <= index < len(self._lists):
            return "No such watchlist"
        problem = self.name_problem(name, index)
        if problem is None and self._lists[index].name != name.strip():
            old = self._lists[index].name
            self._lists[index].name = name.strip()
            self._changed()
            self.renamed.emit(old, name.strip())
        return problem

    def remove_list(self, index: int) -> bool:
        """Delete list `index`; the last remaining list cannot be deleted."""
        if len(self._lists) <= 1 or not 0 <= index < len(self._lists):
            return False
        name = self._lists.pop(index).name
        if index < self._active or self._active >= len(self._lists):
            self._active -= 1
        self._changed()
        self.removed.emit(name)
        self.active_changed.emit(self._active)  # the list shown may be another one now
        return True

    def move_list(self, src: int, dst: int) -> None:
        """Move one list to index `dst` (tab drag); the active list stays active."""
        count = len(self._lists)
        if not (0 <= src < count and 0 <= dst < count) or src == dst:
            return
        active = self._lists[self._active]
        self._lists.insert(dst, self._lists.pop(src))
        self._active = self._lists.index(active)
        self._changed()

    def set_active(self, index: int) -> None:
        if 0 <= index < len(self._lists) and index != self._active:
            self._active = index
            self.lists_changed.emit()  # the active tab is persisted too
            self.active_changed.emit(index)
            self.priority_changed.emit()

    def step_active(self, step: int) -> None:
        """Next (+1) / previous (-1) list, wrapping around (Ctrl+Tab / Ctrl+Shift+Tab)."""
        self.set_active((self._active + step) % len(self._lists))

    def _changed(self) -> None:
        union = list(dict.fromkeys(s for wl in self._lists for s in wl.symbols))
        old, new = set(self._union), set(union)
        self._union = union
        if self._store is not None:
            self._store.watch([s for s in union if s not in old])
            self._store.unwatch(sorted(old - new))
        self.lists_changed.emit()
        if old != new:
            self.union_changed.emit(union)
        self.priority_changed.emit()
