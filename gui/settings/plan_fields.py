"""The Settings dialog's market-data plan: the plan list, a custom limit and the plan's
limit in words (docs/account-and-history.md, "Plans and limits"). A mixin of
`gui.settings.dialog.SettingsDialog`, kept apart so the dialog module stays short.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from PySide6.QtWidgets import QComboBox, QLabel, QSpinBox, QWidget

from engine.plan import BASIC_SYMBOL_LIMIT, MarketDataPlan, PlanLimit, default_plan

_PLAN_ITEMS = {
    MarketDataPlan.BASIC: f"Basic (free): {BASIC_SYMBOL_LIMIT} symbols",
    MarketDataPlan.ALGO_TRADER_PLUS: "Algo Trader Plus: no symbol limit",
    MarketDataPlan.CUSTOM: "Custom symbol limit",
}


if TYPE_CHECKING:
    from gui.settings.dialog import StreamSettings
    from gui.settings.feeds import FeedCombo


class PlanFields:
    """The plan combo, the custom-limit spin box and the plan's words (a mixin of the
    dialog: the widgets' parent is the dialog itself)."""

    _current: StreamSettings
    _plan_feed: str
    feed_combo: FeedCombo

    def _build_plan(self, plan: PlanLimit, note: str) -> None:
        self.plan_combo = QComboBox(cast(QWidget, self))
        self.plan_combo.setObjectName("planCombo")
        for member, text in _PLAN_ITEMS.items():
            self.plan_combo.addItem(text, member.value)
        self.limit_spin = QSpinBox(cast(QWidget, self))
        self.limit_spin.setObjectName("symbolLimitSpin")
        self.limit_spin.setRange(0, 100_000)
        self.limit_spin.setSpecialValueText("no limit")  # shown at 0 (Algo Trader Plus)
        self.limit_spin.setSuffix(" symbols")
        self.limit_spin.setToolTip("Symbols streamed at most; only for a custom limit")
        self.limit_spin.setValue(plan.limit or 0)
        self.plan_label = QLabel(cast(QWidget, self))
        self.plan_label.setObjectName("planLabel")
        self.plan_label.setWordWrap(True)
        self._plan_note = note
        self.plan_combo.setCurrentIndex(self.plan_combo.findData(plan.plan.value))
        self.plan_combo.currentIndexChanged.connect(self._show_plan)
        self.limit_spin.valueChanged.connect(self._show_plan)
        self._show_plan()

    def _follow_feed(self, feed: str) -> None:
        # A plan never chosen follows the feed (sip: Algo Trader Plus, else Basic) until
        # the user picks one; values() then reports it as not chosen (None).
        if self._current.plan is None and self.chosen_plan() == default_plan(self._plan_feed):
            self.plan_combo.setCurrentIndex(self.plan_combo.findData(default_plan(feed).plan))
        self._plan_feed = feed

    def chosen_plan(self) -> PlanLimit:
        member = MarketDataPlan(self.plan_combo.currentData())
        if member is MarketDataPlan.CUSTOM:
            return PlanLimit(member, max(1, self.limit_spin.value()))
        return PlanLimit(member)

    def _show_plan(self, *_args: object) -> None:
        """The chosen plan's limit in words (docs/account-and-history.md, "Plans and limits")."""
        member = MarketDataPlan(self.plan_combo.currentData())
        custom = member is MarketDataPlan.CUSTOM
        self.limit_spin.setEnabled(custom)
        self.limit_spin.blockSignals(True)
        if not custom:
            self.limit_spin.setValue(PlanLimit(member).limit or 0)
        elif self.limit_spin.value() == 0:
            self.limit_spin.setValue(BASIC_SYMBOL_LIMIT)
        self.limit_spin.blockSignals(False)
        text = self.chosen_plan().describe()
        if self._plan_note:
            text += f"\n{self._plan_note}"
        self.plan_label.setText(text)

    def _plan_value(self) -> PlanLimit | None:
        chosen = self.chosen_plan()
        feed = self.feed_combo.currentText()
        if self._current.plan is None and chosen == default_plan(feed):
            return None  # still the feed's default: not a choice to save
        return chosen
