"""Display comfort: compact / comfortable rows, font zoom for a wall display, full screen.

Row heights stay fixed (docs/qt.md: ResizeToContents costs 80-180 ms per flush); they are
recomputed from the font's line height whenever the zoom or density changes. Zoom and
density are persisted through AppSettings.

Zoom has limits (ZOOM_RANGE): a step past one changes nothing (no settings write, no
re-layout, however fast a held key repeats it) and says so in the status bar; a saved
zoom outside the range is clamped and logged; both are counted (docs/reliability.md,
"Bad input").
"""

from __future__ import annotations

import enum
import logging

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QActionGroup, QFont, QFontInfo, QFontMetrics
from PySide6.QtWidgets import QMainWindow, QMenu, QTableView

from gui.settings.persistence import AppSettings

log = logging.getLogger(__name__)

ZOOM_FACTOR = 1.12  # per step; 10 steps ~ 3x for a wall across the room
ZOOM_RANGE = (-3, 10)


class Density(enum.StrEnum):
    """Row spacing; values are stored in the settings file."""

    COMPACT = "compact"
    COMFORTABLE = "comfortable"


ROW_PADDING_PX = {Density.COMPACT: 6, Density.COMFORTABLE: 16}


def zoomed_point_size(base: float, steps: int) -> float:
    """Font size after `steps` zoom steps (clamped to ZOOM_RANGE), at least 6 pt."""
    low, high = ZOOM_RANGE
    steps = max(low, min(high, steps))
    return max(6.0, round(base * ZOOM_FACTOR**steps, 1))


def zoom_limit_message(steps: int) -> str:
    """The words for a zoom step past a limit, with the limit in them."""
    factor = ZOOM_FACTOR**steps
    if steps >= ZOOM_RANGE[1]:
        return f"Zoom is at its largest ({factor:.0%} of the normal size); Ctrl+0 resets it"
    return f"Zoom is at its smallest ({factor:.0%} of the normal size); Ctrl+0 resets it"


def row_height(line_height: int, density: Density) -> int:
    """Fixed row height for a font line height and a density."""
    return line_height + ROW_PADDING_PX[density]


class DisplayController(QObject):
    """View > Row height / Zoom / Full screen for one main window; persisted."""

    def __init__(self, window: QMainWindow, settings: AppSettings) -> None:
        super().__init__(window)
        self._window = window
        self._settings = settings
        # A font set in pixels reports pointSizeF() -1: every zoom step would then be 6 pt.
        self._base_size = window.font().pointSizeF()
        if self._base_size <= 0:
            self._base_size = QFontInfo(window.font()).pointSizeF()
        try:
            self.density = Density(settings.row_density())
        except ValueError:
            self.density = Density.COMPACT
        low, high = ZOOM_RANGE
        saved = settings.zoom_steps()
        self.zoom_steps = max(low, min(high, saved))
        self.limit_hits = 0  # zoom steps asked for past a limit (counter)
        self.clamped_on_load = 0  # saved zooms outside ZOOM_RANGE (counter)
        if saved != self.zoom_steps:
            self.clamped_on_load += 1
            log.warning("saved zoom %d steps is outside %d..%d; using %d", saved, low, high,
                        self.zoom_steps)  # fmt: skip
        self.density_group = QActionGroup(self)
        self.density_actions: dict[Density, QAction] = {}
        for density, text in ((Density.COMPACT, "Compact rows"),
                              (Density.COMFORTABLE, "Comfortable rows")):  # fmt: skip
            action = QAction(text, self.density_group)
            action.setCheckable(True)
            action.setChecked(density is self.density)
            action.triggered.connect(lambda _=False, d=density: self.set_density(d))
            self.density_actions[density] = action
        self.zoom_in_action = QAction("Zoom in", self)
        self.zoom_in_action.triggered.connect(lambda: self.zoom(1))
        self.zoom_out_action = QAction("Zoom out", self)
        self.zoom_out_action.triggered.connect(lambda: self.zoom(-1))
        self.zoom_reset_action = QAction("Actual size", self)
        self.zoom_reset_action.triggered.connect(lambda: self.zoom(-self.zoom_steps))
        self.full_screen_action = QAction("Full screen", self)
        self.full_screen_action.setCheckable(True)
        self.full_screen_action.toggled.connect(self.set_full_screen)
        window.installEventFilter(self)  # keep the Full screen check mark honest

    def shortcut_actions(self) -> dict[str, QAction]:
        """Ids in gui.shortcuts of the actions this controller owns."""
        return {
            "full_screen": self.full_screen_action, "zoom_in": self.zoom_in_action,
            "zoom_out": self.zoom_out_action, "zoom_reset": self.zoom_reset_action,
        }  # fmt: skip

    def fill_menu(self, menu: QMenu) -> None:
        menu.addActions(self.density_group.actions())
        menu.addSeparator()
        menu.addActions([self.zoom_in_action, self.zoom_out_action, self.zoom_reset_action])
        menu.addSeparator()
        menu.addAction(self.full_screen_action)

    def set_density(self, density: Density) -> None:
        self.density = density
        self.density_actions[density].setChecked(True)
        self._settings.set_row_density(density.value)
        self.apply()

    def zoom(self, delta: int) -> None:
        low, high = ZOOM_RANGE
        wanted = self.zoom_steps + delta
        steps = max(low, min(high, wanted))
        if steps == self.zoom_steps:
            if wanted != steps:  # a step past a limit: nothing to redo, say why
                self.limit_hits += 1
                self._say(zoom_limit_message(steps))
            return
        self.zoom_steps = steps
        self._settings.set_zoom_steps(self.zoom_steps)
        self.apply()
        # Widths were sized for the old font; re-fit to typical values (explicit user act).
        for view in self._ticker_views():
            refit = getattr(view, "size_columns_to_samples", None)
            if refit is not None:
                refit()

    def _say(self, text: str) -> None:
        log.info("%s", text)
        self._window.statusBar().showMessage(text, 4000)

    def _ticker_views(self) -> list[QTableView]:
        return [v for v in self._window.findChildren(QTableView) if v.objectName() == "tickerTable"]

    def set_full_screen(self, on: bool) -> None:
        if on == self._window.isFullScreen():
            return
        if on:
            self._window.showFullScreen()
        else:
            self._window.showNormal()

    def row_height(self) -> int:
        return row_height(QFontMetrics(self.font()).height(), self.density)

    def font(self) -> QFont:
        font = QFont(self._window.font())
        font.setPointSizeF(zoomed_point_size(self._base_size, self.zoom_steps))
        return font

    def apply(self) -> None:
        """Font on the window's widgets (children inherit it), row height on every table."""
        font = self.font()
        central = self._window.centralWidget()
        if central is not None:
            central.setFont(font)
        height = self.row_height()
        for view in self._ticker_views():
            view.verticalHeader().setDefaultSectionSize(height)
        self.zoom_reset_action.setEnabled(self.zoom_steps != 0)

    def sync_full_screen(self) -> None:
        """Keep the check mark right when the window manager leaves full screen itself."""
        state = bool(self._window.windowState() & Qt.WindowState.WindowFullScreen)
        if self.full_screen_action.isChecked() != state:
            self.full_screen_action.blockSignals(True)
            self.full_screen_action.setChecked(state)
            self.full_screen_action.blockSignals(False)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._window and event.type() == QEvent.Type.WindowStateChange:
            self.sync_full_screen()
        return False
