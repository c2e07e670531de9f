"""Benchmark: TickerTableModel flush and sort cost with 2,000 rows in a visible QTableView.

Run: /tmp/venv/bin/python tests/benchmarks/bench_model_flush.py [--runs 5] [--frames 100]
Prints p50/p99 (ms) of flush() alone and of flush() plus the repaint it causes, for 10,
100 and 2,000 changed rows per frame, then sort_now and tick_ages; each number is the
median over the runs. Offscreen platform, so painting is real but nothing is shown.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import string
import time
from collections.abc import Callable

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from benchstats import percentile
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QHeaderView, QTableView

from engine.events import Quote, Trade
from engine.market.store import MarketDataStore
from gui.table.columns import COLUMN_INDEX
from gui.table.model import TickerFilterProxy, TickerTableModel

ROWS = 2_000
NS = 1_700_000_000_000_000_000


def build(app: QApplication) -> tuple[MarketDataStore, TickerTableModel, QTableView, list[str]]:
    symbols = ["".join(t) for t in itertools.product(string.ascii_uppercase, repeat=3)][:ROWS]
    store = MarketDataStore()
    model = TickerTableModel(store, flush_interval_ms=0)  # driven by hand below
    model.set_symbols(symbols)
    view = QTableView()
    view.setModel(TickerFilterProxy(model))
    # Fixed row heights, no ResizeToContents on live columns (docs/qt.md).
    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    view.verticalHeader().setDefaultSectionSize(22)
    view.resize(1400, 900)
    view.show()
    app.processEvents()
    return store, model, view, symbols


def one_run(
    app: QApplication, changed: int, frames: int, rng: random.Random
) -> tuple[float, float, float, float]:
    store, model, view, symbols = build(app)
    seq = itertools.count()
    flush_ms: list[float] = []
    paint_ms: list[float] = []
    for _ in range(frames + 5):
        for symbol in rng.sample(symbols, changed):
            price = rng.uniform(5, 500)
            ts = NS + next(seq)
            store.apply(Trade(symbol, price, 100, ts))
            store.apply(Quote(symbol, price - 0.01, 200, price + 0.01, 300, ts))
        start = time.perf_counter()
        model.flush()
        mid = time.perf_counter()
        app.processEvents()  # the repaint the flush asked for
        end = time.perf_counter()
        flush_ms.append((mid - start) * 1e3)
        paint_ms.append((end - start) * 1e3)
    flush_ms, paint_ms = flush_ms[5:], paint_ms[5:]  # drop warm-up frames
    view.close()
    view.deleteLater()
    app.processEvents()
    return (
        percentile(flush_ms, 0.5),
        percentile(flush_ms, 0.99),
        percentile(paint_ms, 0.5),
        percentile(paint_ms, 0.99),
    )


def timed(fn: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1e3)
    return statistics.median(samples)


def sort_costs(app: QApplication, rng: random.Random) -> tuple[float, float, float, float]:
    store, model, view, symbols = build(app)
    for i, symbol in enumerate(symbols):
        store.apply(Trade(symbol, rng.uniform(5, 500), 100, NS + i))
    model.flush()
    app.processEvents()
    last = COLUMN_INDEX["last"]
    orders = itertools.cycle([Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder])
    reorder = timed(lambda: model.sort_now(last, next(orders)), 20)  # full permutation
    model.sort_now(last, Qt.SortOrder.AscendingOrder)
    unchanged = timed(lambda: model.sort_now(last, Qt.SortOrder.AscendingOrder), 20)

    def reorder_and_paint() -> None:
        model.sort_now(last, next(orders))
        app.processEvents()

    with_paint = timed(reorder_and_paint, 20)

    def ages_and_paint() -> None:
        model.tick_ages()
        app.processEvents()

    ages = timed(ages_and_paint, 20)
    view.close()
    view.deleteLater()
    app.processEvents()
    return reorder, unchanged, with_paint, ages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--frames", type=int, default=100)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    rng = random.Random(1234)
    print(
        f"{ROWS} rows, visible QTableView (offscreen) via TickerFilterProxy; "
        f"{args.frames} frames x {args.runs} runs; medians of per-run percentiles (ms)"
    )
    print(
        f"{'changed rows':>12} | {'flush p50':>9} {'flush p99':>9} | "
        f"{'+paint p50':>10} {'+paint p99':>10}"
    )
    for changed in (10, 100, 2_000):
        runs = [one_run(app, changed, args.frames, rng) for _ in range(args.runs)]
        cols = [statistics.median(r[i] for r in runs) for i in range(4)]
        print(
            f"{changed:>12} | {cols[0]:>9.3f} {cols[1]:>9.3f} | {cols[2]:>10.3f} {cols[3]:>10.3f}"
        )
    sorts = [sort_costs(app, rng) for _ in range(args.runs)]
    reorder, unchanged, with_paint, ages = (
        statistics.median(s[i] for s in sorts) for i in range(4)
    )
    print(f"sort_now, 2,000 rows, full reorder:        {reorder:8.3f} ms")
    print(f"sort_now, already sorted (no layoutChanged): {unchanged:6.3f} ms")
    print(f"sort_now + repaint:                        {with_paint:8.3f} ms")
    print(f"tick_ages (sweep + Age/Status range) + repaint: {ages:5.3f} ms")


if __name__ == "__main__":
    main()
