"""F6 / Shift+F6: move the keyboard focus from pane to pane of the main window.

Tab walks every widget in a pane one by one (a table's cells swallow it besides); F6
jumps between the panes themselves, as in most desktop apps: the table, the add-symbols
field, the detail chart, time & sales and the alerts list, in that order, skipping those
hidden (a closed dock) or not focusable. Keys from gui.shortcuts (docs/keyboard.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QWidget

type Panes = Callable[[], Sequence[tuple[str, QWidget]]]

__all__ = ["PaneCycle", "focusable"]


def focusable(widget: QWidget) -> bool:
    """Shown, enabled and taking focus from the keyboard."""
    policy = widget.focusPolicy()
    return (
        widget.isVisible()
        and widget.isEnabled()
        and bool(policy.value & Qt.FocusPolicy.TabFocus.value)
    )


class PaneCycle(QObject):
    """`next_action` (F6) and `previous_action` (Shift+F6) over `panes` (name, widget)."""

    def __init__(self, window: QWidget, panes: Panes) -> None:
        super().__init__(window)
        self._panes = panes
        self.next_action = QAction("Next pane", self)
        self.next_action.setToolTip("Focus the next pane: table, add field, detail, alerts")
        self.next_action.triggered.connect(lambda: self.step(1))
        self.previous_action = QAction("Previous pane", self)
        self.previous_action.triggered.connect(lambda: self.step(-1))
        # Window-wide (and in floating docks: Qt keeps the parent window's shortcuts).
        window.addActions([self.next_action, self.previous_action])

    def panes(self) -> list[tuple[str, QWidget]]:
        """The panes F6 stops at now, in order."""
        return [(name, w) for name, w in self._panes() if focusable(w)]

    def current(self) -> str | None:
        """The name of the pane holding the focus, if any."""
        focus = QApplication.focusWidget()
        for name, widget in self._panes():
            if focus is not None and (focus is widget or widget.isAncestorOf(focus)):
                return name
        return None

    def step(self, delta: int) -> str | None:
        """Focus the pane `delta` away from the focused one; returns its name."""
        panes = self.panes()
        if not panes:
            return None
        names = [name for name, _w in panes]
        current = self.current()
        if current in names:
            index = (names.index(current) + delta) % len(panes)
        else:  # focus elsewhere (a toolbar button, the filter): start at an end
            index = 0 if delta > 0 else len(panes) - 1
        name, widget = panes[index]
        if widget.window() is not QApplication.activeWindow():
            widget.window().activateWindow()  # a floating dock is its own window
        widget.setFocus(Qt.FocusReason.ShortcutFocusReason)
        return name
