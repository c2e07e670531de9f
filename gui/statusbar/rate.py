"""Message rate (msgs/s) and the "falling behind" badge."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtWidgets import QWidget

from engine.net.health import StreamHealth
from gui.statusbar.style import Level, StatusLabel


class RateIndicator(StatusLabel):
    """Messages per second over the health object's averaging window."""

    def __init__(
        self,
        health: StreamHealth,
        clock: Callable[[], float] = time.monotonic,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("rateIndicator", parent=parent)
        self._health = health
        self._clock = clock
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


class FallingBehindBadge(StatusLabel):
    """Shown while health.falling_behind, with the figure ("falling behind by 2.3 s").

    Held for HOLD_S after the episode ends: a stall caught up within a second would
    otherwise never be on screen at the 1 Hz refresh; the count is in connection details.
    """

    HOLD_S = 5.0

    def __init__(
        self,
        health: StreamHealth,
        parent: QWidget | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        tip = "Messages arrive faster than they are processed: the table lags the market"
        super().__init__("fallingBehindBadge", "falling behind", tip, parent)
        self._health = health
        self._clock = clock
        self._events = health.falling_behind_events
        self._peak_s = 0.0
        self._hold_until = 0.0
        self.restyle()
        self.refresh()

    def restyle(self) -> None:
        self.show_badge(self.colours[Level.BAD])

    def needs_refresh(self) -> bool:
        """True when the flag, the episode count or the hold disagrees with what is shown."""
        health = self._health
        # Shown but not behind: re-check (the hold may have run out); hidden but behind: show.
        return (
            health.falling_behind_events != self._events or health.falling_behind == self.isHidden()
        )

    def refresh(self) -> None:
        health = self._health
        now = self._clock()
        if health.falling_behind_events != self._events:
            self._events = health.falling_behind_events
            self._peak_s = 0.0  # a new episode
        if health.falling_behind:
            self._peak_s = max(self._peak_s, health.falling_behind_s)
            self._hold_until = now + self.HOLD_S
        visible = health.falling_behind or now < self._hold_until
        if visible:
            text = f"falling behind by {self._peak_s:.1f} s" if self._peak_s else "falling behind"
            if self.text() != text:
                self.setText(text)
        self.setVisible(visible)
