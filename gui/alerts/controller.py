"""Alerts for one window: the book observes the store; dock, banner, notifier, Add alert….

The AlertBook is Qt-free (engine.alerts.book) and made by the composition root
(gui.runtime.engine_parts), which also loads it from its JSON file beside the settings
ini; this controller registers it as a store observer for the window's lifetime, polls it
on the table's flush (`flushed`, the model's signal) and saves it on shutdown. Everything
it needs from the window comes in as widgets, signals and callables.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, SignalInstance
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QWidget

from engine.alerts.book import AlertBook
from engine.market.store import MarketDataStore
from gui.alerts.notify import AlertBanner, Notifier
from gui.alerts.panel import AlertsPanel


class AlertsController(QObject):
    """Owns the alerts dock, the banner above `table`, the notifier and two actions."""

    def __init__(
        self,
        book: AlertBook,
        path: Path,
        store: MarketDataStore,
        *,
        window: QMainWindow,
        table: QWidget,
        flushed: SignalInstance,
        current_symbol: Callable[[], str | None],
        use_tray: bool | None = None,
    ) -> None:
        super().__init__(window)
        self.book = book
        self._store = store
        self._current_symbol = current_symbol
        store.add_observer(book.on_event)
        self.banner = AlertBanner(table)
        self.banner.place_above(table)  # pushes rows down rather than covering them
        self.notifier = Notifier(self.banner, use_tray=use_tray, parent=self)
        self.panel = AlertsPanel(
            book, path, self.notifier, self._price_of, window, current_symbol=current_symbol
        )
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.panel)
        flushed.connect(self.panel.poll)
        self.add_alert_action = QAction("Add alert…", self)
        self.add_alert_action.triggered.connect(self.add_alert_for_current)
        self.dock_action = self.panel.toggleViewAction()
        self.dock_action.setText("Alerts list")

    def shortcut_actions(self) -> dict[str, QAction]:
        """Ids in gui.shortcuts of the actions this controller owns."""
        return {"add_alert": self.add_alert_action, "alerts_panel": self.dock_action}

    def _price_of(self, symbol: str) -> float | None:
        snap = self._store.get(symbol)
        return None if snap is None else snap.last_price

    def add_alert_for_current(self) -> None:
        self.panel.show()
        self.panel.add_for_current()

    def shutdown(self) -> None:
        """Stop observing the store, drain and save the book, close the tray icon/editor."""
        self._store.remove_observer(self.book.on_event)
        self.panel.poll()
        self.panel.save()
        self.notifier.close()
        if self.panel.editor is not None:
            self.panel.editor.close()
