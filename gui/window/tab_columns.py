"""Position columns per watchlist tab: shown where the tab holds a position, else hidden.

The columns (Mkt value, Day P&L, Total P&L) only say "—" on a tab with no position, so a
tab starts without them (issue 18, #6) and one with a position starts with them. Where
the user shows or hides them by hand on a tab, that choice is remembered for the tab
(by name) and saved with the layouts. Done through the view's own column visibility
API (`TickerView.set_column_visible`), from outside gui.table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtCore import QObject

from gui.positions.book import POSITION_COLUMN_KEYS
from gui.settings.layouts_store import LayoutsStore
from gui.table import header_layout as hl
from gui.table.columns import COLUMN_INDEX
from gui.table.view import TickerView
from gui.watchlists.book import WatchlistSet

POSITION_COLUMNS = tuple(COLUMN_INDEX[key] for key in POSITION_COLUMN_KEYS)


def header_text(view: TickerView) -> str:
    """The view's column order, widths and visibility as a layout's JSON (by key)."""
    keys = [column.key for column in view.ticker_model.columns]
    return hl.capture(view.horizontalHeader(), keys, {}).to_json()


def apply_header_text(view: TickerView, text: str | None) -> None:
    """`text` (from `header_text`) on the view; None or a bad one: the default columns
    (order, widths from typical values, the default-hidden ones hidden)."""
    keys = [column.key for column in view.ticker_model.columns]
    hidden = view.default_hidden()
    layout, _problems = hl.parse_layout(text) if text else (None, [])
    if layout is None:
        view.size_columns_to_samples()
        layout = hl.HeaderLayout(tuple(keys), hidden)
    hl.apply(view.horizontalHeader(), hl.reconcile(layout, keys, hidden), keys)


def leading_width(view: TickerView, last_key: str) -> int:
    """Pixels the view needs to show its visible columns up to `last_key` (visual order),
    with its frame and a vertical scroll bar: what the default dock sizes leave it."""
    header = view.horizontalHeader()
    last = COLUMN_INDEX[last_key]
    width = 0
    for visual in range(header.visualIndex(last) + 1):
        logical = header.logicalIndex(visual)
        if not header.isSectionHidden(logical):
            width += header.sectionSize(logical)
    return width + 2 * view.frameWidth() + view.verticalScrollBar().sizeHint().width()


def shows_positions(view: TickerView) -> bool:
    header = view.horizontalHeader()
    return any(not header.isSectionHidden(i) for i in POSITION_COLUMNS)


def set_positions_shown(view: TickerView, shown: bool) -> None:
    header = view.horizontalHeader()
    for column in POSITION_COLUMNS:
        if header.isSectionHidden(column) == shown:  # only what changes: each call saves
            view.set_column_visible(column, shown)


class PositionColumnsByTab(QObject):
    """Applies the position columns' default per tab on every tab switch."""

    def __init__(
        self,
        view: TickerView,
        lists: WatchlistSet,
        book: Callable[[], Mapping[str, object]],
        store: LayoutsStore,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._view = view
        self._lists = lists
        self._book = book
        self._store = store
        self.choices: dict[str, bool] = store.position_columns()  # tab name -> shown
        self._shown_tab: str | None = None
        self._started = False  # not before the saved header layout is restored (apply)
        self._applied: tuple[object, bool] = (None, False)  # (book, shown) at the last apply
        lists.active_changed.connect(self._on_active_changed)
        lists.renamed.connect(self._on_renamed)
        lists.removed.connect(self._on_removed)

    def default_for(self, index: int) -> bool:
        book = self._book()
        return any(symbol in book for symbol in self._lists.symbols(index))

    def apply(self) -> None:
        """Show or hide the columns for the active tab (its choice, else its default)."""
        self._started = True
        index = self._lists.active()
        name = self._lists.names()[index]
        shown = self.choices.get(name, self.default_for(index))
        set_positions_shown(self._view, shown)
        self._shown_tab = name
        self._applied = (self._book(), shown)

    def remember(self) -> None:
        """The tab shown keeps its columns as the user left them, where not the default."""
        name = self._shown_tab
        index = self._lists.index_of(name) if name is not None else None
        if name is None or index is None:
            return
        shown = shows_positions(self._view)
        book, applied = self._applied
        if self._book() is not book or shown == applied:
            # Unchanged, or the book changed since (gui.positions shows the columns for a
            # first position): not a choice the user made on this tab.
            return
        before = dict(self.choices)
        if shown == self.default_for(index):
            self.choices.pop(name, None)
        else:
            self.choices[name] = shown
        if self.choices != before:
            self._store.set_position_columns(self.choices)

    def pause(self) -> None:
        """Forget which tab is shown: a layout being applied must not be taken for the
        user's choice on the tab shown before it."""
        self._shown_tab = None

    def set_choices(self, choices: Mapping[str, bool]) -> None:
        """A restored layout's choices; applied to the tab shown now."""
        self.choices = {str(k): v for k, v in choices.items() if isinstance(v, bool)}
        self._store.set_position_columns(self.choices)
        self.apply()

    def _on_active_changed(self, _index: int) -> None:
        if not self._started:
            return
        self.remember()
        self.apply()

    def _on_renamed(self, old: str, new: str) -> None:
        if old in self.choices:
            self.choices[new] = self.choices.pop(old)
            self._store.set_position_columns(self.choices)
        if self._shown_tab == old:
            self._shown_tab = new

    def _on_removed(self, name: str) -> None:
        if self.choices.pop(name, None) is not None:
            self._store.set_position_columns(self.choices)
        if self._shown_tab == name:
            self._shown_tab = None
