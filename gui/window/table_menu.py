"""The row menu of a ticker table (right-click, the Menu key, Shift+F10), in any window.

Built as a MnemonicMenu, so every entry has a letter unique within it (docs/keyboard.md):
opened from the keyboard (gui.table.view_keys.open_row_menu), the letters reach each
entry. Both windows end it with the table's ordering commands (gui.table.view_order):
Move row up / down and Sort by. The menu is deleted when it closes (one per opening).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QWidget

from gui.table.view import TickerView
from gui.window.menus import Entry, Submenu, fill_menu
from gui.window.mnemonics import MnemonicMenu

__all__ = ["open_table_menu", "order_entries"]


def order_entries(view: TickerView) -> list[Entry]:
    """Move row up / down, then Sort by (refilled as it opens)."""
    return [None, view.order.row_actions, Submenu("Sort by", on_show=view.order.fill_sort_menu)]


def open_table_menu(
    view: TickerView, pos: QPoint, entries: Sequence[Entry], parent: QWidget
) -> MnemonicMenu:
    """Pop `entries` and the ordering commands up at `pos` (viewport coordinates)."""
    menu = MnemonicMenu("", parent)
    menu.setObjectName("tableRowMenu")
    menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    fill_menu(menu, [*entries, *order_entries(view)])
    menu.popup(view.viewport().mapToGlobal(pos))
    return menu
