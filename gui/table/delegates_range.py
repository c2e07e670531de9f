"""Item delegate for range-position cells: the 52-week range bar and the day range bar.

Contract: `RangeBarDelegate` paints `index.data(RAW_VALUE_ROLE)`, a position 0..1 (None or
anything else: an empty cell), as a thin track with a marker where the value sits: low
at the left, high at the right. The track and marker colours come from the view's
palette (the theme sets the application palette), and a stale or expired row's muted
foreground brush (gui.table.columns.foreground_tone) mutes the marker like the text of
the other cells. Painting is a few rectangle fills and one figure lookup: no cache needed.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from gui.table.roles import RAW_VALUE_ROLE

__all__ = ["RangeBarDelegate", "marker_x"]

PAD_X = 6
TRACK_PX = 3.0
MARKER_W = 3.0
MARKER_H = 11.0


def marker_x(position: float, left: float, width: float) -> float:
    """The marker's centre for `position` (clamped to 0..1) across [left, left + width]."""
    return left + min(1.0, max(0.0, position)) * width


class RangeBarDelegate(QStyledItemDelegate):
    """Paints a position 0..1 as a marker on a track over the cell's normal background."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.painted = 0  # for tests: bars drawn

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        return QSize(64, 20)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        # Background, selection and focus from the style; the text (the percent) is left
        # to the tooltip and export. No initStyleOption: it would ask for the display
        # text, i.e. compute the figure a second time for nothing (a 52-week range costs
        # tens of microseconds, engine.market.figures), so only the background is taken.
        opt = QStyleOptionViewItem(option)
        background = index.data(Qt.ItemDataRole.BackgroundRole)
        if isinstance(background, QBrush):
            opt.backgroundBrush = background
        widget = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        position = index.data(RAW_VALUE_ROLE)
        if not isinstance(position, int | float) or isinstance(position, bool):
            return
        if not math.isfinite(position):
            return
        rect = QRectF(option.rect).adjusted(PAD_X, 0, -PAD_X, 0)
        if rect.width() < 8 or rect.height() < 6:
            return
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette = option.palette
        text_role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        marker = palette.color(text_role)
        muted = index.data(Qt.ItemDataRole.ForegroundRole)
        if isinstance(muted, QBrush) and not selected:
            marker = muted.color()
        track = QColor(marker)
        track.setAlphaF(0.25)
        middle = rect.center().y()
        painter.save()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.fillRect(QRectF(rect.left(), middle - TRACK_PX / 2, rect.width(), TRACK_PX), track)
        x = marker_x(float(position), rect.left(), rect.width())
        painter.fillRect(
            QRectF(x - MARKER_W / 2, middle - MARKER_H / 2, MARKER_W, MARKER_H), marker
        )
        painter.restore()
        self.painted += 1
