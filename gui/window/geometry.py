"""The main window's size, position and dock/toolbar layout: restored once, saved debounced.

Moves and resizes fire per pixel, so they restart a short single-shot timer and the
geometry is written once the user lets go (AppSettings writes and syncs at once).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QMainWindow

from gui.settings.persistence import AppSettings

DEFAULT_SIZE = (1380, 760)
SAVE_DEBOUNCE_MS = 400
_MOVED = (QEvent.Type.Resize, QEvent.Type.Move)


class GeometryKeeper(QObject):
    """Watches `window` (an event filter) and persists its geometry and state."""

    def __init__(self, window: QMainWindow, settings: AppSettings) -> None:
        super().__init__(window)
        self._window = window
        self._settings = settings
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(SAVE_DEBOUNCE_MS)
        self.timer.timeout.connect(self.save)
        window.installEventFilter(self)

    def restore(self) -> None:
        """Saved geometry and dock state, else the default size fitted to the screen."""
        window = self._window
        geometry = self._settings.geometry()
        if geometry is not None:
            window.restoreGeometry(geometry)
        else:
            room = window.screen().availableGeometry()
            width, height = DEFAULT_SIZE
            window.resize(min(width, room.width() - 40), min(height, room.height() - 60))
        state = self._settings.window_state()
        if state is not None:
            window.restoreState(state)

    def save(self) -> None:
        self._settings.set_geometry(self._window.saveGeometry())
        self._settings.set_window_state(self._window.saveState())

    def stop(self) -> None:
        self.timer.stop()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._window and event.type() in _MOVED:
            self.timer.start()
        return False
