"""The "falling behind" badge: shows the figure, keeps the episode's peak, and stays up
for a hold time after catching up (a stall caught up in a second would never be seen)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QStatusBar

from engine.net.health import StreamHealth
from gui.statusbar import StatusIndicators
from gui.statusbar.rate import FallingBehindBadge


def test_badge_shows_the_figure_and_holds_after_recovery(qtbot: Any, clock: Any) -> None:
    health = StreamHealth(clock=clock)
    badge = FallingBehindBadge(health, clock=clock)
    qtbot.addWidget(badge)
    assert badge.isHidden()
    assert not badge.needs_refresh()

    health.falling_behind, health.falling_behind_events, health.falling_behind_s = True, 1, 1.4
    assert badge.needs_refresh()
    badge.refresh()
    assert not badge.isHidden()
    assert badge.text() == "falling behind by 1.4 s"
    health.falling_behind_s = 2.3
    badge.refresh()
    assert badge.text() == "falling behind by 2.3 s"
    health.falling_behind_s = 1.8  # catching up: the episode's peak stays on the badge
    badge.refresh()
    assert badge.text() == "falling behind by 2.3 s"

    health.falling_behind, health.falling_behind_s = False, 0.0
    clock.advance(FallingBehindBadge.HOLD_S / 2)
    badge.refresh()
    assert not badge.isHidden()  # held: the user gets to read it
    clock.advance(FallingBehindBadge.HOLD_S)
    badge.refresh()
    assert badge.isHidden()
    assert not badge.needs_refresh()

    # A new episode starts from its own figure, not the old peak.
    health.falling_behind, health.falling_behind_events, health.falling_behind_s = True, 2, 1.1
    badge.refresh()
    assert badge.text() == "falling behind by 1.1 s"


def test_status_bar_fast_tick_picks_up_an_episode(qtbot: Any, clock: Any) -> None:
    bar = QStatusBar()
    qtbot.addWidget(bar)
    health = StreamHealth(clock=clock)
    indicators = StatusIndicators(bar, health, clock, start_timers=False)
    assert indicators.falling_behind.isHidden()
    health.falling_behind, health.falling_behind_events, health.falling_behind_s = True, 1, 3.0
    indicators._on_fast_tick()
    assert not indicators.falling_behind.isHidden()
    assert indicators.falling_behind.text() == "falling behind by 3.0 s"
