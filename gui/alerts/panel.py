"""Alerts dock: the rules (add / edit / delete / enable) and the recent firings.

The AlertBook evaluates on the engine side; this panel only pulls: `poll()` runs on the
table's flush (model `flushed` signal), drains fired alerts, hands them to the Notifier
and saves the book (armed states, last firings and history) when something changed.
Edits are saved at once (docs/design.md, invariant 6), atomically
(engine.alerts.book.write_json_atomic). Times are New York time with "ET", as everywhere
else in the app. Add… starts from the symbol selected in the table (`current_symbol`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from engine.alerts.book import Alert, AlertBook, AlertError, AlertFired
from gui.alerts.editor import AlertEditor
from gui.alerts.model import HEADERS, AlertListModel, fired_time
from gui.alerts.notify import Notifier

__all__ = ["HEADERS", "NOTIFY_AT_ONCE", "AlertEditor", "AlertListModel", "AlertsPanel"]

log = logging.getLogger(__name__)

NOTIFY_AT_ONCE = 3  # more firings in one poll are summarised in one notification


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
        current_symbol: Callable[[], str | None] = lambda: None,
    ) -> None:
        super().__init__("Alerts", parent)
        self.setObjectName("alertsDock")
        self.book = book
        self.path = path
        self.notifier = notifier
        self.price_of = price_of
        self.current_symbol = current_symbol
        self.editor: AlertEditor | None = None
        self.save_errors = 0
        self.last_save_error: str | None = None
        self.entries_refused = 0  # editor submissions refused (bad threshold, symbol, ...)
        self._revision = book.revision
        self._repaint_at: float | None = None  # when a shown cooldown ends
        self.model = AlertListModel(book, self)
        self._repaint_at = self.model.next_change()  # a cooldown restored from the file
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
        self.add_button.setToolTip("Add an alert for the symbol selected in the table")
        self.add_button.clicked.connect(self.add_for_current)
        self.edit_button = QPushButton("Edit…", self)
        self.edit_button.clicked.connect(self.edit_selected)
        self.delete_button = QPushButton("Delete", self)
        self.delete_button.clicked.connect(self.delete_selected)
        self.rearm_button = QPushButton("Re-arm", self)
        self.rearm_button.setToolTip("Arm the selected rule again (a once-only rule that fired)")
        self.rearm_button.clicked.connect(self.rearm_selected)
        self.sound_box = QCheckBox("Sound", self)
        self.sound_box.setChecked(notifier.sound if notifier else False)
        self.sound_box.toggled.connect(self._on_sound_toggled)
        self.clear_button = QPushButton("Clear history", self)
        self.clear_button.clicked.connect(self.clear_history)
        for w in (self.add_button, self.edit_button, self.delete_button, self.rearm_button):
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
            if not fired:  # held by a cooldown: listed under Recent alerts, not notified
                self._fill_history()
            self._refresh()
            self.save()
        elif self._repaint_at is not None and self.book.now() >= self._repaint_at:
            self._refresh()  # a cooldown shown in the State column has ended
        return fired

    def _refresh(self) -> None:
        self.model.refresh()
        self._repaint_at = self.model.next_change()

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
            held = "" if item.notified else "  · cooldown: not notified"
            self.history.addItem(f"{fired_time(item)}  {item.message()}{held}")

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

    def add_for_current(self) -> AlertEditor:
        """Add…: the editor starts from the table's selected symbol and its last price."""
        return self.open_editor(self.current_symbol() or "")

    def rearm_selected(self) -> None:
        alert = self.selected_alert()
        if alert is not None:
            self.book.rearm(alert.id)
            self._after_edit()

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
        self, alert_id: int | None, symbol: str, kind: str, threshold: float, note: str,
        once: bool = False, cooldown_s: int = 0,
    ) -> None:  # fmt: skip
        try:
            if alert_id is None:
                self.book.add(symbol, kind, threshold, note=note, once=once, cooldown_s=cooldown_s)
            else:
                self.book.update(
                    alert_id, symbol, kind, threshold, note, once=once, cooldown_s=cooldown_s
                )
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
        self._refresh()
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
