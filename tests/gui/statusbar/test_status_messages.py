"""Issue 18: nothing misleading left in the status bar.

#5  "Settings applied" is never painted over an error: messages have one place, the
    error wins.
#7a a switch the user chose shows its own neutral words, never a red "server closed
    the connection" (the old connection's close) for minutes after.
#7c a transient message never hides the DEMO badge.
#7d the demo says plainly "Simulated session" with its clock, not "Market closed ·
    pre-market in 2d 2h" while prices tick; the detail pane says it too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from PySide6.QtWidgets import QStatusBar

from engine.events import Trade
from engine.market.store import MarketDataStore, Source
from engine.net.health import ConnectionState, StreamHealth
from gui.statusbar import StatusIndicators
from gui.statusbar.style import Level

OFFSCREEN_SHOW = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
SATURDAY = datetime(2026, 3, 14, 15, 0, tzinfo=UTC)  # NYSE closed: "pre-market in 1d…"


@OFFSCREEN_SHOW
def test_a_transient_message_never_hides_the_demo_badge(make_window: Any, qtbot: Any) -> None:
    window = make_window(demo=True)
    window.show()
    qtbot.waitExposed(window)
    badge = window.status.feed
    assert badge.isVisible()
    assert badge.text() == "DEMO"
    window.statusBar().showMessage("Removed AAPL", 4000)
    assert window.statusBar().currentMessage() == "Removed AAPL"  # Qt's API unchanged
    assert badge.isVisible()
    assert badge.text() == "DEMO"
    assert window.status.connection.isVisible()
    assert window.status.message.message == "Removed AAPL"
    assert window.status.message.isVisible()


@OFFSCREEN_SHOW
def test_settings_applied_is_not_painted_over_the_error(make_window: Any, qtbot: Any) -> None:
    window = make_window()
    window.show()
    qtbot.waitExposed(window)
    health, status = window.health, window.status
    health.set_state(ConnectionState.FAILED, "Authentication failed (error 402)")
    status.refresh()
    assert status.error.isVisible()
    window.statusBar().showMessage("Settings applied", 4000)
    status.refresh()
    assert status.error.isVisible()  # the error wins its one place
    assert "402" in status.error.text()
    assert status.message.text() == ""
    assert status.message.toolTip() == "Settings applied"  # waiting, not painted over


def test_a_chosen_switch_shows_neutral_words_and_no_error(qtbot: Any) -> None:
    now = [100.0]
    health = StreamHealth(clock=lambda: now[0])
    bar = QStatusBar()
    qtbot.addWidget(bar)
    status = StatusIndicators(bar, health, lambda: now[0], start_timers=False)
    health.set_state(ConnectionState.STREAMING)
    status.refresh()
    # The user picks another feed: the old connection closes while the switch runs, and
    # that close is reported as "server closed the connection".
    health.set_state(ConnectionState.RECONNECTING, detail="switching to feed sip")
    status.refresh()
    health.last_error = "server closed the connection"
    status.refresh()
    assert status.error.isHidden()
    assert status.connection.words == "reconnecting: switching to feed sip"
    assert status.connection.level is Level.INFO  # neutral, not a warning or an error
    health.set_state(ConnectionState.STREAMING)
    now[0] += 300.0  # minutes later
    status.refresh()
    assert status.error.isHidden()
    # A real drop later is an error again, even with the same words.
    health.reconnects += 1
    health.set_state(ConnectionState.RECONNECTING, "server closed the connection")
    status.refresh()
    assert not status.error.isHidden()
    assert status.error.level is Level.BAD


def test_a_failure_of_the_new_connection_is_still_red(qtbot: Any) -> None:
    health = StreamHealth(clock=lambda: 5.0)
    bar = QStatusBar()
    qtbot.addWidget(bar)
    status = StatusIndicators(bar, health, lambda: 5.0, start_timers=False)
    health.set_state(ConnectionState.CONNECTING, detail="new API key")
    status.refresh()
    health.set_state(ConnectionState.FAILED, "Authentication failed (error 402)")
    status.refresh()
    assert not status.error.isHidden()
    assert status.connection.level is Level.BAD


def test_the_demo_says_simulated_session_not_market_closed(qtbot: Any) -> None:
    bar = QStatusBar()
    qtbot.addWidget(bar)
    status = StatusIndicators(bar, StreamHealth(), demo=True, start_timers=False)
    market = status.market_session
    market.set_clock(lambda: SATURDAY, simulated=False)
    text = market.text()
    assert text.startswith("Simulated session")
    assert "11:00 ET" in text  # its clock, in New York time
    assert "Market closed" not in text
    assert "pre-market in" not in text
    assert "around the clock" in market.toolTip()
    status.set_demo(False)  # leaving the demo: NYSE hours again
    assert market.text().startswith("Market closed")


def test_the_detail_pane_does_not_say_trading_for_simulated_prices(
    make_window: Any, store: MarketDataStore, clock: Any
) -> None:
    window = make_window(demo=True)
    store.watch(["AAPL"])
    store.apply(Trade("AAPL", 200.0, 100, 1), source=Source.SIMULATOR)
    window.detail.show_symbol("AAPL")
    status = window.detail.values["Status"].text()
    assert status.startswith("simulated session")
    assert status != "trading"
