"""The sparkline delegate moves only the last point when a print lands in the newest
bucket inside the line's range (issue 16), and that line is the one a rebuild draws."""

from __future__ import annotations

import random
from typing import Any

from engine.events import Trade
from engine.market.history import NS, PriceHistory
from engine.market.store import MarketDataStore
from gui.table.delegates import SparklineDelegate, build_polygon


def points(polygon: Any) -> list[tuple[float, float]]:
    return [(round(p.x(), 6), round(p.y(), 6)) for p in polygon.toList()]


def test_patched_lines_equal_rebuilt_ones_and_most_prints_patch(qapp: Any) -> None:
    store = MarketDataStore()
    history = PriceHistory()
    store.add_observer(history.on_event)
    store.watch(["AAA"])
    delegate = SparklineDelegate()
    rng = random.Random(3)
    start = 1_750_000_000 * NS
    prints = 0
    for width in (90, 40):  # one point per bucket, and thinned to one per pixel
        for i in range(1_500):
            if rng.random() < 0.2:
                start += NS  # a new one-second bucket
            price = round(100 + rng.gauss(0, 1), 2)
            store.apply(Trade("AAA", price, 1, start + i, i + 1 + prints, "V"))
            symbol = history.get("AAA")
            assert symbol is not None
            line, direction = delegate._polygon(symbol, width, 16)
            expected, expected_direction = build_polygon(symbol, width, 16)
            assert points(line) == points(expected)
            assert direction == expected_direction
        prints += 1_500
    assert delegate.polygons_built < prints / 2  # most prints only moved the last point
