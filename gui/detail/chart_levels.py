"""Today's levels on the detail chart: lines in the plot, value tags stacked in the margin.

Bid/ask, high/low, VWAP, previous close and the LULD band often lie within a few cents of
each other, so a tag beside each line would overlap the others (issue 18, #10d). Instead
every tag goes in the right-hand margin, with its value ("VWAP 230.73"), stacked so no two
touch, and a leader line runs from the level's line at the plot edge to its tag. A level
the price scale does not reach (an LULD band 5-10 % away, docs/protocol.md "LULD") is not
drawn at all inside the plot: an arrow marker at the plot's top or bottom edge says it lies
beyond, and its tag ("▲ LULD 242.74") sits at that edge of the margin, so it is never
drawn on the H/L lines. The tags are reserved before the grid's price labels, which give
way to them (gui/detail/chart_layout.py `Labels`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPen, QPolygonF

from engine.market.history import SymbolHistory
from engine.market.store import SymbolSnapshot
from gui import formatting as fmt
from gui.detail.chart_layout import GAP, Labels

__all__ = [
    "LEADER",
    "LEVEL_NAMES",
    "Tag",
    "draw_luld",
    "draw_tags",
    "place_tags",
    "stack",
    "tag_texts",
]

ToScreen = Callable[[float], float]

LEVEL_NAMES = {"bid": "bid", "ask": "ask", "vwap": "VWAP", "prev": "prev",
               "high": "H", "low": "L", "luld_up": "LULD", "luld_down": "LULD"}  # fmt: skip
# When the margin has room for fewer tags than levels, the first ones here are kept.
PRIORITY = ("bid", "ask", "luld_up", "luld_down", "vwap", "prev", "high", "low")
LEADER = 12.0  # px between the plot's right edge and a tag: room for the leader line
MARKER = 4.0  # px: half the width of an off-scale arrow marker


@dataclass(slots=True)
class Tag:
    """One level's tag: where its line is (clamped to the plot) and where its text went."""

    key: str
    text: str
    line_y: float
    off_scale: int  # -1 below the plot, +1 above it, 0 on scale
    rect: QRectF


def tag_texts(levels: dict[str, float], short: bool = False) -> dict[str, str]:
    """Tag text per level: "VWAP 230.73" (`short`: "VWAP"); LULD bands keep their value."""
    texts = {}
    for key, value in levels.items():
        name = LEVEL_NAMES[key]
        texts[key] = name if short and not key.startswith("luld") else (
            f"{name} {fmt.format_price(value)}")  # fmt: skip
    return texts


def stack(wanted: list[float], pitch: float, top: float, bottom: float) -> list[float] | None:
    """Centres as close to `wanted` (ascending) as possible, `pitch` apart, within
    [top, bottom]; None if they cannot all fit."""
    if not wanted:
        return []
    if pitch * (len(wanted) - 1) > bottom - top:
        return None
    placed: list[float] = []
    for y in wanted:  # push down past the one above
        y = min(max(y, top), bottom)
        placed.append(max(y, placed[-1] + pitch) if placed else y)
    placed[-1] = min(placed[-1], bottom)
    for i in range(len(placed) - 2, -1, -1):  # then up from the bottom edge
        placed[i] = min(placed[i], placed[i + 1] - pitch)
    return placed


def draw_luld(p: QPainter, plot: QRectF, x_of: ToScreen, y_of: ToScreen, left: float,
              right: float, history: SymbolHistory, axis_of: Callable[[int], float],
              snap: SymbolSnapshot | None, colour: QColor) -> int:  # fmt: skip
    """LULD bands as step lines over time, clipped to the price plot (never the volume
    pane, never a line along its edge); the number of bands drawn."""
    bands = [(axis_of(t), lo, hi) for t, lo, hi in history.lulds]
    if not bands and snap is not None and snap.luld_up and snap.luld_down:
        bands = [(left, snap.luld_down, snap.luld_up)]
    if not bands:
        return 0
    p.save()
    p.setClipRect(plot)
    p.setPen(QPen(colour, 1.1, Qt.PenStyle.DashLine))
    for side in (1, 2):
        line: list[QPointF] = []
        for i, band in enumerate(bands):
            start = max(left, band[0])
            end = bands[i + 1][0] if i + 1 < len(bands) else right
            if end < left:
                continue
            y = y_of(band[side])
            line += [QPointF(x_of(start), y), QPointF(x_of(end), y)]
        if len(line) > 1:
            p.drawPolyline(QPolygonF(line))
    p.restore()
    return len(bands)


def _layout(plot: QRectF, column: QRectF, m: QFontMetricsF, levels: dict[str, float],
            texts: dict[str, str], y_of: ToScreen) -> list[Tag]:  # fmt: skip
    pitch = m.height() + GAP + 0.5
    half = m.height() / 2
    keys = [k for k in PRIORITY if k in levels]
    while keys:
        tags = []
        for key in keys:
            y = y_of(levels[key])
            off = 1 if y < plot.top() else -1 if y > plot.bottom() else 0
            clamped = min(max(y, plot.top()), plot.bottom())
            tags.append(Tag(key, texts[key], clamped, off, QRectF()))
        # Above-scale tags first, then by height on screen (ask over bid when they tie).
        tags.sort(key=lambda t: (-t.off_scale, t.line_y, -levels[t.key]))
        centres = stack([t.line_y for t in tags], pitch, column.top() + half,
                        column.bottom() - half)  # fmt: skip
        if centres is not None:
            for tag, centre in zip(tags, centres, strict=True):
                width = m.horizontalAdvance(tag.text)
                tag.rect = QRectF(column.left(), centre - half, width, m.height())
            return tags
        keys.pop()  # no room for all: drop the least useful
    return []


def place_tags(plot: QRectF, column: QRectF, levels: dict[str, float],
               texts: dict[str, str], y_of: ToScreen, labels: Labels) -> list[Tag]:  # fmt: skip
    """Stack the level tags in `column` (the margin right of the plot, LEADER px in) and
    reserve their rectangles in `labels`, before any other label is placed."""
    tags = _layout(plot, column, labels.metrics, levels, texts, y_of)
    for tag in tags:
        labels.placed.append((tag.text, tag.rect))
    return tags


def draw_tags(p: QPainter, plot: QRectF, tags: list[Tag], colours: dict[str, QColor],
              metrics: QFontMetricsF, drawn: dict[str, int]) -> None:  # fmt: skip
    """Each tag with its leader line, and an arrow marker at the plot's edge for a level
    beyond the price scale."""
    m = metrics
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    for tag in tags:
        colour = colours.get(tag.key, colours["luld" if tag.key.startswith("luld") else "range"])
        p.setPen(QPen(colour, 1.0))
        mid = tag.rect.center().y()
        if tag.off_scale:
            # Beyond the price scale: no line (it would sit on the H/L lines), but an
            # arrow pointing where the level lies, in the gap beside its tag at the edge.
            x, d = plot.right() + LEADER / 2, float(tag.off_scale)
            p.setBrush(colour)
            p.setPen(Qt.PenStyle.NoPen)
            p.drawPolygon(QPolygonF([QPointF(x - MARKER, mid + d * MARKER),
                                     QPointF(x + MARKER, mid + d * MARKER),
                                     QPointF(x, mid - d * MARKER)]))  # fmt: skip
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setPen(QPen(colour, 1.0))
            drawn["luld_marker"] = drawn.get("luld_marker", 0) + 1
        else:
            p.drawPolyline(QPolygonF([QPointF(plot.right(), tag.line_y),
                                      QPointF(plot.right() + 3, tag.line_y),
                                      QPointF(tag.rect.left() - 2, mid)]))  # fmt: skip
        baseline = mid + (m.ascent() - m.descent()) / 2
        p.drawText(QPointF(tag.rect.left(), baseline), tag.text)
        drawn[f"tag_{tag.key}"] = 1
    p.restore()
