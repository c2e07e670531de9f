"""Symbol budget: "streaming 30 of 34 symbols: Alpaca's free plan allows 30".

Reads `engine.plan.SymbolBudget` (made by the composition root, split by
gui.watchlists.budget.BudgetKeeper). Hidden while every watched symbol streams; the
tooltip names the symbols kept alive from REST and the plan's limit in words
(docs/account-and-history.md, "Plans and limits").
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from engine.plan import SymbolBudget
from gui.statusbar.style import Level, StatusLabel


class BudgetIndicator(StatusLabel):
    """Why not every symbol streams, in words; invisible when all do."""

    def __init__(
        self,
        budget: SymbolBudget | None = None,
        poll_interval_s: float | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("budgetIndicator", parent=parent)
        self._budget = budget
        self._interval = poll_interval_s
        self._version = -1
        self.setVisible(False)  # shown by refresh() once placed (never as a window of its own)

    def set_budget(self, budget: SymbolBudget | None) -> None:
        self._budget = budget
        self._version = -1
        self.refresh()

    def needs_refresh(self) -> bool:
        return self._budget is not None and self._budget.version != self._version

    def refresh(self) -> None:
        budget = self._budget
        if budget is None:
            self._version = -1
            self.setVisible(False)
            return
        if budget.version == self._version:
            return
        self._version = budget.version
        text = budget.message()
        if text is None:
            self.setVisible(False)
            return
        self.show_level(Level.WARN, text)
        self.setToolTip(budget.details(self._interval))
        self.setVisible(True)
