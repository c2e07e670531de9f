"""The alerts dock's rule table and recent-alerts list, made for a narrow dock.

Issue 18 follow-up (docs/ui.md, "Narrow panels"): in a 260 px dock the rule table used to
squeeze its columns until their titles and values were cut. Now:

- Short columns (On, Symbol, Threshold, Fired) and the fixed-vocabulary ones (Condition,
  State, Options) get a width measured once from their title and sample values: never
  narrower than the title, never re-measured per update (ResizeToContents re-measures
  every row on each change). They stay user-resizable. Again on a font change (zoom).
- The free text (Note) stretches into what is left, at least its title wide.
- A wider table scrolls sideways (per pixel) rather than hiding columns; a value longer
  than its column is elided, and every cell's tooltip carries its full text
  (gui/alerts/model.py).

Keys in the table (docs/ui.md, "Keyboard"): Delete removes the selected rule, Enter edits
it, Space turns it on or off, Insert adds one. They are taken here, before any window
shortcut on the same key (a ShortcutOverride accepted), and only while the table has focus.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QTableView,
    QWidget,
)

from engine.alerts.book import KIND_LABELS
from gui.alerts.model import HEADERS

__all__ = ["AlertsHistoryList", "AlertsTableView", "column_samples"]

_NOTE = len(HEADERS) - 1


def column_samples() -> dict[int, tuple[str, ...]]:
    """Sample values per column: the width each column starts at fits the widest one."""
    return {
        1: ("GOOGL", "BRK.B"),
        2: tuple(KIND_LABELS.values()),
        3: ("8,888.88", "+88%"),
        4: ("armed", "fired", "above", "below", "waiting", "off", "fired · cooldown"),
        5: ("888",),
        6: ("once only", "cooldown 15 min"),
    }


class AlertsTableView(QTableView):
    """Rule table with once-measured columns and its keys (see the module docstring)."""

    delete_requested = Signal()
    edit_requested = Signal()
    toggle_requested = Signal()
    add_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("alertsTable")
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setWordWrap(False)
        self.setTabKeyNavigation(False)  # Tab leaves the table for the next control
        self.verticalHeader().setVisible(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.installEventFilter(self)
        self._keys = {
            Qt.Key.Key_Delete: self.delete_requested,
            Qt.Key.Key_Return: self.edit_requested,
            Qt.Key.Key_Enter: self.edit_requested,
            Qt.Key.Key_Space: self.toggle_requested,
            Qt.Key.Key_Insert: self.add_requested,
        }

    def fit_columns(self) -> None:
        """Measure each column once (title and samples); the Note column stretches."""
        header = self.horizontalHeader()
        metrics = self.fontMetrics()
        pad = 2 * self.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin) + 12
        check = self.style().pixelMetric(QStyle.PixelMetric.PM_IndicatorWidth) + pad
        titles = [header.sectionSizeHint(i) for i in range(len(HEADERS))]
        header.setMinimumSectionSize(max(12, min(titles)))
        widths = {0: max(titles[0], check)}
        for column, samples in column_samples().items():
            widest = max(metrics.horizontalAdvance(s) for s in samples) + pad
            widths[column] = max(titles[column], widest)
        for column, width in widths.items():
            header.resizeSection(column, width)
        # The stretched last section never goes below its title (it may scroll instead).
        header.resizeSection(_NOTE, max(titles[_NOTE], header.sectionSize(_NOTE)))
        self.title_widths = titles

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange and self.model() is not None:
            self.fit_columns()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self and event.type() in (QEvent.Type.ShortcutOverride,
                                                QEvent.Type.KeyPress):  # fmt: skip
            assert isinstance(event, QKeyEvent)
            signal = self._keys.get(Qt.Key(event.key()))
            plain = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
            if signal is not None and plain == Qt.KeyboardModifier.NoModifier:
                event.accept()
                if event.type() == QEvent.Type.KeyPress:
                    signal.emit()
                return True
        return super().eventFilter(watched, event)


class AlertsHistoryList(QListWidget):
    """Recent alerts, newest first: each line whole in its tooltip, scrolled sideways."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("alertsHistory")
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setUniformItemSizes(True)

    def add_line(self, text: str) -> None:
        item = QListWidgetItem(text)
        item.setToolTip(text)
        self.addItem(item)
