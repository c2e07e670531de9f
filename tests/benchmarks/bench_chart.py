"""Benchmark: redraw cost of the detail chart with a whole session loaded (issue 13).

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python tests/benchmarks/bench_chart.py [--runs 30]
Data: 960 one-minute bars (04:00-20:00 ET, the last 15 from IEX), two earlier sessions of
15-minute bars, every level (bid/ask, H/L, VWAP, previous close, LULD). Offscreen: the
painting is real, nothing is shown. Prints medians (and p90) in ms of:
- full render: a new history version each time (a new bar: series rebuilt + render),
  at 1 / 5 / 15 minutes and as a line, at 600x300 and 1000x400 (the detail pane on a
  1366x768 screen and a larger one);
- render only: the series cached, the window moved (pan/zoom);
- cached repaint: nothing moved, pointer hover (pixmap + crosshair);
- series build alone (gui.detail.chart_data.build_series).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchstats import percentile
from PySide6.QtCore import QPointF
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from gui.detail.chart import IntradayChart
from gui.detail.chart_data import build_series
from tests.gui.detail.chart_day import loaded_history, store_with_levels


def _render(chart: IntradayChart) -> None:
    image = QImage(chart.size(), QImage.Format.Format_ARGB32_Premultiplied)
    chart.render(image)


def _time(fn: object, runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        samples.append((time.perf_counter() - start) * 1e3)
    return statistics.median(samples), percentile(samples, 0.9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    history = loaded_history()
    store = store_with_levels(history)
    symbol = history.get("AAPL")
    assert symbol is not None
    print(f"bars {len(symbol.bars)} one-minute + {len(symbol.earlier)} earlier 15-minute; "
          f"runs {args.runs}; medians (p90) in ms")  # fmt: skip
    for minutes in (1, 5, 15):
        median, p90 = _time(lambda m=minutes: build_series(symbol, m), args.runs)
        print(f"series build {minutes:>2}m: {median:6.2f} ({p90:.2f})")
    for width, height in ((600, 300), (1000, 400)):
        chart = IntradayChart()
        chart.resize(width, height)
        chart.set_source(symbol, store.get("AAPL"))
        for style, minutes in (("candles", 1), ("candles", 5), ("candles", 15), ("line", 1)):
            chart.set_style(style, minutes)

            def new_version(c: IntradayChart = chart) -> None:
                symbol.version += 1  # what a new bar or trade does
                _render(c)

            full = _time(new_version, args.runs)
            _render(chart)

            def moved(c: IntradayChart = chart, step: list[int] = [0]) -> None:  # noqa: B006
                step[0] += 1  # in, out, in, ...: the window moves every time
                c.zoom(1.25 if step[0] % 2 else 1 / 1.25, 0.5)
                _render(c)

            only = _time(moved, args.runs)
            chart.reset_view()
            _render(chart)
            frame = chart.frame
            assert frame is not None
            chart.pointer = QPointF(frame.plot.center())
            cached = _time(lambda c=chart: _render(c), args.runs)
            chart.pointer = None
            name = f"{width}x{height} {style} {minutes}m"
            print(f"{name:<22} full render {full[0]:6.2f} ({full[1]:.2f})  "
                  f"render only {only[0]:6.2f} ({only[1]:.2f})  "
                  f"cached+crosshair {cached[0]:6.2f} ({cached[1]:.2f})  "
                  f"candles {chart.drawn.get('bars', 0)}")  # fmt: skip
        chart.deleteLater()
    app.processEvents()


if __name__ == "__main__":
    main()
