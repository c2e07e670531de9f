"""Label placement for the detail chart: every text goes through one `Labels` per paint.

A label is drawn only if its rectangle lies inside the widget and touches no label placed
before it, so nothing overlaps at any size (tests compute the rectangles at 300x150).
Callers place the most useful labels first. Axis steps are chosen from the pixels each
label needs, not from a fixed count.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QFontMetricsF, QPainter

__all__ = ["TIME_STEPS", "Labels", "nice_step", "price_step", "time_step"]

GAP = 2.0  # px kept free around each label
# Time-axis tick intervals, minutes: within a session, then one tick per session.
TIME_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 240, 480, 960)


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


def price_step(span: float, pixels: float, text_height: float) -> float:
    """A nice price step whose grid lines are at least ~2.5 text heights apart (and
    never closer than one label plus gaps)."""
    step = nice_step(span, max(1, int(pixels / (text_height * 2.5))))
    while span > 0 and step / span * pixels < text_height + 2 * GAP:
        power = 10.0 ** math.floor(math.log10(step))
        mantissa = round(step / power)
        step = (2 if mantissa < 2 else 5 if mantissa < 5 else 10) * power
    return step


def time_step(px_per_minute: float, label_width: float) -> int:
    """The smallest tick interval (minutes) whose labels fit side by side."""
    for minutes in TIME_STEPS:
        if minutes * px_per_minute >= label_width + 4 * GAP:
            return minutes
    return TIME_STEPS[-1]


class Labels:
    """Rectangles placed so far this paint; `draw` refuses a label that would overlap."""

    def __init__(self, bounds: QRectF, metrics: QFontMetricsF) -> None:
        self.bounds = bounds
        self.metrics = metrics
        self.placed: list[tuple[str, QRectF]] = []

    def rect(self, text: str, x: float, baseline: float) -> QRectF:
        """The box `text` covers when drawn with its baseline start at (x, baseline)."""
        m = self.metrics
        return QRectF(x, baseline - m.ascent(), m.horizontalAdvance(text), m.height())

    def fits(self, rect: QRectF) -> bool:
        if not self.bounds.contains(rect):
            return False
        grown = rect.adjusted(-GAP / 2, -GAP / 2, GAP / 2, GAP / 2)
        return not any(grown.intersects(other) for _, other in self.placed)

    def draw(self, p: QPainter, text: str, x: float, baseline: float) -> bool:
        """Draw `text` at (x, baseline) if it fits; True if drawn."""
        rect = self.rect(text, x, baseline)
        if not self.fits(rect):
            return False
        self.placed.append((text, rect))
        p.drawText(QPointF(x, baseline), text)
        return True

    def draw_first(self, p: QPainter, text: str, spots: list[tuple[float, float]]) -> bool:
        """Draw `text` at the first of `spots` (x, baseline) where it fits."""
        return any(self.draw(p, text, x, baseline) for x, baseline in spots)
