"""Hour-long soak: the real app (offscreen) living a compressed trading day, seeded faults.

    python tests/benchmarks/soak_day.py [--minutes 60] [--rate 1000] [--seed 1]
                                        [--out /tmp/soak_day]

The app starts as `tickerdesk --demo-at 2026-11-17T03:00-05:00 --demo-speed N` would: its
embedded simulator lives Tuesday 2026-11-17 on the session clock (docs/simulator.md), at
a speed that fits 24 simulated hours into --minutes real minutes (24x for an hour): the
night, the pre-market, the open, the regular session, the close, after-hours and the next
night. Seeded faults at random (exponential) intervals: drop, close 1000, a malformed
frame, error 500, a burst, a half-dead pause, a halt.

Every --sample-every seconds (10) it records RSS, open fds, asyncio tasks, Qt objects
(QApplication.allWidgets() + window.findChildren(QObject)) and the worst loop lateness of
a 10 ms asyncio sleep and a 10 ms QTimer in that interval; writes them to
OUT/samples.csv, prints the least-squares slopes (second half: the first is warm-up)
and the worst stall, and plots everything to OUT/soak_day.png with QPainter (no
matplotlib). Exit status 1, with the reason, if a resource grows over its limit, the
loop stalls over 250 ms, a traceback is logged or the app does not end streaming.

A benchmark, not CI (CI runs the 60 s tests/benchmarks/soak.py through
tests/reliability/test_soak.py). Timing figures depend on the machine's load.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import dataclasses
import itertools
import logging
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QApplication  # before qasync: it binds the first Qt imported

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo root: import tests.*

import psutil  # type: ignore[import-untyped]
import qasync

from engine.market.calendar import EASTERN, MarketSession, session_at_ns
from engine.net.health import ConnectionState
from gui.app import build_parser, options_from_args
from gui.runtime import Runtime
from tests.reliability.fault_harness import TracebackCatcher

DAY_START = "2026-11-17T03:00-05:00"  # a Tuesday; Monday was a trading day
DAY_S = 24 * 3600.0
SYMBOLS = ["AAPL", "MSFT", "NVDA", "SPY", "QQQ", "AMZN", "TSLA", "JPM", "META", "GOOGL"]
STALL_LIMIT_MS = 250.0
TICK_S = 0.010
# Growth limits per minute over the second half (as tests/benchmarks/soak.py).
LIMITS_PER_MIN = {"rss_mib": 4.0, "fds": 1.0, "tasks": 1.0, "qt_objects": 2.0}
METRICS = ["rss_mib", "fds", "tasks", "qt_objects", "late_ms"]


def slope_per_min(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value) points, in value per minute."""
    if len(points) < 3:
        return 0.0
    mean_t = statistics.fmean(t for t, _ in points)
    mean_v = statistics.fmean(v for _, v in points)
    den = sum((t - mean_t) ** 2 for t, _ in points)
    num = sum((t - mean_t) * (v - mean_v) for t, v in points)
    return 60.0 * num / den if den else 0.0


@dataclasses.dataclass
class Sample:
    t: float  # real seconds since the start
    sim_ns: int  # the simulated clock
    session: str
    state: str
    messages: int
    values: dict[str, float]


class Lateness:
    """Lateness of a 10 ms asyncio sleep loop and a 10 ms QTimer: worst per interval
    (`take()` resets it) and worst overall, with when it happened."""

    def __init__(self) -> None:
        self.window_ms = 0.0
        self.worst_ms = 0.0
        self.worst_at = 0.0
        self.worst_kind = ""
        self._last_qt = time.monotonic()
        self.timer = QTimer()
        self.timer.setInterval(int(TICK_S * 1000))
        self.timer.timeout.connect(self._on_qt)

    def _note(self, late_ms: float, kind: str) -> None:
        self.window_ms = max(self.window_ms, late_ms)
        if late_ms > self.worst_ms:
            self.worst_ms, self.worst_at, self.worst_kind = late_ms, time.monotonic(), kind

    def _on_qt(self) -> None:
        now = time.monotonic()
        self._note((now - self._last_qt - TICK_S) * 1000, "QTimer")
        self._last_qt = now

    def take(self) -> float:
        value, self.window_ms = self.window_ms, 0.0
        return value

    async def run(self) -> None:
        self._last_qt = time.monotonic()
        self.timer.start()
        try:
            while True:
                start = time.monotonic()
                await asyncio.sleep(TICK_S)
                self._note((time.monotonic() - start - TICK_S) * 1000, "asyncio")
        finally:
            self.timer.stop()


class Faults:
    """Seeded faults on the embedded simulator at exponential intervals until `done`."""

    def __init__(self, runtime: Runtime, rng: random.Random, mean_every: float) -> None:
        assert runtime.simulator is not None
        self.faults = runtime.simulator.faults
        self.rng = rng
        self.mean_every = mean_every
        self.log: list[tuple[float, str]] = []  # (monotonic, name)

    async def _pause(self) -> None:
        self.faults.pause(True)
        try:
            await asyncio.sleep(self.rng.uniform(2.0, 4.0))
        finally:
            self.faults.pause(False)

    async def run(self, done: asyncio.Event) -> None:
        f = self.faults
        actions: list[tuple[str, Callable[[], object]]] = [
            ("drop", f.drop_all),
            ("close", lambda: f.close_all(1000, "soak")),
            ("malformed", f.send_malformed),
            ("error500", lambda: f.send_error(500)),
            ("burst", lambda: f.burst(2000)),
            ("pause", self._pause),
            ("halt", lambda: f.halt(self.rng.choice(SYMBOLS), "T1", 120.0, 120.0)),
        ]
        while True:
            try:
                await asyncio.wait_for(done.wait(), self.rng.expovariate(1.0 / self.mean_every))
                return
            except TimeoutError:
                pass
            name, action = self.rng.choice(actions)
            self.log.append((time.monotonic(), name))
            print(f"  fault: {name}", flush=True)
            result = action()
            if asyncio.iscoroutine(result):
                await result


def sample_values(
    qapp: QApplication, runtime: Runtime, process: psutil.Process
) -> dict[str, float]:
    window = runtime.window
    assert window is not None
    return {
        "rss_mib": process.memory_info().rss / 2**20,
        "fds": float(process.num_fds()),
        "tasks": float(len(asyncio.all_tasks())),
        "qt_objects": float(len(qapp.allWidgets()) + len(window.findChildren(QObject))),
    }


def clock_text(ns: int) -> str:
    return f"{datetime.fromtimestamp(ns / 1e9, EASTERN):%a %H:%M} ET"


async def soak(args: argparse.Namespace, qapp: QApplication) -> tuple[list[Sample], dict[str, Any]]:
    speed = DAY_S / (args.minutes * 60.0)
    out: Path = args.out
    parsed = build_parser().parse_args([
        "--demo-at", DAY_START, "--demo-speed", f"{speed:g}", "--symbols", ",".join(SYMBOLS),
        "--settings", str(out / "soak_day.ini"),
    ])  # fmt: skip
    options = dataclasses.replace(
        options_from_args(parsed), simulator_rate=args.rate, use_keyring=False, env={}
    )
    runtime = Runtime(options, asyncio.Event())
    await runtime.start()
    assert runtime.simulator is not None
    sim = runtime.simulator
    process = psutil.Process()
    lateness = Lateness()
    faults = Faults(runtime, random.Random(args.seed), args.fault_every)
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    start = time.monotonic()
    late_task = loop.create_task(lateness.run(), name="soak-lateness")
    fault_task = loop.create_task(faults.run(done), name="soak-faults")
    samples: list[Sample] = []
    failures: list[str] = []
    print(f"soak_day: {args.minutes:g} min at {speed:g}x from {DAY_START}, rate "
          f"{args.rate:g}/s, seed {args.seed}, faults every ~{args.fault_every:g} s; out {out}",
          flush=True)  # fmt: skip
    try:
        while (now := time.monotonic() - start) < args.minutes * 60.0:
            values = sample_values(qapp, runtime, process)
            values["late_ms"] = lateness.take()
            sim_ns = sim.now_ns()
            s = Sample(now, sim_ns, session_at_ns(sim_ns).session.value,
                       runtime.health.state.value, runtime.health.messages, values)  # fmt: skip
            samples.append(s)
            print(f"  t={now:7.1f}s {clock_text(sim_ns)} {s.session:<11} "
                  + " ".join(f"{k}={v:.1f}" for k, v in values.items())
                  + f" msgs={s.messages} state={s.state}", flush=True)  # fmt: skip
            await asyncio.sleep(args.sample_every)
        done.set()
        await fault_task
        sim.faults.pause(False)
        deadline = time.monotonic() + 60
        while runtime.health.state is not ConnectionState.STREAMING:
            if time.monotonic() > deadline:
                failures.append(f"ended {runtime.health.state.value}, not streaming")
                break
            await asyncio.sleep(0.1)
    finally:
        done.set()
        late_task.cancel()
        fault_task.cancel()
        await asyncio.gather(late_task, fault_task, return_exceptions=True)
        summary = {
            "speed": speed,
            "messages": runtime.health.messages,
            "reconnects": runtime.health.reconnects,
            "faults": [(t - start, name) for t, name in faults.log],
            "worst_ms": lateness.worst_ms,
            "worst_at": lateness.worst_at - start,
            "worst_kind": lateness.worst_kind,
            "failures": failures,
        }
        await runtime.close()
    return samples, summary


def report(args: argparse.Namespace, samples: list[Sample], summary: dict[str, Any]) -> list[str]:
    failures: list[str] = list(summary["failures"])
    total = args.minutes * 60.0
    print(f"\nsoak_day {args.minutes:g} min ({summary['speed']:g}x, a simulated day), "
          f"rate {args.rate:g}/s, seed {args.seed}: {summary['messages']} messages, "
          f"{summary['reconnects']} reconnects, {len(summary['faults'])} faults")  # fmt: skip
    counts: dict[str, int] = {}
    for _, name in summary["faults"]:
        counts[name] = counts.get(name, 0) + 1
    print("faults: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    print(f"{'metric':<12} {'first':>9} {'last':>9} {'max':>9} {'slope/min 2nd half':>19} "
          f"{'slope/min all':>14} {'limit':>7}")  # fmt: skip
    steady = [s for s in samples if s.state == ConnectionState.STREAMING.value]
    for key, limit in LIMITS_PER_MIN.items():
        points = [(s.t, s.values[key]) for s in steady]
        if not points:
            failures.append("never streaming at a sample")
            break
        half = slope_per_min([p for p in points if p[0] >= total / 2])
        whole = slope_per_min(points)
        top = max(v for _, v in points)
        print(f"{key:<12} {points[0][1]:>9.1f} {points[-1][1]:>9.1f} {top:>9.1f} "
              f"{half:>19.3f} {whole:>14.3f} {limit:>7.1f}")  # fmt: skip
        if half > limit:
            failures.append(f"{key} grows {half:.2f}/min over the second half (limit {limit})")
    worst = summary["worst_ms"]
    near = [n for t, n in summary["faults"] if abs(t - summary["worst_at"]) < 5.0]
    print(
        f"worst stall: {worst:.0f} ms ({summary['worst_kind']}) at t={summary['worst_at']:.0f} s"
        f"{' near fault ' + ', '.join(near) if near else ''} (limit {STALL_LIMIT_MS:.0f} ms)"
    )
    lates = sorted(s.values["late_ms"] for s in samples)
    if lates:
        median = statistics.median(lates)
        p95 = lates[min(len(lates) - 1, int(0.95 * len(lates)))]
        print(f"per-interval worst lateness: median {median:.0f} ms, p95 {p95:.0f} ms")
    if worst > STALL_LIMIT_MS:
        failures.append(f"event loop stalled {worst:.0f} ms (limit {STALL_LIMIT_MS:.0f})")
    return failures


def write_csv(path: Path, samples: list[Sample]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["t_s", "simulated_et", "session", "state", "messages", *METRICS])
        for s in samples:
            writer.writerow([f"{s.t:.1f}", clock_text(s.sim_ns), s.session, s.state, s.messages,
                             *(f"{s.values[k]:.2f}" for k in METRICS)])  # fmt: skip


SESSION_COLOURS = {
    MarketSession.CLOSED.value: QColor(225, 225, 235),
    MarketSession.PRE_MARKET.value: QColor(255, 243, 214),
    MarketSession.REGULAR.value: QColor(220, 245, 220),
    MarketSession.AFTER_HOURS.value: QColor(255, 230, 214),
}
TITLES = {
    "rss_mib": "RSS (MiB)",
    "fds": "open file descriptors",
    "tasks": "asyncio tasks",
    "qt_objects": "Qt objects (widgets + window children)",
    "late_ms": "worst loop lateness per interval (ms; red ticks: faults)",
}


def plot(path: Path, samples: list[Sample], summary: dict[str, Any], total_s: float) -> bool:
    """Five stacked panels over real time, shaded by the simulated market session."""
    width, panel_h, left, right, top = 1400, 190, 90, 30, 50
    height = top + panel_h * len(METRICS) + 40
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setFont(QFont("Sans", 9))
    plot_w = width - left - right
    total = max(total_s, samples[-1].t if samples else 1.0, 1.0)

    def x_of(t: float) -> float:
        return left + plot_w * t / total

    painter.setPen(QColor("black"))
    painter.setFont(QFont("Sans", 12))
    painter.drawText(QRectF(0, 5, width, 30), Qt.AlignmentFlag.AlignCenter,
                     f"soak_day: {total / 60:g} min real = one simulated day from {DAY_START} "
                     f"({summary['speed']:g}x); {summary['messages']} messages, "
                     f"{summary['reconnects']} reconnects, {len(summary['faults'])} faults; "
                     f"worst stall {summary['worst_ms']:.0f} ms")  # fmt: skip
    painter.setFont(QFont("Sans", 9))
    for index, key in enumerate(METRICS):
        y0 = top + index * panel_h
        box = QRectF(left, y0 + 18, plot_w, panel_h - 40)
        for a, b in itertools.pairwise(samples):
            colour = SESSION_COLOURS.get(a.session, QColor(240, 240, 240))
            painter.fillRect(QRectF(x_of(a.t), box.top(), x_of(b.t) - x_of(a.t), box.height()),
                             colour)  # fmt: skip
        painter.setPen(QColor(120, 120, 120))
        painter.drawRect(box)
        painter.setPen(QColor("black"))
        painter.drawText(QPointF(left, y0 + 14), TITLES[key])
        values = [s.values[key] for s in samples]
        if not values:
            continue
        low, high = min(values), max(values)
        span = (high - low) or 1.0
        low, high = low - 0.05 * span, high + 0.05 * span
        if key in ("late_ms", "tasks", "fds"):
            low = 0.0  # counts and lateness from zero: a flat line reads as flat

        def y_of(v: float, lo: float = low, hi: float = high, b: QRectF = box) -> float:
            return b.bottom() - b.height() * (v - lo) / (hi - lo)

        for frac in (0.0, 0.5, 1.0):
            v = low + frac * (high - low)
            painter.drawText(QRectF(0, y_of(v) - 8, left - 6, 16),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             f"{v:.1f}")  # fmt: skip
        if key == "late_ms":
            painter.setPen(QPen(QColor(200, 0, 0), 1, Qt.PenStyle.DashLine))
            if low <= STALL_LIMIT_MS <= high:
                painter.drawLine(QPointF(box.left(), y_of(STALL_LIMIT_MS)),
                                 QPointF(box.right(), y_of(STALL_LIMIT_MS)))  # fmt: skip
            painter.setPen(QPen(QColor(200, 0, 0), 1))
            for t, _ in summary["faults"]:
                painter.drawLine(QPointF(x_of(t), box.top()), QPointF(x_of(t), box.top() + 8))
        painter.setPen(QPen(QColor(20, 70, 160), 1.5))
        painter.drawPolyline(QPolygonF([QPointF(x_of(s.t), y_of(s.values[key])) for s in samples]))
    painter.setPen(QColor("black"))
    axis_y = top + panel_h * len(METRICS) - 16
    step = 5 if total > 20 * 60 else 1
    minute = 0
    while minute * 60 <= total + 1:
        x = min(x_of(minute * 60), width - 60.0)  # the last label stays inside the image
        label = f"{minute} min"
        near = min(samples, key=lambda s: abs(s.t - minute * 60)) if samples else None
        if near is not None:
            label += f" · {clock_text(near.sim_ns)[4:9]}"
        painter.drawText(QRectF(x - 50, axis_y, 100, 16), Qt.AlignmentFlag.AlignCenter, label)
        minute += step
    legend_x = left
    for name, colour in SESSION_COLOURS.items():
        painter.fillRect(QRectF(legend_x, height - 18, 14, 12), colour)
        painter.drawText(QPointF(legend_x + 18, height - 8), name)
        legend_x += 120
    painter.drawText(QPointF(legend_x + 20, height - 8),
                     "x: real minutes · simulated New York time")  # fmt: skip
    painter.end()
    return image.save(str(path))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0, help="real minutes for the day")
    parser.add_argument("--rate", type=float, default=1000.0, help="simulator messages/s")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fault-every", type=float, default=20.0, help="mean seconds")
    parser.add_argument("--sample-every", type=float, default=10.0)
    parser.add_argument("--out", type=Path, default=Path("/tmp/soak_day"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.ERROR)
    catcher = TracebackCatcher()
    logging.getLogger().addHandler(catcher)
    qapp = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(qapp, QApplication)
    qapp.setQuitOnLastWindowClosed(False)
    samples, summary = asyncio.run(soak(args, qapp), loop_factory=lambda: qasync.QEventLoop(qapp))
    failures = report(args, samples, summary)
    write_csv(args.out / "samples.csv", samples)
    png = args.out / "soak_day.png"
    if samples and plot(png, samples, summary, args.minutes * 60.0):
        print(f"plot: {png}")
    else:
        failures.append(f"could not draw the plot to {png}")
    print(f"samples: {args.out / 'samples.csv'}")
    if catcher.records:
        failures.append(f"{len(catcher.records)} tracebacks/errors logged")
        for text in catcher.describe()[:10]:
            print(f"  {text}")
    for failure in failures:
        print(f"SOAK FAILED: {failure}")
    if not failures:
        print("soak ok")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
