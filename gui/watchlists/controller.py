"""Wires a WatchlistSet to the one ticker table: the model shows the active list.

One TickerTableModel serves every tab (it drains the store's change set, which a second
model would then miss); switching tabs is one `set_symbols`. Row edits (add, remove, drag)
flow back into the active list. Lists and the active tab are written on every change
(docs/design.md, invariant 6). The model never watches the store: WatchlistSet owns the union.
Removing rows goes through `remove_symbols`, which Ctrl+Z undoes (gui.watchlists.undo).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from engine.market.store import MarketDataStore
from gui.settings.persistence import AppSettings
from gui.table.model import TickerTableModel
from gui.watchlists.book import DEFAULT_NAME, WatchlistSet
from gui.watchlists.tabs import WatchlistTabs
from gui.watchlists.undo import RemovalUndo
from gui.window.menus import Entry, Submenu


class WatchlistController(QObject):
    """Active list <-> table model, persistence; `union_changed` feeds the stream."""

    union_changed = Signal(list)  # every symbol of every list (what to subscribe)

    def __init__(
        self,
        model: TickerTableModel,
        settings: AppSettings,
        store: MarketDataStore,
        sort_order: Callable[[], Qt.SortOrder],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.lists = WatchlistSet(store, self)
        self.tabs = WatchlistTabs(self.lists, parent)
        self._model = model
        self._settings = settings
        self._sort_order = sort_order
        self._loaded = False
        self.undo = RemovalUndo(self.lists, self._put_back, self)
        self.undo_action = self.undo.action
        # Outcomes go where the tabs' go (the status bar).
        self.undo.message_shown.connect(self.tabs.message_shown)
        model.watchlist_changed.connect(self._on_model_watchlist_changed)
        self.lists.active_changed.connect(self._on_lists_active_changed)
        self.lists.lists_changed.connect(self.save)
        self.lists.union_changed.connect(self.union_changed)

    def restore(self, fallback: Sequence[str]) -> None:
        """Load the saved lists (old single list -> "Watchlist"), else one list of `fallback`."""
        saved = self._settings.watchlists()
        lists, active = saved if saved is not None else ([(DEFAULT_NAME, list(fallback))], 0)
        self.lists.load(lists, active)
        self._loaded = True
        self.save()

    def save(self) -> None:
        if self._loaded:  # not while load() replays its signals
            self._settings.set_watchlists(self.lists.lists(), self.lists.active())

    def union(self) -> list[str]:
        return self.lists.union()

    def _on_lists_active_changed(self, _index: int) -> None:
        self._model.set_symbols(self.lists.active_symbols())
        column = self._model.sort_column()
        if column >= 0:  # the header's sort applies to every tab
            # This tab's own order is what ending the sort returns to (issue 18 #9b).
            self._model.hand_order = self._model.symbols()
            self._model.sort_now(column, self._sort_order())

    def _on_model_watchlist_changed(self) -> None:
        self.lists.set_symbols(self.lists.active(), self._model.symbols())

    def remove_symbols(self, symbols: Sequence[str]) -> list[str]:
        """Remove `symbols` from the list shown, undoably (Ctrl+Z); returns those removed."""
        removal = self.undo.record(self.lists.active(), symbols, self._model.symbols())
        if removal is None:
            return []
        gone = removal.symbols()
        self._model.remove_symbols(gone)
        self.tabs.message_shown.emit(f"Removed {', '.join(gone)} (Ctrl+Z to undo)")
        return gone

    def _put_back(self, index: int, symbols: list[str]) -> None:
        self.set_list_symbols(index, symbols)
        column = self._model.sort_column()
        if column >= 0 and index == self.lists.active():  # a sorted table stays sorted
            self._model.sort_now(column, self._sort_order())

    def shortcut_actions(self) -> dict[str, QAction]:
        """gui.shortcuts ids -> this room's actions (the tabs' and Undo)."""
        return {**self.tabs.shortcut_actions(), "undo": self.undo_action}

    def set_list_symbols(self, index: int, symbols: Sequence[str]) -> None:
        """Replace list `index`'s symbols (a sync pulled from Alpaca); the table follows
        when it is the list shown."""
        self.lists.set_symbols(index, symbols)
        if index == self.lists.active() and self._model.symbols() != self.lists.active_symbols():
            self._model.set_symbols(self.lists.active_symbols())

    def add_to_list(self, index: int, symbols: Sequence[str]) -> list[str]:
        """Append symbols to list `index` (another tab); returns those not already there."""
        current = self.lists.symbols(index)
        new = [s for s in symbols if s not in current]
        if new:
            self.lists.set_symbols(index, current + new)
            if index == self.lists.active():
                self._model.set_symbols(self.lists.active_symbols())
        return new

    def fill_add_menu(self, menu: QMenu, symbols: Sequence[str]) -> None:
        """An "Add to watchlist" submenu: one entry per other list."""
        sub = menu.addMenu("Add to watchlist")
        self.fill_add_entries(sub, symbols)
        sub.setEnabled(len(self.lists.names()) > 1 and bool(symbols))

    def fill_add_entries(self, sub: QMenu, symbols: Sequence[str]) -> None:
        """`sub` refilled: one entry per other list, adding `symbols` to it."""
        sub.clear()
        others = [(i, n) for i, n in enumerate(self.lists.names()) if i != self.lists.active()]
        for index, name in others:
            action = sub.addAction(name)
            action.setEnabled(bool(symbols))
            action.triggered.connect(lambda _=False, i=index: self.add_to_list(i, list(symbols)))
        if not others:
            sub.addAction("No other watchlist").setEnabled(False)

    def menu_entries(
        self, row_actions: Sequence[QAction], selected: Callable[[], Sequence[str]]
    ) -> list[Entry]:
        """The Watchlists menu: the lists, the tab shown's own menu (its tab bar takes no
        focus), then what acts on the selected rows, as the row menu offers it."""
        tabs = self.tabs
        return [
            tabs.actions_for_menu(),
            Submenu("This watchlist", on_show=tabs.fill_active_tab_menu),
            None,
            list(row_actions),
            Submenu("Add to watchlist", on_show=lambda m: self.fill_add_entries(m, selected())),
        ]
