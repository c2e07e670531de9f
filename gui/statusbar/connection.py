"""Connection state: a coloured dot and words (connecting, streaming, failed: why)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from PySide6.QtWidgets import QWidget

from engine.net.health import ConnectionState, StreamHealth
from gui.statusbar.style import Level, StatusLabel

_LEVELS: dict[ConnectionState, Level] = {
    ConnectionState.DISCONNECTED: Level.INFO,
    ConnectionState.CONNECTING: Level.WARN,
    ConnectionState.AUTHENTICATING: Level.WARN,
    ConnectionState.STREAMING: Level.OK,
    ConnectionState.RECONNECTING: Level.WARN,
    ConnectionState.FAILED: Level.BAD,
}


_DELIBERATE = frozenset(
    {ConnectionState.CONNECTING, ConnectionState.AUTHENTICATING, ConnectionState.RECONNECTING}
)


def describe_state(health: StreamHealth, now: float) -> str:
    """Words for the state; reconnecting counts down to health.next_retry_at."""
    state = health.state
    if state is ConnectionState.RECONNECTING and not health.state_detail:
        if health.next_retry_at is None:
            return "reconnecting"
        wait = max(0, math.ceil(health.next_retry_at - now))
        return f"reconnecting in {wait} s" if wait > 0 else "reconnecting"
    if state is ConnectionState.FAILED:
        reason = (health.last_error or "unknown error").splitlines()[0]
        return f"failed: {reason}"
    if health.state_detail and state in _DELIBERATE:
        # A reconnect the user chose (new feed, new keys): why, never an error colour.
        return f"reconnecting: {health.state_detail}"
    return str(state.value)


class ConnectionIndicator(StatusLabel):
    """Renders StreamHealth.state; call refresh() on a timer."""

    def __init__(
        self,
        health: StreamHealth,
        clock: Callable[[], float] = time.monotonic,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("connectionIndicator", parent=parent)
        self._health = health
        self._clock = clock
        self.words = ""
        self.refresh()

    def refresh(self) -> None:
        health = self._health
        self.words = describe_state(health, self._clock())
        # A switch the user chose is neutral, never a warning colour (issue 18, #7a).
        chosen = health.state_detail is not None and health.state in _DELIBERATE
        self.level = Level.INFO if chosen else _LEVELS[health.state]
        self.restyle()

    def restyle(self) -> None:
        # The dot carries the colour, the words keep the window's text colour.
        colour = self.colours[self.level]
        html = f'<span style="color:{colour}">&#9679;</span> {_escape(self.words)}'
        if self.text() != html:
            self.setText(html)
            self.setToolTip(f"Stream connection: {self.words}")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
