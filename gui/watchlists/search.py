"""Symbol search in the add-symbols field: a popup of "AAPL  Apple Inc." rows while typing.

The field holds several symbols ("AAPL, MSFT nvda"); the popup completes only the token
under the cursor and never takes the keyboard: the field keeps focus and every key it
does not use goes on to the field (QCompleter forwards them). With the popup open:
Up/Down/PageUp/PageDown choose, Tab completes the token (and adds ", " at the end so the
next symbol can follow), Enter completes it and adds what the field holds, Escape closes
the popup, a click completes. The ranking is the asset list's
(engine.account.assets.AssetList.search); the popup only shows it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    Qt,
)
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QCompleter, QLineEdit, QWidget

from engine.account.models import Asset

__all__ = ["SYMBOL_ROLE", "SearchFn", "SymbolField", "SymbolSearchModel", "replace_token",
           "token_at"]  # fmt: skip

SYMBOL_ROLE = Qt.ItemDataRole.UserRole + 1
POPUP_MIN_WIDTH = 360  # px: room for "GOOGL  Alphabet Inc. Class A Common Stock"
VISIBLE_ROWS = 10
# The separators engine.config.parse_symbols splits on.
_SEPARATOR = re.compile(r"[\s,;]")
_NAV_KEYS = {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1, Qt.Key.Key_PageUp: -5,
             Qt.Key.Key_PageDown: 5}  # fmt: skip
_CLOSING_KEYS = {Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Home, Qt.Key.Key_End}

# query -> the best assets, best first (empty: no list, nothing to show)
SearchFn = Callable[[str], Sequence[Asset]]


def token_at(text: str, cursor: int) -> tuple[int, int]:
    """[start, end) of the token under (or just before) the cursor; empty between
    separators."""
    cursor = max(0, min(cursor, len(text)))
    start = cursor
    while start > 0 and not _SEPARATOR.match(text[start - 1]):
        start -= 1
    end = cursor
    while end < len(text) and not _SEPARATOR.match(text[end]):
        end += 1
    return start, end


def replace_token(text: str, cursor: int, symbol: str, *, more: bool) -> tuple[str, int]:
    """`text` with the token under the cursor replaced by `symbol`, and the new cursor.
    `more`: at the end of the text, add ", " so the next symbol can be typed at once."""
    start, end = token_at(text, cursor)
    tail = text[end:]
    insert = symbol + (", " if more and not tail.strip() else "")
    if more and not tail.strip():
        tail = ""
    return text[:start] + insert + tail, start + len(insert)


class SymbolSearchModel(QAbstractListModel):
    """The popup's rows: one asset each, shown as "AAPL  Apple Inc."."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[Asset] = []

    def set_matches(self, assets: Sequence[Asset]) -> None:
        self.beginResetModel()
        self.rows = list(assets)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        asset = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{asset.symbol}  {asset.name}" if asset.name else asset.symbol
        if role == SYMBOL_ROLE:
            return asset.symbol
        if role == Qt.ItemDataRole.ToolTipRole:
            where = f" ({asset.exchange})" if asset.exchange else ""
            return f"{asset.symbol}: {asset.name}{where}"
        return None


class SymbolField(QLineEdit):
    """The add-symbols line edit with its search popup (`search` None: a plain field)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search: SearchFn | None = None
        self.model = SymbolSearchModel(self)
        self.suggester = QCompleter(self.model, self)
        self.suggester.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.suggester.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.suggester.setMaxVisibleItems(VISIBLE_ROWS)
        # setWidget, not QLineEdit.setCompleter: that one would replace the whole text
        # on a choice, and the field holds several symbols.
        self.suggester.setWidget(self)
        # The QModelIndex overload of activated (the str one carries the display text);
        # PySide6's stubs do not type overload indexing.
        self.suggester.activated[QModelIndex].connect(self._on_activated)  # type: ignore[index]
        popup = self.suggester.popup()  # made here, so never None
        assert popup is not None
        self.popup: QAbstractItemView = popup
        popup.setObjectName("symbolSearchPopup")
        popup.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.textEdited.connect(self._on_edited)
        self.searches = 0  # popup updates, for tests and the benchmark's sanity

    # --- the popup -----------------------------------------------------------------------

    def popup_visible(self) -> bool:
        return self.popup.isVisible()

    def current_symbol(self) -> str | None:
        """The highlighted row's symbol while the popup is open."""
        if not self.popup_visible():
            return None
        symbol = self.popup.currentIndex().data(SYMBOL_ROLE)
        return symbol if isinstance(symbol, str) else None

    def hide_popup(self) -> None:
        if self.popup_visible():
            self.popup.hide()

    def refresh_popup(self) -> None:
        """Search the token under the cursor again (e.g. a list just loaded)."""
        self._on_edited(self.text())

    def _on_edited(self, _text: str) -> None:
        start, end = token_at(self.text(), self.cursorPosition())
        query = self.text()[start:end]
        matches = self.search(query) if self.search is not None and query else ()
        if not matches or not self.isEnabled():
            self.model.set_matches(())
            self.hide_popup()
            return
        self.searches += 1
        self.model.set_matches(matches)
        width = max(self.width(), POPUP_MIN_WIDTH)
        self.suggester.complete(QRect(0, 0, width, self.height()))
        # The best match is highlighted: Enter or Tab takes it without a Down first.
        self.popup.setCurrentIndex(self.suggester.completionModel().index(0, 0))

    def _complete(self, symbol: str, *, more: bool) -> None:
        text, cursor = replace_token(self.text(), self.cursorPosition(), symbol, more=more)
        self.setText(text)  # setText does not emit textEdited: no new search
        self.setCursorPosition(cursor)

    def _on_activated(self, index: QModelIndex) -> None:  # a click on a row
        symbol = index.data(SYMBOL_ROLE)
        self.hide_popup()
        if isinstance(symbol, str):
            self._complete(symbol, more=True)
        self.setFocus()

    def _move(self, step: int) -> None:
        popup, model = self.popup, self.popup.model()
        rows = model.rowCount()
        if rows == 0:
            return
        row = popup.currentIndex().row()
        row = 0 if row < 0 else max(0, min(rows - 1, row + step))
        popup.setCurrentIndex(model.index(row, 0))

    # --- keys (from the popup's QCompleter filter or straight to the field) ---------------

    def event(self, e: QEvent) -> bool:
        # Tab moves the focus in QWidget.event, before keyPressEvent: take it first.
        if e.type() == QEvent.Type.KeyPress and isinstance(e, QKeyEvent):
            plain = e.modifiers() in (Qt.KeyboardModifier.NoModifier,)
            symbol = self.current_symbol()
            if e.key() == Qt.Key.Key_Tab and plain and symbol is not None:
                self.hide_popup()
                self._complete(symbol, more=True)
                e.accept()
                return True
        return super().event(e)

    def keyPressEvent(self, e: QKeyEvent) -> None:
        if self.popup_visible():
            key = e.key()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                symbol = self.current_symbol()
                self.hide_popup()
                if symbol is not None:
                    self._complete(symbol, more=False)
                super().keyPressEvent(e)  # returnPressed: the bar adds what the field holds
                e.accept()
                return
            if key == Qt.Key.Key_Escape:
                self.hide_popup()
                e.accept()
                return
            if key in _NAV_KEYS:
                self._move(_NAV_KEYS[Qt.Key(key)])
                e.accept()
                return
            if key in _CLOSING_KEYS:
                self.hide_popup()
        super().keyPressEvent(e)
