"""Benchmark: tab switch, footer refresh and table export in a real MainWindow.

Run: /tmp/venv/bin/python tests/benchmarks/bench_watchlists.py [--runs 5]
Two lists of 1,000 symbols each (half shared), 200 positions, every symbol priced.
Prints the median over the runs (ms) of: switching tabs (one model.set_symbols),
PositionsFooter.refresh (O(positions)), exporting the 1,000-row table to CSV, and
copying 1,000 selected rows to the clipboard. Offscreen platform.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import string
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from engine.core.tasks import TaskSet
from engine.events import Quote, Trade
from engine.market.store import MarketDataStore
from engine.net.health import StreamHealth
from gui.main_window import MainWindow
from gui.positions.book import Position
from gui.runtime import engine_parts
from gui.settings.persistence import AppSettings

NS = 1_700_000_000_000_000_000


def ms(fn: Callable[[], object], repeat: int = 10) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) * 1000 / repeat


def run_once(app: QApplication, tmp: Path) -> dict[str, float]:
    symbols = ["".join(t) for t in itertools.product(string.ascii_uppercase, repeat=3)][:1500]
    first, second = symbols[:1000], symbols[500:1500]
    settings = AppSettings(tmp / "bench.ini")
    settings.set_watchlists([("A", first), ("B", second)], 0)
    store = MarketDataStore()
    parts = engine_parts(settings)
    window = MainWindow(
        store, StreamHealth(), settings, TaskSet(), flush_ms=0,
        history=parts.history, alerts=parts.alerts,
    )  # fmt: skip
    for i, symbol in enumerate(symbols):
        store.apply(Trade(symbol, 100.0 + i % 50, 10, NS + i))
        store.apply(Quote(symbol, 99.9, 1, 100.1, 1, NS + i))
    window.model.flush()
    window.portfolio.set_book({s: Position(10, 90.0) for s in first[:200]})
    window.resize(1200, 700)
    window.show()
    app.processEvents()
    lists = window.watchlists.lists
    results = {
        "tab switch": ms(lambda: lists.step_active(1)),
        "footer refresh": ms(window.portfolio.footer.refresh),
        "export 1000 rows": ms(lambda: window.portfolio.export_table_to(tmp / "t.csv"), 3),
    }
    window.table.selectAll()
    results["copy 1000 rows"] = ms(window.portfolio.copy_selection, 3)
    window.shutdown()
    window.close()
    window.deleteLater()
    app.processEvents()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    runs: list[dict[str, float]] = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            runs.append(run_once(app, Path(tmp)))
    for key in runs[0]:
        print(f"{key:>18}: median {statistics.median(r[key] for r in runs):7.2f} ms")


if __name__ == "__main__":
    main()
