"""Stream > Connection details and Help > Keyboard shortcuts: one non-modal dialog each.

Opened with show(), never exec() (qasync #59, docs/qt.md); a second trigger raises the
open dialog instead of making another. The connection details show the subscription as
the server confirmed it, read through `subscription` (the stream client's, given by the
composition root).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QWidget

from engine.events import Subscription
from engine.net.health import StreamHealth
from gui.shortcuts import ShortcutsDialog
from gui.statusbar.details import ConnectionDetailsDialog


class WindowDialogs(QObject):
    """The two read-only dialogs the window opens, with the actions that open them."""

    def __init__(
        self,
        window: QWidget,
        health: StreamHealth,
        subscription: Callable[[], Subscription] = Subscription,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(window)
        self._window = window
        self._health = health
        self._clock = clock
        self.subscription_source = subscription
        self.details_action = QAction("Connection details…", self)
        self.details_action.triggered.connect(self.open_connection_details)
        self.shortcuts_action = QAction("Keyboard shortcuts", self)
        self.shortcuts_action.triggered.connect(self.open_shortcuts)
        self.details_dialog: ConnectionDetailsDialog | None = None
        self.shortcuts_dialog: ShortcutsDialog | None = None

    def shortcut_actions(self) -> dict[str, QAction]:
        """Ids in gui.shortcuts of the actions this object owns."""
        return {"connection_details": self.details_action, "keyboard_help": self.shortcuts_action}

    def open_connection_details(self) -> ConnectionDetailsDialog:
        if self.details_dialog is None:
            self.details_dialog = ConnectionDetailsDialog(
                self._health, lambda: self.subscription_source(), self._clock, self._window
            )
        return _show(self.details_dialog)

    def open_shortcuts(self) -> ShortcutsDialog:
        if self.shortcuts_dialog is None:
            self.shortcuts_dialog = ShortcutsDialog(self._window)
        return _show(self.shortcuts_dialog)

    def close(self) -> None:
        for dialog in (self.details_dialog, self.shortcuts_dialog):
            if dialog is not None:
                dialog.close()


def _show[D: QDialog](dialog: D) -> D:
    if dialog.isVisible():
        dialog.raise_()  # already open somewhere: bring it forward
    dialog.show()
    return dialog
