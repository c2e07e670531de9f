"""Alerts, themes, display comfort, shortcuts help and connection details, built for one window.

The window creates one `ComfortController`, puts its actions into its menus and calls
`shutdown()`; everything else (theme switching, alert polling on the table's flush,
notifications, the 1 Hz details dialog) is wired here so main_window stays a wiring point.
The AlertBook is Qt-free (engine.alerts.book) and registered as a store observer here; its
JSON file lives beside the settings ini (AppSettings.alerts_path()).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMenu

from engine.alerts.book import AlertBook
from engine.events import Subscription
from engine.market.store import MarketDataStore
from gui.alerts.notify import AlertBanner, Notifier
from gui.alerts.panel import AlertsPanel
from gui.settings.display import DisplayController
from gui.settings.theme import Palette, ThemeController, ThemeMode, banner_css, tone_brushes
from gui.shortcuts import ShortcutsDialog
from gui.statusbar.details import ConnectionDetailsDialog
from gui.statusbar.style import set_colours
from gui.table.model import set_tone_brushes

if TYPE_CHECKING:
    from gui.main_window import MainWindow

log = logging.getLogger(__name__)


class ComfortController(QObject):
    """Owns the theme, display, alerts dock, notifier and the help / details dialogs."""

    def __init__(
        self,
        window: MainWindow,
        store: MarketDataStore,
        clock: Callable[[], float] = time.monotonic,
        use_tray: bool | None = None,
    ) -> None:
        super().__init__(window)
        self._window = window
        self._store = store
        self._clock = clock
        self.subscription_source: Callable[[], Subscription] = Subscription
        settings = window.settings
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        try:
            mode = ThemeMode(settings.theme())
        except ValueError:
            mode = ThemeMode.SYSTEM
        self.theme = ThemeController(app, mode, settings.colour_blind(), self)
        self.theme.theme_changed.connect(self._on_theme_changed)
        self.display = DisplayController(window, settings)
        window.installEventFilter(self)  # keep the Full screen check mark honest

        self.alerts = AlertBook()
        self.alerts_path = settings.alerts_path()
        for problem in self.alerts.load(self.alerts_path):
            log.warning("alerts: %s", problem)
        store.add_observer(self.alerts.on_event)
        self.banner = AlertBanner(window.table)
        self.banner.place_above(window.table)  # pushes rows down rather than covering them
        self.notifier = Notifier(self.banner, use_tray=use_tray, parent=self)
        self.alerts_panel = AlertsPanel(
            self.alerts, self.alerts_path, self.notifier, self._price_of, window
        )
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.alerts_panel)
        window.model.flushed.connect(self.alerts_panel.poll)

        self.add_alert_action = QAction("Add alert…", self)
        self.add_alert_action.triggered.connect(self.add_alert_for_current)
        self.alerts_dock_action = self.alerts_panel.toggleViewAction()
        self.alerts_dock_action.setText("Alerts list")
        self.details_action = QAction("Connection details…", self)
        self.details_action.triggered.connect(self.open_connection_details)
        self.shortcuts_action = QAction("Keyboard shortcuts", self)
        self.shortcuts_action.triggered.connect(self.open_shortcuts)
        self.details_dialog: ConnectionDetailsDialog | None = None
        self.shortcuts_dialog: ShortcutsDialog | None = None

    def start(self) -> None:
        """Apply theme and display settings (call once the window is built)."""
        self.theme.apply()
        self.display.apply()

    def shortcut_actions(self) -> dict[str, QAction]:
        """Table ids (gui.shortcuts) of the actions this controller owns."""
        d = self.display
        return {
            "add_alert": self.add_alert_action, "alerts_panel": self.alerts_dock_action,
            "full_screen": d.full_screen_action, "zoom_in": d.zoom_in_action,
            "zoom_out": d.zoom_out_action, "zoom_reset": d.zoom_reset_action,
            "connection_details": self.details_action, "keyboard_help": self.shortcuts_action,
        }  # fmt: skip

    def fill_view_menu(self, view_menu: QMenu) -> None:
        view_menu.addAction(self.alerts_dock_action)
        theme_menu = view_menu.addMenu("Theme")
        self.theme.fill_menu(theme_menu)
        view_menu.addSeparator()
        self.display.fill_menu(view_menu)

    # --- alerts ------------------------------------------------------------------------

    def _price_of(self, symbol: str) -> float | None:
        snap = self._store.get(symbol)
        return None if snap is None else snap.last_price

    def add_alert_for_current(self) -> None:
        self.alerts_panel.show()
        self.alerts_panel.open_editor(self._window.current_symbol() or "")

    # --- dialogs (open(), never exec(): qasync #59) -------------------------------------

    def open_connection_details(self) -> ConnectionDetailsDialog:
        if self.details_dialog is None:
            self.details_dialog = ConnectionDetailsDialog(
                self._window.health, lambda: self.subscription_source(), self._clock, self._window
            )
        if self.details_dialog.isVisible():
            self.details_dialog.raise_()  # already open somewhere: bring it forward
        self.details_dialog.show()
        return self.details_dialog

    def open_shortcuts(self) -> ShortcutsDialog:
        if self.shortcuts_dialog is None:
            self.shortcuts_dialog = ShortcutsDialog(self._window)
        if self.shortcuts_dialog.isVisible():
            self.shortcuts_dialog.raise_()  # already open somewhere: bring it forward
        self.shortcuts_dialog.show()
        return self.shortcuts_dialog

    # --- theme ---------------------------------------------------------------------------

    def _on_theme_changed(self, palette: Palette) -> None:
        settings = self._window.settings
        settings.set_theme(self.theme.mode.value)
        settings.set_colour_blind(self.theme.colour_blind)
        set_tone_brushes(tone_brushes(palette))
        set_colours(palette.levels)
        self.banner.setStyleSheet(banner_css(palette))
        window = self._window  # widgets that paint with their own colours follow too
        for follower in (window.detail.chart, window.detail.time_sales_model,
                         window.sparklines, window.watchlist_bar):  # fmt: skip
            follower.set_palette(palette)
        self._window.status.refresh()
        self._window.table.viewport().update()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._window and event.type() == QEvent.Type.WindowStateChange:
            self.display.sync_full_screen()
        return False

    def shutdown(self) -> None:
        """Stop observing the store, close dialogs and the tray icon, save the alerts."""
        self._store.remove_observer(self.alerts.on_event)
        self.alerts_panel.poll()
        self.alerts_panel.save()
        self.notifier.close()
        for dialog in (self.details_dialog, self.shortcuts_dialog):
            if dialog is not None:
                dialog.close()
        if self.alerts_panel.editor is not None:
            self.alerts_panel.editor.close()
