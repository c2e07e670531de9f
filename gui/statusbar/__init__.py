"""Status bar: small indicators over engine.net.health.StreamHealth, refreshed by timers.

Each indicator is its own module (a `gui.statusbar.style.StatusLabel`) and reads the
health object with an injectable clock; this package only builds them, lays them out and
drives `refresh()`: a 1 Hz timer so the message age ticks when nothing arrives (that is
the point), and a faster one so state changes show without waiting a second.
`set_palette` (connected to ThemeController.theme_changed) recolours every indicator.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QStatusBar

from engine.net.health import StreamHealth
from engine.plan import SymbolBudget
from gui.settings.theme import Palette
from gui.statusbar.age import MessageAgeIndicator
from gui.statusbar.budget import BudgetIndicator
from gui.statusbar.connection import ConnectionIndicator
from gui.statusbar.error import LastErrorIndicator
from gui.statusbar.feed import FeedBadge, InsecureBadge
from gui.statusbar.history import HistoryIndicator
from gui.statusbar.market_session import MarketSessionIndicator, utc_now
from gui.statusbar.message import MessagePlace
from gui.statusbar.rate import FallingBehindBadge, RateIndicator
from gui.statusbar.reconnects import ReconnectsIndicator
from gui.statusbar.style import StatusLabel

SLOW_REFRESH_MS = 1000
FAST_REFRESH_MS = 200

__all__ = ["StatusIndicators"]


class StatusIndicators(QObject):
    """Builds every indicator into `bar`; `refresh()` updates them all at once."""

    def __init__(
        self,
        bar: QStatusBar,
        health: StreamHealth,
        clock: Callable[[], float] = time.monotonic,
        demo: bool = False,
        start_timers: bool = True,
        *,
        budget: SymbolBudget | None = None,
        poll_interval_s: float | None = None,
        session_clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(bar)
        self.health = health
        self.feed = FeedBadge(health, demo)
        self.connection = ConnectionIndicator(health, clock)
        self.age = MessageAgeIndicator(health, clock)
        self.rate = RateIndicator(health, clock)
        self.reconnects = ReconnectsIndicator(health)
        self.falling_behind = FallingBehindBadge(health, clock=clock)
        self.insecure = InsecureBadge(health)
        self.error = LastErrorIndicator(health)
        self.budget = BudgetIndicator(budget, poll_interval_s)
        # The composition root gives it the backfill's progress (set_source).
        self.history = HistoryIndicator()
        # Every indicator is permanent: a transient message never hides one (the DEMO
        # badge above all); messages get their own place, where a shown error wins
        # (gui.statusbar.message; issue 18, #5 and #7c).
        self.message = MessagePlace(bar, self.error)
        for widget in (self.feed, self.insecure, self.connection, self.age, self.rate):
            bar.addPermanentWidget(widget)
        bar.addPermanentWidget(self.error)
        bar.addPermanentWidget(self.message, 1)
        bar.addPermanentWidget(self.history)
        bar.addPermanentWidget(self.budget)
        self.budget.refresh()
        bar.addPermanentWidget(self.falling_behind)
        bar.addPermanentWidget(self.reconnects)
        # NYSE hours by the wall clock; a demo on a simulated clock passes its own.
        self.market_session = MarketSessionIndicator(
            session_clock or utc_now, simulated=session_clock is not None, demo=demo
        )
        bar.addPermanentWidget(self.market_session)
        self.labels: tuple[StatusLabel, ...] = (
            self.feed, self.insecure, self.connection, self.age, self.rate, self.reconnects,
            self.falling_behind, self.error, self.budget, self.history, self.market_session,
            self.message,
        )  # fmt: skip
        self._bar = bar
        self._extra: list[StatusLabel] = []  # added later (the account's), fast-checked
        self._palette: Palette | None = None
        self._state = health.state
        self._slow = QTimer(self)
        self._slow.setInterval(SLOW_REFRESH_MS)
        self._slow.timeout.connect(self.refresh)
        self._fast = QTimer(self)
        self._fast.setInterval(FAST_REFRESH_MS)
        self._fast.timeout.connect(self._on_fast_tick)
        if start_timers:
            self._slow.start()
            self._fast.start()

    def add(self, label: StatusLabel) -> None:
        """A further indicator (e.g. the account's), permanent at the right; it gets the
        theme and both refreshes like the built-in ones (its `needs_refresh()`, if it has
        one, is asked on the fast tick)."""
        self._bar.addPermanentWidget(label)
        self.labels = (*self.labels, label)
        self._extra.append(label)
        if self._palette is not None:
            label.set_palette(self._palette)
        label.refresh()

    def set_demo(self, demo: bool) -> None:
        self.feed.set_demo(demo)
        self.market_session.set_demo(demo)

    def set_session_clock(self, clock: Callable[[], datetime] | None) -> None:
        """The market session follows `clock` (a simulated one), or the wall clock (None)."""
        self.market_session.set_clock(clock or utc_now, simulated=clock is not None)

    def stop(self) -> None:
        """Stop the timers (shutdown)."""
        self._slow.stop()
        self._fast.stop()

    def set_palette(self, palette: Palette) -> None:
        """Theme switch: every indicator takes the new colours and repaints."""
        self._palette = palette
        for label in self.labels:
            label.set_palette(palette)

    def refresh(self) -> None:
        """Re-read the health object into every indicator."""
        self._state = self.health.state
        for label in self.labels:
            label.refresh()

    def _on_fast_tick(self) -> None:
        # Cheap check first: a state change, error, retry countdown or flag flip
        # shows within FAST_REFRESH_MS; everything else waits for the 1 Hz tick.
        health = self.health
        if (
            health.state is not self._state
            or health.last_error != self.error.full_text
            or self.error.switching()
            or health.reconnects != self.reconnects.count
            or self.falling_behind.needs_refresh()
            or self.budget.needs_refresh()
            or self.history.needs_refresh()
            or any(_needs_refresh(label) for label in self._extra)
        ):
            self.refresh()
        elif health.next_retry_at is not None:
            self.connection.refresh()


def _needs_refresh(label: StatusLabel) -> bool:
    check = getattr(label, "needs_refresh", None)
    return bool(check()) if callable(check) else False
