"""Benchmark: the event loop's lag while each bad input of round two is handled.

Run: .venv/bin/python tests/benchmarks/bench_bad_input.py [--runs 3]
A real MainWindow (offscreen) on a qasync loop with a 5 ms ticker: for each input (a paste
of 10,000 symbols, a 1,000,000-row positions CSV, 5 MB of binary garbage, bad alert
thresholds, every earlier settings format, 40 zoom steps past the limits) the ticker's
lateness is sampled while the input is handled and for 200 ms after; printed per input:
the longest single step (one Enter, one import, one key press; the loop runs between
steps as between a person's actions) and the ticker lateness max and p99 (ms). Medians
over the runs.
docs/reliability.md, "Bad input".
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import itertools
import os
import random
import shutil
import statistics
import string
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import qasync
from benchstats import percentile
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from engine.core.tasks import TaskSet
from engine.market.store import MarketDataStore
from engine.net.health import StreamHealth
from gui.main_window import MainWindow
from gui.runtime import engine_parts
from gui.settings.persistence import AppSettings

TICK = 0.005
FIXTURES = Path(__file__).resolve().parents[1] / "gui" / "settings" / "fixtures"


class Ticker:
    """A 5 ms timer on the loop; records how late each tick ran (s)."""

    def __init__(self) -> None:
        self.late: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + TICK
            await asyncio.sleep(TICK)
            self.late.append(max(0.0, loop.time() - due))

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


def make_window(path: Path) -> MainWindow:
    settings = AppSettings(path)
    parts = engine_parts(settings)
    return MainWindow(MarketDataStore(), StreamHealth(), settings, TaskSet(),
                      symbols=["AAPL", "MSFT"], flush_ms=50, history=parts.history,
                      alerts=parts.alerts)  # fmt: skip


Step = Callable[[], object]


def cases(folder: Path) -> dict[str, Callable[[MainWindow], Sequence[Step]]]:
    pasted = "\n".join("".join(p) for p in itertools.islice(
        itertools.product(string.ascii_uppercase, repeat=4), 10_000))  # fmt: skip
    million = folder / "million.csv"
    million.write_text("symbol,quantity\n" + "A,1\n" * 1_000_000)
    garbage = folder / "garbage.csv"
    garbage.write_bytes(random.Random(6).randbytes(5_000_000))

    def paste(window: MainWindow) -> Sequence[Step]:
        bar = window.watchlist_bar

        def first() -> None:
            QGuiApplication.clipboard().setText(pasted)
            bar.add_field.paste()
            bar.submit()

        return [first] + [bar.submit] * 19  # Enter after Enter until the field is empty

    def thresholds(window: MainWindow) -> Sequence[Step]:
        editor = window.alerts.panel.open_editor("AAPL")

        def enter(text: str) -> None:
            editor.threshold_field.setText(text)
            editor.submit()

        texts = ("nan", "inf", "-5", "1e308", "abc") * 20
        return [functools.partial(enter, t) for t in texts]

    def settings(window: MainWindow) -> Sequence[Step]:
        def load(ini: Path) -> None:
            copy = folder / ini.name
            shutil.copy(ini, copy)
            other = make_window(copy)
            other.shutdown()
            other.deleteLater()

        return [functools.partial(load, ini) for ini in sorted(FIXTURES.glob("*.ini"))]

    def zoom(window: MainWindow) -> Sequence[Step]:
        display = window.display
        return [display.zoom_in_action.trigger] * 20 + [display.zoom_out_action.trigger] * 20

    return {
        "paste 10,000 symbols (20 Enters)": paste,
        "positions CSV, 1,000,000 rows": lambda w: [
            lambda: w.portfolio.import_positions_from(million)],
        "positions CSV, 5 MB binary garbage": lambda w: [
            lambda: w.portfolio.import_positions_from(garbage)],
        "alert thresholds NaN/inf/-5/1e308 x100": thresholds,
        "settings files, 7 earlier formats": settings,
        "zoom 20 steps in, 20 out": zoom,
    }  # fmt: skip


async def measure(steps: Sequence[Step]) -> tuple[float, float, float]:
    ticker = Ticker()
    ticker.start()
    await asyncio.sleep(0.05)
    ticker.late.clear()
    took = 0.0
    for step in steps:
        start = time.perf_counter()
        step()
        took = max(took, time.perf_counter() - start)
        await asyncio.sleep(TICK)  # the loop runs between a person's actions
    await asyncio.sleep(0.2)
    await ticker.stop()
    late = ticker.late or [0.0]
    return took, max(late), percentile(late, 99)


async def run(runs: int) -> None:
    results: dict[str, list[tuple[float, float, float]]] = {}
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="bench-bad-input-") as tmp:
            folder = Path(tmp)
            for name, case in cases(folder).items():
                window = make_window(folder / f"{len(results.get(name, []))}-{hash(name)}.ini")
                window.show()
                await asyncio.sleep(0.05)
                results.setdefault(name, []).append(await measure(case(window)))
                window.shutdown()
                window.close()
                window.deleteLater()
                await asyncio.sleep(0.05)
    print(f"{'input':40} | {'step max ms':>10} | {'lag max ms':>10} | {'lag p99 ms':>10}")
    print("-" * 80)
    for name, rows in results.items():
        took, worst, p99 = (statistics.median(r[i] for r in rows) * 1000 for i in range(3))
        print(f"{name:40} | {took:10.1f} | {worst:10.1f} | {p99:10.1f}")
    print(f"(medians of {runs} runs; a {TICK * 1000:.0f} ms ticker's lateness while handled "
          "and 200 ms after)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    app.setQuitOnLastWindowClosed(False)  # type: ignore[attr-defined]
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        loop.run_until_complete(run(args.runs))


if __name__ == "__main__":
    main()
