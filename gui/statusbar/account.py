"""The account in the status bar: a PAPER / LIVE badge and the trade_updates stream's state.

The badge is visible whenever the Trading API is on (Settings: Paper or Live), so the
user always knows whether the money shown is real; LIVE wears the warning colour.
The trade stream has its own StreamHealth (issue 14; docs/account-and-history.md,
"Account stream: trade_updates"), shown in words beside the data stream's:
"account: streaming", "account: reconnecting in 3 s", "account: no trading access
(HTTP 403)". A key pair opens either the paper or the live endpoint, never both, so a
401/403 on the chosen one usually means the other choice in Settings.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from PySide6.QtWidgets import QWidget

from engine.net.health import ConnectionState, StreamHealth
from gui.statusbar.connection import describe_state
from gui.statusbar.style import Level, StatusLabel

_LEVELS: dict[ConnectionState, Level] = {
    ConnectionState.DISCONNECTED: Level.INFO,
    ConnectionState.CONNECTING: Level.WARN,
    ConnectionState.AUTHENTICATING: Level.WARN,
    ConnectionState.STREAMING: Level.OK,
    ConnectionState.RECONNECTING: Level.WARN,
    ConnectionState.FAILED: Level.BAD,
}
_HTTP = re.compile(r"\bHTTP (\d{3})\b")
_REFUSALS = {
    "401": "account: key rejected (HTTP 401)",
    "403": "account: no trading access (HTTP 403)",
    "auth": "account: key pair refused",  # the stream's own "unauthorized" answer
}
_HINT = (
    "Paper keys (PK…) work only on the paper endpoint and live keys (AK…) only on the "
    "live one: check Settings > Trading API."
)
_REFUSAL_TIPS = {
    "401": f"The Trading API rejected this key pair (HTTP 401). {_HINT}",
    "403": f"This key pair has no access to the Trading API endpoint chosen (HTTP 403). {_HINT}",
    "auth": f"The account stream refused this key pair. {_HINT}",
}


def refusal_code(error: str | None) -> str | None:
    """The Trading API refusing the key pair: "401" / "403" (HTTP) or "auth" (the
    stream's own answer), in the words of engine/account/client.py and stream.py."""
    if not error:
        return None
    match = _HTTP.search(error)
    if match and match.group(1) in ("401", "403"):
        return match.group(1)
    lowered = error.lower()
    if "refused the key pair" in lowered or "unauthorized" in lowered:
        return "auth"
    return None


def current_refusal(health: StreamHealth, rest_error: str | None) -> str | None:
    """The refusal to show: the stream's, once it gave up, else the REST calls' last."""
    if health.state is ConnectionState.FAILED:
        code = refusal_code(health.last_error)
        if code is not None:
            return code
    return refusal_code(rest_error)


def describe_trade_stream(health: StreamHealth, now: float, rest_error: str | None = None) -> str:
    """Words for the trade stream's state, prefixed "account: "."""
    code = current_refusal(health, rest_error)
    if code is not None:
        return _REFUSALS[code]
    return f"account: {describe_state(health, now)}"


def badge_text(paper: bool) -> str:
    return "PAPER" if paper else "LIVE"


class AccountBadge(StatusLabel):
    """PAPER (the info colour) or LIVE (the warning colour); hidden while the API is off."""

    def __init__(self, paper: bool | None, parent: QWidget | None = None) -> None:
        super().__init__("accountBadge", parent=parent)
        self.paper: bool | None = None
        self.set_mode(paper)

    def set_mode(self, paper: bool | None) -> None:
        """True = paper, False = live, None = Trading API off (hidden)."""
        self.paper = paper
        if paper is None:
            self.setVisible(False)
            return
        self.setText(badge_text(paper))
        self.level = Level.INFO if paper else Level.WARN
        self.setToolTip(
            "Paper trading account: simulated money. Tickerdesk is read-only."
            if paper
            else "LIVE trading account: real money. Tickerdesk is read-only: it never "
            "places, changes or cancels orders."
        )
        self.restyle()
        self.setVisible(True)

    def restyle(self) -> None:
        if self.paper is not None:
            self.show_badge(self.colours[self.level])


class TradeStreamIndicator(StatusLabel):
    """The trade_updates stream's StreamHealth in words; hidden without one.

    `rest_error` (optional) reads the account's REST calls' last error (AccountService):
    a 401/403 there says the key pair does not open the chosen endpoint, even while the
    stream is still trying.
    """

    def __init__(
        self,
        health: StreamHealth | None,
        clock: Callable[[], float] = time.monotonic,
        parent: QWidget | None = None,
        rest_error: Callable[[], str | None] | None = None,
    ) -> None:
        super().__init__("tradeStreamIndicator", parent=parent)
        self._health = health
        self._clock = clock
        self._rest_error = rest_error
        self._shown_state: ConnectionState | None = None
        self.refresh()

    def set_health(self, health: StreamHealth | None) -> None:
        """The Trading API was switched (None = off)."""
        self._health = health
        self.refresh()

    def needs_refresh(self) -> bool:
        """A state change, a retry countdown or a REST error to read: worth the fast tick."""
        health = self._health
        if health is None:
            return self.isVisible()
        return (
            health.state is not self._shown_state
            or health.next_retry_at is not None
            or self._rest_error is not None  # a cheap read without a version to compare
        )

    def refresh(self) -> None:
        health = self._health
        if health is None:
            self._shown_state = None
            self.setVisible(False)
            return
        self._shown_state = health.state
        rest_error = self._rest_error() if self._rest_error is not None else None
        code = current_refusal(health, rest_error)
        words = describe_trade_stream(health, self._clock(), rest_error)
        self.show_level(Level.BAD if code is not None else _LEVELS[health.state], words)
        if code is not None:
            failed = health.state is ConnectionState.FAILED and refusal_code(health.last_error)
            tip = f"{_REFUSAL_TIPS[code]}\n{health.last_error if failed else rest_error}"
        else:
            tip = f"Account stream (trade_updates): {words.removeprefix('account: ')}"
            if health.last_error:
                tip += f"\nLast error: {health.last_error}"
        if health.endpoint:
            tip += f"\nEndpoint: {health.endpoint}"
        self.setToolTip(tip)
        self.setVisible(True)
