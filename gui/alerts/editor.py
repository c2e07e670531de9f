"""Add or edit one alert rule: symbol, condition, threshold, once only, cooldown, note.

Validates with engine.alerts (strict: what a person enters now) before `submitted` is
emitted; what is wrong is said under the form and the dialog stays open. Once only and
the cooldown are what keep a chopping "crosses" rule quiet (docs/design.md, "Alerts:
once only and cooldown").
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from engine.alerts.book import KIND_LABELS, Alert, AlertError
from engine.alerts.book import validate as validate_alert
from engine.alerts.rules import COOLDOWN_CHOICES, cooldown_text, validate_cooldown
from gui.alerts.threshold import ThresholdField
from gui.window.mnemonics import buddy_mnemonics

__all__ = ["AlertEditor"]

_ONCE_TIP = "After it fires, the rule stays quiet until you press Re-arm in the alerts list"
_COOLDOWN_TIP = (
    "After a notification, further firings within this time are counted and listed"
    " under Recent alerts, but not notified"
)


class AlertEditor(QDialog):
    """Add or edit one rule; validates with engine.alerts.book before `submitted` is emitted."""

    # id or None, symbol, kind, threshold, note, once only, cooldown (s)
    submitted = Signal(object, str, str, float, str, bool, int)
    refused = Signal(str)  # what was wrong with the input, in words

    def __init__(
        self, parent: QWidget | None = None, alert: Alert | None = None,
        symbol: str = "", price: float | None = None,
    ) -> None:  # fmt: skip
        super().__init__(parent)
        self.setObjectName("alertEditor")
        self.setWindowTitle("Edit alert" if alert else "Add alert")
        self.alert_id = alert.id if alert else None
        self.symbol_field = QLineEdit(alert.symbol if alert else symbol, self)
        self.kind_combo = QComboBox(self)
        for kind, label in KIND_LABELS.items():
            self.kind_combo.addItem(label, kind.value)
        self.threshold_field = ThresholdField(self)
        self.threshold_field.setValue(alert.threshold if alert else (price or 0.0))
        self.once_box = QCheckBox("Once only (re-arm by hand)", self)
        self.once_box.setObjectName("alertOnceOnly")
        self.once_box.setToolTip(_ONCE_TIP)
        self.cooldown_combo = QComboBox(self)
        self.cooldown_combo.setObjectName("alertCooldown")
        self.cooldown_combo.setToolTip(_COOLDOWN_TIP)
        choices = list(COOLDOWN_CHOICES)
        if alert is not None and alert.cooldown_s not in choices:  # from a file: keep it
            choices = sorted({*choices, alert.cooldown_s})
        for seconds in choices:
            self.cooldown_combo.addItem(cooldown_text(seconds), seconds)
        self.note_field = QLineEdit(alert.note if alert else "", self)
        if alert is not None:
            self.kind_combo.setCurrentIndex(self.kind_combo.findData(alert.kind.value))
            self.once_box.setChecked(alert.once)
            self.cooldown_combo.setCurrentIndex(self.cooldown_combo.findData(alert.cooldown_s))
        self.error = QLabel(self)
        self.error.setObjectName("alertEditorError")
        self.error.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Symbol", self.symbol_field)
        form.addRow("When", self.kind_combo)
        form.addRow("Threshold", self.threshold_field)
        form.addRow("", self.once_box)
        form.addRow("Cooldown", self.cooldown_combo)
        form.addRow("Note", self.note_field)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        buddy_mnemonics(self)  # Alt+letter focuses each field (docs/keyboard.md)
        if symbol and alert is None:  # prefilled from the selected row: the price is next
            self.threshold_field.setFocus()

    def set_cooldown(self, seconds: int) -> None:
        """Choose a cooldown the list offers (tests, scripted use)."""
        self.cooldown_combo.setCurrentIndex(self.cooldown_combo.findData(seconds))

    def submit(self) -> None:
        """Validate; on success emit `submitted` and close, else explain and stay open."""
        kind = str(self.kind_combo.currentData())
        try:
            threshold = self.threshold_field.parsed()
            symbol, _ = validate_alert(self.symbol_field.text(), kind, threshold, strict=True)
            cooldown = validate_cooldown(self.cooldown_combo.currentData())
        except AlertError as exc:
            self.error.setText(f"{exc.field.capitalize()}: {exc.reason}")
            self.refused.emit(self.error.text())
            return
        self.submitted.emit(
            self.alert_id, symbol, kind, threshold, self.note_field.text(),
            self.once_box.isChecked(), cooldown,
        )  # fmt: skip
        self.accept()
