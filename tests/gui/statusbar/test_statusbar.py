"""Status bar indicators: rendering from StreamHealth with a fake clock, and live states
driven by the real simulator's faults through a real StreamClient on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtWidgets import QStatusBar

from engine.market.store import MarketDataStore
from engine.net.health import ConnectionState, StreamHealth
from engine.net.retry import BackoffPolicy
from engine.net.stream import StreamClient, StreamConfig
from gui.settings.theme import DARK, LIGHT
from gui.statusbar import StatusIndicators
from gui.statusbar.age import AMBER_AFTER_S, RED_AFTER_S, describe_age
from gui.statusbar.connection import describe_state
from gui.statusbar.style import Level, StatusLabel, badge_css
from tests.waits import until


@pytest.fixture
def health(clock: Any) -> StreamHealth:
    return StreamHealth(clock=clock)


@pytest.fixture
def indicators(qtbot: Any, health: StreamHealth, clock: Any) -> Iterator[StatusIndicators]:
    bar = QStatusBar()  # held here: the indicators are its children
    qtbot.addWidget(bar)
    yield StatusIndicators(bar, health, clock, start_timers=False)
    bar.close()


def _level(indicator: Any) -> Level:
    # A function call, so mypy does not narrow `.level` across refreshes.
    return indicator.level  # type: ignore[no-any-return]


def test_message_age_ticks_with_the_clock_and_changes_colour(
    indicators: StatusIndicators, health: StreamHealth, clock: Any
) -> None:
    health.set_state(ConnectionState.STREAMING)
    age = indicators.age
    indicators.refresh()
    assert age.text() == "no messages yet"
    health.record_frame(3)
    clock.advance(0.4)
    indicators.refresh()
    assert age.text() == "last message 0.4 s ago"
    assert age.level is Level.OK
    # Nothing arrives: the age keeps growing on each tick.
    clock.advance(AMBER_AFTER_S)
    indicators.refresh()
    assert age.text() == "last message 5.4 s ago"
    assert _level(age) is Level.WARN
    clock.advance(RED_AFTER_S)
    indicators.refresh()
    assert age.text() == "last message 35 s ago"
    assert _level(age) is Level.BAD
    clock.advance(200)
    indicators.refresh()
    assert age.text() == "last message 3 min 55 s ago"


def test_age_is_red_and_explicit_when_not_streaming(health: StreamHealth, clock: Any) -> None:
    health.set_state(ConnectionState.STREAMING)
    health.record_frame(1)
    clock.advance(1.0)
    health.set_state(ConnectionState.RECONNECTING, "connection lost")
    text, level = describe_age(health, clock())
    assert text == "not streaming — last message 1.0 s ago"
    assert level is Level.BAD


def test_connection_words_for_every_state(health: StreamHealth, clock: Any) -> None:
    health.set_state(ConnectionState.CONNECTING)
    assert describe_state(health, clock()) == "connecting"
    health.set_state(ConnectionState.AUTHENTICATING)
    assert describe_state(health, clock()) == "authenticating"
    health.set_state(ConnectionState.STREAMING)
    assert describe_state(health, clock()) == "streaming"
    health.set_state(ConnectionState.RECONNECTING, "dropped")
    health.next_retry_at = clock() + 2.3
    assert describe_state(health, clock()) == "reconnecting in 3 s"
    clock.advance(2.0)
    assert describe_state(health, clock()) == "reconnecting in 1 s"
    health.set_state(ConnectionState.FAILED, "authentication failed: check key\nmore")
    assert describe_state(health, clock()) == "failed: authentication failed: check key"


def test_badges_and_counters(
    indicators: StatusIndicators, health: StreamHealth, clock: Any
) -> None:
    indicators.set_demo(True)
    assert indicators.feed.text() == "DEMO"
    indicators.set_demo(False)
    health.feed = "delayed_sip"
    indicators.refresh()
    assert indicators.feed.text() == "DELAYED"
    assert indicators.insecure.isHidden()
    assert indicators.falling_behind.isHidden()
    assert indicators.error.isHidden()
    health.insecure = True
    health.falling_behind = True
    health.reconnects = 2
    long_error = "server error 406: connection limit exceeded " + "x" * 200
    health.last_error = long_error
    indicators.refresh()
    assert not indicators.insecure.isHidden()
    assert not indicators.falling_behind.isHidden()
    assert indicators.reconnects.text() == "reconnects: 2"
    assert not indicators.error.isHidden()
    assert indicators.error.toolTip() == long_error
    assert len(indicators.error.text()) < len(long_error)
    for _ in range(6):
        health.record_frame(10, now=clock())
        clock.advance(1.0)
    indicators.refresh()
    assert indicators.rate.text() == "10 msgs/s"


def test_set_palette_recolours_what_is_on_screen_per_instance(
    indicators: StatusIndicators, health: StreamHealth, qtbot: Any
) -> None:
    health.set_state(ConnectionState.STREAMING)
    health.reconnects = 1
    indicators.refresh()
    assert all(isinstance(label, StatusLabel) for label in indicators.labels)
    assert LIGHT.levels["ok"] in indicators.connection.text()
    other_bar = QStatusBar()
    qtbot.addWidget(other_bar)
    other = StatusIndicators(other_bar, health, start_timers=False)
    indicators.set_palette(DARK)  # no refresh needed: the theme switch repaints at once
    assert DARK.levels["ok"] in indicators.connection.text()
    assert DARK.levels["warn"] in indicators.reconnects.styleSheet()
    assert indicators.feed.styleSheet() == badge_css(DARK.levels["info"])
    assert indicators.falling_behind.styleSheet() == badge_css(DARK.levels["bad"])
    assert indicators.error.styleSheet() == ""  # nothing shown yet: nothing to recolour
    # Another status bar keeps its own colours: there is no module-wide table.
    assert LIGHT.levels["ok"] in other.connection.text()
    assert other.insecure.styleSheet() == badge_css(LIGHT.levels["bad"])
    health.last_error = "boom"
    indicators.refresh()
    assert DARK.levels["bad"] in indicators.error.styleSheet()


def test_fast_tick_shows_a_state_change_before_the_slow_tick(
    indicators: StatusIndicators, health: StreamHealth, qtbot: Any
) -> None:
    indicators._fast.start()
    health.set_state(ConnectionState.FAILED, "auth failed")
    qtbot.waitUntil(lambda: "failed: auth failed" in indicators.connection.text())
    assert indicators.connection.level is Level.BAD


# --- live: real simulator, real StreamClient, loopback ----------------------------------


def _fast_backoff() -> BackoffPolicy:
    return BackoffPolicy(initial=0.05, maximum=0.2)


def test_drop_shows_reconnecting_then_streaming(
    qloop: asyncio.AbstractEventLoop, qtbot: Any
) -> None:
    from engine.simulator import Simulator, SimulatorConfig

    async def scenario() -> None:
        async with Simulator(SimulatorConfig(rate=50.0, seed=1)) as sim:
            store = MarketDataStore()
            health = StreamHealth()
            bar = QStatusBar()
            qtbot.addWidget(bar)
            ind = StatusIndicators(bar, health, start_timers=False)
            config = StreamConfig(url=sim.ws_url, backoff=_fast_backoff())
            client = StreamClient(config, store, health)
            client.set_symbols(["AAPL", "MSFT"])
            client.start()
            seen: list[str] = []

            def words() -> str:
                ind.refresh()
                if not seen or seen[-1] != ind.connection.words:
                    seen.append(ind.connection.words)
                return ind.connection.words

            try:
                await until(lambda: words() == "streaming", "streaming")
                await until(lambda: health.messages > 0, "first messages")
                sim.faults.drop_all()
                await until(lambda: words().startswith("reconnecting"), "reconnecting")
                assert ind.connection.level is Level.WARN
                assert ind.age.level is Level.BAD  # not streaming: explicit and red
                await until(lambda: words() == "streaming" and health.reconnects >= 1, "back")
                assert ind.reconnects.text() == f"reconnects: {health.reconnects}"
                assert ind.error.full_text  # why it dropped stays visible
            finally:
                await client.stop()
            assert any(w.startswith("reconnecting") for w in seen)

    qloop.run_until_complete(scenario())


def test_refused_auth_shows_failed_with_the_reason(
    qloop: asyncio.AbstractEventLoop, qtbot: Any
) -> None:
    from engine.config import Credentials
    from engine.simulator import Simulator, SimulatorConfig

    async def scenario() -> None:
        config = SimulatorConfig(rate=10.0, key="right", secret="right-secret")
        async with Simulator(config) as sim:
            health = StreamHealth()
            bar = QStatusBar()
            qtbot.addWidget(bar)
            ind = StatusIndicators(bar, health, start_timers=False)
            stream = StreamConfig(
                url=sim.ws_url, credentials=Credentials("wrong", "nope"), backoff=_fast_backoff()
            )
            client = StreamClient(stream, MarketDataStore(), health)
            client.start()
            try:
                await until(lambda: health.state is ConnectionState.FAILED, "failed state")
                ind.refresh()
                assert ind.connection.words.startswith("failed: ")
                assert ind.connection.level is Level.BAD
                error = health.last_error or ""
                assert "402" in error or "auth" in error.lower()
                assert ind.error.toolTip() == error
                assert "nope" not in ind.error.toolTip()  # the secret never shows
                assert health.reconnects == 0  # 402 is not retried
            finally:
                await client.stop()

    qloop.run_until_complete(scenario())


def test_a_chosen_reconnect_says_why_not_an_error() -> None:
    """Issue 12 #15: a feed switch reads "reconnecting: switching to feed sip", not a failure."""
    from engine.net.health import ConnectionState, StreamHealth
    from gui.statusbar.connection import describe_state

    health = StreamHealth(clock=lambda: 100.0)
    health.set_state(ConnectionState.CONNECTING, detail="switching to feed sip")
    assert describe_state(health, 100.0) == "reconnecting: switching to feed sip"
    health.set_state(ConnectionState.AUTHENTICATING)
    assert describe_state(health, 100.0) == "reconnecting: switching to feed sip"
    health.set_state(ConnectionState.STREAMING)
    assert describe_state(health, 100.0) == "streaming"
