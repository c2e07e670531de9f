"""Stream > Connection details and Help > Keyboard shortcuts: one non-modal dialog each.

Opened with show(), never exec() (qasync #59, docs/qt.md); a second trigger raises the
open dialog instead of making another. The connection details show the subscription as
the server confirmed it, read through `subscription` (the stream client's, given by the
composition root).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QWidget

from engine.events import Subscription
from engine.net.health import StreamHealth
from gui.shortcuts import ShortcutsDialog
from gui.statusbar.details import ConnectionDetailsDialog
from gui.window.about import AboutDialog, places


class WindowDialogs(QObject):
    """The two read-only dialogs the window opens, with the actions that open them."""

    def __init__(
        self,
        window: QWidget,
        health: StreamHealth,
        subscription: Callable[[], Subscription] = Subscription,
        clock: Callable[[], float] = time.monotonic,
        settings_path: Path | None = None,
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
        self.about_action = QAction("About Tickerdesk", self)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.about_action.triggered.connect(self.open_about)
        self.details_dialog: ConnectionDetailsDialog | None = None
        self.shortcuts_dialog: ShortcutsDialog | None = None
        self.about_dialog: AboutDialog | None = None
        self._settings_path = settings_path

    def help_entries(self) -> list[QAction | None]:
        """The Help menu: keyboard shortcuts, then About."""
        return [self.shortcuts_action, self.about_action]

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

    def open_about(self) -> AboutDialog:
        if self.about_dialog is None:
            from gui.settings.persistence import default_settings_path

            path = self._settings_path or _settings_path_of(self._window)
            self.about_dialog = AboutDialog(places(path or default_settings_path()), self._window)
        return _show(self.about_dialog)

    def close(self) -> None:
        for dialog in (self.details_dialog, self.shortcuts_dialog, self.about_dialog):
            if dialog is not None:
                dialog.close()


def _settings_path_of(window: QWidget) -> Path | None:
    # The window's settings file (MainWindow.settings.path), if it has one.
    path = getattr(getattr(window, "settings", None), "path", None)
    return path if isinstance(path, Path) else None


def _show[D: QDialog](dialog: D) -> D:
    if dialog.isVisible():
        dialog.raise_()  # already open somewhere: bring it forward
    dialog.show()
    return dialog
