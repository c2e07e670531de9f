"""Issue 18 #10d: the chart's level labels (bid/ask/VWAP/prev/H/L) never overlap and none is
dropped; they stay off the data; an LULD band beyond the price scale is not drawn inside
the plot (where it sat on the H/L lines) but marked with an arrow and its value at the edge."""

from __future__ import annotations

from itertools import combinations
from typing import Any

import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor

from engine.events import Luld
from engine.market.history import NS
from gui.detail.chart import IntradayChart
from tests.gui.detail.chart_day import DAY, at, loaded_history, store_with_levels

NAMES = ("bid", "ask", "VWAP", "prev", "H", "L")


def _chart(qapp: Any, size: tuple[int, int], far_luld: bool = False) -> IntradayChart:
    history = loaded_history()
    store = store_with_levels(history)  # every level within a few cents: the hard case
    if far_luld:
        store.apply(Luld("AAPL", 120.0, 80.0, "B", at(DAY, 19, 59) + 5 * NS))
    chart = IntradayChart()
    chart.resize(*size)
    chart.set_source(history.get("AAPL"), store.get("AAPL"))
    return chart


def _level_labels(chart: IntradayChart) -> dict[str, QRectF]:
    frame = chart.frame
    assert frame is not None
    found = {}
    for text, rect in frame.labels:
        name = text.split()[0]
        if name in (*NAMES, "LULD", "▲", "▼"):
            found[name] = rect
    return found


@pytest.mark.parametrize("size", [(300, 150), (360, 220), (600, 300)])
def test_level_labels_all_shown_apart_and_off_the_data(qapp: Any, size: tuple[int, int]) -> None:
    chart = _chart(qapp, size)
    chart.grab()
    frame = chart.frame
    assert frame is not None
    found = _level_labels(chart)
    assert set(NAMES) <= set(found), f"dropped: {set(NAMES) - set(found)}"
    rects = list(found.items())
    assert [(a, b) for (a, ra), (b, rb) in combinations(rects, 2) if ra.intersects(rb)] == []
    for name, rect in rects:  # in the margin: never over candles, trades or level lines
        assert rect.left() >= frame.plot.right(), name
        assert QRectF(chart.rect()).contains(rect), name
    texts = {t.key: t.text for t in frame.tags}
    assert texts["vwap"] == "VWAP 100.05"  # the value, not just the name
    assert texts["bid"] == "bid 100.08"
    ask, bid = (next(t for t in frame.tags if t.key == k) for k in ("ask", "bid"))
    assert ask.rect.bottom() < bid.rect.top()  # ask stacked above bid, as on the ladder


@pytest.mark.parametrize("size", [(300, 150), (600, 300)])
def test_off_scale_luld_is_an_edge_marker_not_a_line_on_high_low(
    qapp: Any, size: tuple[int, int]
) -> None:
    chart = _chart(qapp, size, far_luld=True)
    marker = QColor("#ff00ff")  # a colour nothing else uses, to find LULD pixels
    chart.colours["luld"] = marker
    image = chart.grab().toImage()
    frame = chart.frame
    assert frame is not None
    plot = frame.plot
    # Nothing LULD-coloured inside the plot or the volume pane: no line, no label there.
    inside = [
        (x, y)
        for x in range(int(plot.left()) + 1, int(plot.right()) - 1)
        for y in range(
            int(plot.top()), int(frame.volume.bottom() if frame.volume else plot.bottom())
        )
        if image.pixelColor(x, y) == marker
    ]
    assert inside == []
    tags = {t.key: t for t in frame.tags}
    up, down = tags["luld_up"], tags["luld_down"]
    assert (up.off_scale, down.off_scale) == (1, -1)
    assert "120.00" in up.text
    assert "80.00" in down.text
    assert up.rect.left() >= plot.right()
    assert down.rect.left() >= plot.right()
    assert up.rect.top() <= min(t.rect.top() for t in frame.tags)  # at the top edge
    assert down.rect.bottom() >= max(t.rect.bottom() for t in frame.tags)  # at the bottom
    assert frame.drawn.get("luld_marker") == 2  # an arrow for each
    # Still no overlap with everything else placed.
    assert [(a, b) for (a, ra), (b, rb) in combinations(frame.labels, 2) if ra.intersects(rb)] == []


def test_stack_keeps_order_and_spacing() -> None:
    from gui.detail.chart_levels import stack  # new in issue 18: imported here

    assert stack([10, 10, 10], 5, 0, 100) == [10, 15, 20]
    assert stack([98, 99, 100], 5, 0, 100) == [90, 95, 100]  # pushed up from the bottom
    assert stack([0, 50], 5, 10, 40) == [10, 40]  # clamped into the column
    assert stack([1, 2, 3], 20, 0, 30) is None  # no room for all three
