"""Item delegates for the ticker table: the sparkline cell.

Contract: `SparklineDelegate` paints `index.data(SPARKLINE_ROLE)` (an
`engine.market.history.SymbolHistory`, or None) as a polyline of the last window of trade
prices on a time axis: the cell's width is the last 15 minutes of exchange time, each
price at its time, the right edge now (issue 18 #10g: two minutes of data are two
fifteenths of the cell, not stretched over all of it). The polygon is cached per
symbol by (spark_version, cell size), so a repaint without new prices (scrolling,
selection, age ticks) costs one drawPolyline. Up/down/flat colours come from the theme
(`set_palette`, colour-blind blue/orange included).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from engine.market.history import SymbolHistory
from gui.settings.theme import LIGHT, Palette
from gui.table.columns import Tone
from gui.table.roles import SPARKLINE_ROLE  # served by TickerTableModel (gui.table.cells)

__all__ = ["DOWN", "FLAT", "SPARKLINE_ROLE", "UP", "SparklineDelegate", "build_polygon"]

# The light theme's colours, for reference (tests); never painted with directly: each
# delegate keeps its own copies, swapped by its set_palette.
UP = QColor(LIGHT.tones[Tone.UP])
DOWN = QColor(LIGHT.tones[Tone.DOWN])
FLAT = QColor(LIGHT.placeholder)
PAD_PX = 3
MAX_CACHE = 4_096  # polygons kept (one per symbol); cleared whole when exceeded


class SparklineDelegate(QStyledItemDelegate):
    """Paints a price polyline over the cell's normal background (selection, halt, flash)."""

    def __init__(self, parent: Any = None, palette: Palette = LIGHT) -> None:
        super().__init__(parent)
        # symbol -> (spark_version, width, height, polygon, direction, how it was scaled)
        self._cache: dict[str, tuple[int, int, int, QPolygonF, int, Frame]] = {}
        self.polygons_built = 0  # for tests/benchmarks: cache misses
        # Exchange time in ns for the axis' right edge; None: the view's ticker model's.
        self.now_ns: Callable[[], int] | None = None
        self.colours: dict[int, QColor] = {}  # by price direction: 1 up, -1 down, 0 flat
        self.set_palette(palette)

    def set_palette(self, palette: Palette) -> None:
        """Take up/down/flat from the theme (polygons stay cached: only the pen changes)."""
        self.colours = {
            1: QColor(palette.tones[Tone.UP]),
            -1: QColor(palette.tones[Tone.DOWN]),
            0: QColor(palette.placeholder),
        }

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        return QSize(90, 20)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        # Background, selection and focus from the style (text is empty for this column).
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        widget = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        history = index.data(SPARKLINE_ROLE)
        if not isinstance(history, SymbolHistory) or len(history.prices) < 1:
            return
        rect = option.rect.adjusted(PAD_PX, PAD_PX, -PAD_PX, -PAD_PX)
        width, height = rect.width(), rect.height()
        if width < 4 or height < 4:
            return
        polygon, direction = self._polygon(history, width, height)
        # The polygon's right edge is its newest bucket; now is further right by the
        # time since that print (a quiet symbol's line slides left, as time passes).
        shift = self._shift(history, width, widget)
        colour = self.colours[direction]
        # The column has no colour rule of its own, so a foreground brush means the
        # row is stale or expired (columns.foreground_tone): draw it muted, not green.
        muted = index.data(Qt.ItemDataRole.ForegroundRole)
        if isinstance(muted, QBrush):
            colour = muted.color()
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setClipRect(rect)
        painter.translate(rect.left() - shift, rect.top())
        # Width 1.0 on purpose: measured, an antialiased 1.3 px polyline of 100 points costs
        # 0.38 ms in Qt's raster engine and a 1.0 px one 0.013 ms (thin-line fast path).
        painter.setPen(QPen(colour, 1.0))
        painter.drawPolyline(polygon)
        last = polygon.last()
        painter.setBrush(colour)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawEllipse(last, 2.0, 2.0)
        painter.restore()

    def _shift(self, history: SymbolHistory, width: int, widget: Any) -> float:
        """Pixels from the newest bucket to now (exchange time: the ticker model's clock,
        which is the simulator's under `--demo-at`); 0 without a clock. The line slides
        left only until its oldest point reaches the cell's left edge: with no prints for
        a while (a quiet symbol, the market closed) the last stretch stays in sight, on
        its time axis, instead of sliding out of the cell."""
        clock = self.now_ns
        if clock is None:
            model = getattr(widget, "ticker_model", None)
            clock = getattr(getattr(model, "cells", None), "exchange_ns", None)
        series = history.prices
        if clock is None or not series.buckets:
            return 0.0
        behind = clock() // series.bucket_ns - series.buckets[-1]
        room = series.window - (series.buckets[-1] - series.buckets[0])
        return max(0, min(behind, room)) * (width - 1) / series.window

    def _polygon(self, history: SymbolHistory, width: int, height: int) -> tuple[QPolygonF, int]:
        key = history.symbol
        cached = self._cache.get(key)
        version = history.spark_version
        if cached is not None and cached[:3] == (version, width, height):
            return cached[3], cached[4]
        if cached is not None and cached[1:3] == (width, height):
            # Most new versions are a print in the newest bucket: the same points but the
            # last one, inside the old low..high, so only that point moves (issue 16: a
            # 900-point rebuild per ticking row per flush was most of the sparkline's
            # frame cost).
            moved = _move_last(cached[3], cached[5], history, height)
            if moved is not None:
                self._cache[key] = (version, width, height, cached[3], moved, cached[5])
                return cached[3], moved
        polygon, direction = build_polygon(history, width, height)
        if len(self._cache) >= MAX_CACHE:
            self._cache.clear()
        self._cache[key] = (version, width, height, polygon, direction, _frame(history, width))
        self.polygons_built += 1
        return polygon, direction


# How a polygon was scaled: (first bucket, last bucket, prices in the series, low and
# high of its points but the last, low and high of all its points, its first price).
Frame = tuple[int, int, int, float, float, float, float, float]


def _frame(history: SymbolHistory, width: int) -> Frame:
    """The scale build_polygon used, with the same thinning (one point per pixel)."""
    series = history.prices
    prices = list(series.prices)
    stride = max(1, math.ceil(len(prices) / max(1, width)))
    if stride > 1:
        prices = prices[-1::-stride][::-1]
    rest = prices[:-1] or prices
    return (
        series.buckets[0], series.buckets[-1], len(series.prices),
        min(rest), max(rest), min(prices), max(prices), prices[0],
    )  # fmt: skip


def _move_last(polygon: QPolygonF, frame: Frame, history: SymbolHistory, height: int) -> int | None:
    """Move the polygon's last point to the newest price when nothing else changed (the
    same buckets, the same low and high); returns the new direction, None: rebuild."""
    series = history.prices
    first, last, count, low_rest, high_rest, low, high, first_price = frame
    if len(series.prices) != count or count < 2 or polygon.size() < 2:
        return None
    if series.buckets[0] != first or series.buckets[-1] != last:
        return None
    price = series.prices[-1]
    if not low < high or min(low_rest, price) != low or max(high_rest, price) != high:
        return None  # the range moved: every point's y changes
    y = (height - 1) - (price - low) * ((height - 1) / (high - low))  # as build_polygon
    x = polygon.last().x()
    polygon.removeLast()
    polygon.append(QPointF(x, y))
    change = price - first_price
    return (change > 0) - (change < 0)


def build_polygon(history: SymbolHistory, width: int, height: int) -> tuple[QPolygonF, int]:
    """Polyline of the price window in a width x height box (x = time, y = price), and the
    window's direction: 1 up, -1 down, 0 flat."""
    series = history.prices
    buckets = list(series.buckets)
    prices = list(series.prices)
    # At most ~one point per pixel: the stride slice runs in C, the loop below in Python.
    stride = max(1, math.ceil(len(prices) / max(1, width)))
    if stride > 1:
        buckets = [*buckets[-1::-stride][::-1]]
        prices = [*prices[-1::-stride][::-1]]
    low, high = min(prices), max(prices)
    span = high - low
    # x = time over the whole window, the newest bucket at the right edge (the painter
    # shifts it left by the time since): a short history is a short line (issue 18 #10g).
    end = buckets[-1]
    span_buckets = series.window
    first = end - span_buckets
    x_scale = (width - 1) / span_buckets
    y_scale = (height - 1) / span if span > 0 else 0.0
    mid = (height - 1) / 2
    points = [
        QPointF(
            (b - first) * x_scale,
            (height - 1) - (p - low) * y_scale if span > 0 else mid,
        )
        for b, p in zip(buckets, prices, strict=True)
    ]
    if len(points) == 1:  # one price: a short flat stub ending at the right edge
        points.insert(0, QPointF(max(0.0, points[0].x() - 6), points[0].y()))
    change = prices[-1] - prices[0]
    return QPolygonF(points), (change > 0) - (change < 0)
