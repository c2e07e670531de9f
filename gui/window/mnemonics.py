"""Menu mnemonics chosen per menu, unique within it, without touching the actions' texts.

One QAction is shown in several places (the menu bar, the row menu, the toolbar) and
its text is also data for tooltips, tests and screen readers; a mnemonic, though, is a
property of one menu: unique among that menu's entries. So `MnemonicMenu` picks a letter
for each entry when it draws it (`initStyleOption`) and answers that letter typed while
it is open, as Qt does for an explicit `&` (docs/keyboard.md). Texts that are data
("Day P&&L", list and layout names) keep their escaped `&&`; an explicit `&x` in a text
is kept and reserved first.

`assign` is pure: entry texts in, marked texts out, the same texts always the same
letters (a menu refilled on each show keeps its letters while its entries stay).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QLabel,
    QMenu,
    QMenuBar,
    QStyleOptionMenuItem,
    QWidget,
)

__all__ = [
    "MnemonicMenu",
    "assign",
    "buddy_mnemonics",
    "explicit_mnemonic",
    "mnemonic_of",
    "strip_marks",
]


def _parse(text: str) -> tuple[list[tuple[int, str]], str | None]:
    """(raw index, shown char) of each shown character, and an explicit mnemonic."""
    shown: list[tuple[int, str]] = []
    explicit: str | None = None
    i = 0
    while i < len(text):
        char = text[i]
        if char == "&" and i + 1 < len(text):
            if text[i + 1] == "&":
                shown.append((i, "&"))
                i += 2
                continue
            if explicit is None and text[i + 1].isalnum():
                explicit = text[i + 1].upper()
            i += 1
            continue
        shown.append((i, char))
        i += 1
    return shown, explicit


def explicit_mnemonic(text: str) -> str | None:
    """The letter an explicit `&x` in `text` marks (upper case), or None."""
    return _parse(text.split("\t", 1)[0])[1]


def strip_marks(text: str) -> str:
    """`text` as shown: mnemonic marks dropped, `&&` as one `&`."""
    return "".join(char for _i, char in _parse(text)[0])


def _candidates(shown: list[tuple[int, str]]) -> list[tuple[int, str]]:
    # First letter, then the first letters of the other words, then any letter or digit.
    words = [k for k, (_i, c) in enumerate(shown) if c.isalnum()
             and (k == 0 or not shown[k - 1][1].isalnum())]  # fmt: skip
    rest = [k for k, (_i, c) in enumerate(shown) if c.isalnum() and k not in words]
    return [shown[k] for k in (*words, *rest)]


def assign(texts: Sequence[str]) -> list[str]:
    """Each text with a mnemonic unique within `texts` where a letter is left; an empty
    text (a separator) stays empty, a text with an explicit `&x` keeps it."""
    parsed = [_parse(t.split("\t", 1)[0]) if t else ([], None) for t in texts]
    taken = {explicit for _shown, explicit in parsed if explicit is not None}
    out = []
    for text, (shown, explicit) in zip(texts, parsed, strict=True):
        if not text or explicit is not None:
            out.append(text)
            continue
        for raw, char in _candidates(shown):
            if char.upper() not in taken:
                taken.add(char.upper())
                out.append(text[:raw] + "&" + text[raw:])
                break
        else:
            out.append(text)  # no letter left: arrow keys still reach it
    return out


class MnemonicMenu(QMenu):
    """A QMenu that gives every entry a unique mnemonic as it is shown (module docstring)."""

    def __init__(self, title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self._key: tuple[tuple[int, str], ...] = ()
        self._marked: dict[int, str] = {}

    def marked_texts(self) -> dict[int, str]:
        """id(action) -> its text with this menu's mnemonic (recomputed when entries change)."""
        actions = [a for a in self.actions() if not a.isSeparator() and a.isVisible()]
        key = tuple((id(a), a.text()) for a in actions)
        if key != self._key:
            self._key = key
            marked = assign([a.text() for a in actions])
            self._marked = {id(a): m for a, m in zip(actions, marked, strict=True)}
        return self._marked

    def mnemonic_of(self, action: QAction) -> str | None:
        """The letter that triggers `action` in this menu (upper case), or None."""
        marked = self.marked_texts().get(id(action))
        return explicit_mnemonic(marked) if marked is not None else None

    def action_for(self, letter: str) -> QAction | None:
        letter = letter.upper()
        for action in self.actions():
            if action.isEnabled() and self.mnemonic_of(action) == letter:
                return action
        return None

    def initStyleOption(self, option: QStyleOptionMenuItem, action: QAction) -> None:
        super().initStyleOption(option, action)
        marked = self.marked_texts().get(id(action))
        text = action.text()
        if marked is not None and marked != text and option.text.startswith(text):
            option.text = marked + option.text[len(text) :]

    def keyPressEvent(self, event: QKeyEvent) -> None:
        typed = event.text()
        extra = event.modifiers() & ~(
            Qt.KeyboardModifier.ShiftModifier
            | Qt.KeyboardModifier.AltModifier
            | Qt.KeyboardModifier.KeypadModifier
        )
        if len(typed) == 1 and typed.isalnum() and extra == Qt.KeyboardModifier.NoModifier:
            action = self.action_for(typed)
            if action is not None:
                # Return on the active entry: opens a submenu, or triggers and closes.
                self.setActiveAction(action)
                enter = QKeyEvent(
                    QEvent.Type.KeyPress, Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier
                )
                super().keyPressEvent(enter)
                return
        super().keyPressEvent(event)


def mnemonic_of(menu: QMenu | QMenuBar, action: QAction) -> str | None:
    """The letter reaching `action` in `menu`: this module's choice in a MnemonicMenu,
    else an explicit `&x` in its text (a menu bar's titles, a plain QMenu)."""
    if isinstance(menu, MnemonicMenu):
        return menu.mnemonic_of(action)
    mnemonic = QKeySequence.mnemonic(action.text())
    return explicit_mnemonic(action.text()) if not mnemonic.isEmpty() else None


def _takes_focus(widget: QWidget) -> bool:
    return bool(widget.focusPolicy().value & Qt.FocusPolicy.TabFocus.value)


def buddy_mnemonics(root: QWidget) -> list[QLabel]:
    """Give each label of `root` whose buddy takes focus (a form's row label) a mnemonic
    unique within `root`, next to the letters its buttons already use (OK, Cancel);
    idempotent. Alt+letter then focuses the field. Returns the labels, in order."""
    labels = [
        label for label in root.findChildren(QLabel)
        if label.buddy() is not None and label.text() and _takes_focus(label.buddy())
    ]  # fmt: skip
    buttons = [b.text() for b in root.findChildren(QAbstractButton) if explicit_mnemonic(b.text())]
    marked = assign([*buttons, *(label.text() for label in labels)])[len(buttons) :]
    for label, text in zip(labels, marked, strict=True):
        if text != label.text():
            label.setText(text)
    return labels
