"""Message age: "last message 0.4 s ago", ticking even when nothing arrives."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtWidgets import QWidget

from engine.net.health import ConnectionState, StreamHealth
from gui.formatting import format_age
from gui.statusbar.style import Level, StatusLabel

# Quiet symbols are normal, so a few seconds of silence is only a hint (amber); half
# a minute without a single frame on a whole watchlist means something is wrong.
AMBER_AFTER_S = 5.0
RED_AFTER_S = 30.0


def describe_age(health: StreamHealth, now: float) -> tuple[str, Level]:
    """Text and level; when not streaming it says so explicitly, in red."""
    age = health.message_age(now)
    streaming = health.state is ConnectionState.STREAMING
    if age is None:
        return ("no messages yet", Level.INFO if streaming else Level.BAD)
    text = f"last message {format_age(age, 'long')} ago"
    if not streaming:
        return (f"not streaming — {text}", Level.BAD)
    if age >= RED_AFTER_S:
        return (text, Level.BAD)
    if age >= AMBER_AFTER_S:
        return (text, Level.WARN)
    return (text, Level.OK)


class MessageAgeIndicator(StatusLabel):
    """Reads StreamHealth.message_age with an injectable clock."""

    def __init__(
        self,
        health: StreamHealth,
        clock: Callable[[], float] = time.monotonic,
        parent: QWidget | None = None,
    ) -> None:
        tip = "Time since the last frame from the server (monotonic clock)"
        super().__init__("messageAgeIndicator", tooltip=tip, parent=parent)
        self._health = health
        self._clock = clock
        self.refresh()

    def refresh(self) -> None:
        text, level = describe_age(self._health, self._clock())
        self.show_level(level, text)
