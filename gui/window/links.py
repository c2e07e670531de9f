"""Link colours, as in TWS and thinkorswim: windows of one colour follow one symbol.

Each top-level window (the main window, a detached watchlist, a detached chart) shows a
small colour chip: none, red, green, blue or yellow. Selecting a symbol in a window of a
colour makes every other window of that colour show it; "none" links nothing. The hub
holds no symbol of its own and no window references beyond its registry (weak in effect:
a window unregisters when it closes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, QSize, Signal
from PySide6.QtGui import QAction, QActionGroup, QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QToolButton, QWidget

from gui.window.mnemonics import MnemonicMenu

NONE = "none"
# Colour name -> chip colour (None: an outlined empty chip).
LINK_COLOURS: dict[str, str | None] = {
    NONE: None,
    "red": "#d64541",
    "green": "#2e9e4f",
    "blue": "#2f6fdf",
    "yellow": "#e5b800",
}


def valid_colour(name: object) -> str:
    """`name` when it is a link colour, else "none" (a bad saved value never breaks)."""
    return name if isinstance(name, str) and name in LINK_COLOURS else NONE


@dataclass(slots=True)
class Linked:
    """One window in the hub: its colour and how it follows a symbol."""

    colour: str
    follow: Callable[[str], object]


class LinkHub(QObject):
    """Routes a window's selected symbol to every other window of the same colour."""

    published = Signal(str, str)  # colour, symbol (tests, status)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._members: dict[int, Linked] = {}
        self._busy = False  # a follower's own selection must not echo back round the group

    def join(self, key: object, colour: str, follow: Callable[[str], object]) -> None:
        self._members[id(key)] = Linked(valid_colour(colour), follow)

    def leave(self, key: object) -> None:
        self._members.pop(id(key), None)

    def set_colour(self, key: object, colour: str) -> None:
        member = self._members.get(id(key))
        if member is not None:
            member.colour = valid_colour(colour)

    def colour_of(self, key: object) -> str:
        member = self._members.get(id(key))
        return member.colour if member is not None else NONE

    def publish(self, key: object, symbol: str | None) -> int:
        """`key`'s window selected `symbol`: the others of its colour follow; returns how many."""
        source = self._members.get(id(key))
        if self._busy or not symbol or source is None or source.colour == NONE:
            return 0
        followers = [
            m for k, m in self._members.items() if k != id(key) and m.colour == source.colour
        ]
        self._busy = True
        try:
            for member in followers:
                member.follow(symbol)
        finally:
            self._busy = False
        self.published.emit(source.colour, symbol)
        return len(followers)


def chip_icon(colour: str, size: int = 14) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(0, 0, 0, 0))
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    fill = LINK_COLOURS.get(colour)
    painter.setPen(QColor("#808080"))
    if fill is not None:
        painter.setBrush(QColor(fill))
    painter.drawRoundedRect(1, 1, size - 2, size - 2, 3, 3)
    painter.end()
    return QIcon(pixmap)


class LinkChip(QToolButton):
    """The small colour chip of one window; its menu picks the colour."""

    colour_chosen = Signal(str)

    def __init__(self, colour: str = NONE, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("linkChip")
        self.setAutoRaise(True)
        self.setIconSize(QSize(14, 14))
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = MnemonicMenu("", self)  # N, R, G, B, Y (docs/keyboard.md)
        self.colour_group = QActionGroup(self)
        self.actions_by_colour: dict[str, QAction] = {}
        for name in LINK_COLOURS:
            action = menu.addAction(chip_icon(name), "Not linked" if name == NONE else name.title())
            action.setCheckable(True)
            self.colour_group.addAction(action)
            self.actions_by_colour[name] = action
            action.triggered.connect(lambda _=False, n=name: self.set_colour(n, emit=True))
        self.setMenu(menu)
        self.colour = NONE
        self.set_colour(colour)

    def set_colour(self, colour: str, emit: bool = False) -> None:
        self.colour = valid_colour(colour)
        self.actions_by_colour[self.colour].setChecked(True)
        self.setIcon(chip_icon(self.colour))
        words = "not linked" if self.colour == NONE else f"linked: {self.colour}"
        self.setToolTip(
            f"Link colour ({words}): windows of one colour follow the symbol selected in any"
        )
        self.setAccessibleName(f"Link colour, {words}")
        if emit:
            self.colour_chosen.emit(self.colour)
