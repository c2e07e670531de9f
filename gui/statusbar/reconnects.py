"""Reconnect count since start (hidden while zero would be noise, so always shown)."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from engine.net.health import StreamHealth
from gui.statusbar.style import Level, StatusLabel


class ReconnectsIndicator(StatusLabel):
    """ "reconnects: N", amber once the connection has had to be re-established."""

    def __init__(self, health: StreamHealth, parent: QWidget | None = None) -> None:
        tip = "How often the stream connection was re-established"
        super().__init__("reconnectsIndicator", tooltip=tip, parent=parent)
        self._health = health
        self.count = -1
        self.refresh()

    def refresh(self) -> None:
        count = self._health.reconnects
        if count == self.count:
            return
        self.count = count
        self.show_level(Level.WARN if count else Level.INFO, f"reconnects: {count}")
