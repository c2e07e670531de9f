"""The real app under a firehose: capacity in messages/s at 50 / 1,000 / 10,000 symbols.

Each step runs in a fresh child process: the whole app (gui.runtime.Runtime on a qasync
loop, window shown on the offscreen platform, every symbol in one watchlist) against
`python -m engine.simulator` in ANOTHER process sending R msgs/s. Per step it prints
sent vs received messages/s (simulator GET /stats vs the app's data messages), event
loop lag (lateness of a 10 ms timer), table flush time, wire-to-cell latency (frame
received -> its row's dataChanged), app and simulator CPU %, and RSS.

Capacity = highest R whose step had loop-lag p99 < 50 ms, no 407, nothing dropped
(everything sent was received once the app caught up) and the simulator really sent
>= 90 % of R (else the row says "sim-limited": the generator, not the app, ran out).

Run:  /tmp/venv/bin/python tests/benchmarks/bench_app_firehose.py
      [--symbols 50,1000,10000] [--rates 1000,5000,...] [--seconds 8] [--repeat 1]
Numbers only, no assertions; the machine is shared: note the load average printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from benchstats import percentile

ROOT = Path(__file__).resolve().parents[2]
LAG_LIMIT_MS = 50.0
NO_DETAIL_ENV = "BENCH_NO_DETAIL"  # set by --no-detail for the child steps
TIMER_MS = 10
DEFAULT_RATES = "1000,5000,10000,20000,50000,100000,200000"


def start_simulator(rate: float, universe: int) -> tuple[subprocess.Popen[str], str, str]:
    """The simulator in its own process; returns (process, ws_url, rest_url)."""
    cmd = [
        sys.executable, "-m", "engine.simulator", "--port", "0", "--seed", "1",
        "--rate", str(rate), "--universe-size", str(universe), "--halt-probability", "0",
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # always this tree's
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    assert proc.stdout is not None
    ws_url = proc.stdout.readline().strip()
    rest_url = proc.stdout.readline().strip()
    if not ws_url.startswith("ws://"):
        proc.kill()
        raise RuntimeError(f"simulator did not start: {ws_url!r}")
    return proc, ws_url, rest_url


# --- the child: one step --------------------------------------------------------------


def run_with_simulator(
    rate: float, universe: int, main: Callable[[str, str, int], Awaitable[dict[str, Any]]]
) -> dict[str, Any]:
    """Run `main(ws_url, rest_url, simulator_pid)` on a qasync loop in this process (the
    app's own setup: offscreen, no quit on last window) against a simulator process."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    import qasync

    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    sim, ws_url, rest_url = start_simulator(rate, universe)
    try:
        result: dict[str, Any] = loop.run_until_complete(main(ws_url, rest_url, sim.pid))
        return result
    finally:
        sim.terminate()
        sim.wait(10)


async def wait_streaming(session: Any, also: Callable[[], bool] = lambda: True) -> None:
    """Poll (bench only: health has no change signal) until the session streams."""
    from engine.net.health import ConnectionState

    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while session.health.state is not ConnectionState.STREAMING or not also():
        if loop.time() > deadline:
            raise RuntimeError(f"no stream: {session.health.last_error}")
        await asyncio.sleep(0.05)


def run_step(universe: int, rate: float, seconds: float, encoding: str) -> dict[str, Any]:
    def main(ws_url: str, rest_url: str, sim_pid: int) -> Awaitable[dict[str, Any]]:
        return _step(universe, rate, seconds, encoding, ws_url, rest_url, sim_pid)

    return run_with_simulator(rate, universe, main)


class Probe:
    """Bench-only instrumentation: loop lag, flush time, wire-to-cell, control messages."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self.flushes: list[float] = []
        self.wire_to_cell: list[float] = []
        self.pending: dict[str, float] = {}
        self.control = 0
        self.recording = False
        self.gc_pauses: list[float] = []  # ms per cyclic-GC collection while recording
        self._gc_start = 0.0

    def on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_start = time.perf_counter()
        elif self.recording:
            self.gc_pauses.append((time.perf_counter() - self._gc_start) * 1e3)

    def observe(self, _event: object, snap: Any) -> None:
        # Called while the frame that carried the event is applied, microseconds after
        # it was read (not snap.received_at: a bar that changed nothing is observed too,
        # and its snapshot's time is of an older frame).
        if snap.symbol not in self.pending:
            self.pending[snap.symbol] = time.monotonic()

    def install(self) -> None:
        from engine.events import MARKET_EVENT_TYPES
        from engine.protocol import AlpacaSession
        from gui.table.model import TickerTableModel

        probe = self
        receive = AlpacaSession.receive
        flush = TickerTableModel.flush

        def counting_receive(self: AlpacaSession, frame: Any) -> Any:
            events = receive(self, frame)
            # The simulator (like Alpaca) sends control messages alone in their frame.
            if events and type(events[0]) not in MARKET_EVENT_TYPES:
                probe.control += len(events)
            return events

        def timed_flush(self: TickerTableModel) -> int:
            pending, probe.pending = probe.pending, {}
            t0 = time.perf_counter()
            rows = flush(self)
            t1 = time.perf_counter()
            if probe.recording and self.rowCount() > 0:
                probe.flushes.append((t1 - t0) * 1e3)
                now = time.monotonic()
                known = self.row_of
                probe.wire_to_cell.extend(
                    (now - t) * 1e3 for s, t in pending.items() if known(s) is not None
                )
            return rows

        import gc

        gc.callbacks.append(self.on_gc)
        AlpacaSession.receive = counting_receive  # type: ignore[method-assign]
        TickerTableModel.flush = timed_flush  # type: ignore[method-assign]

    async def sample_lag(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            expected = loop.time() + TIMER_MS / 1e3
            await asyncio.sleep(TIMER_MS / 1e3)
            if self.recording:
                self.lags.append(max(0.0, (loop.time() - expected) * 1e3))


async def _sim_stats(client: Any, rest_url: str) -> dict[str, Any]:
    reply = await client.get(rest_url + "/stats")
    data: dict[str, Any] = reply.json()
    return data


async def _step(
    universe: int,
    rate: float,
    seconds: float,
    encoding: str,
    ws_url: str,
    rest_url: str,
    sim_pid: int,
) -> dict[str, Any]:
    import httpx
    import psutil  # type: ignore[import-untyped]

    from engine.simulator.universe import synthetic_symbols
    from gui.runtime import Runtime, RuntimeOptions

    probe = Probe()
    probe.install()
    symbols = list(synthetic_symbols(universe))
    with tempfile.TemporaryDirectory() as tmp:
        settings_path = Path(tmp) / "b.ini"
        if encoding != "default":  # as if chosen in Settings (else the app's default)
            settings_path.write_text(f"[stream]\nencoding={encoding}\n")
        options = RuntimeOptions(
            url=ws_url, rest_url=rest_url, symbols=symbols, settings_path=settings_path,
            env={}, use_keyring=False, show_window=True, feed="iex",
        )  # fmt: skip
        session = Runtime(options, asyncio.Event())
        lag_task = asyncio.get_running_loop().create_task(probe.sample_lag(), name="bench-lag")
        me, simproc = psutil.Process(), psutil.Process(sim_pid)
        try:
            await session.start()
            assert session.window is not None
            assert session.store is not None
            session.window.resize(1400, 900)
            if os.environ.get(NO_DETAIL_ENV):
                session.window.detail.hide()  # attribution: the table without the chart
            session.store.add_observer(probe.observe)
            loop = asyncio.get_running_loop()
            await wait_streaming(session, lambda: probe.control > 0)
            await asyncio.sleep(2.0)  # warm-up: subscription settled, REST snapshots in
            async with httpx.AsyncClient(timeout=10) as http:
                health = session.health

                def received() -> int:
                    return health.messages - probe.control

                before = await _sim_stats(http, rest_url)
                recv0, t0 = received(), time.monotonic()
                cpu0, simcpu0 = me.cpu_times(), simproc.cpu_times()
                probe.recording = True
                await asyncio.sleep(seconds)
                probe.recording = False
                after = await _sim_stats(http, rest_url)
                recv1, t1 = received(), time.monotonic()
                cpu1, simcpu1 = me.cpu_times(), simproc.cpu_times()
                rss = me.memory_info().rss
                sent_total = sum(s["messages_sent"] for s in after["sessions"])
                # Nothing dropped: once it catches up, the app has every message sent.
                catch_deadline = loop.time() + 10
                # Health has no change signal: poll (bench only, 20 ms grain is plenty).
                while received() < sent_total and loop.time() < catch_deadline:  # noqa: ASYNC110
                    await asyncio.sleep(0.02)
                caught_up_s = time.monotonic() - t1
                final = await _sim_stats(http, rest_url)
            # Cost of one full repaint of the table's viewport (what a flush that
            # touches every visible row costs on top of flush()).
            pacer = getattr(session.window.model, "pacer", None)  # None in a baseline tree
            # times stretched x factor at the end
            pace = f"{pacer.stretched}x{pacer.factor}" if pacer is not None else "-"
            viewport = session.window.table.viewport()
            paints = []
            for _ in range(10):
                p0 = time.perf_counter()
                viewport.repaint()
                paints.append((time.perf_counter() - p0) * 1e3)
        finally:
            lag_task.cancel()
            await asyncio.gather(lag_task, return_exceptions=True)
            await session.close()
    wall = t1 - t0
    # Per session id: after a 407 the dropped session's count is gone (its row says 407).
    sent_before = {s["id"]: s["messages_sent"] for s in before["sessions"]}
    sent = sum(s["messages_sent"] - sent_before.get(s["id"], 0) for s in after["sessions"])
    errors = final["errors_sent"]
    return {
        "encoding": str(session.client.config.encoding) if session.client else encoding,
        "symbols": universe,
        "rate": rate,
        "sent_per_s": sent / wall,
        "recv_per_s": (recv1 - recv0) / wall,
        "dropped": max(0, sent_total - received()),
        "caught_up_s": caught_up_s,
        "err407": int(errors.get("407", 0)) + final["slow_client_drops"],
        "lag_p50": percentile(probe.lags, 0.5),
        "lag_p99": percentile(probe.lags, 0.99),
        "lag_max": max(probe.lags, default=float("nan")),
        "flush_p50": percentile(probe.flushes, 0.5),
        "flush_p99": percentile(probe.flushes, 0.99),
        "w2c_p50": percentile(probe.wire_to_cell, 0.5),
        "w2c_p99": percentile(probe.wire_to_cell, 0.99),
        "paint_ms": statistics.median(paints),
        "gc_max": max(probe.gc_pauses, default=0.0),
        "gc_per_s": len(probe.gc_pauses) / wall,
        "cpu": (sum(cpu1[:2]) - sum(cpu0[:2])) / wall * 100,
        "sim_cpu": (sum(simcpu1[:2]) - sum(simcpu0[:2])) / wall * 100,
        "rss_mb": rss / 2**20,
        "falling_behind_events": session.health.falling_behind_events,
        "pace": pace,
    }


# --- the parent: ramp and table ---------------------------------------------------------


def verdict(row: dict[str, Any]) -> str:
    if row["err407"]:
        return "407"
    if row["dropped"]:
        return "dropped"
    if row["lag_p99"] >= LAG_LIMIT_MS:
        return "lag"
    if row["sent_per_s"] < 0.9 * row["rate"]:
        return "sim-limited"
    return "ok"


def child(
    universe: int, rate: float, seconds: float, tree: str | None, encoding: str
) -> dict[str, Any]:
    """One step in a fresh process; `tree` = another checkout's app (same-run baseline)."""
    cmd = [sys.executable, __file__, "--step", f"{universe}:{rate}", "--seconds", str(seconds),
           "--encoding", encoding]  # fmt: skip
    env = dict(os.environ, PYTHONPATH=tree) if tree else None
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=300, env=env)
    for line in reversed(out.stdout.splitlines()):
        if line.startswith("{"):
            result: dict[str, Any] = json.loads(line)
            return result
    raise RuntimeError(f"step {universe}@{rate} failed:\n{out.stderr[-2000:]}")


HEADER = (
    f"{'symbols':>7} {'rate':>7} {'sent/s':>8} {'recv/s':>8} {'drop':>5} {'407':>3} "
    f"{'lag50':>6} {'lag99':>6} {'lagmax':>7} {'fl50':>5} {'fl99':>5} {'w2c50':>6} "
    f"{'w2c99':>6} {'paint':>5} {'gcmax':>5} {'cpu%':>5} {'sim%':>5} {'rssMB':>6} {'fb':>2} "
    f"{'pace':>4}  verdict"
)


def fmt(row: dict[str, Any]) -> str:
    return (
        f"{row['symbols']:>7,} {row['rate']:>7,.0f} {row['sent_per_s']:>8,.0f} "
        f"{row['recv_per_s']:>8,.0f} {row['dropped']:>5} {row['err407']:>3} "
        f"{row['lag_p50']:>6.1f} {row['lag_p99']:>6.1f} {row['lag_max']:>7.1f} "
        f"{row['flush_p50']:>5.1f} {row['flush_p99']:>5.1f} {row['w2c_p50']:>6.1f} "
        f"{row['w2c_p99']:>6.1f} {row['paint_ms']:>5.1f} {row['gc_max']:>5.1f} "
        f"{row['cpu']:>5.0f} {row['sim_cpu']:>5.0f} "
        f"{row['rss_mb']:>6.0f} {row['falling_behind_events']:>2} {row['pace']:>4}  {verdict(row)}"
    )


def median_row(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out = dict(rows[0])
    for key, value in rows[0].items():
        if isinstance(value, (int, float)) and key not in ("symbols", "rate"):
            out[key] = statistics.median(r[key] for r in rows)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", default="50,1000,10000")
    parser.add_argument("--rates", default=DEFAULT_RATES)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--repeat", type=int, default=1, help="runs per step (median)")
    parser.add_argument("--baseline", metavar="TREE",
                        help="also run each step on the app in TREE (a copy of the source "
                        "before a change): interleaved, same-run before/after rows")  # fmt: skip
    parser.add_argument("--encoding", default="default",
                        help="json, msgpack, or 'default' (the app's default); "
                        "'json,msgpack' runs both, interleaved, per step")  # fmt: skip
    parser.add_argument("--no-detail", action="store_true",
                        help="hide the detail pane (chart, time & sales) in the app")  # fmt: skip
    parser.add_argument("--step", help=argparse.SUPPRESS)  # child mode: SYMBOLS:RATE
    args = parser.parse_args()
    if args.step:
        universe, rate = args.step.split(":")
        result = run_step(int(universe), float(rate), args.seconds, args.encoding)
        print(json.dumps(result), flush=True)
        return
    print(f"load average at start: {os.getloadavg()[0]:.2f}, cores: {os.cpu_count()}")
    print("ms columns: loop lag (10 ms timer lateness), flush, wire-to-cell, paint (one full")
    print("repaint of the table viewport, 1400x900 window); cpu% of one core; fb = falling-")
    print("behind episodes; pace = flush-interval stretches x final factor (gui/pacing.py)")
    print(HEADER, flush=True)
    if args.no_detail:
        os.environ[NO_DETAIL_ENV] = "1"  # inherited by every child step
    encodings = args.encoding.split(",")
    # Variants run interleaved per step (same load, same minute): (label, tree, encoding).
    variants = [(enc, None, enc) for enc in encodings]
    if args.baseline:
        variants = [(f"baseline {enc}", args.baseline, enc) for enc in encodings] + variants
    capacity: dict[tuple[str, int], float] = {}
    for universe in (int(s) for s in args.symbols.split(",")):
        failures = dict.fromkeys((label for label, _, _ in variants), 0)
        for rate in (float(r) for r in args.rates.split(",")):
            for label, tree, encoding in variants:
                if failures[label] >= 2:
                    continue  # two failed steps in a row: past this variant's capacity
                runs = [child(universe, rate, args.seconds, tree, encoding)
                        for _ in range(args.repeat)]  # fmt: skip
                row = median_row(runs)
                print(f"{fmt(row)}  [{label}: {row['encoding']}]", flush=True)
                if verdict(row) == "ok":
                    key = (label, universe)
                    capacity[key] = max(capacity.get(key, 0.0), row["rate"])
                    failures[label] = 0
                else:
                    failures[label] += 1
            if all(count >= 2 for count in failures.values()):
                break
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    for universe in (int(s) for s in args.symbols.split(",")):
        for label, _, _ in variants:
            best = capacity.get((label, universe), 0.0)
            print(f"capacity at {universe:,} symbols [{label}]: {best:,.0f} msgs/s")


if __name__ == "__main__":
    main()
