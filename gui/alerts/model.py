"""The alerts dock's rule list: one row per rule, its state, options and last firing.

Times are New York time with "ET", like the rest of the app (engine.market.calendar's
zone; docs/design.md, "Alerts: once only and cooldown"). A firing is shown at the time of
the print that fired it, the time the table and detail pane show (the simulated one in
the demo); the cooldown runs on this computer's clock, so its end is said in a tooltip.
The state of a rule inside its cooldown depends on the clock, so the panel asks
`next_change()` when to repaint.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from engine.alerts.book import KIND_LABELS, Alert, AlertBook, AlertFired, AlertKind
from engine.market.calendar import EASTERN

__all__ = ["HEADERS", "AlertListModel", "et_time", "fired_time", "state_text"]

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_CHECK = int(Qt.ItemDataRole.CheckStateRole)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_REARM_TIPS = {
    AlertKind.ABOVE: "Fires once; re-arms after the price falls back 0.1 % below the level",
    AlertKind.BELOW: "Fires once; re-arms after the price rises back 0.1 % above the level",
    AlertKind.CROSSES: "Fires on each crossing (0.1 % beyond the level counts as crossed)",
    AlertKind.PCT_ABOVE: "Fires once; re-arms after the change falls back 0.1 points",
    AlertKind.PCT_BELOW: "Fires once; re-arms after the change rises back 0.1 points",
}
HEADERS = ("On", "Symbol", "Condition", "Threshold", "State", "Fired", "Options", "Note")
_STATE, _FIRED = 4, 5


def et_time(wall_time: float, *, seconds: bool = True) -> str:
    """A wall-clock time in New York time, as the rest of the app shows it: "10:32:05 ET"."""
    at = datetime.fromtimestamp(wall_time, EASTERN)
    return f"{at:%H:%M:%S} ET" if seconds else f"{at:%H:%M} ET"


def fired_time(fired: AlertFired) -> str:
    """When a firing happened as the rest of the app shows time: its print's exchange time
    (simulated in the demo), else this computer's clock; both in ET."""
    if fired.exchange_ns is not None:
        return et_time(fired.exchange_ns / 1e9)
    return et_time(fired.wall_time)


def state_text(alert: Alert, now: float) -> str:
    """The State column: "fired", "above · cooldown · 3 held", "spent · re-arm by hand"."""
    if not alert.enabled:
        return "off"
    if alert.spent:
        text = "spent · re-arm by hand"
    elif alert.kind is AlertKind.CROSSES:
        text = {1: "above", -1: "below"}.get(alert.side, "waiting")
    else:
        text = "armed" if alert.armed else "fired"  # re-arms on a pull-back (engine.alerts)
    if alert.cooling(now):
        text += " · cooldown"
    if alert.held:
        text += f" · {alert.held} held"
    return text


def _state_tip(alert: Alert, now: float) -> str:
    tip = _REARM_TIPS[alert.kind]
    if alert.once:
        tip += ".\nOnce only: after firing it stays spent until you press Re-arm"
    if alert.cooldown_s:
        tip += (
            ".\nCooldown: firings within it of the last notified one are counted"
            " and listed under Recent alerts, not notified"
        )
    if alert.cooling(now) and alert.fired_at is not None:
        end = et_time(alert.fired_at + alert.cooldown_s)
        tip += f".\nQuiet until {end} by this computer's clock"
    return tip


def _threshold_text(alert: Alert) -> str:
    if alert.kind.is_percent:
        return f"{alert.threshold:+g}%"
    # A rule loaded from an old file may hold 1e308: ",.2f" would be 300 digits wide.
    return f"{alert.threshold:,.2f}" if alert.threshold < 1e12 else f"{alert.threshold:.4g}"


class AlertListModel(QAbstractTableModel):
    """Rows = the book's rules in creation order; column 0 is the enable check box."""

    enabled_toggled = Signal(int, bool)  # alert id, enabled

    def __init__(
        self,
        book: AlertBook,
        parent: QObject | None = None,
        wall_clock: Callable[[], float] | None = None,
    ) -> None:
        super().__init__(parent)
        self._book = book
        self._now = wall_clock or book.now
        self._rows: list[Alert] = book.alerts()

    def alert_at(self, row: int) -> Alert | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, alert_id: int) -> int:
        return next((i for i, a in enumerate(self._rows) if a.id == alert_id), -1)

    def refresh(self) -> None:
        """Re-read the book: reset if rules came or went (user edits), else repaint rows."""
        rules = self._book.alerts()
        if [a.id for a in rules] != [a.id for a in self._rows]:
            self.beginResetModel()
            self._rows = rules
            self.endResetModel()
        elif self._rows:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self._rows) - 1, len(HEADERS) - 1)
            )

    def next_change(self) -> float | None:
        """Wall time at which a cooldown shown in the State column ends (None: none runs)."""
        now = self._now()
        ends = [
            a.fired_at + a.cooldown_s
            for a in self._rows
            if a.fired_at is not None and a.enabled and a.cooling(now)
        ]
        return min(ends, default=None)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if role == _DISPLAY and orientation == Qt.Orientation.Horizontal:
            return HEADERS[section] if 0 <= section < len(HEADERS) else None
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        alert = self.alert_at(index.row()) if index.isValid() else None
        if alert is None:
            return None
        column = index.column()
        if role == _CHECK and column == 0:
            return Qt.CheckState.Checked if alert.enabled else Qt.CheckState.Unchecked
        if role == _TOOLTIP:
            return self._tooltip(alert, column)
        if role == _ALIGN and column in (3, _FIRED):
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        if role != _DISPLAY:
            return None
        return self._text(alert, column)

    def _text(self, alert: Alert, column: int) -> str | None:
        values = ("", alert.symbol, KIND_LABELS[alert.kind], _threshold_text(alert),
                  state_text(alert, self._now()), str(alert.fired_count), alert.options_text(),
                  alert.note)  # fmt: skip
        return values[column] if 0 <= column < len(values) else None

    def _tooltip(self, alert: Alert, column: int) -> str:
        """Every cell's whole text (a narrow dock elides it), then what it means."""
        if column == 0:
            on = "On: checked, it fires" if alert.enabled else "Off: unchecked, it never fires"
            return f"{on} (Space or a click turns it {'off' if alert.enabled else 'on'})"
        text = self._text(alert, column) or ""
        if column == _STATE:
            return f"{text}\n{_state_tip(alert, self._now())}"
        if column == _FIRED:
            fired = f"Fired {text} time{'' if text == '1' else 's'}"
            if alert.fired_at is None:
                return fired
            at = datetime.fromtimestamp(alert.fired_at, EASTERN)
            return (f"Last notified {at:%a %Y-%m-%d %H:%M:%S} ET by this computer's clock\n"
                    f"{fired}")  # fmt: skip
        rule = alert.describe()
        return rule if text and text in rule else "\n".join(t for t in (text, rule) if t)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == 0:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def setData(
        self, index: QModelIndex | QPersistentModelIndex, value: Any, role: int = _CHECK
    ) -> bool:
        alert = self.alert_at(index.row()) if index.isValid() else None
        if alert is None or role != _CHECK or index.column() != 0:
            return False
        on = Qt.CheckState(value) == Qt.CheckState.Checked
        self._book.set_enabled(alert.id, on)
        self.dataChanged.emit(self.index(index.row(), 0), self.index(index.row(), len(HEADERS) - 1))
        self.enabled_toggled.emit(alert.id, on)
        return True
