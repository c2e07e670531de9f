"""Intraday chart of one symbol, drawn with QPainter (no chart library).

Contract: `set_source(history, snap)` points the chart at a symbol; `refresh()` repaints
only if the symbol's history version or snapshot update count moved since the last
paint (the detail pane calls it on a throttled timer, ~8 Hz, for the selected symbol
only). Draws candlesticks at 1, 5 or 15 minutes or a close line (`set_style`), volume bars
under the price, the last 15 minutes of trades at 1-second resolution, bid/ask, day
high/low, VWAP, previous close, LULD bands over time and halt spans, pre-market and
after-hours shaded, over today and the previous sessions held (`SymbolHistory.earlier`,
15-minute bars: gui/detail/chart_data.py), in the theme's colours (`set_palette`: bid/ask
and candles follow the up/down tones, so colour-blind blue/orange too).

Pan: drag, or the Left/Right keys; zoom: the wheel, or +/-; Home or a double click: back
to today, following new data (gui/detail/chart_view.py). The crosshair reads out the
time (ET), OHLC and volume of the candle under the pointer.

A render goes to a pixmap cached by (data version, window, size, style, colours); pointer
moves repaint the cached pixmap plus the crosshair only. Why QPainter and not pyqtgraph:
a full render of 960 one-minute candles costs a few ms (tests/benchmarks/bench_chart.py),
and pyqtgraph would add numpy (~60 MB installed) to a 103 MiB bundle (docs/qt.md).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPixmap,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from engine.market.history import SymbolHistory
from engine.market.store import SymbolSnapshot
from gui.detail.chart_colours import COLOURS, chart_colours
from gui.detail.chart_crosshair import draw_crosshair
from gui.detail.chart_data import Series, SeriesCache
from gui.detail.chart_layout import nice_step
from gui.detail.chart_paint import Frame, render, small_font
from gui.detail.chart_view import ZOOM_STEP, Bounds, ChartView
from gui.settings.theme import Palette

__all__ = ["COLOURS", "STYLES", "IntradayChart", "chart_colours", "nice_step", "parse_style"]

# (style, minutes) choices, persisted as "candles:5" (AppSettings.chart_style).
STYLES: tuple[tuple[str, int], ...] = (("candles", 1), ("candles", 5), ("candles", 15), ("line", 1))
DEFAULT_STYLE = ("candles", 1)


def parse_style(text: str) -> tuple[str, int]:
    """ "candles:5" -> ("candles", 5); anything unknown -> the default."""
    kind, _, minutes = text.partition(":")
    choice = (kind, int(minutes)) if minutes.isdigit() else DEFAULT_STYLE
    return choice if choice in STYLES else DEFAULT_STYLE


MIN_HEIGHT = 118  # px


class IntradayChart(QWidget):
    """Paints the selected symbol's day; see the module docstring for what and when."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("intradayChart")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        # 118 + the style buttons above it = the 140 px the chart alone had: the window's
        # minimum height must not grow (it has to fit a 768 px laptop screen).
        self.setMinimumHeight(MIN_HEIGHT)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.history: SymbolHistory | None = None
        self.snap: SymbolSnapshot | None = None
        self._seen: tuple[int, int, int] | None = None  # (id, version, updates) painted
        self.paints = 0  # paint events, for tests and benchmarks
        self.renders = 0  # full renders (cache misses)
        self.drawn: dict[str, int] = {}  # what the last render drew (item -> count)
        self.colours = dict(COLOURS)
        self._colour_gen = 0
        self.chart_style, self.minutes = DEFAULT_STYLE
        self.view = ChartView()
        self._series = SeriesCache()
        self.frame: Frame | None = None
        self._bounds: Bounds | None = None
        self._pixmap: QPixmap | None = None
        self._pixmap_key: tuple[object, ...] | None = None
        self.pointer: QPointF | None = None
        self._drag: QPointF | None = None
        self.empty_text = "No trades or bars yet for this symbol"  # the pane names it

    def set_palette(self, palette: Palette) -> None:
        """Repaint in `palette`'s colours (theme or colour-blind switch)."""
        self.colours = chart_colours(palette)
        self._colour_gen += 1
        self.update()

    def set_style(self, style: str, minutes: int) -> None:
        """Candles ("candles") or a close line ("line"), at `minutes` per candle."""
        if (style, minutes) not in STYLES:
            raise ValueError(f"unknown chart style {style}:{minutes}")
        self.chart_style, self.minutes = style, minutes
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(360, 220)

    def set_source(self, history: SymbolHistory | None, snap: SymbolSnapshot | None) -> None:
        if history is not self.history:
            self.view.reset()
        self.history, self.snap = history, snap
        self._seen = None
        self.update()

    def refresh(self) -> bool:
        """Schedule a repaint if the data moved since the last paint; True if scheduled."""
        if self._key() == self._seen:
            return False
        self.update()
        return True

    def _key(self) -> tuple[int, int, int]:
        history, snap = self.history, self.snap
        return (
            id(history),
            history.version if history is not None else -1,
            snap.updates if snap is not None else -1,
        )

    # --- painting ----------------------------------------------------------------------

    def series(self) -> Series | None:
        history = self.history
        if history is None:
            return None
        bars, (times, _) = history.bars, history.prices.points()
        newest = max(bars.times[-1] if len(bars) else 0, times[-1] if times else 0)
        return self._series.get(history, self.minutes, newest)

    def bounds(self, series: Series) -> Bounds | None:
        history = self.history
        if history is None or not series.slots:
            return None
        times, _ = history.prices.points()
        today = series.slots[-1]
        firsts = [series.x[series.today]] if series.today < len(series) else []
        if times:
            firsts.append(series.axis_of(times[0]))
        last = series.x[-1] + series.width[-1] if len(series) else today.x0
        if times:
            last = max(last, series.axis_of(times[-1]))
        first = min(firsts) if firsts else today.x0
        last = max(last, first + 5)
        return Bounds(series.slots[0].x0, first, last + max(0.5, (last - first) / 30))

    def paintEvent(self, event: QPaintEvent) -> None:
        self._seen = self._key()
        self.paints += 1
        key = (*self._seen, self.chart_style, self.minutes, self.view.span, self.view.right,
               self.width(), self.height(), self.devicePixelRatioF(), self._colour_gen,
               self.palette().base().color().rgba(), self.hasFocus(), self.empty_text)  # fmt: skip
        if key != self._pixmap_key or self._pixmap is None:
            self._render()
            self._pixmap_key = key
        painter = QPainter(self)
        try:
            assert self._pixmap is not None
            painter.drawPixmap(0, 0, self._pixmap)
            if self.pointer is not None and self.frame is not None:
                painter.setFont(small_font(self.font()))
                draw_crosshair(painter, self.frame, self.pointer, self.colours, self.minutes)
        finally:
            painter.end()

    def _render(self) -> None:
        self.renders += 1
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap(QSize(int(self.width() * ratio), int(self.height() * ratio)))
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(self.palette().base().color())
        p = QPainter(pixmap)
        try:
            p.setFont(small_font(self.font()))
            self.frame, self.drawn = self._paint(p), {}
            if self.frame is not None:
                self.drawn = self.frame.drawn
            if self.hasFocus():  # keyboard focus: pan/zoom keys go here
                focus = QColor(self.palette().highlight().color())
                p.setPen(focus)
                p.drawRect(QRectF(self.rect()).adjusted(0, 0, -1, -1))
        finally:
            p.end()
        self._pixmap = pixmap

    def _paint(self, p: QPainter) -> Frame | None:
        series = self.series()
        bounds = self.bounds(series) if series is not None else None
        self._bounds = bounds
        if self.history is None or series is None or bounds is None:
            self._message(p, self.empty_text)
            return None
        frame = render(p, QRectF(self.rect()), self.history, self.snap, series,
                       self.view.window(bounds), self.chart_style, self.colours)  # fmt: skip
        if frame is None:
            self._message(p, "No prices yet for this symbol")
        return frame

    def _message(self, p: QPainter, text: str) -> None:
        p.setPen(self.colours["axis"])
        p.drawText(QRectF(self.rect()), Qt.AlignmentFlag.AlignCenter, text)

    # --- pan, zoom, crosshair -------------------------------------------------------------

    def zoom(self, factor: float, anchor: float = 1.0) -> None:
        if self._bounds is not None:
            self.view.zoom(factor, anchor, self._bounds, self.minutes)
            self.update()

    def pan_steps(self, steps: int) -> None:
        if self._bounds is not None:
            self.view.pan_steps(steps, self._bounds)
            self.update()

    def reset_view(self) -> None:
        self.view.reset()
        self.update()

    def _anchor(self, x: float) -> float:
        frame = self.frame
        if frame is None or frame.plot.width() <= 0:
            return 1.0
        return min(1.0, max(0.0, (x - frame.plot.left()) / frame.plot.width()))

    def wheelEvent(self, event: QWheelEvent) -> None:
        notches = event.angleDelta().y() / 120
        if notches:
            self.zoom(ZOOM_STEP**notches, self._anchor(event.position().x()))
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        actions = {
            Qt.Key.Key_Left: lambda: self.pan_steps(-1),
            Qt.Key.Key_Right: lambda: self.pan_steps(1),
            Qt.Key.Key_Plus: lambda: self.zoom(ZOOM_STEP),
            Qt.Key.Key_Equal: lambda: self.zoom(ZOOM_STEP),
            Qt.Key.Key_Minus: lambda: self.zoom(1 / ZOOM_STEP),
            Qt.Key.Key_Home: self.reset_view,
        }
        action = actions.get(Qt.Key(key))
        if action is None:
            super().keyPressEvent(event)
            return
        action()
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._drag = None
        self.unsetCursor()
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.reset_view()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        frame, bounds = self.frame, self._bounds
        if self._drag is not None and frame is not None and bounds is not None:
            per_px = (frame.right - frame.left) / max(1.0, frame.plot.width())
            self.view.pan((self._drag.x() - pos.x()) * per_px, bounds)
            self._drag = pos
        self.pointer = pos
        self.update()

    def event(self, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.Leave, QEvent.Type.FocusOut, QEvent.Type.FocusIn):
            if event.type() == QEvent.Type.Leave:
                self.pointer = None
            self.update()
        return super().event(event)
