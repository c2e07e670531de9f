"""Benchmark: TickerTableModel flush, repaint and sort cost in the app's own table view.

Run: .venv/bin/python tests/benchmarks/bench_model_flush.py [--runs 5] [--frames 100]
     [--baseline TREE]
The view is the app's TickerView (1400x900, fixed rows, the range bars) with the sparkline
delegate over a PriceHistory, as MainWindow wires them, every symbol with 60 s of trades.
Prints, medians over the runs of per-run percentiles (ms):
- a full repaint of the viewport (nothing changed: what scrolling or a flush touching
  every visible row costs in painting), 2,000 rows, and the same with the columns the
  Python delegates paint (15 min sparkline, 52-wk range bar) hidden;
- flush() alone and flush() plus the repaint it causes, for 10, 100 and 2,000 changed
  rows of 2,000, and 1,000 changed rows of 10,000 (20k msgs/s at the 50 ms flush);
- sort_now and tick_ages.
--baseline TREE runs the same measurements on the app in TREE (e.g. `git worktree add
/tmp/base <commit>`) in the same run, interleaved run by run, and prints both side by
side with the ratio. Each measurement runs in a child process (PYTHONPATH = the tree).
Offscreen platform: painting is real, nothing is shown.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import statistics
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
NS = 1_700_000_000_000_000_000
CASES = ((2_000, 10), (2_000, 100), (2_000, 2_000), (10_000, 1_000))
SPARK_SECONDS = 60
DELEGATE_KEYS = ("spark", "range_52w_position")  # painted by Python delegates, shown


def _symbols(count: int) -> list[str]:
    letters = string.ascii_uppercase
    return ["".join(t) for t in itertools.product(letters, repeat=3 if count <= 17_576 else 4)][
        :count
    ]


class Rig:
    """Store + history + model + TickerView (+ sparkline delegate) as MainWindow wires them."""

    def __init__(self, app: Any, rows: int, rng: random.Random, tmp: str) -> None:
        from PySide6.QtWidgets import QHeaderView

        from engine.events import Quote, Trade
        from engine.market.history import PriceHistory
        from engine.market.store import MarketDataStore
        from gui.settings.persistence import AppSettings
        from gui.table.columns import COLUMN_INDEX
        from gui.table.delegates import SparklineDelegate
        from gui.table.model import TickerFilterProxy, TickerTableModel
        from gui.table.view import TickerView

        self.app, self.rng, self.Trade, self.Quote = app, rng, Trade, Quote
        self.symbols = _symbols(rows)
        self.store = MarketDataStore()
        self.history = PriceHistory()
        self.store.add_observer(self.history.on_event)
        self.model = TickerTableModel(self.store, flush_interval_ms=0)  # driven by hand
        self.model.set_symbols(self.symbols)
        self.model.history = self.history
        self.seq = itertools.count()
        for second in range(SPARK_SECONDS):
            for symbol in self.symbols:
                self.trade(symbol, NS + second * 1_000_000_000)
        self.now_ns = NS + SPARK_SECONDS * 1_000_000_000
        self.model.flush()
        self.proxy = TickerFilterProxy(self.model)
        self.view = TickerView(self.model, self.proxy, AppSettings(Path(tmp) / "b.ini"))
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.sparklines = SparklineDelegate(self.view)
        self.view.setItemDelegateForColumn(COLUMN_INDEX["spark"], self.sparklines)
        self.view.size_columns_to_samples()
        self.view.resize(1400, 900)
        self.view.show()
        app.processEvents()

    def trade(self, symbol: str, ts: int) -> None:
        price = round(self.rng.uniform(5, 500), 2)
        self.store.apply(self.Trade(symbol, price, 100, ts + next(self.seq), next(self.seq), "V"))
        self.store.apply(self.Quote(symbol, price - 0.01, 200, price + 0.01, 300, ts))

    def frame(self, changed: int) -> tuple[float, float]:
        self.now_ns += 1_000_000_000
        for symbol in self.rng.sample(self.symbols, changed):
            self.trade(symbol, self.now_ns)
        start = time.perf_counter()
        self.model.flush()
        mid = time.perf_counter()
        self.app.processEvents()  # the repaint the flush asked for
        end = time.perf_counter()
        return (mid - start) * 1e3, (end - start) * 1e3

    def close(self) -> None:
        self.view.close()
        self.view.deleteLater()
        self.app.processEvents()


def _pcts(samples: list[float]) -> list[float]:
    from benchstats import percentile

    return [percentile(samples, 0.5), percentile(samples, 0.99)]


def timed(fn: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1e3)
    return statistics.median(samples)


def one_run(frames: int, seed: int) -> dict[str, float]:
    """Child: every figure once, in this process (the tree on PYTHONPATH)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from gui.table.columns import COLUMN_INDEX

    app = QApplication.instance() or QApplication([])
    rng = random.Random(seed)
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        rig = Rig(app, 2_000, rng, tmp)
        viewport = rig.view.viewport()
        paints = []
        for _ in range(frames):
            start = time.perf_counter()
            viewport.repaint()
            paints.append((time.perf_counter() - start) * 1e3)
        out["repaint_p50"], out["repaint_p99"] = _pcts(paints[5:])
        # The same without the columns painted by Python delegates (sparkline, range
        # bars): what they add to the frame.
        painted = [i for i, c in enumerate(rig.model.columns) if c.key in DELEGATE_KEYS]
        for column in painted:
            rig.view.setColumnHidden(column, True)
        app.processEvents()
        bare = []
        for _ in range(frames):
            start = time.perf_counter()
            viewport.repaint()
            bare.append((time.perf_counter() - start) * 1e3)
        out["bare_p50"], out["bare_p99"] = _pcts(bare[5:])
        for column in painted:
            rig.view.setColumnHidden(column, False)
        for rows, changed in CASES:
            if rows != 2_000:
                rig.close()
                rig = Rig(app, rows, rng, tmp)
            for _ in range(5):
                rig.frame(changed)  # warm-up
            flush, total = zip(*(rig.frame(changed) for _ in range(frames)), strict=True)
            key = f"{rows}/{changed}"
            out[f"flush_p50 {key}"], out[f"flush_p99 {key}"] = _pcts(list(flush))
            out[f"paint_p50 {key}"], out[f"paint_p99 {key}"] = _pcts(list(total))
        rig.close()
        rig = Rig(app, 2_000, rng, tmp)
        model = rig.model
        last = COLUMN_INDEX["last"]
        orders = itertools.cycle([Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder])
        out["sort_reorder"] = timed(lambda: model.sort_now(last, next(orders)), 20)
        model.sort_now(last, Qt.SortOrder.AscendingOrder)
        out["sort_unchanged"] = timed(lambda: model.sort_now(last, Qt.SortOrder.AscendingOrder), 20)

        def reorder_and_paint() -> None:
            model.sort_now(last, next(orders))
            app.processEvents()

        out["sort_paint"] = timed(reorder_and_paint, 20)

        def ages_and_paint() -> None:
            model.tick_ages()
            app.processEvents()

        out["ages_paint"] = timed(ages_and_paint, 20)
        rig.close()
    return out


LABELS = [
    ("repaint_p50", "full repaint 1400x900, 2,000 rows, sparklines: p50"),
    ("repaint_p99", "full repaint ...: p99"),
    ("bare_p50", "full repaint without the delegate columns: p50"),
    ("bare_p99", "full repaint without the delegate columns: p99"),
    *(
        (f"{kind}_{q} {rows}/{changed}", f"{label} {q}, {changed:,} of {rows:,} rows changed")
        for rows, changed in CASES
        for kind, label in (("flush", "flush"), ("paint", "flush + repaint"))
        for q in ("p50", "p99")
    ),
    ("sort_reorder", "sort_now, 2,000 rows, full reorder"),
    ("sort_unchanged", "sort_now, already sorted (no layoutChanged)"),
    ("sort_paint", "sort_now + repaint"),
    ("ages_paint", "tick_ages (sweep + Age/Status) + repaint"),
]


def child(tree: Path, frames: int, seed: int) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--child", "--frames", str(frames), "--seed", str(seed)]
    env = dict(os.environ, PYTHONPATH=str(tree), QT_QPA_PLATFORM="offscreen")
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=tree, env=env, timeout=900)
    for line in reversed(out.stdout.splitlines()):
        if line.startswith("{"):
            result: dict[str, float] = json.loads(line)
            return result
    raise RuntimeError(f"run in {tree} failed:\n{out.stderr[-3000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--baseline", metavar="TREE", help="also measure the app in TREE")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_run(args.frames, args.seed)), flush=True)
        return
    trees = {"this tree": ROOT}
    if args.baseline:
        trees = {"baseline": Path(args.baseline).resolve(), **trees}
    results: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
    print(f"load average at start: {os.getloadavg()[0]:.2f}, cores: {os.cpu_count()}")
    print(
        f"TickerView 1400x900 (offscreen) + sparklines, {args.frames} frames x {args.runs} "
        f"runs, interleaved; medians of per-run percentiles (ms)"
    )
    for run in range(args.runs):
        for name, tree in trees.items():
            results[name].append(child(tree, args.frames, args.seed + run))
    medians = {
        name: {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        for name, runs in results.items()
    }
    names = list(trees)
    head = "".join(f"{n:>12}" for n in names)
    ratio = "  after/before" if args.baseline else ""
    print(f"{'figure':<58}{head}{ratio}")
    for key, label in LABELS:
        values = [medians[n][key] for n in names]
        line = f"{label:<58}" + "".join(f"{v:>12.3f}" for v in values)
        if args.baseline and values[0]:
            line += f"  x{values[1] / values[0]:.2f}"
        print(line)
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchstats, in a child too
    main()
