"""Reconnect count since start (hidden while zero would be noise, so always shown)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from engine.net.health import StreamHealth
from gui.statusbar.style import Level, set_level


class ReconnectsIndicator(QLabel):
    """ "reconnects: N", amber once the connection has had to be re-established."""

    def __init__(self, health: StreamHealth, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._health = health
        self.count = -1
        self.setObjectName("reconnectsIndicator")
        self.setToolTip("How often the stream connection was re-established")
        self.refresh()

    def refresh(self) -> None:
        count = self._health.reconnects
        if count == self.count:
            return
        self.count = count
        set_level(self, Level.WARN if count else Level.INFO, f"reconnects: {count}")
