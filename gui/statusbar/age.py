"""Message age: "last message 0.4 s ago", ticking even when nothing arrives."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtWidgets import QLabel, QWidget

from engine.net.health import ConnectionState, StreamHealth
from gui.statusbar.style import Level, set_level

# Quiet symbols are normal, so a few seconds of silence is only a hint (amber); half
# a minute without a single frame on a whole watchlist means something is wrong.
AMBER_AFTER_S = 5.0
RED_AFTER_S = 30.0


def format_age(age: float) -> str:
    """0.4 s, 12 s, 3 min 05 s, 2 h 01 min."""
    if age < 10:
        return f"{age:.1f} s"
    if age < 60:
        return f"{age:.0f} s"
    if age < 3600:
        return f"{int(age // 60)} min {int(age % 60):02d} s"
    return f"{int(age // 3600)} h {int(age % 3600 // 60):02d} min"


def describe_age(health: StreamHealth, now: float) -> tuple[str, Level]:
    """Text and level; when not streaming it says so explicitly, in red."""
    age = health.message_age(now)
    streaming = health.state is ConnectionState.STREAMING
    if age is None:
        return ("no messages yet", Level.INFO if streaming else Level.BAD)
    text = f"last message {format_age(age)} ago"
    if not streaming:
        return (f"not streaming — {text}", Level.BAD)
    if age >= RED_AFTER_S:
        return (text, Level.BAD)
    if age >= AMBER_AFTER_S:
        return (text, Level.WARN)
    return (text, Level.OK)


class MessageAgeIndicator(QLabel):
    """Reads StreamHealth.message_age with an injectable clock."""

    def __init__(
        self,
        health: StreamHealth,
        clock: Callable[[], float] = time.monotonic,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._health = health
        self._clock = clock
        self.level = Level.INFO
        self.setObjectName("messageAgeIndicator")
        self.setToolTip("Time since the last frame from the server (monotonic clock)")
        self.refresh()

    def refresh(self) -> None:
        text, self.level = describe_age(self._health, self._clock())
        set_level(self, self.level, text)
