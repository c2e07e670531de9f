"""Budget indicator: the plan's limit in words, hidden while every symbol streams."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QStatusBar

from engine.net.health import StreamHealth
from engine.plan import PlanLimit, SymbolBudget
from gui.statusbar import StatusIndicators
from gui.statusbar.budget import BudgetIndicator
from gui.statusbar.style import Level

SYMBOLS = [f"S{i:02d}" for i in range(34)]


def test_indicator_says_why_and_hides_when_everything_streams(qapp: Any) -> None:
    budget = SymbolBudget(PlanLimit())
    budget.split(SYMBOLS[:10])
    bar = QStatusBar()
    indicator = BudgetIndicator(budget, poll_interval_s=15)
    bar.addPermanentWidget(indicator)
    indicator.refresh()
    assert indicator.isHidden()
    budget.split(SYMBOLS)
    assert indicator.needs_refresh()
    indicator.refresh()
    assert not indicator.isHidden()
    assert indicator.text() == "streaming 30 of 34 symbols: Alpaca's free plan allows 30"
    assert indicator.level is Level.WARN
    tip = indicator.toolTip()
    assert "From REST snapshots every 15 s: S30, S31, S32, S33" in tip
    assert "30 symbols (trades and quotes together)" in tip
    assert not indicator.needs_refresh()
    budget.split(SYMBOLS[:30])
    indicator.refresh()
    assert indicator.isHidden()
    assert BudgetIndicator(None).isHidden()


def test_status_bar_places_the_budget_and_refreshes_it_on_the_fast_tick(qapp: Any) -> None:
    budget = SymbolBudget(PlanLimit())
    bar = QStatusBar()
    indicators = StatusIndicators(bar, StreamHealth(), start_timers=False, budget=budget)
    assert indicators.budget.parent() is bar
    assert indicators.budget in indicators.labels
    budget.split(SYMBOLS)
    indicators._on_fast_tick()  # a change shows within the fast tick, not a second later
    assert indicators.budget.text().startswith("streaming 30 of 34 symbols")
