"""Keyboard-first table (issue 18): type a ticker to jump to its row, by symbol.

Qt's own type-ahead (QAbstractItemView.keyboardSearch) matches the current column's
text, so with the cursor in "Last" typing "nv" found nothing, or a price. Here typed
keys collect within the platform's keyboard input interval and match the row symbols,
in view order (sorted and filtered as shown).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex
from PySide6.QtWidgets import QApplication, QTableView

__all__ = ["TypeAhead", "select_symbol", "symbol_at"]


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
