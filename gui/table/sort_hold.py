"""Rows hold still under the pointer (issue 18 #1), and the hand-made order helpers (#9b).

`RowHold` watches a TickerView's viewport: while the pointer is over it, or a context
menu it opened is showing, the model's ~1 Hz re-sort is held (TickerTableModel.hold_sort),
so a click or a menu acts on the row the user aimed at. When the pointer leaves (and
no menu is open) the rows re-sort at once, and the rows that moved are named to the
view, which highlights them briefly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QWidget

__all__ = ["RowHold", "float_over", "moved_symbols", "restore_order"]


class HoldableModel(Protocol):
    def hold_sort(self, held: bool) -> None: ...
    def symbols(self) -> list[str]: ...


def restore_order(hand: Sequence[str], current: Sequence[str]) -> list[str]:
    """`current`'s symbols in the hand-made order `hand`; symbols added since the sort
    began keep their relative place at the end (they have no hand-made place)."""
    present = set(current)
    known = set(hand)
    return [s for s in hand if s in present] + [s for s in current if s not in known]


def moved_symbols(before: Sequence[str], after: Sequence[str]) -> list[str]:
    """Symbols whose row changed between two orders of the same rows."""
    rows = {symbol: row for row, symbol in enumerate(before)}
    return [s for row, s in enumerate(after) if rows.get(s, row) != row]


class RowHold(QObject):
    """Holds the re-sort while the pointer is over `viewport` or a menu of it is open."""

    def __init__(
        self,
        viewport: QWidget,
        model: HoldableModel,
        on_moved: Callable[[list[str]], None],
    ) -> None:
        super().__init__(viewport)
        self._model = model
        self._on_moved = on_moved
        self._holders: set[str] = set()
        self._menu: QWidget | None = None
        viewport.installEventFilter(self)

    @property
    def held(self) -> bool:
        return bool(self._holders)

    def hold(self, who: str) -> None:
        if not self._holders:
            self._model.hold_sort(True)
        self._holders.add(who)

    def release(self, who: str) -> None:
        if who not in self._holders:
            return
        self._holders.discard(who)
        if self._holders:
            return
        before = self._model.symbols()
        self._model.hold_sort(False)  # re-sorts now if a sort column is set
        moved = moved_symbols(before, self._model.symbols())
        if moved:
            self._on_moved(moved)

    def around_context_menu(self, handle: Callable[[], bool]) -> bool:
        """Run the view's context-menu handling with the rows held; they stay held while
        the popup it opened (non-modal: menu.popup) is showing."""
        self.hold("menu")
        try:
            handled = handle()
        finally:
            popup = QApplication.activePopupWidget()
            if popup is not None and popup.isVisible():
                self._menu = popup
                popup.installEventFilter(self)
            else:
                self.release("menu")
        return handled

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if watched is self._menu:
            if kind == QEvent.Type.Hide:
                watched.removeEventFilter(self)
                self._menu = None
                self.release("menu")
            return False
        if kind == QEvent.Type.Enter:
            self.hold("pointer")
        elif kind == QEvent.Type.Leave or kind == QEvent.Type.Hide:
            self.release("pointer")
        return False


def float_over(table: QWidget, banner: QWidget) -> None:
    """Take an alert banner (gui.alerts.notify.AlertBanner) out of the layout above the
    table and float it over the top rows: a banner that pushed the table down moved
    every row under the pointer (issue 18 #1)."""
    parent = banner.parentWidget()
    layout = parent.layout() if parent is not None else None
    if layout is not None:
        layout.removeWidget(banner)
    banner.setParent(table)
    banner._overlay = True  # type: ignore[attr-defined]  # its mode without a layout
    banner.hide()
