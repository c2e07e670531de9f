"""Feed badge (IEX/SIP/DELAYED/TEST/DEMO) and the insecure-connection badge."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from engine.net.health import StreamHealth
from gui.statusbar.style import COLOURS, Level, badge_css

_FEED_NAMES = {"iex": "IEX", "sip": "SIP", "delayed_sip": "DELAYED", "test": "TEST"}
_FEED_TIPS = {
    "IEX": "IEX feed: one exchange (free plan), not the consolidated market",
    "SIP": "SIP feed: all US exchanges",
    "DELAYED": "Delayed SIP feed: 15 minutes behind the market",
    "TEST": "Alpaca's test stream (FAKEPACA)",
    "DEMO": "Simulated data from the built-in simulator — not real prices",
}
_DEMO_CSS = badge_css("#7c3aed")  # loud and unlike any state colour: never mistaken for live


def feed_label(feed: str, demo: bool) -> str:
    """Badge text for a feed name; DEMO overrides whatever feed the simulator serves."""
    if demo:
        return "DEMO"
    return _FEED_NAMES.get(feed, feed.upper() or "?")


class FeedBadge(QLabel):
    """Names the data source; call set_demo() when switching to/from the simulator."""

    def __init__(self, health: StreamHealth, demo: bool = False, parent: QWidget | None = None):
        super().__init__(parent)
        self._health = health
        self.demo = demo
        self.setObjectName("feedBadge")
        self.refresh()

    def set_demo(self, demo: bool) -> None:
        self.demo = demo
        self.refresh()

    def refresh(self) -> None:
        text = feed_label(self._health.feed, self.demo)
        if self.text() == text:
            return
        self.setText(text)
        self.setToolTip(_FEED_TIPS.get(text, f"feed: {text}"))
        self.setStyleSheet(_DEMO_CSS if self.demo else badge_css(COLOURS[Level.INFO]))


class InsecureBadge(QLabel):
    """Visible while the stream runs over an unencrypted ws:// URL off loopback."""

    def __init__(self, health: StreamHealth, parent: QWidget | None = None) -> None:
        super().__init__("INSECURE", parent)
        self._health = health
        self.setObjectName("insecureBadge")
        self.setStyleSheet(badge_css(COLOURS[Level.BAD]))
        self.refresh()

    def refresh(self) -> None:
        self.setVisible(self._health.insecure)
        self.setToolTip(f"Unencrypted connection to {self._health.endpoint}: keys travel in clear")
