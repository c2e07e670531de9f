"""Keyboard-first table (issue 18): type a ticker to jump to its row, by symbol, and
open the row menu from the keyboard.

Qt's own type-ahead (QAbstractItemView.keyboardSearch) matches the current column's
text, so with the cursor in "Last" typing "nv" found nothing, or a price. Here typed
keys collect within the platform's keyboard input interval and match the row symbols,
in view order (sorted and filtered as shown).

The row menu (Remove, Add alert, Set position, ...) opens from the Menu key and
Shift+F10 at the current row (`open_row_menu`). Qt gives neither to a table: Shift+F10
is no context-menu key on X11, and the Menu key's context-menu event (measured on
6.12/xcb) goes to the view itself at a point in view coordinates, which the row menu's
handler reads as viewport coordinates, and past the row hold (gui.table.sort_hold).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import (
    QAbstractItemModel,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    Qt,
)
from PySide6.QtGui import QContextMenuEvent, QKeyEvent
from PySide6.QtWidgets import QApplication, QTableView

__all__ = ["TypeAhead", "is_menu_key", "open_row_menu", "select_symbol", "symbol_at"]

_MENU_INSET_PX = 12  # the menu opens this far into the current cell, below its row


class SymbolRows(Protocol):
    def symbols(self) -> list[str]: ...
    def row_of(self, symbol: str) -> int | None: ...
    def index(self, row: int, column: int) -> QModelIndex: ...


def _rows(view: QTableView) -> SymbolRows:
    return view.ticker_model  # type: ignore[attr-defined, no-any-return]


def symbol_at(view: QTableView, index: QModelIndex | QPersistentModelIndex) -> str | None:
    """The symbol of a view index's row (None: no row)."""
    if not index.isValid():
        return None
    row: int = view.model().mapToSource(index).row()  # type: ignore[attr-defined]
    symbols = _rows(view).symbols()
    return symbols[row] if 0 <= row < len(symbols) else None


def select_symbol(view: QTableView, symbol: str) -> bool:
    """Select and make current `symbol`'s row, keeping the current column; False: not shown."""
    rows = _rows(view)
    row = rows.row_of(symbol)
    if row is None:
        return False
    proxy: QAbstractItemModel = view.model()
    index = proxy.mapFromSource(rows.index(row, 0))  # type: ignore[attr-defined]
    if not index.isValid():
        return False
    column = max(0, view.currentIndex().column())
    view.setCurrentIndex(proxy.index(index.row(), column))
    view.selectRow(index.row())
    view.scrollTo(index)
    return True


def is_menu_key(event: QKeyEvent) -> bool:
    """The Menu key, or Shift+F10: the keyboard's "context menu"."""
    modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
    if event.key() == Qt.Key.Key_Menu:
        return modifiers == Qt.KeyboardModifier.NoModifier
    return event.key() == Qt.Key.Key_F10 and modifiers == Qt.KeyboardModifier.ShiftModifier


def open_row_menu(view: QTableView) -> bool:
    """Open the view's row menu from the keyboard, for and at the current row.

    The current row is made the selection unless it is part of it already (as a
    right-click on a row does), so the menu's actions act on it; with no current row
    the top row shown becomes current. The menu is asked for through the viewport, as
    the mouse's is, so the rows hold still while it is open; it opens just below the
    current cell's visible part. False: a popup is open already (the platform may send
    its own event for the same key press: never two menus), or nothing asked for one.
    """
    if QApplication.activePopupWidget() is not None:
        return False
    proxy = view.model()
    index = view.currentIndex()
    if not index.isValid() and proxy.rowCount() > 0:
        index = proxy.index(max(0, view.rowAt(0)), max(0, view.columnAt(0)))
        view.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.NoUpdate)
    viewport = view.viewport()
    pos = QPoint(0, 0)
    if index.isValid():
        selection = view.selectionModel()
        if not selection.isRowSelected(index.row(), index.parent()):
            flags = QItemSelectionModel.SelectionFlag
            selection.select(index, flags.ClearAndSelect | flags.Rows)
        view.scrollTo(index)
        cell = view.visualRect(index).intersected(viewport.rect())
        if not cell.isEmpty():
            pos = QPoint(cell.left() + min(_MENU_INSET_PX, cell.width() // 2), cell.bottom())
    reason = QContextMenuEvent.Reason.Keyboard
    event = QContextMenuEvent(reason, pos, viewport.mapToGlobal(pos))
    QApplication.sendEvent(viewport, event)
    return QApplication.activePopupWidget() is not None


class TypeAhead:
    """Keys typed in quick succession, matched as a symbol prefix."""

    def __init__(self, view: QTableView, clock: Callable[[], float] = time.monotonic) -> None:
        self._view = view
        self._clock = clock
        self.typed = ""
        self._at = float("-inf")

    def find(self, text: str) -> str | None:
        """Add `text` to the typed prefix (a fresh one after a pause) and return the first
        shown symbol starting with it; a key that matches nothing as a continuation
        starts a new prefix ("N", "V" then "X" finds X...)."""
        key = text.strip().upper()
        if not key:
            return None
        now = self._clock()
        if now - self._at > QApplication.keyboardInputInterval() / 1000:
            self.typed = ""
        self._at = now
        self.typed += key
        symbol = self._first(self.typed)
        if symbol is None and self.typed != key:
            symbol = self._first(key)
            if symbol is not None:
                self.typed = key
        return symbol

    def _first(self, prefix: str) -> str | None:
        view = self._view
        proxy = view.model()
        symbols = _rows(view).symbols()
        for row in range(proxy.rowCount()):
            source: int = proxy.mapToSource(proxy.index(row, 0)).row()  # type: ignore[attr-defined]
            if 0 <= source < len(symbols) and symbols[source].startswith(prefix):
                return symbols[source]
        return None
