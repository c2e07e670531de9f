"""Last error: first line shown (elided), full text in the tooltip."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from engine.net.health import StreamHealth
from gui.statusbar.style import Level, StatusLabel

MAX_SHOWN_CHARS = 80


class LastErrorIndicator(StatusLabel):
    """Hidden until the stream reports an error; keeps the last one visible after."""

    def __init__(self, health: StreamHealth, parent: QWidget | None = None) -> None:
        super().__init__("lastErrorIndicator", parent=parent)
        self._health = health
        self.full_text: str | None = None
        self.setVisible(False)
        self.refresh()

    def refresh(self) -> None:
        error = self._health.last_error
        if error == self.full_text:
            return
        self.full_text = error
        if not error:
            self.setVisible(False)
            return
        first = error.splitlines()[0]
        shown = first if len(first) <= MAX_SHOWN_CHARS else first[: MAX_SHOWN_CHARS - 1] + "…"
        self.show_level(Level.BAD, f"⚠ {shown}")
        self.setToolTip(error)
        self.setVisible(True)
