"""Alerts dock: the rules (add / edit / delete / enable) and the recent firings.

The AlertBook evaluates on the engine side; this panel only pulls: `poll()` runs on the
table's flush (model `flushed` signal), drains fired alerts, hands them to the Notifier
and saves the book (armed states, last firings and history) when something changed.
Edits are saved at once (docs/design.md, invariant 6), atomically
(engine.alerts.book.write_json_atomic). Times are New York time with "ET", as everywhere
else in the app. Add… starts from the symbol selected in the table (`current_symbol`).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDockWidget,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from engine.alerts.book import Alert, AlertBook, AlertError, AlertFired
from gui.alerts.editor import AlertEditor
from gui.alerts.flow import FlowLayout
from gui.alerts.model import HEADERS, AlertListModel, fired_time
from gui.alerts.notify import Notifier
from gui.alerts.panel_view import AlertsHistoryList, AlertsTableView

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
        self.view = AlertsTableView(self)
        self.view.setModel(self.model)
        self.view.fit_columns()  # once (and on a font change), never per update
        self.view.doubleClicked.connect(lambda _i: self.edit_selected())
        self.view.delete_requested.connect(self.delete_selected)
        self.view.edit_requested.connect(self.edit_selected)
        self.view.toggle_requested.connect(self.toggle_selected)
        self.view.add_requested.connect(self.add_for_current)
        self.history = AlertsHistoryList(self)
        # Mnemonics (Alt+letter) clash with no menu title (File Edit Stream View Watchlists
        # Window Help) nor one another; tests/gui/alerts/test_alerts_narrow.py checks.
        self.add_button = self._button("&Add…", self.add_for_current,
                                       "Add an alert for the symbol selected in the table"
                                       " (Insert in the list)")  # fmt: skip
        self.edit_button = self._button(
            "Ed&it…", self.edit_selected, "Edit the selected rule (Enter in the list)"
        )
        self.delete_button = self._button(
            "&Remove", self.delete_selected, "Remove the selected rule (Delete in the list)"
        )
        self.toggle_button = self._button(
            "Disa&ble", self.toggle_selected, "Turn the selected rule off or on (Space in the list)"
        )
        self.rearm_button = self._button("Re-ar&m", self.rearm_selected,
                                         "Arm the selected rule again (a once-only rule that"
                                         " fired)")  # fmt: skip
        self.sound_box = QCheckBox("S&ound", self)
        self.sound_box.setToolTip("Play a sound with each notification")
        self.sound_box.setChecked(notifier.sound if notifier else False)
        self.sound_box.toggled.connect(self._on_sound_toggled)
        self.clear_button = self._button(
            "&Clear history", self.clear_history, "Empty the Recent alerts list"
        )
        # The buttons wrap onto more rows in a narrow dock (never run off its edge).
        buttons = FlowLayout()
        rule_buttons: list[QWidget] = [self.add_button, self.edit_button, self.delete_button,
                                       self.toggle_button, self.rearm_button]  # fmt: skip
        for w in rule_buttons:
            buttons.addWidget(w)
        # Top to bottom as drawn: the rule buttons, the rules, the history's own controls
        # (above it, with its title), the history.
        chain = [*rule_buttons, self.view, self.sound_box, self.clear_button, self.history]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)
        self.view.selectionModel().selectionChanged.connect(self._show_selected_state)
        self.model.modelReset.connect(self._show_selected_state)
        self.model.dataChanged.connect(self._show_selected_state)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.view)
        history_box = QWidget(split)
        history_layout = QVBoxLayout(history_box)
        history_layout.setContentsMargins(0, 0, 0, 0)
        history_bar = FlowLayout()
        for w in (QLabel("Recent alerts", history_box), self.sound_box, self.clear_button):
            history_bar.addWidget(w)
        history_layout.addLayout(history_bar)
        history_layout.addWidget(self.history)
        split.addWidget(history_box)
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(buttons)
        layout.addWidget(split, 1)
        self.setWidget(body)
        self._fill_history()
        self._show_selected_state()

    def _button(self, text: str, slot: Callable[[], object], tip: str) -> QPushButton:
        button = QPushButton(text, self)
        button.setToolTip(tip)
        button.setAutoDefault(True)  # Enter presses it when it has focus, like Space
        button.clicked.connect(lambda _=False: slot())
        return button

    def _show_selected_state(self, *_args: object) -> None:
        """The buttons that act on a rule are usable only with one selected; the on/off
        button says what it will do."""
        alert = self.selected_alert()
        for button in (self.edit_button, self.delete_button, self.toggle_button,
                       self.rearm_button):  # fmt: skip
            button.setEnabled(alert is not None)
        self.toggle_button.setText("Ena&ble" if alert is not None and not alert.enabled
                                   else "Disa&ble")  # fmt: skip

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
            self.history.add_line(f"{fired_time(item)}  {item.message()}{held}")

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
            row = self.model.row_of(alert.id)
            self.book.remove(alert.id)
            self._after_edit()
            self._select_row(min(row, self.model.rowCount() - 1))  # Delete again: the next

    def toggle_selected(self) -> None:
        """Turn the selected rule off or on (the On check box, from the keyboard)."""
        alert = self.selected_alert()
        if alert is not None:
            index = self.model.index(self.model.row_of(alert.id), 0)
            on = Qt.CheckState.Unchecked if alert.enabled else Qt.CheckState.Checked
            self.model.setData(index, on, Qt.ItemDataRole.CheckStateRole)
            self._show_selected_state()

    def _select_row(self, row: int) -> None:
        if row >= 0:
            self.view.selectRow(row)

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
