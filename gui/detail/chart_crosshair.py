"""The crosshair over the cached chart: lines at the pointer and a read-out of the candle
under it (time in ET, OHLC, volume; "IEX" for a bar from IEX). Drawn on every pointer
move over the cached pixmap, so it costs a few text draws, not a render."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPen

from engine.market.history import MINUTE_NS
from gui import formatting as fmt
from gui.detail.chart_paint import Frame, clock_label

__all__ = ["draw_crosshair", "readout"]


def readout(frame: Frame, x: float, minutes: int) -> list[str]:
    """The read-out lines for axis position `x` ([] off every session)."""
    s = frame.series
    i = s.at(x)
    if i is None:
        ns = s.ns_of(x)
        return [] if ns is None else [_when(frame, ns, 0)]
    span = int(s.width[i])
    head = _when(frame, s.t[i], span)
    if s.iex[i]:
        head += " IEX"
    prices = (f"O {fmt.format_price(s.open[i])}  H {fmt.format_price(s.high[i])}  "
              f"L {fmt.format_price(s.low[i])}  C {fmt.format_price(s.close[i])}")  # fmt: skip
    return [f"{head}  V {fmt.format_volume(s.volume[i])}", prices]


def _when(frame: Frame, ns: int, span: int) -> str:
    series = frame.series
    day = "" if series.slots and ns >= series.slots[-1].start_ns else clock_label(ns, "%a %b %d ")
    text = clock_label(ns)
    if span > 1:
        text += "-" + clock_label(ns + span * MINUTE_NS)
    return f"{day}{text} ET"


def draw_crosshair(
    p: QPainter, frame: Frame, pos: QPointF, colours: dict[str, QColor], minutes: int
) -> None:
    plot = frame.plot
    area = QRectF(plot)
    if frame.volume is not None:
        area.setBottom(frame.volume.bottom())
    if not area.contains(pos):
        return
    p.setPen(QPen(colours["crosshair"], 1, Qt.PenStyle.DashLine))
    p.drawLine(QPointF(pos.x(), area.top()), QPointF(pos.x(), area.bottom()))
    m = QFontMetricsF(p.font())
    if plot.top() <= pos.y() <= plot.bottom():
        p.drawLine(QPointF(plot.left(), pos.y()), QPointF(plot.right(), pos.y()))
        price = fmt.format_price(frame.price_at(pos.y()))
        tag = QRectF(plot.right() + 1, pos.y() - m.height() / 2, m.horizontalAdvance(price) + 6,
                     m.height())  # fmt: skip
        p.fillRect(tag, colours["crosshair"])
        p.setPen(colours["readout"])
        p.drawText(tag, Qt.AlignmentFlag.AlignCenter, price)
    lines = readout(frame, frame.axis_at(pos.x()), minutes)
    if not lines:
        return
    if len(lines) == 2 and m.horizontalAdvance("  ".join(lines)) + 8 <= plot.width():
        lines = ["  ".join(lines)]
    room = plot.width() - 8
    lines = [m.elidedText(line, Qt.TextElideMode.ElideRight, room) for line in lines]
    width = max(m.horizontalAdvance(line) for line in lines) + 8
    box = QRectF(plot.left() + 2, plot.top() + 2, width, m.height() * len(lines) + 4)
    if box.contains(pos):  # never under the pointer: move to the bottom of the plot
        box.moveBottom(plot.bottom() - 2)
    p.fillRect(box, colours["readout"])
    p.setPen(colours["axis_text"])
    for n, line in enumerate(lines):
        p.drawText(QPointF(box.left() + 4, box.top() + 2 + m.ascent() + n * m.height()), line)
