"""Alerts dock: the rules (add / edit / delete / enable) and the recent firings.

The AlertBook evaluates on the engine side; this panel only pulls: `poll()` runs on the
table's flush (model `flushed` signal), drains fired alerts, hands them to the Notifier
and saves the book (armed states and history) when something changed. Edits are saved
at once (docs/design.md, invariant 6), atomically (engine.alerts.book.write_json_atomic).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from engine.alerts.book import KIND_LABELS, Alert, AlertBook, AlertError, AlertFired, AlertKind
from engine.alerts.book import validate as validate_alert
from gui.alerts.notify import Notifier
from gui.alerts.threshold import ThresholdField

log = logging.getLogger(__name__)

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
HEADERS = ("On", "Symbol", "Condition", "Threshold", "State", "Fired", "Note")
NOTIFY_AT_ONCE = 3  # more firings in one poll are summarised in one notification


def _state_text(alert: Alert) -> str:
    if not alert.enabled:
        return "off"
    if alert.kind is AlertKind.CROSSES:
        return {1: "above", -1: "below"}.get(alert.side, "waiting")
    return "armed" if alert.armed else "fired"  # re-arms on a pull-back (engine.alerts.book)


def _threshold_text(alert: Alert) -> str:
    if alert.kind.is_percent:
        return f"{alert.threshold:+g}%"
    # A rule loaded from an old file may hold 1e308: ",.2f" would be 300 digits wide.
    return f"{alert.threshold:,.2f}" if alert.threshold < 1e12 else f"{alert.threshold:.4g}"


class AlertListModel(QAbstractTableModel):
    """Rows = the book's rules in creation order; column 0 is the enable check box."""

    enabled_toggled = Signal(int, bool)  # alert id, enabled

    def __init__(self, book: AlertBook, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._book = book
        self._rows: list[Alert] = book.alerts()

    def alert_at(self, row: int) -> Alert | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

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
            return _REARM_TIPS.get(alert.kind) if column == 4 else alert.describe()
        if role == _ALIGN and column in (3, 5):
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        if role != _DISPLAY:
            return None
        values = ("", alert.symbol, KIND_LABELS[alert.kind], _threshold_text(alert),
                  _state_text(alert), str(alert.fired_count), alert.note)  # fmt: skip
        return values[column] if 0 <= column < len(values) else None

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


class AlertEditor(QDialog):
    """Add or edit one rule; validates with engine.alerts.book before `submitted` is emitted."""

    submitted = Signal(object, str, str, float, str)  # id or None, symbol, kind, threshold, note
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
        self.note_field = QLineEdit(alert.note if alert else "", self)
        if alert is not None:
            self.kind_combo.setCurrentIndex(self.kind_combo.findData(alert.kind.value))
        self.error = QLabel(self)
        self.error.setObjectName("alertEditorError")
        self.error.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Symbol", self.symbol_field)
        form.addRow("When", self.kind_combo)
        form.addRow("Threshold", self.threshold_field)
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

    def submit(self) -> None:
        """Validate; on success emit `submitted` and close, else explain and stay open."""
        kind = str(self.kind_combo.currentData())
        try:
            threshold = self.threshold_field.parsed()
            symbol, _ = validate_alert(self.symbol_field.text(), kind, threshold, strict=True)
        except AlertError as exc:
            self.error.setText(f"{exc.field.capitalize()}: {exc.reason}")
            self.refused.emit(self.error.text())
            return
        self.submitted.emit(self.alert_id, symbol, kind, threshold, self.note_field.text())
        self.accept()


class AlertsPanel(QDockWidget):
    """Dock listing alert rules and history; `poll()` drains and notifies."""

    fired = Signal(list)  # list[AlertFired] drained by one poll (tests, status bar)

    def __init__(
        self,
        book: AlertBook,
        path: Path | None,
        notifier: Notifier | None,
        price_of: Callable[[str], float | None] = lambda _s: None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Alerts", parent)
        self.setObjectName("alertsDock")
        self.book = book
        self.path = path
        self.notifier = notifier
        self.price_of = price_of
        self.editor: AlertEditor | None = None
        self.save_errors = 0
        self.last_save_error: str | None = None
        self.entries_refused = 0  # editor submissions refused (bad threshold, symbol, ...)
        self._revision = book.revision
        self.model = AlertListModel(book, self)
        self.model.enabled_toggled.connect(lambda *_: self.save())
        self.view = QTableView(self)
        self.view.setObjectName("alertsTable")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.verticalHeader().setVisible(False)
        self.view.horizontalHeader().setStretchLastSection(True)
        # Few rows, and they change on edits and firings only (not per tick): fitting is cheap.
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.view.doubleClicked.connect(lambda _i: self.edit_selected())
        self.history = QListWidget(self)
        self.history.setObjectName("alertsHistory")
        buttons = QHBoxLayout()
        self.add_button = QPushButton("Add…", self)
        self.add_button.clicked.connect(lambda: self.open_editor())
        self.edit_button = QPushButton("Edit…", self)
        self.edit_button.clicked.connect(self.edit_selected)
        self.delete_button = QPushButton("Delete", self)
        self.delete_button.clicked.connect(self.delete_selected)
        self.sound_box = QCheckBox("Sound", self)
        self.sound_box.setChecked(notifier.sound if notifier else False)
        self.sound_box.toggled.connect(self._on_sound_toggled)
        self.clear_button = QPushButton("Clear history", self)
        self.clear_button.clicked.connect(self.clear_history)
        for w in (self.add_button, self.edit_button, self.delete_button):
            buttons.addWidget(w)
        buttons.addStretch(1)
        buttons.addWidget(self.sound_box)
        buttons.addWidget(self.clear_button)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.view)
        history_box = QWidget(split)
        history_layout = QVBoxLayout(history_box)
        history_layout.setContentsMargins(0, 0, 0, 0)
        history_layout.addWidget(QLabel("Recent alerts", history_box))
        history_layout.addWidget(self.history)
        split.addWidget(history_box)
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(buttons)
        layout.addWidget(split, 1)
        self.setWidget(body)
        self._fill_history()

    # --- polling (GUI flush timer) -------------------------------------------------

    def poll(self, *_args: object) -> list[AlertFired]:
        """Drain fired alerts: notify, show in history, save. Cheap when nothing fired."""
        fired = self.book.drain_fired()
        if fired:
            self._notify(fired)
            self._fill_history()
            self.fired.emit(fired)
        if self.book.revision != self._revision:
            self._revision = self.book.revision
            self.model.refresh()
            self.save()
        return fired

    def _notify(self, fired: list[AlertFired]) -> None:
        if self.notifier is None:
            return
        if len(fired) > NOTIFY_AT_ONCE:
            symbols = ", ".join(dict.fromkeys(f.symbol for f in fired))
            self.notifier.notify(f"{len(fired)} alerts", symbols)
            return
        for item in fired:
            self.notifier.notify("Alert", item.message())

    def _fill_history(self) -> None:
        self.history.clear()
        for item in reversed(self.book.history()):
            stamp = time.strftime("%H:%M:%S", time.localtime(item.wall_time))
            self.history.addItem(f"{stamp}  {item.message()}")

    # --- editing ---------------------------------------------------------------------

    def selected_alert(self) -> Alert | None:
        rows = self.view.selectionModel().selectedRows()
        return self.model.alert_at(rows[0].row()) if rows else None

    def open_editor(self, symbol: str = "", alert: Alert | None = None) -> AlertEditor:
        """Non-modal add/edit dialog (open(), never exec(): qasync #59)."""
        if self.editor is not None:
            self.editor.close()
        price = self.price_of(symbol) if symbol else None
        self.editor = AlertEditor(self, alert, symbol, price)
        self.editor.submitted.connect(self._on_editor_submitted)
        self.editor.refused.connect(self._on_editor_refused)
        self.editor.open()
        return self.editor

    def edit_selected(self) -> None:
        alert = self.selected_alert()
        if alert is not None:
            self.open_editor(alert=alert)

    def delete_selected(self) -> None:
        alert = self.selected_alert()
        if alert is not None:
            self.book.remove(alert.id)
            self._after_edit()

    def clear_history(self) -> None:
        self.book.clear_history()
        self._fill_history()
        self._after_edit()

    def _on_editor_submitted(
        self, alert_id: int | None, symbol: str, kind: str, threshold: float, note: str
    ) -> None:
        try:
            if alert_id is None:
                self.book.add(symbol, kind, threshold, note=note)
            else:
                self.book.update(alert_id, symbol, kind, threshold, note)
        except (AlertError, KeyError) as exc:  # validated already; a deleted rule lands here
            log.warning("alert not saved: %s", exc)
            return
        self._after_edit()

    def _on_editor_refused(self, why: str) -> None:
        self.entries_refused += 1
        log.info("alert not added: %s", why)

    def _on_sound_toggled(self, on: bool) -> None:
        if self.notifier is not None:
            self.notifier.sound = on

    def _after_edit(self) -> None:
        self._revision = self.book.revision
        self.model.refresh()
        self.save()

    def save(self) -> None:
        """Write the book now (atomic); a failure is counted and logged, never raised."""
        if self.path is None:
            return
        try:
            self.book.save(self.path)
        except OSError as exc:
            self.save_errors += 1
            self.last_save_error = f"cannot save alerts to {self.path}: {exc.strerror or exc}"
            log.warning("%s", self.last_save_error)
