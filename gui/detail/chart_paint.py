"""Painting the detail chart from a `Series` and a window (QPainter, batched calls).

`render` draws in this order: session shading (pre-market 04:00-09:30 and after-hours
16:00-20:00 ET, from each day's calendar: 13:00 on an early close), grid and axes, halt
spans, candles or the close line, volume bars, the 1-second trade line of the last 15
minutes, LULD bands, today's levels (bid/ask, high/low, VWAP, previous close), then the
labels, each through `Labels` so none overlaps another; the level tags are stacked in the
right margin with leader lines (gui/detail/chart_levels.py). Candles and volume bars go out as
a few `drawLines` / `drawRects` calls, not one call per bar: 960 candles cost a few ms
(tests/benchmarks/bench_chart.py). Bars from IEX (the Basic plan's last 15 minutes,
docs/account-and-history.md) are drawn hollow, with a note saying from when.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import UTC, datetime

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen, QPolygonF

from engine.market.calendar import EASTERN
from engine.market.history import MINUTE_NS, NS, SymbolHistory
from engine.market.store import SymbolSnapshot
from gui import formatting as fmt
from gui.detail.chart_data import SESSION_MINUTES, Series
from gui.detail.chart_layout import Labels, price_step, time_step
from gui.detail.chart_levels import LEADER, Tag, draw_luld, draw_tags, place_tags, tag_texts

__all__ = ["Frame", "clock_label", "render"]


def clock_label(ns: int, pattern: str = "%H:%M") -> str:
    return datetime.fromtimestamp(ns / NS, UTC).astimezone(EASTERN).strftime(pattern)


@dataclass(slots=True)
class Frame:
    """Geometry of the last render: what the crosshair maps the pointer through."""

    plot: QRectF
    volume: QRectF | None
    left: float
    right: float
    low: float
    high: float
    vmax: float
    series: Series
    drawn: dict[str, int] = field(default_factory=dict)
    labels: list[tuple[str, QRectF]] = field(default_factory=list)
    tags: list[Tag] = field(default_factory=list)  # today's level tags, in the margin

    def x_of(self, x: float) -> float:
        return self.plot.left() + (x - self.left) / (self.right - self.left) * self.plot.width()

    def axis_at(self, px: float) -> float:
        return self.left + (px - self.plot.left()) / self.plot.width() * (self.right - self.left)

    def y_of(self, price: float) -> float:
        return self.plot.bottom() - (price - self.low) / (self.high - self.low) * self.plot.height()

    def price_at(self, py: float) -> float:
        return self.low + (self.plot.bottom() - py) / self.plot.height() * (self.high - self.low)


def levels_of(snap: SymbolSnapshot | None) -> dict[str, float]:
    if snap is None:
        return {}
    found = {"bid": snap.bid_price, "ask": snap.ask_price, "high": snap.high, "low": snap.low,
             "vwap": snap.vwap, "prev": snap.prev_close, "luld_up": snap.luld_up,
             "luld_down": snap.luld_down}  # fmt: skip
    return {k: v for k, v in found.items() if v is not None and v > 0 and math.isfinite(v)}


def small_font(font: QFont) -> QFont:
    small = QFont(font)
    small.setPointSizeF(max(7.0, font.pointSizeF() - 1))
    return small


def render(
    p: QPainter,
    bounds: QRectF,
    history: SymbolHistory,
    snap: SymbolSnapshot | None,
    series: Series,
    window: tuple[float, float],
    style: str,
    colours: dict[str, QColor],
) -> Frame | None:
    """Draw everything; None (nothing drawn) when there is no room or no price."""
    metrics = QFontMetricsF(p.font())
    labels = Labels(bounds, metrics)
    left, right = window
    a = max(0, bisect_right(series.x, left) - 1)
    b = bisect_left(series.x, right)
    times, prices = history.prices.points()
    trade_x = [series.axis_of(t) for t in times]
    t0 = bisect_left(trade_x, left)
    today_shown = bool(series.slots) and right > series.slots[-1].x0
    levels = levels_of(snap) if today_shown else {}
    values = [*series.low[a:b], *series.high[a:b], *prices[t0:]]
    values += [v for k, v in levels.items() if not k.startswith("luld")]
    values = [v for v in values if v > 0 and math.isfinite(v)]
    if not values:
        return None
    low, high = min(values), max(values)
    pad = (high - low) * 0.05 or max(0.01, abs(high) * 0.001)
    low, high = low - pad, high + pad
    # LULD bands are often 5-10 % away: they widen the range only a little (further ones
    # are clipped, with an edge label), so price moves stay readable.
    reach = (high - low) * 0.25
    bands = [v for _, lo, hi in history.lulds for v in (lo, hi)] if today_shown else []
    bands += [v for k, v in levels.items() if k.startswith("luld")]
    low = min([low, *(v for v in bands if v >= low - reach)])
    high = max([high, *(v for v in bands if v <= high + reach)])
    text_h = metrics.height()
    # The right margin holds the price axis and the level tags ("VWAP 230.73", stacked
    # with leader lines: gui/detail/chart_levels.py); names alone when values leave the
    # plot too little room.
    texts = tag_texts(levels)
    widest = max([metrics.horizontalAdvance(fmt.format_price(high)),
                  *(metrics.horizontalAdvance(t) for t in texts.values())])  # fmt: skip
    if LEADER + widest + 4 > 0.4 * bounds.width():
        texts = tag_texts(levels, short=True)
        widest = max([metrics.horizontalAdvance(fmt.format_price(high)),
                      *(metrics.horizontalAdvance(t) for t in texts.values())])  # fmt: skip
    margin_right = max(36.0, LEADER + widest + 4)
    area = bounds.adjusted(4, 6, -margin_right, -(text_h + 4))
    if area.width() < 20 or area.height() < 20:
        return None
    volume = None
    plot = QRectF(area)
    if area.height() >= 90:  # room for a volume pane under the price
        vol_h = max(18.0, area.height() * 0.2)
        volume = QRectF(area.left(), area.bottom() - vol_h, area.width(), vol_h)
        plot.setBottom(volume.top() - 4)
    vmax = float(max(series.volume[a:b], default=0)) or 1.0
    f = Frame(plot, volume, left, right, low, high, vmax, series)
    column = QRectF(area.right() + LEADER, area.top(), margin_right - LEADER, area.height())
    # Tags first: the grid's price labels and the notes give way to them.
    f.tags = place_tags(plot, column, levels, texts, f.y_of, labels)
    p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    _sessions(p, f, area, colours, labels)
    _grid(p, f, area, colours, labels, metrics)
    p.save()
    p.setClipRect(area)
    _halts(p, f, history, colours, labels)
    if b > a:
        if style == "line":
            _close_line(p, f, a, b, colours)
        else:
            _candles(p, f, a, b, colours)
        if volume is not None:
            _volume(p, f, volume, a, b, colours)
        f.drawn["bars"] = b - a
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    if times:
        points = [QPointF(f.x_of(x), f.y_of(v)) for x, v in zip(trade_x, prices, strict=True)]
        p.setPen(QPen(colours["trade"], 1.6))
        if len(points) > 1:
            p.drawPolyline(QPolygonF(points))
        p.setBrush(colours["trade"])
        p.drawEllipse(points[-1], 2.5, 2.5)
        f.drawn["trades"] = len(points)
    if today_shown:
        drawn = draw_luld(p, plot, f.x_of, f.y_of, left, right, history, series.axis_of,
                          snap, colours["luld"])  # fmt: skip
        if drawn:
            f.drawn["luld"] = drawn
        _levels(p, f, levels, colours)
    p.restore()
    _notes(p, f, a, b, colours, labels)
    draw_tags(p, plot, f.tags, colours, metrics, f.drawn)
    f.labels = labels.placed
    return f


def _sessions(p: QPainter, f: Frame, area: QRectF, colours: dict[str, QColor],
              labels: Labels) -> None:  # fmt: skip
    """Shade pre-market and after-hours; a line and the date where a session starts."""
    shade = colours["session"]
    for slot in f.series.slots:
        if slot.x0 + SESSION_MINUTES <= f.left or slot.x0 >= f.right:
            continue
        spans = [(0.0, slot.open_min), (slot.close_min, float(SESSION_MINUTES))]
        if not slot.open_min:  # no regular session that day: all of it is extended
            spans = [(0.0, float(SESSION_MINUTES))]
        for start, end in spans:
            x0 = max(area.left(), f.x_of(slot.x0 + start))
            x1 = min(area.right(), f.x_of(slot.x0 + end))
            if x1 > x0:
                p.fillRect(QRectF(x0, area.top(), x1 - x0, area.height()), shade)
        if slot.x0 > f.left:
            x = f.x_of(slot.x0)
            p.setPen(QPen(colours["axis"], 1, Qt.PenStyle.DotLine))
            p.drawLine(QPointF(x, area.top()), QPointF(x, area.bottom()))
            p.setPen(colours["axis"])
            baseline = area.top() + labels.metrics.ascent() + 1
            labels.draw(p, slot.day.strftime("%a %b %d"), x + 3, baseline)
            f.drawn["sessions"] = f.drawn.get("sessions", 0) + 1


def _grid(p: QPainter, f: Frame, area: QRectF, colours: dict[str, QColor], labels: Labels,
          metrics: QFontMetricsF) -> None:  # fmt: skip
    grid, axis = colours["grid"], colours["axis_text"]
    text_h = metrics.height()
    step = price_step(f.high - f.low, f.plot.height(), text_h)
    price = math.ceil(f.low / step) * step
    lines: list[QLineF] = []
    while price <= f.high:
        y = f.y_of(price)
        lines.append(QLineF(f.plot.left(), y, f.plot.right(), y))
        p.setPen(axis)
        x = f.plot.right() + LEADER  # in line with the level tags (gui/detail/chart_levels.py)
        labels.draw(p, fmt.format_price(price), x, y + metrics.ascent() / 2 - 1)
        price += step
    width = metrics.horizontalAdvance("00:00")
    px_per_minute = f.plot.width() / max(1e-9, f.right - f.left)
    minutes = time_step(px_per_minute, width)
    baseline = area.bottom() + metrics.ascent() + 2
    for slot in f.series.slots:
        if slot.x0 + SESSION_MINUTES <= f.left or slot.x0 >= f.right:
            continue
        first = max(0, math.ceil((f.left - slot.x0) / minutes)) * minutes
        for m in range(int(first), SESSION_MINUTES, minutes):
            x = f.x_of(slot.x0 + m)
            if x > area.right():
                break
            if m == 0 and minutes < SESSION_MINUTES:
                continue  # the session line and its date mark 04:00
            lines.append(QLineF(x, area.top(), x, area.bottom()))
            ns = slot.start_ns + m * MINUTE_NS
            text = clock_label(ns) if minutes < SESSION_MINUTES else slot.day.strftime("%b %d")
            p.setPen(axis)
            labels.draw(p, text, x - metrics.horizontalAdvance(text) / 2, baseline)
    p.setPen(grid)
    p.drawLines(lines)


def _halts(p: QPainter, f: Frame, history: SymbolHistory, colours: dict[str, QColor],
           labels: Labels) -> None:  # fmt: skip
    series = f.series
    for halt in history.halts:  # amber, under everything else
        x0 = f.x_of(series.axis_of(halt.start_ns))
        end = f.x_of(series.axis_of(halt.end_ns)) if halt.end_ns is not None else f.plot.right()
        if end < f.plot.left() or x0 > f.plot.right():
            continue
        span = QRectF(x0, f.plot.top(), max(3.0, end - x0), f.plot.height())
        p.fillRect(span, colours["halt"])
        p.setPen(colours["halt_text"])
        labels.draw(p, "HALT", span.left() + 2, span.top() + 2 * labels.metrics.ascent() + 4)
        f.drawn["halt"] = f.drawn.get("halt", 0) + 1


def _candles(p: QPainter, f: Frame, a: int, b: int, colours: dict[str, QColor]) -> None:
    s = f.series
    scale = f.plot.width() / (f.right - f.left)
    wicks: dict[str, list[QLineF]] = {"up": [], "down": []}
    bodies: dict[tuple[str, bool], list[QRectF]] = {}
    for i in range(a, b):
        o, c = s.open[i], s.close[i]
        side = "up" if c >= o else "down"
        w = s.width[i] * scale
        x = f.x_of(s.x[i]) + w / 2
        wicks[side].append(QLineF(x, f.y_of(s.high[i]), x, f.y_of(s.low[i])))
        if w >= 3:  # wide enough for a body; narrower, the high-low tick alone
            body_w = max(1.0, w * 0.7)
            top, bottom = f.y_of(max(o, c)), f.y_of(min(o, c))
            rect = QRectF(x - body_w / 2, top, body_w, max(1.0, bottom - top))
            bodies.setdefault((side, s.iex[i]), []).append(rect)
    for side, lines in wicks.items():
        p.setPen(QPen(colours[side], 1))
        p.drawLines(lines)
    for (side, hollow), rects in bodies.items():
        p.setPen(QPen(colours[side], 1))
        p.setBrush(Qt.BrushStyle.NoBrush if hollow else colours[side])
        p.drawRects(rects)
    p.setBrush(Qt.BrushStyle.NoBrush)


def _close_line(p: QPainter, f: Frame, a: int, b: int, colours: dict[str, QColor]) -> None:
    s = f.series
    lo, hi = max(0, a - 1), min(len(s), b + 1)
    points = [QPointF(f.x_of(s.x[i] + s.width[i]), f.y_of(s.close[i])) for i in range(lo, hi)]
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    p.setPen(QPen(colours["close"], 1.4))
    if len(points) > 1:
        p.drawPolyline(QPolygonF(points))
    iex = [pt for pt, i in zip(points, range(lo, hi), strict=True) if s.iex[i]]
    if iex:  # IEX closes: open dots on the line
        p.setBrush(Qt.BrushStyle.NoBrush)
        for pt in iex:
            p.drawEllipse(pt, 2.0, 2.0)
    p.setRenderHint(QPainter.RenderHint.Antialiasing, False)


def _volume(p: QPainter, f: Frame, area: QRectF, a: int, b: int,
            colours: dict[str, QColor]) -> None:  # fmt: skip
    s = f.series
    scale = f.plot.width() / (f.right - f.left)
    rects: dict[str, list[QRectF]] = {"vol_up": [], "vol_down": []}
    for i in range(a, b):
        w = max(1.0, s.width[i] * scale * 0.8)
        h = s.volume[i] / f.vmax * area.height()
        x = f.x_of(s.x[i]) + (s.width[i] * scale - w) / 2
        key = "vol_up" if s.close[i] >= s.open[i] else "vol_down"
        rects[key].append(QRectF(x, area.bottom() - h, w, h))
    p.setPen(Qt.PenStyle.NoPen)
    for key, items in rects.items():
        p.setBrush(colours[key])
        p.drawRects(items)
    p.setBrush(Qt.BrushStyle.NoBrush)
    f.drawn["volume"] = b - a


def _levels(p: QPainter, f: Frame, levels: dict[str, float], colours: dict[str, QColor]) -> None:
    for key, value in levels.items():
        if key.startswith("luld"):
            continue
        style = Qt.PenStyle.DashLine if key in ("vwap", "prev") else Qt.PenStyle.DotLine
        colour = colours.get(key, colours["range"])
        # Bid/ask: a stub at the live edge (the last 8 minutes, or 8 % of a wide window).
        stub = max(8.0, 0.08 * (f.right - f.left))
        left = f.x_of(f.right - stub) if key in ("bid", "ask") else 0.0
        y = f.y_of(value)
        p.setPen(QPen(colour, 1.2, style))
        p.drawLine(QPointF(max(left, f.plot.left()), y), QPointF(f.plot.right(), y))
        f.drawn[key] = 1


def _notes(p: QPainter, f: Frame, a: int, b: int, colours: dict[str, QColor],
           labels: Labels) -> None:  # fmt: skip
    m = labels.metrics
    iex_from = f.series.iex_from_ns
    if iex_from is not None and any(f.series.iex[a:b]):
        text = f"hollow: IEX from {clock_label(iex_from)} ET"
        p.setPen(colours["axis_text"])
        x = f.plot.right() - m.horizontalAdvance(text) - 3
        if labels.draw(p, text, x, f.plot.top() + m.ascent() + 1):
            f.drawn["iex_note"] = 1
    if f.volume is not None and b > a:
        p.setPen(colours["axis_text"])
        labels.draw(p, fmt.format_volume(f.vmax), f.volume.right() + LEADER,
                    f.volume.top() + m.ascent())  # fmt: skip
