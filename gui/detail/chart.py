"""Intraday chart of one symbol, drawn with QPainter (no chart library).

Contract: `set_source(history, snap)` points the chart at a symbol; `refresh()` repaints
only if the symbol's history version or snapshot update count moved since the last
paint (the detail pane calls it on a throttled timer, ~8 Hz, for the selected symbol
only). Draws minute bars (high-low ticks + close line), the last 15 minutes of trades
at 1-second resolution, bid/ask, day high/low, VWAP, previous close, LULD bands over
time and halt spans, in the theme's colours (`set_palette`: bid/ask follow the up/down
tones, so colour-blind blue/orange too). Why QPainter: PySide6-Essentials has no
QtCharts (that is in PySide6-Addons), pyqtgraph would add numpy; a ~2,000-point polyline
costs < 1 ms here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from engine.market.calendar import EASTERN
from engine.market.history import NS, SymbolHistory
from engine.market.store import SymbolSnapshot
from gui import formatting as fmt
from gui.settings.theme import DARK_CB, LIGHT, LIGHT_CB, Palette
from gui.tone import Tone

MARGIN_LEFT, MARGIN_TOP, MARGIN_RIGHT, MARGIN_BOTTOM = 6, 8, 62, 18
MINUTE_NS = 60 * NS
_Map = Callable[[float], float]  # data -> pixel coordinate
# Line colours that are not up/down: (light, dark, colour-blind light, colour-blind dark).
# Labelled lines reach WCAG AA (4.5:1) on their theme's base, bars the 3:1 of non-text
# graphics (SC 1.4.11); the colour-blind ones avoid the blue/orange of
# bid/ask (Okabe-Ito reddish purple and bluish green for VWAP / previous close).
_LINES: dict[str, tuple[str, str, str, str]] = {
    "bar": ("#6a88b8", "#5d7aa8", "#6a88b8", "#5d7aa8"),
    "close": ("#285aaa", "#7aa7f0", "#285aaa", "#7aa7f0"),
    "trade": ("#14286e", "#dce8ff", "#14286e", "#dce8ff"),
    "vwap": ("#a85a00", "#f0a040", "#b4508c", "#d88cbc"),
    "prev": ("#8a55a0", "#b895d0", "#007a5a", "#3cc8a0"),
}


def chart_colours(palette: Palette) -> dict[str, QColor]:
    """Every colour the chart paints with, for one theme palette."""
    column = (2 if palette in (LIGHT_CB, DARK_CB) else 0) + int(palette.dark)
    colours = {key: QColor(values[column]) for key, values in _LINES.items()}
    halt = QColor(palette.levels["warn"])
    halt.setAlpha(60)  # a tint under the lines, not a block that hides them
    colours.update({
        "axis": QColor(palette.placeholder), "range": QColor(palette.placeholder),
        "bid": QColor(palette.tones[Tone.UP]), "ask": QColor(palette.tones[Tone.DOWN]),
        "luld": QColor(palette.levels["bad"]), "halt": halt,
        "halt_text": QColor(palette.levels["warn"]),
    })  # fmt: skip
    return colours


COLOURS = chart_colours(LIGHT)  # light-theme defaults (the widget copies them)


def nice_step(span: float, target_lines: int) -> float:
    """A 1/2/5 x 10^k step giving about `target_lines` grid lines over `span`."""
    if span <= 0 or target_lines < 1:
        return 1.0
    raw = span / target_lines
    power: float = 10.0 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10.0 * power


def _clock_label(ns: int) -> str:
    return datetime.fromtimestamp(ns / NS, UTC).astimezone(EASTERN).strftime("%H:%M")


class IntradayChart(QWidget):
    """Paints the selected symbol's day; see the module docstring for what and when."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("intradayChart")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(140)
        self.history: SymbolHistory | None = None
        self.snap: SymbolSnapshot | None = None
        self._seen: tuple[int, int, int] | None = None  # (id, version, updates) painted
        self.paints = 0  # for tests and benchmarks
        self.drawn: dict[str, int] = {}  # what the last paint drew (item -> count)
        self.colours = dict(COLOURS)

    def set_palette(self, palette: Palette) -> None:
        """Repaint in `palette`'s colours (theme or colour-blind switch)."""
        self.colours = chart_colours(palette)
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(360, 220)

    def set_source(self, history: SymbolHistory | None, snap: SymbolSnapshot | None) -> None:
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

    def paintEvent(self, event: QPaintEvent) -> None:
        self._seen = self._key()
        self.paints += 1
        painter = QPainter(self)
        try:
            painter.fillRect(self.rect(), self.palette().base())
            self.drawn = self._paint(painter)
        finally:
            painter.end()

    def _paint(self, p: QPainter) -> dict[str, int]:
        drawn: dict[str, int] = {}
        history, snap = self.history, self.snap
        plot = QRectF(self.rect()).adjusted(MARGIN_LEFT, MARGIN_TOP, -MARGIN_RIGHT, -MARGIN_BOTTOM)
        if history is None or plot.width() < 20 or plot.height() < 20:
            self._message(p, "No trades or bars yet for this symbol")
            return drawn
        bars = history.bars
        times, prices = history.prices.points()
        # Today's bars only: the day of the newest data point (ET), from 04:00 on.
        newest = max(bars.times[-1] if len(bars) else 0, times[-1] if times else 0)
        if newest == 0:
            self._message(p, "No trades or bars yet for this symbol")
            return drawn
        day = datetime.fromtimestamp(newest / NS, UTC).astimezone(EASTERN).date()
        day_start = int(datetime(day.year, day.month, day.day, tzinfo=EASTERN).timestamp()) * NS
        first_bar = next((i for i, t in enumerate(bars.times) if t >= day_start), len(bars))
        bar_times = bars.times[first_bar:]
        t0 = min(bar_times[0] if bar_times else newest, times[0] if times else newest)
        t1 = max(newest + (newest - t0) // 30, t0 + 5 * MINUTE_NS)  # a little room on the right
        levels = self._levels(snap)
        values = [*bars.low[first_bar:], *bars.high[first_bar:], *prices]
        # LULD bands are often 5-10 % away: they widen the range only a little (they are
        # clipped, with an edge label, when further), so price moves stay readable.
        values += [v for k, v in levels.items() if k not in ("luld_up", "luld_down")]
        values = [v for v in values if v > 0 and math.isfinite(v)]
        if not values:
            self._message(p, "No prices yet for this symbol")
            return drawn
        low, high = min(values), max(values)
        pad = (high - low) * 0.05 or max(0.01, abs(high) * 0.001)
        low, high = low - pad, high + pad
        reach = (high - low) * 0.25
        bands = [v for _, lo, hi in history.lulds for v in (lo, hi)]
        bands += [v for k, v in levels.items() if k in ("luld_up", "luld_down")]
        low = min([low, *(b for b in bands if b >= low - reach)])
        high = max([high, *(b for b in bands if b <= high + reach)])

        def x_of(ns: float) -> float:
            return plot.left() + (ns - t0) / (t1 - t0) * plot.width()

        def y_of(price: float) -> float:
            return plot.bottom() - (price - low) / (high - low) * plot.height()

        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        self._grid(p, plot, low, high, t0, t1, y_of, x_of)
        p.save()
        p.setClipRect(plot)
        for halt in history.halts:  # halt spans: amber, under everything else
            end = halt.end_ns if halt.end_ns is not None else t1
            if end >= t0:
                span = QRectF(x_of(halt.start_ns), plot.top(), 0, plot.height())
                span.setRight(max(span.left() + 3, x_of(end)))
                p.fillRect(span, self.colours["halt"])
                p.setPen(self.colours["halt_text"])
                p.drawText(span.adjusted(2, 2, 40, 0), "HALT")
                drawn["halt"] = drawn.get("halt", 0) + 1
        if bar_times:
            p.setPen(QPen(self.colours["bar"], 1))
            highs, lows = bars.high[first_bar:], bars.low[first_bar:]
            for t, hi, lo in zip(bar_times, highs, lows, strict=True):
                x = x_of(t + MINUTE_NS // 2)
                p.drawLine(QPointF(x, y_of(hi)), QPointF(x, y_of(lo)))
            # Closes (at each minute's end) draw the day up to where the 1-second trade
            # line starts; from there the finer line alone shows the price.
            tail_start = times[0] if times else newest
            line = [
                QPointF(x_of(t + MINUTE_NS), y_of(c))
                for t, c in zip(bar_times, bars.close[first_bar:], strict=True)
                if t + MINUTE_NS <= tail_start
            ]
            if line and times:
                line.append(QPointF(x_of(times[0]), y_of(prices[0])))
            if len(line) > 1:
                p.setPen(QPen(self.colours["close"], 1.4))
                p.drawPolyline(QPolygonF(line))
            drawn["bars"] = len(bar_times)
        if times:
            line = [QPointF(x_of(t), y_of(v)) for t, v in zip(times, prices, strict=True)]
            p.setPen(QPen(self.colours["trade"], 1.6))
            if len(line) > 1:
                p.drawPolyline(QPolygonF(line))
            p.setBrush(self.colours["trade"])
            p.drawEllipse(line[-1], 2.5, 2.5)
            drawn["trades"] = len(line)
        self._luld(p, history, snap, x_of, y_of, t0, t1, drawn)
        for key, value in levels.items():
            if key in ("luld_up", "luld_down"):
                continue
            style = Qt.PenStyle.DashLine if key in ("vwap", "prev") else Qt.PenStyle.DotLine
            colour = self.colours[key if key in self.colours else "range"]
            left = x_of(t1 - 8 * MINUTE_NS) if key in ("bid", "ask") else plot.left()
            p.setPen(QPen(colour, 1.2, style))
            p.drawLine(QPointF(left, y_of(value)), QPointF(plot.right(), y_of(value)))
            drawn[key] = 1
        p.restore()
        self._labels(p, plot, levels, y_of)
        return drawn

    def _levels(self, snap: SymbolSnapshot | None) -> dict[str, float]:
        if snap is None:
            return {}
        found = {
            "bid": snap.bid_price,
            "ask": snap.ask_price,
            "high": snap.high,
            "low": snap.low,
            "vwap": snap.vwap,
            "prev": snap.prev_close,
            "luld_up": snap.luld_up,
            "luld_down": snap.luld_down,
        }
        return {k: v for k, v in found.items() if v is not None and v > 0}

    def _luld(
        self,
        p: QPainter,
        history: SymbolHistory,
        snap: SymbolSnapshot | None,
        x_of: _Map,
        y_of: _Map,
        t0: int,
        t1: int,
        drawn: dict[str, int],
    ) -> None:
        """LULD bands as step lines over time (current band across the chart if no history)."""
        bands = [(t, lo, hi) for t, lo, hi in history.lulds]
        if not bands and snap is not None and snap.luld_up and snap.luld_down:
            bands = [(t0, snap.luld_down, snap.luld_up)]
        if not bands:
            return
        p.setPen(QPen(self.colours["luld"], 1.1, Qt.PenStyle.DashLine))
        for side in (1, 2):
            line: list[QPointF] = []
            for i, band in enumerate(bands):
                start = max(t0, band[0])
                end = bands[i + 1][0] if i + 1 < len(bands) else t1
                if end < t0:
                    continue
                y = y_of(band[side])
                line += [QPointF(x_of(start), y), QPointF(x_of(end), y)]
            if len(line) > 1:
                p.drawPolyline(QPolygonF(line))
        drawn["luld"] = len(bands)

    def _grid(self, p: QPainter, plot: QRectF, low: float, high: float, t0: int, t1: int,
              y_of: _Map, x_of: _Map) -> None:  # fmt: skip
        # Grid and axis from the palette's text colour: readable in light and dark themes.
        grid = QColor(self.palette().text().color())
        grid.setAlpha(30)
        axis = QColor(grid)
        axis.setAlpha(170)
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() - 1))
        p.setFont(font)
        step = nice_step(high - low, max(2, int(plot.height() / 40)))
        price = math.ceil(low / step) * step
        while price <= high:
            y = y_of(price)
            p.setPen(grid)
            p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            p.setPen(axis)
            p.drawText(QPointF(plot.right() + 4, y + 4), fmt.format_price(price))
            price += step
        minutes = (t1 - t0) / MINUTE_NS
        tick_min = next((m for m in (5, 15, 30, 60, 120) if minutes / m <= 6), 240)
        tick_ns = tick_min * MINUTE_NS
        t = (t0 // tick_ns + 1) * tick_ns
        while t < t1:
            x = x_of(t)
            p.setPen(grid)
            p.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
            p.setPen(axis)
            p.drawText(QPointF(x - 14, plot.bottom() + 13), _clock_label(t))
            t += tick_ns

    def _labels(self, p: QPainter, plot: QRectF, levels: dict[str, float], y_of: _Map) -> None:
        names = {"bid": "bid", "ask": "ask", "vwap": "VWAP", "prev": "prev",
                 "high": "H", "low": "L", "luld_up": "LULD", "luld_down": "LULD"}  # fmt: skip
        for key, value in levels.items():
            y = y_of(value)
            if key.startswith("luld") and not plot.top() <= y <= plot.bottom():
                # Off-chart band: say where it is at the edge it lies beyond.
                above = y < plot.top()
                p.setPen(self.colours["luld"])
                y = plot.top() + 10 if above else plot.bottom() - 3
                arrow = "\u25b2" if above else "\u25bc"
                p.drawText(QPointF(plot.left() + 2, y), f"{arrow} LULD {fmt.format_price(value)}")
                continue
            if not plot.top() - 2 <= y <= plot.bottom() + 2:
                continue
            colour = self.colours["luld"] if key.startswith("luld") else self.colours["range"]
            p.setPen(self.colours.get(key, colour))
            below = key in ("bid", "low", "prev")  # bid under its line, ask above: no overlap
            p.drawText(QPointF(plot.right() - 34, y + 11 if below else y - 2), names[key])

    def _message(self, p: QPainter, text: str) -> None:
        p.setPen(self.colours["axis"])
        p.drawText(QRectF(self.rect()), Qt.AlignmentFlag.AlignCenter, text)
