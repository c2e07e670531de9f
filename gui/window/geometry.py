"""The main window's size, position and dock/toolbar layout: restored once, saved debounced.

Moves and resizes fire per pixel, so they restart a short single-shot timer and the
geometry is written once the user lets go (AppSettings writes and syncs at once).

The docks never eat the table (issue 18, #6): each dock's body sits in a scroll area, so
its minimum is a small fixed one and the window can be made 1024x600 (a 768 px laptop
screen less its panels); the detail pane's value labels never ask for width (a long halt
message wraps instead of widening the pane); and a dock wider than a share of the window
(a width such a message once forced, then saved) is put back to the default on restore.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QByteArray, QEvent, QObject, QRect, Qt, QTimer
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QMainWindow,
    QScrollArea,
)

from gui.settings.persistence import AppSettings

DEFAULT_SIZE = (1380, 760)
MIN_SIZE = (1024, 600)  # the smallest window the layout is made for (issue 18, #6)
SAVE_DEBOUNCE_MS = 400
DOCK_MIN_WIDTH = 260
DOCK_MIN_HEIGHT = 90
DETAIL_WIDTH = (300, 500)  # the detail pane's default width: at least, at most
MAX_DOCK_SHARE = 0.5  # a restored dock wider than this share of the window is reset
ALERTS_HEIGHT = 180
BOTTOM_HEIGHT = 190  # docks under the table (the account's): a strip, tabbed
_MOVED = (QEvent.Type.Resize, QEvent.Type.Move)
_CORNERS = (
    Qt.Corner.TopLeftCorner,
    Qt.Corner.TopRightCorner,
    Qt.Corner.BottomLeftCorner,
    Qt.Corner.BottomRightCorner,
)


def scroll_dock(dock: QDockWidget) -> None:
    """Put the dock's body in a scroll area (once): its own minimum size then no longer
    sets the window's; a dock made smaller than its content scrolls instead."""
    body = dock.widget()
    if body is None or isinstance(body, QScrollArea):
        return
    area = QScrollArea(dock)
    area.setObjectName(f"{dock.objectName()}Scroll")
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidgetResizable(True)
    area.setWidget(body)  # reparents the body; the dock keeps its own title and actions
    dock.setWidget(area)
    dock.setMinimumSize(DOCK_MIN_WIDTH, DOCK_MIN_HEIGHT)


class GeometryKeeper(QObject):
    """Watches `window` (an event filter) and persists its geometry and state."""

    def __init__(self, window: QMainWindow, settings: AppSettings) -> None:
        super().__init__(window)
        self._window = window
        self._settings = settings
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(SAVE_DEBOUNCE_MS)
        self.timer.timeout.connect(self.save)
        self.default_state: QByteArray | None = None
        # The width the table needs for its first columns (Symbol … Volume), set by the
        # window: the default detail pane takes only what is left.
        self.table_width: Callable[[], int] = lambda: 0
        self._on_first_show: Callable[[], None] | None = None
        window.installEventFilter(self)

    def remember_default(self) -> None:
        """The dock/toolbar arrangement as built, before any saved one: Reset layout's."""
        self.default_state = self._window.saveState()

    def restore_default_state(self) -> None:
        """Reset layout's docks: as built, with docks added later (the account's) docked
        and tabbed at the bottom, and the corners as the window last set them."""
        window = self._window
        corners = {c: window.corner(c) for c in _CORNERS}
        if self.default_state is not None:
            window.restoreState(self.default_state)
        for corner, area in corners.items():
            window.setCorner(corner, area)
        for dock in self.docks():
            dock.setFloating(False)
        bottom = [
            d
            for d in self.docks()
            if window.dockWidgetArea(d) == Qt.DockWidgetArea.BottomDockWidgetArea
            and not d.isHidden()
        ]
        for dock in bottom[1:]:
            if dock not in window.tabifiedDockWidgets(bottom[0]):
                window.tabifyDockWidget(bottom[0], dock)
        if bottom:
            bottom[0].raise_()
            window.resizeDocks(bottom[:1], [BOTTOM_HEIGHT], Qt.Orientation.Vertical)

    def restore(self) -> None:
        """Saved geometry and dock state, else the default size fitted to the screen."""
        window = self._window
        geometry = self._settings.geometry()
        if geometry is not None:
            window.restoreGeometry(geometry)
        else:
            self.default_size()
        state = self._settings.window_state()
        restored = state is not None and window.restoreState(state)
        # Dock widths are known once the window is laid out: sized (or checked) then.
        self._on_first_show = self.limit_docks if restored else self.default_docks
        if window.isVisible():
            QTimer.singleShot(0, self, self._first_show)

    def _first_show(self) -> None:
        action, self._on_first_show = self._on_first_show, None
        if action is not None:
            action()

    def default_size(self, room: QRect | None = None) -> None:
        """The first start's size on the screen's available `room` (tests pass one)."""
        window = self._window
        room = room if room is not None else window.screen().availableGeometry()
        width, height = DEFAULT_SIZE
        window.resize(
            max(MIN_SIZE[0], min(width, room.width() - 40)),
            max(MIN_SIZE[1], min(height, room.height() - 60)),
        )
        if room.width() >= MIN_SIZE[0] and room.height() - 60 < MIN_SIZE[1]:
            # A screen as small as the layout (a 1024x600 netbook): a window of the
            # layout's height plus its title bar would end below the screen, status
            # bar and all. Maximized, the window manager fits frame and window in.
            window.setWindowState(window.windowState() | Qt.WindowState.WindowMaximized)

    def docks(self) -> list[QDockWidget]:
        return [
            d for d in self._window.findChildren(QDockWidget) if d.parentWidget() is self._window
        ]

    def default_docks(self) -> None:
        """The default dock sizes: the detail pane as wide as the table leaves (at least
        its minimum, at most DETAIL_WIDTH's), the alerts list a strip under it."""
        window = self._window
        right = [
            d
            for d in self.docks()
            if window.dockWidgetArea(d) == Qt.DockWidgetArea.RightDockWidgetArea
            and not d.isFloating()
        ]
        if not right:
            return
        low, high = DETAIL_WIDTH
        table_width = self.table_width()
        room = window.width() - table_width - 24 if table_width > 0 else high
        window.resizeDocks([right[0]], [max(low, min(high, room))], Qt.Orientation.Horizontal)
        alerts = [d for d in right if d.objectName() == "alertsDock" and d.isVisible()]
        if alerts and right[0] is not alerts[0]:
            # Both sizes: alone, the alerts' size is not taken from the detail pane.
            rest = max(ALERTS_HEIGHT, window.height() - 2 * ALERTS_HEIGHT)
            window.resizeDocks(
                [right[0], alerts[0]], [rest, ALERTS_HEIGHT], Qt.Orientation.Vertical
            )

    def limit_docks(self) -> None:
        """A dock wider than MAX_DOCK_SHARE of the window (e.g. a width an old build let a
        halt message force and then saved) goes back to the default width."""
        window = self._window
        limit = int(max(window.width(), MIN_SIZE[0]) * MAX_DOCK_SHARE)
        for dock in self.docks():
            if dock.isVisible() and not dock.isFloating() and dock.width() > limit:
                self.default_docks()
                return

    def save(self) -> None:
        self._settings.set_geometry(self._window.saveGeometry())
        self._settings.set_window_state(self._window.saveState())

    def stop(self) -> None:
        self.timer.stop()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._window:
            if event.type() in _MOVED:
                self.timer.start()
            elif event.type() == QEvent.Type.Show and self._on_first_show is not None:
                QTimer.singleShot(0, self, self._first_show)
        return False
