"""Status bar: the PAPER / LIVE badge and the trade stream's state in words."""

from __future__ import annotations

from typing import Any

import pytest

from engine.net.health import ConnectionState, StreamHealth
from gui.settings.theme import DARK, LIGHT
from gui.statusbar.account import AccountBadge, TradeStreamIndicator, refusal_code
from gui.statusbar.style import Level, badge_css
from tests.conftest import FakeClock


@pytest.mark.parametrize("palette", [LIGHT, DARK], ids=["light", "dark"])
def test_badge_says_paper_or_live_and_live_wears_the_warning_colour(
    qtbot: Any, palette: Any
) -> None:
    badge = AccountBadge(True)
    qtbot.addWidget(badge)
    badge.set_palette(palette)
    assert (badge.text(), badge.level, badge.isHidden()) == ("PAPER", Level.INFO, False)
    assert badge.styleSheet() == badge_css(palette.levels["info"])
    badge.set_mode(False)
    assert (badge.text(), badge.level) == ("LIVE", Level.WARN)
    assert badge.styleSheet() == badge_css(palette.levels["warn"])
    assert "real money" in badge.toolTip()
    assert "read-only" in badge.toolTip()
    badge.set_mode(None)  # Trading API off
    assert badge.isHidden()


def test_badge_follows_a_theme_switch(qtbot: Any) -> None:
    badge = AccountBadge(False)
    qtbot.addWidget(badge)
    badge.set_palette(DARK)
    assert badge.styleSheet() == badge_css(DARK.levels["warn"])
    badge.set_palette(LIGHT)
    assert badge.styleSheet() == badge_css(LIGHT.levels["warn"])


def test_trade_stream_state_in_words(qtbot: Any, clock: FakeClock) -> None:
    health = StreamHealth(clock=clock)
    indicator = TradeStreamIndicator(health, clock)
    qtbot.addWidget(indicator)
    assert indicator.text() == "account: disconnected"
    health.set_state(ConnectionState.STREAMING)
    assert indicator.needs_refresh()
    indicator.refresh()
    assert (indicator.text(), indicator.level) == ("account: streaming", Level.OK)
    assert not indicator.needs_refresh()
    health.set_state(ConnectionState.RECONNECTING, "connection closed (1006)")
    health.next_retry_at = clock() + 3
    indicator.refresh()
    assert (indicator.text(), indicator.level) == ("account: reconnecting in 3 s", Level.WARN)
    assert "connection closed (1006)" in indicator.toolTip()
    health.set_state(
        ConnectionState.FAILED,
        "this key pair has no access to the Trading API (HTTP 403): forbidden",
    )
    indicator.refresh()
    assert (indicator.text(), indicator.level) == (
        "account: no trading access (HTTP 403)", Level.BAD,
    )  # fmt: skip
    assert "Settings > Trading API" in indicator.toolTip()
    health.set_state(
        ConnectionState.FAILED, "the trading stream refused the key pair: the key pair was refused"
    )
    indicator.refresh()
    assert indicator.text() == "account: key pair refused"
    health.set_state(
        ConnectionState.FAILED,
        "the trading stream refused the connection (HTTP 401): this key pair has no access",
    )
    indicator.refresh()
    assert indicator.text() == "account: key rejected (HTTP 401)"
    health.set_state(ConnectionState.FAILED, "TLS handshake failed")
    indicator.refresh()
    assert indicator.text() == "account: failed: TLS handshake failed"
    indicator.set_health(None)
    assert indicator.isHidden()


def test_a_rest_refusal_shows_while_the_stream_still_tries(qtbot: Any, clock: FakeClock) -> None:
    health = StreamHealth(clock=clock)
    health.set_state(ConnectionState.CONNECTING)
    errors: list[str | None] = [None]
    indicator = TradeStreamIndicator(health, clock, rest_error=lambda: errors[0])
    qtbot.addWidget(indicator)
    assert indicator.text() == "account: connecting"
    refused = "this key pair has no access to the Trading API (HTTP 403): forbidden"
    errors[0] = refused
    assert indicator.needs_refresh()
    indicator.refresh()
    assert (indicator.text(), indicator.level) == (
        "account: no trading access (HTTP 403)", Level.BAD,
    )  # fmt: skip
    assert refused in indicator.toolTip()


def test_refusal_codes() -> None:
    assert refusal_code("GET /v2/account: HTTP 403 forbidden") == "403"
    assert refusal_code("the Trading API refused the key pair (HTTP 401): check key") == "401"
    assert refusal_code("HTTP 429 too many requests") is None
    assert refusal_code(None) is None
