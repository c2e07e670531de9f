"""The status bar's one place for messages (issue 18, #5 and #7c).

`QStatusBar.showMessage` hides every normal widget and paints the text in their place:
the DEMO badge vanished under "Removed AAPL", and "Settings applied" replaced the red
error. Here every indicator is a permanent widget (never hidden), and `MessagePlace`
shows the bar's current message in its own slot beside the error; while an error is
shown, the error wins and the message waits in the tooltip. `showMessage`,
`currentMessage` and their timeouts stay Qt's, so every caller is unchanged.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QStatusBar, QWidget

from gui.statusbar.style import Level, StatusLabel


class MessagePlace(StatusLabel):
    """The bar's transient message, elided to its room; hidden behind a shown error."""

    def __init__(self, bar: QStatusBar, error: QWidget, parent: QWidget | None = None) -> None:
        super().__init__("statusMessage", parent=parent)
        self._bar = bar
        self._error = error
        self.message = ""
        # Never widens the window: the text is elided to whatever room is left.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(0)
        self.setTextFormat(Qt.TextFormat.PlainText)
        bar.messageChanged.connect(self._on_message)

    def _on_message(self, text: str) -> None:
        self.message = text
        self.refresh()

    def shown(self) -> str:
        """The text on screen ("" while the error wins or there is no message)."""
        return self.text()

    def refresh(self) -> None:
        error_shown = not self._error.isHidden()
        text = "" if error_shown else self.message
        self.setToolTip(self.message if self.message else "")
        self._paint(text)

    def _paint(self, text: str) -> None:
        room = max(0, self.width() - 4)
        shown = (
            self.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, room)
            if (room > 0)
            else text
        )
        self.show_level(Level.INFO, shown)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.refresh()
