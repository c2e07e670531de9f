"""Rows hold still under the pointer (issue 18 #1), and the hand-made order helpers (#9b).

`RowHold` watches a TickerView's viewport: while the pointer is over it, or a context
menu it opened is showing, the model's ~1 Hz re-sort is held (TickerTableModel.hold_sort),
so a click or a menu acts on the row the user aimed at. Each view's RowHold is its own
holder on the model: with two views on one model (two windows), the pointer leaving one
does not release the hold the other still has. When the last holder lets go the rows
re-sort at once, and every view on the model highlights the rows that moved, briefly
(`MovedHighlight`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import shiboken6
from PySide6.QtCore import QEvent, QObject, QTimer, SignalInstance
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QApplication, QTableView, QWidget

__all__ = [
    "MovedHighlight",
    "RowHold",
    "float_over",
    "live_holders",
    "moved_symbols",
    "restore_order",
]

MOVED_HIGHLIGHT_MS = 1200  # how long rows that moved in a re-sort stay marked


class HoldableModel(Protocol):
    @property
    def sort_released(self) -> SignalInstance: ...
    def hold_sort(self, held: bool, holder: object = None) -> None: ...
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


def live_holders(holders: set[object]) -> set[object]:
    """`holders` without the views whose Qt object is gone (in place; returned)."""
    holders -= {h for h in holders if isinstance(h, QObject) and not shiboken6.isValid(h)}
    return holders


class RowHold(QObject):
    """Holds the re-sort while the pointer is over `viewport` or a menu of it is open;
    `on_moved` gets the rows a re-sort moved when the model's last holder let go."""

    def __init__(
        self,
        viewport: QWidget,
        model: HoldableModel,
        on_moved: Callable[[list[str]], None],
    ) -> None:
        super().__init__(viewport)
        self._model = model
        self._on_moved = on_moved
        self._holders: set[str] = set()  # why this view holds: "pointer", "menu"
        self._menu: QWidget | None = None
        # This view's token on the model is this QObject: once Qt has destroyed it (its
        # view gone without a Leave), the model drops it (live_holders). Qt's destroyed
        # signal is not relied on: during a parent's destruction it may never reach Python.
        self._token = self
        model.sort_released.connect(self._on_released)
        viewport.installEventFilter(self)

    @property
    def held(self) -> bool:
        return bool(self._holders)

    def hold(self, who: str) -> None:
        if not self._holders:
            self._model.hold_sort(True, self._token)
        self._holders.add(who)

    def release(self, who: str) -> None:
        if who not in self._holders:
            return
        self._holders.discard(who)
        if not self._holders:
            # Re-sorts now if no other view holds (model.sort_released: every view marks
            # the rows that moved).
            self._model.hold_sort(False, self._token)

    def _on_released(self, before: list[str]) -> None:
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


class MovedHighlight(QObject):
    """Rows a re-sort moved, marked for MOVED_HIGHLIGHT_MS so the eye finds where they
    went; `paint` draws the marks over the view's viewport after its own paint."""

    def __init__(self, view: QTableView, ms: int = MOVED_HIGHLIGHT_MS) -> None:
        super().__init__(view)
        self._view = view
        self.symbols: set[str] = set()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(ms)
        self._timer.timeout.connect(self._end)

    def show(self, symbols: list[str]) -> None:
        self.symbols = set(symbols)
        self._timer.start()
        self._view.viewport().update()

    def _end(self) -> None:
        self.symbols = set()
        self._view.viewport().update()

    def paint(self, row_of: Callable[[str], int | None]) -> None:
        """Mark each moved symbol's row; `row_of` gives its row in the view (None: not shown)."""
        if not self.symbols:
            return
        view = self._view
        painter = QPainter(view.viewport())
        colour = QColor(view.palette().highlight().color())
        colour.setAlpha(70)
        width = view.viewport().width()
        for symbol in self.symbols:
            row = row_of(symbol)
            if row is not None:
                painter.fillRect(
                    0, view.rowViewportPosition(row), width, view.rowHeight(row), colour
                )
        painter.end()


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
