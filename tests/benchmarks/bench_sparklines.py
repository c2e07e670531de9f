"""Benchmark: UI cost of the sparkline column and the detail chart at 500 symbols.

Run: /tmp/venv/bin/python tests/benchmarks/bench_sparklines.py [--runs 3] [--frames 60]
Every symbol starts with a full 15-minute history (900 one-second buckets) and a day of
minute bars. Each frame, `changed` symbols trade one second later (a new bucket, so each
changed sparkline is rebuilt: the worst case), then flush() + the repaint of the visible
viewport, with the sparkline column hidden (baseline) and shown. The chart line is one
repaint of the selected symbol's chart (960 bars + 900 trade buckets). Offscreen
platform: painting is real, nothing is shown. Numbers: medians over runs of per-run
p50/p99, in ms.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import string
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from benchstats import percentile
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QHeaderView, QMainWindow, QTableView

from engine.events import Bar, BarKind, Quote, Trade
from engine.market.history import NS, PriceHistory
from engine.market.store import MarketDataStore
from gui.detail.pane import DetailPane
from gui.table.columns import COLUMN_INDEX
from gui.table.delegates import SparklineDelegate
from gui.table.model import TickerFilterProxy, TickerTableModel

SYMBOLS = 500
T0 = 1_750_000_000 * NS
MINUTE = 60 * NS


class Rig:
    """Store + history + model + view (+ detail pane) as MainWindow wires them."""

    def __init__(self, app: QApplication, rng: random.Random, spark: bool) -> None:
        self.app, self.rng = app, rng
        self.symbols = ["".join(t) for t in itertools.product(string.ascii_uppercase, repeat=3)]
        self.symbols = self.symbols[:SYMBOLS]
        self.store = MarketDataStore()
        self.history = PriceHistory()
        self.store.add_observer(self.history.on_event)
        self.model = TickerTableModel(self.store, flush_interval_ms=0)
        self.model.set_symbols(self.symbols)
        self.model.history = self.history
        self.window = QMainWindow()
        self.view = QTableView()
        self.view.setModel(TickerFilterProxy(self.model))
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.delegate = SparklineDelegate(self.view)
        self.view.setItemDelegateForColumn(COLUMN_INDEX["spark"], self.delegate)
        self.view.setColumnWidth(COLUMN_INDEX["spark"], 110)
        self.view.setColumnHidden(COLUMN_INDEX["spark"], not spark)
        self.window.setCentralWidget(self.view)
        self.detail = DetailPane(self.store, history=self.history, live_interval_ms=0)
        self.window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.detail)
        self.window.resize(1600, 950)
        self.prices = {s: rng.uniform(5, 500) for s in self.symbols}
        self.second = 0
        self.ids = itertools.count(1)
        self._prefill()
        self.window.show()
        self.detail.show_symbol(self.symbols[0])
        self.model.flush()
        app.processEvents()

    def _prefill(self) -> None:
        apply = self.store.apply
        for symbol in self.symbols:
            price = self.prices[symbol]
            for minute in range(960):
                start = T0 - (960 - minute) * MINUTE
                high, low = price * 1.001, price * 0.999
                apply(Bar(BarKind.MINUTE, symbol, price, high, low, price, 9, start))
        for second in range(900):
            for symbol in self.symbols:
                self._trade(symbol, T0 + second * NS)
        self.second = 900

    def _trade(self, symbol: str, ts: int) -> None:
        price = self.prices[symbol] = max(1.0, self.prices[symbol] + self.rng.gauss(0, 0.05))
        self.store.apply(Trade(symbol, round(price, 2), 100, ts, next(self.ids), "V"))

    def frame(self, changed: int) -> tuple[float, float]:
        """(flush ms, flush + repaint ms) for one frame with `changed` trading symbols."""
        self.second += 1
        ts = T0 + self.second * NS
        for symbol in self.rng.sample(self.symbols, changed):
            self._trade(symbol, ts)
            price = self.prices[symbol]
            self.store.apply(Quote(symbol, price - 0.01, 100, price + 0.01, 100, ts))
        start = time.perf_counter()
        self.model.flush()
        mid = time.perf_counter()
        self.app.processEvents()
        end = time.perf_counter()
        return (mid - start) * 1e3, (end - start) * 1e3

    def chart_frame(self) -> float:
        """One throttled chart tick after a new trade of the selected symbol, with repaint."""
        self.second += 1
        self._trade(self.symbols[0], T0 + self.second * NS)
        start = time.perf_counter()
        self.detail.refresh_live()
        self.detail.chart.repaint()
        return (time.perf_counter() - start) * 1e3

    def close(self) -> None:
        self.window.close()
        self.window.deleteLater()
        self.app.processEvents()


def run(app: QApplication, spark: bool, changed: int, frames: int, seed: int) -> list[float]:
    rig = Rig(app, random.Random(seed), spark)
    for _ in range(5):
        rig.frame(changed)  # warm-up
    flush, total = zip(*(rig.frame(changed) for _ in range(frames)), strict=True)
    rig.close()
    return [
        percentile(list(flush), 0.5),
        percentile(list(flush), 0.99),
        percentile(list(total), 0.5),
        percentile(list(total), 0.99),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--frames", type=int, default=60)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    print(
        f"{SYMBOLS} symbols, 900 buckets + 960 bars each; view 1600x950 offscreen; "
        f"{args.frames} frames x {args.runs} runs; medians of per-run percentiles (ms)"
    )
    print(
        f"{'sparklines':>10} {'changed':>8} | {'flush p50':>9} {'flush p99':>9} | "
        f"{'+paint p50':>10} {'+paint p99':>10}"
    )
    for changed in (50, 500):
        for spark in (False, True):
            runs = [run(app, spark, changed, args.frames, seed) for seed in range(args.runs)]
            cols = [statistics.median(r[i] for r in runs) for i in range(4)]
            label = "shown" if spark else "hidden"
            print(
                f"{label:>10} {changed:>8} | {cols[0]:>9.3f} {cols[1]:>9.3f} | "
                f"{cols[2]:>10.3f} {cols[3]:>10.3f}"
            )
    chart_runs = []
    for seed in range(args.runs):
        rig = Rig(app, random.Random(seed), True)
        samples = [rig.chart_frame() for _ in range(args.frames)]
        chart_runs.append((percentile(samples, 0.5), percentile(samples, 0.99)))
        rig.close()
    p50 = statistics.median(r[0] for r in chart_runs)
    p99 = statistics.median(r[1] for r in chart_runs)
    print(
        f"chart tick (refresh_live + repaint, 960 bars + 900 buckets): p50 {p50:.3f} p99 {p99:.3f}"
    )
    history = PriceHistory()
    store = MarketDataStore()
    store.watch(["AAA"])
    store.add_observer(history.on_event)
    trades = [Trade("AAA", 10.0 + i % 7, 1, T0 + i * 1_000_000, i) for i in range(200_000)]
    start = time.perf_counter()
    for trade in trades:
        store.apply(trade)
    with_obs = (time.perf_counter() - start) / len(trades) * 1e6
    store.remove_observer(history.on_event)
    store2 = MarketDataStore()
    store2.watch(["AAA"])
    start = time.perf_counter()
    for trade in trades:
        store2.apply(trade)
    without = (time.perf_counter() - start) / len(trades) * 1e6
    print(f"store.apply(Trade): {without:.2f} us alone, {with_obs:.2f} us with PriceHistory")


if __name__ == "__main__":
    main()
