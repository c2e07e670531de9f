"""Feed badge (IEX/SIP/DELAYED/TEST/DEMO) and the insecure-connection badge."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from engine.net.health import StreamHealth
from gui.statusbar.style import Level, StatusLabel

_FEED_NAMES = {"iex": "IEX", "sip": "SIP", "delayed_sip": "DELAYED", "test": "TEST"}
_FEED_TIPS = {
    "IEX": "IEX feed: one exchange (free plan), not the consolidated market",
    "SIP": "SIP feed: all US exchanges",
    "DELAYED": "Delayed SIP feed: 15 minutes behind the market",
    "TEST": "Alpaca's test stream (FAKEPACA)",
    "DEMO": "Simulated data from the built-in simulator — not real prices",
}
_DEMO_BACKGROUND = "#7c3aed"  # loud and unlike any state colour: never mistaken for live


def feed_label(feed: str, demo: bool) -> str:
    """Badge text for a feed name; DEMO overrides whatever feed the simulator serves."""
    if demo:
        return "DEMO"
    return _FEED_NAMES.get(feed, feed.upper() or "?")


class FeedBadge(StatusLabel):
    """Names the data source; call set_demo() when switching to/from the simulator."""

    def __init__(self, health: StreamHealth, demo: bool = False, parent: QWidget | None = None):
        super().__init__("feedBadge", parent=parent)
        self._health = health
        self.demo = demo
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
        self.restyle()

    def restyle(self) -> None:
        self.show_badge(_DEMO_BACKGROUND if self.demo else self.colours[Level.INFO])


class InsecureBadge(StatusLabel):
    """Visible while the stream runs over an unencrypted ws:// URL off loopback."""

    def __init__(self, health: StreamHealth, parent: QWidget | None = None) -> None:
        super().__init__("insecureBadge", "INSECURE", parent=parent)
        self._health = health
        self.restyle()
        self.refresh()

    def refresh(self) -> None:
        self.setVisible(self._health.insecure)
        self.setToolTip(f"Unencrypted connection to {self._health.endpoint}: keys travel in clear")

    def restyle(self) -> None:
        self.show_badge(self.colours[Level.BAD])
