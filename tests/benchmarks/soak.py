"""Soak: the real app (offscreen) on a simulator firehose with seeded random faults.

    python tests/benchmarks/soak.py [--seconds 600] [--rate 2000] [--seed 1]

Samples RSS, open file descriptors, asyncio tasks and Qt objects (QApplication
.allWidgets() + window.findChildren(QObject)) every --sample-every seconds; measures
event-loop lateness with a 10 ms asyncio timer and a 10 ms QTimer. Exit status 1, with
the reason, if a resource grows without bound (least-squares slope over the second
half above its limit), the loop stalls over 250 ms, or the app does not end streaming.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication  # before qasync: it binds the first Qt imported

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo root: import tests.*

import psutil  # type: ignore[import-untyped]
import qasync

from engine.net.health import ConnectionState
from engine.simulator.config import Plan
from tests.reliability.fault_harness import FaultApp, TracebackCatcher

STALL_LIMIT_MS = 250.0
TICK_S = 0.010
# Growth limits per minute, fitted over the second half of the run (the first half is
# warm-up: caches, the latency deque and Qt's pixmap cache fill, then must stay flat).
LIMITS_PER_MIN = {"rss_mib": 4.0, "fds": 1.0, "tasks": 1.0, "qt_objects": 2.0}


def slope_per_min(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value) points, in value per minute."""
    if len(points) < 3:
        return 0.0
    mean_t = statistics.fmean(t for t, _ in points)
    mean_v = statistics.fmean(v for _, v in points)
    den = sum((t - mean_t) ** 2 for t, _ in points)
    num = sum((t - mean_t) * (v - mean_v) for t, v in points)
    return 60.0 * num / den if den else 0.0


class Lateness:
    """Worst lateness of a 10 ms asyncio sleep loop and of a 10 ms QTimer."""

    def __init__(self) -> None:
        self.asyncio_ms = 0.0
        self.qt_ms = 0.0
        self._last_qt = time.monotonic()
        self.timer = QTimer()
        self.timer.setInterval(int(TICK_S * 1000))
        self.timer.timeout.connect(self._on_qt)

    def _on_qt(self) -> None:
        now = time.monotonic()
        self.qt_ms = max(self.qt_ms, (now - self._last_qt - TICK_S) * 1000)
        self._last_qt = now

    async def run(self) -> None:
        self._last_qt = time.monotonic()
        self.timer.start()
        try:
            while True:
                start = time.monotonic()
                await asyncio.sleep(TICK_S)
                late = (time.monotonic() - start - TICK_S) * 1000
                self.asyncio_ms = max(self.asyncio_ms, late)
        finally:
            self.timer.stop()


async def inject_faults(
    app: FaultApp, rng: random.Random, mean_every: float, done: asyncio.Event
) -> None:
    """Random faults at exponential (seeded) intervals until `done`.

    A fault, once begun, runs to its end (a restart is never left half way: the soak's
    last step expects either a running simulator or none).
    """
    faults: list[tuple[str, Callable[[], object]]] = []

    async def restart() -> None:
        await app.stop_sim()
        await asyncio.sleep(rng.uniform(0.5, 3.0))
        await app.start_sim()

    async def pause() -> None:
        assert app.sim is not None
        app.sim.faults.pause(True)
        await asyncio.sleep(rng.uniform(2.0, 4.0))
        if app.sim is not None:
            app.sim.faults.pause(False)

    def sim() -> object:
        assert app.sim is not None
        return app.sim.faults

    faults = [
        ("drop", lambda: sim().drop_all()),  # type: ignore[attr-defined]
        ("close", lambda: sim().close_all(1000, "soak")),  # type: ignore[attr-defined]
        ("malformed", lambda: sim().send_malformed()),  # type: ignore[attr-defined]
        ("error500", lambda: sim().send_error(500)),  # type: ignore[attr-defined]
        ("burst", lambda: sim().burst(2000)),  # type: ignore[attr-defined]
        ("restart", restart),
        ("pause", pause),
    ]
    while True:
        try:
            await asyncio.wait_for(done.wait(), rng.expovariate(1.0 / mean_every))
            return
        except TimeoutError:
            pass
        if app.sim is None:
            continue
        name, action = rng.choice(faults)
        result = action()
        if asyncio.iscoroutine(result):
            await result
        print(f"  t={time.monotonic() - START:6.1f}s fault: {name}", flush=True)


START = time.monotonic()


async def soak(args: argparse.Namespace, qapp: QApplication) -> int:
    global START
    folder = Path(tempfile.mkdtemp(prefix="tickerdesk-soak-"))
    app = FaultApp(folder / "soak.ini", plan=Plan.UNLIMITED, rate=args.rate, record=False)
    await app.start(show=True)
    session = app.session
    assert session is not None
    assert session.window is not None
    window = session.window
    process = psutil.Process()
    lateness = Lateness()
    START = time.monotonic()
    late_task = asyncio.get_running_loop().create_task(lateness.run())
    faults_done = asyncio.Event()
    fault_task = asyncio.get_running_loop().create_task(
        inject_faults(app, random.Random(args.seed), args.fault_every, faults_done)
    )
    samples: dict[str, list[tuple[float, float]]] = {k: [] for k in LIMITS_PER_MIN}
    failures: list[str] = []
    try:
        while (now := time.monotonic() - START) < args.seconds:
            values = {
                "rss_mib": process.memory_info().rss / 2**20,
                "fds": float(process.num_fds()),
                "tasks": float(len(asyncio.all_tasks())),
                "qt_objects": float(len(qapp.allWidgets()) + len(window.findChildren(QObject))),
            }
            # Only steady-state samples are fitted: mid-reconnect the socket and its tasks
            # are briefly gone, which would read as a trend in a short run.
            if session.health.state is ConnectionState.STREAMING:
                for key, value in values.items():
                    samples[key].append((now, value))
            print(f"  t={now:6.1f}s " + " ".join(f"{k}={v:.1f}" for k, v in values.items())
                  + f" msgs={session.health.messages} state={session.health.state.value}",
                  flush=True)  # fmt: skip
            await asyncio.sleep(args.sample_every)
        faults_done.set()
        await fault_task
        if app.sim is None:
            await app.start_sim()
        assert app.sim is not None
        app.sim.faults.pause(False)
        deadline = time.monotonic() + 30
        while session.health.state is not ConnectionState.STREAMING:
            if time.monotonic() > deadline:
                failures.append(f"ended {session.health.state.value}, not streaming")
                break
            await asyncio.sleep(0.1)
    finally:
        late_task.cancel()
        fault_task.cancel()  # only still running if the loop above failed
        await asyncio.gather(late_task, fault_task, return_exceptions=True)
        messages = session.health.messages
        reconnects = session.health.reconnects
        await app.close()
    print(f"\nsoak {args.seconds:g} s, rate {args.rate:g}/s, seed {args.seed}: {messages} "
          f"messages, {reconnects} reconnects")  # fmt: skip
    print(f"{'metric':<12} {'first':>9} {'last':>9} {'slope/min (2nd half)':>22} {'limit':>7}")
    for key, points in samples.items():
        half = [p for p in points if p[0] >= args.seconds / 2]
        slope = slope_per_min(half)
        limit = LIMITS_PER_MIN[key]
        print(f"{key:<12} {points[0][1]:>9.1f} {points[-1][1]:>9.1f} {slope:>22.2f} {limit:>7.1f}")
        if slope > limit:
            failures.append(f"{key} grows {slope:.2f}/min over the second half (limit {limit})")
    print(f"worst loop lateness: asyncio {lateness.asyncio_ms:.0f} ms, QTimer "
          f"{lateness.qt_ms:.0f} ms (limit {STALL_LIMIT_MS:.0f} ms)")  # fmt: skip
    worst = max(lateness.asyncio_ms, lateness.qt_ms)
    if worst > STALL_LIMIT_MS:
        failures.append(f"event loop stalled {worst:.0f} ms (limit {STALL_LIMIT_MS:.0f})")
    for failure in failures:
        print(f"SOAK FAILED: {failure}")
    if not failures:
        print("soak ok")
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--rate", type=float, default=2000.0, help="simulator messages/s")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fault-every", type=float, default=10.0, help="mean seconds")
    parser.add_argument("--sample-every", type=float, default=2.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    catcher = TracebackCatcher()
    logging.getLogger().addHandler(catcher)
    qapp = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(qapp, QApplication)
    qapp.setQuitOnLastWindowClosed(False)
    status = asyncio.run(soak(args, qapp), loop_factory=lambda: qasync.QEventLoop(qapp))
    if catcher.records:
        print(f"SOAK FAILED: {len(catcher.records)} tracebacks/errors logged:")
        for text in catcher.describe()[:10]:
            print(f"  {text}")
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
