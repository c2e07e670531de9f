"""Last error: first line shown (elided), full text in the tooltip.

A switch the user chose (new feed, key or demo: `StreamHealth.state_detail`) is no
error (issue 18, #7a): an error standing when it began, or the old connection's close
reported while it runs ("server closed the connection"), belongs to the connection the
user left and is not shown again; the connection indicator says why in neutral words.
A failure of the new connection (402, 406, ...) is a new error and shows in red.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from engine.net.health import ConnectionState, StreamHealth
from gui.statusbar.style import Level, StatusLabel

MAX_SHOWN_CHARS = 80
_SWITCHING = frozenset(
    {ConnectionState.CONNECTING, ConnectionState.AUTHENTICATING, ConnectionState.RECONNECTING}
)


class LastErrorIndicator(StatusLabel):
    """Hidden until the stream reports an error; keeps the last one visible after, until
    the user switches feed, key or demo."""

    def __init__(self, health: StreamHealth, parent: QWidget | None = None) -> None:
        super().__init__("lastErrorIndicator", parent=parent)
        self._health = health
        self.full_text: str | None = None
        self._left_behind: str | None = None  # an error of a connection the user left
        self._shown: str | None = None
        self._reconnects = health.reconnects
        self.setVisible(False)
        self.refresh()

    def switching(self) -> bool:
        health = self._health
        return health.state_detail is not None and health.state in _SWITCHING

    def refresh(self) -> None:
        health = self._health
        error = health.last_error
        if self.switching():
            self._left_behind = error  # the switch's own close, or what came before it
            self._reconnects = health.reconnects
        elif health.reconnects != self._reconnects or health.state is ConnectionState.FAILED:
            self._left_behind = None  # a real drop or failure since: its error shows
        shown = error if error and error != self._left_behind else None
        self.full_text = error
        if shown == self._shown:
            return
        self._shown = shown
        if not shown:
            self.setVisible(False)
            return
        first = shown.splitlines()[0]
        text = first if len(first) <= MAX_SHOWN_CHARS else first[: MAX_SHOWN_CHARS - 1] + "…"
        self.show_level(Level.BAD, f"⚠ {text}")
        self.setToolTip(shown)
        self.setVisible(True)
