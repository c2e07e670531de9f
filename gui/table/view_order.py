"""Keyboard-first ordering of a ticker table (issue 18): sort, end a sort, move rows and
columns without the mouse (docs/keyboard.md).

A header click was the only way to sort, and a drag the only way to reorder rows or
columns. `TableOrder` gives each TickerView the same commands as actions bound from the
one key table (gui.shortcuts): Sort by (a menu: each shown column, and "Hand-made order",
which ends the sort as the third header click does, gui.table.sort), Reverse the sort
order, Move row up / down (in the hand-made order only: while a sort is on, the row's
place is the sort's, and that is said in words rather than doing nothing silently),
Move column left / right (the current column, past hidden ones).

Sorting goes through the header's sort indicator, exactly as a click does, so the view,
the saved layout (gui.table.view_layout) and the hand-made order all follow one path.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu, QTableView

from gui.formatting import menu_text
from gui.shortcuts import apply_shortcuts
from gui.table.column_types import ColumnDef
from gui.table.view_keys import select_symbol, symbol_at

__all__ = ["HAND_MADE", "TableOrder"]

HAND_MADE = "Hand-made order"


class OrderedRows(Protocol):
    columns: tuple[ColumnDef, ...]

    def symbols(self) -> list[str]: ...
    def sort_column(self) -> int: ...
    def move_row(self, src: int, dst: int) -> None: ...


class TableOrder(QObject):
    """The ordering commands of one view (module docstring); `message_shown` says in words
    why a command did nothing (the window shows it in its status bar)."""

    message_shown = Signal(str)

    def __init__(self, view: QTableView, model: OrderedRows) -> None:
        super().__init__(view)
        self._view = view
        self._model = model
        self.reverse_action = self._action("Reverse sort order", self.reverse)
        self.move_up_action = self._action("Move row up", lambda: self.move_row(-1))
        self.move_down_action = self._action("Move row down", lambda: self.move_row(1))
        self.move_left_action = self._action("Move column left", lambda: self.move_column(-1))
        self.move_right_action = self._action("Move column right", lambda: self.move_column(1))
        self.row_actions = [self.move_up_action, self.move_down_action]
        self.column_actions = [self.move_left_action, self.move_right_action]
        apply_shortcuts(self.shortcut_actions())  # keys from the one table (gui.shortcuts)

    def _action(self, text: str, slot: object) -> QAction:
        action = QAction(text, self._view)
        # The table's keys: Ctrl+Shift+arrows edit text in the add field, so they act
        # only with the table focused (or from a menu).
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(slot)
        self._view.addAction(action)
        return action

    def shortcut_actions(self) -> dict[str, QAction]:
        return {
            "reverse_sort": self.reverse_action,
            "move_row_up": self.move_up_action,
            "move_row_down": self.move_down_action,
            "move_column_left": self.move_left_action,
            "move_column_right": self.move_right_action,
        }

    # --- sorting ------------------------------------------------------------------------

    def sort_column(self) -> int:
        return self._model.sort_column()

    def sort_by(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by `column` (-1: end the sort, the hand-made order back), as a header click
        does: the view sets the sort indicator and hands the sort to the model (it sorts
        even when the indicator already showed this column, e.g. after a drag ended the
        model's sort)."""
        self._view.sortByColumn(column, order)

    def end_sort(self) -> None:
        self.sort_by(-1)

    def reverse(self) -> None:
        column = self.sort_column()
        if column < 0:
            self.message_shown.emit(
                "Not sorted: nothing to reverse (View \u203a Sort by chooses a column)"
            )
            return
        order = self._view.horizontalHeader().sortIndicatorOrder()
        flipped = (
            Qt.SortOrder.AscendingOrder
            if order == Qt.SortOrder.DescendingOrder
            else Qt.SortOrder.DescendingOrder
        )
        self.sort_by(column, flipped)

    def fill_sort_menu(self, menu: QMenu) -> None:
        """Sort by: the hand-made order, Reverse, then one checkable entry per shown column
        in the order shown (refilled each time the menu opens)."""
        menu.clear()
        for old in menu.findChildren(QActionGroup):  # the last opening's (bounded)
            old.deleteLater()
        group = QActionGroup(menu)
        current = self.sort_column()
        hand = menu.addAction(HAND_MADE)
        hand.setCheckable(True)
        hand.setChecked(current < 0)
        hand.setToolTip("End the sort: the rows in the order you gave them")
        hand.triggered.connect(self.end_sort)
        group.addAction(hand)
        menu.addAction(self.reverse_action)  # enabled: unsorted, it says why it did nothing
        menu.addSeparator()
        header = self._view.horizontalHeader()
        columns = self._model.columns
        for visual in range(header.count()):
            logical = header.logicalIndex(visual)
            if header.isSectionHidden(logical) or not 0 <= logical < len(columns):
                continue
            action = menu.addAction(menu_text(columns[logical].header))
            action.setCheckable(True)
            action.setChecked(logical == current)
            action.setToolTip(columns[logical].tooltip)
            action.triggered.connect(lambda _=False, col=logical: self._choose(col))
            group.addAction(action)

    def _choose(self, column: int) -> None:
        if column != self.sort_column():  # the column sorted already keeps its direction
            self.sort_by(column)

    # --- rows and columns by hand ---------------------------------------------------------

    def move_row(self, step: int) -> bool:
        """Move the current row one shown row up (-1) or down (+1) in the hand-made order;
        it stays current and selected. False (and said) while a sort is on."""
        view = self._view
        symbol = symbol_at(view, view.currentIndex())
        if symbol is None:
            self.message_shown.emit("No current row to move")
            return False
        column = self.sort_column()
        if column >= 0:
            title = self._model.columns[column].header
            # Short: the status bar shares its width with the indicators.
            self.message_shown.emit(
                f"Sorted by {title} \u2014 Sort by \u203a Hand-made order to move rows"
            )
            return False
        row = view.currentIndex().row() + step
        if not 0 <= row < view.model().rowCount():
            return False  # at the top or bottom already
        # The neighbour shown (a filter may hide rows between): its place in the list.
        neighbour = symbol_at(view, view.model().index(row, 0))
        symbols = self._model.symbols()
        if neighbour is None or symbol not in symbols:
            return False
        self._model.move_row(symbols.index(symbol), symbols.index(neighbour))
        select_symbol(view, symbol)
        return True

    def move_column(self, step: int) -> bool:
        """Move the current column one shown column left (-1) or right (+1)."""
        view = self._view
        column = view.currentIndex().column()
        if column < 0:
            self.message_shown.emit("No current column to move")
            return False
        header = view.horizontalHeader()
        visual = header.visualIndex(column)
        target = visual + step
        while 0 <= target < header.count() and header.isSectionHidden(header.logicalIndex(target)):
            target += step
        if not 0 <= target < header.count():
            return False  # first or last shown already
        header.moveSection(visual, target)
        view.scrollTo(view.currentIndex())
        return True
