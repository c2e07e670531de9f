"""Message rate (msgs/s) and the "falling behind" badge."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtWidgets import QLabel, QWidget

from engine.health import StreamHealth
from gui.statusbar.style import COLOURS, Level, badge_css


class RateIndicator(QLabel):
    """Messages per second over the health object's averaging window."""

    def __init__(
        self,
        health: StreamHealth,
        clock: Callable[[], float] = time.monotonic,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._health = health
        self._clock = clock
        self.setObjectName("rateIndicator")
        self.refresh()

    def refresh(self) -> None:
        rate = self._health.message_rate(self._clock())
        text = f"{rate:,.0f} msgs/s" if rate >= 10 else f"{rate:.1f} msgs/s"
        if self.text() != text:
            self.setText(text)
            self.setToolTip(
                f"{self._health.messages:,} messages in {self._health.frames:,} frames; "
                f"{self._health.decode_errors} undecodable, "
                f"{self._health.unknown_messages} of unknown type"
            )


class FallingBehindBadge(QLabel):
    """Visible only while health.falling_behind (the app cannot keep up with the feed)."""

    def __init__(self, health: StreamHealth, parent: QWidget | None = None) -> None:
        super().__init__("falling behind", parent)
        self._health = health
        self.setObjectName("fallingBehindBadge")
        self.setStyleSheet(badge_css(COLOURS[Level.BAD]))
        self.setToolTip("Messages arrive faster than they are processed: the table lags the market")
        self.refresh()

    def refresh(self) -> None:
        self.setVisible(self._health.falling_behind)
