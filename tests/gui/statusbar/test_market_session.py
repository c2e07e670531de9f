"""Market-session indicator: phase and countdown from the NYSE calendar, injectable clock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from PySide6.QtWidgets import QStatusBar

from engine.market.calendar import EASTERN
from engine.net.health import StreamHealth
from gui.statusbar import StatusIndicators
from gui.statusbar.market_session import MarketSessionIndicator, format_countdown
from gui.statusbar.style import Level


@pytest.mark.parametrize(
    ("now", "text", "level"),
    [
        (datetime(2025, 6, 3, 13, 47, tzinfo=EASTERN), "Regular session · closes in 2h 13m",
         Level.OK),
        (datetime(2025, 6, 3, 8, 45, tzinfo=EASTERN), "Pre-market · opens in 45m", Level.WARN),
        (datetime(2025, 6, 3, 19, 59, 30, tzinfo=EASTERN), "After-hours · ends in <1m",
         Level.WARN),
        (datetime(2025, 11, 28, 12, 0, tzinfo=EASTERN),
         "Regular session · closes in 1h 00m (early close 13:00)", Level.OK),
        (datetime(2025, 12, 25, 12, 0, tzinfo=EASTERN),
         "Market closed (Christmas Day) · pre-market in 16h 00m", Level.INFO),
        (datetime(2025, 7, 5, 12, 0, tzinfo=EASTERN), "Market closed · pre-market in 1d 16h",
         Level.INFO),
    ],
)  # fmt: skip
def test_indicator_text_and_level(qapp: Any, now: datetime, text: str, level: Level) -> None:
    indicator = MarketSessionIndicator(lambda: now)
    assert indicator.text() == text
    assert indicator.level is level
    assert "previous trading day's close" in indicator.toolTip()


def test_indicator_ticks_with_the_clock_and_is_in_the_status_bar(qapp: Any) -> None:
    now = [datetime(2025, 6, 3, 9, 29, tzinfo=EASTERN)]
    indicator = MarketSessionIndicator(lambda: now[0])
    assert indicator.text().startswith("Pre-market")
    now[0] = datetime(2025, 6, 3, 9, 30, tzinfo=EASTERN)
    indicator.refresh()
    assert indicator.text() == "Regular session · closes in 6h 30m"
    assert "regular 09:30\u201316:00" in indicator.toolTip()
    bar = QStatusBar()
    indicators = StatusIndicators(bar, StreamHealth(), start_timers=False)
    assert indicators.market_session.parent() is bar
    indicators.refresh()
    assert indicators.market_session.state is not None


def test_format_countdown() -> None:
    assert [format_countdown(s) for s in (-5, 30, 60, 3_599, 7_980, 90_000)] == [
        "<1m", "<1m", "1m", "59m", "2h 13m", "1d 1h"]  # fmt: skip


def test_a_simulated_clock_is_followed_and_labelled(qapp: Any) -> None:
    """A demo on `--demo-at`: the session is the simulated day's, said to be simulated."""
    simulated = datetime(2026, 11, 20, 9, 25, tzinfo=EASTERN)
    bar = QStatusBar()
    indicators = StatusIndicators(
        bar, StreamHealth(), start_timers=False, session_clock=lambda: simulated
    )
    market = indicators.market_session
    assert market.text() == "Simulated · Pre-market · opens in 5m"
    assert market.toolTip().startswith("Simulated clock (demo): New York time Fri 2026-11-20 09:25")
    indicators.set_session_clock(None)  # leaving the demo: the wall clock again
    assert not market.text().startswith("Simulated")
    assert not market.simulated


def test_alpacas_calendar_wins_on_an_unscheduled_closure(qapp: Any) -> None:
    from datetime import date, time

    from engine.account.models import CalendarDay
    from gui.statusbar.market_session import UNSCHEDULED_CLOSURE

    # Wednesday 2026-11-18, 11:00 ET: a trading day by the NYSE rules...
    indicator = MarketSessionIndicator(lambda: datetime(2026, 11, 18, 11, 0, tzinfo=EASTERN))
    assert indicator.text().startswith("Regular session")
    # ...but Alpaca's calendar, covering the 17th to the 19th, leaves it out.
    days = [CalendarDay(date(2026, 11, d), time(9, 30), time(16, 0)) for d in (17, 19)]
    note = "2026-11-18: Alpaca's calendar has no session (the local rules have one)"
    indicator.set_server_calendar(lambda: (days, note))
    assert indicator.text() == UNSCHEDULED_CLOSURE
    assert indicator.level is Level.WARN
    assert note in indicator.toolTip()
    # A calendar that does not reach today decides nothing; nor does a listed day.
    indicator.set_server_calendar(lambda: (days[:1], None))
    assert indicator.text().startswith("Regular session")
    full = [*days, CalendarDay(date(2026, 11, 18), time(9, 30), time(16, 0))]
    indicator.set_server_calendar(lambda: (full, None))
    assert indicator.text().startswith("Regular session")
