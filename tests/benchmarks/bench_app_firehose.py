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

--backfill-compare (issue 13, "backfill must not hurt streaming"): one app run per
--repeat at the first --symbols / --rates (default 1,000 symbols at 5,000 msgs/s, feed
sip = Algo Trader Plus: every symbol streams and the REST budget lets the backfill go as
fast as the app takes it). The app has no switch to turn history off, so the windows are:
the launch's backfill of the watchlist (from streaming until the backfill is idle), then
--seconds with no backfill, then a backfill of --extra symbols' history asked with
Runtime.rest.backfill.request (not on screen) until idle. Loop lag and flush p50/p99 side
by side with their ratio to the no-backfill window, with the share of each window the
backfill was busy, the symbols it loaded and its REST pages, and table / chart paint
times. --stall-stacks samples where the loop is during stalls over 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
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


def _as_the_app(options: Any) -> Any:
    """What gui.app.main sets for its own process (a tree without the option: as is)."""
    if "freeze_start_heap" in {f.name for f in dataclasses.fields(options)}:
        return dataclasses.replace(options, freeze_start_heap=True)
    return options


async def wait_streaming(session: Any, also: Callable[[], bool] = lambda: True) -> None:
    """Poll (bench only: health has no change signal) until the session streams."""
    from engine.net.health import ConnectionState

    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while session.health.state is not ConnectionState.STREAMING or not also():
        if loop.time() > deadline:
            raise RuntimeError(f"no stream: {session.health.last_error}")
        await asyncio.sleep(0.05)


def run_step(
    universe: int, rate: float, seconds: float, encoding: str, feed: str = "iex"
) -> dict[str, Any]:
    def main(ws_url: str, rest_url: str, sim_pid: int) -> Awaitable[dict[str, Any]]:
        return _step(universe, rate, seconds, encoding, ws_url, rest_url, sim_pid, feed)

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
        # --backfill-compare: whether the history backfill was busy at each lag sample
        self.backfill_active: Callable[[], bool] | None = None
        self.active_samples = 0
        self.stalls: list[tuple[float, float]] = []  # (loop time, lag ms) of lags > 50 ms
        self.table_paints: list[float] = []  # ms per table viewport paint (compare mode)
        self.chart_paints: list[float] = []  # ms per detail chart paint (compare mode)

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

    def install_paint_timers(self) -> None:
        """--backfill-compare: time each table viewport paint and each chart paint."""
        from gui.detail.chart import IntradayChart
        from gui.table.view import TickerView

        probe = self
        viewport_event = TickerView.viewportEvent
        chart_paint = IntradayChart.paintEvent

        def timed_viewport_event(self: TickerView, event: Any) -> bool:
            t0 = time.perf_counter()
            handled = viewport_event(self, event)
            if probe.recording and event.type() == event.Type.Paint:
                probe.table_paints.append((time.perf_counter() - t0) * 1e3)
            return handled

        def timed_chart_paint(self: IntradayChart, event: Any) -> None:
            t0 = time.perf_counter()
            chart_paint(self, event)
            if probe.recording:
                probe.chart_paints.append((time.perf_counter() - t0) * 1e3)

        TickerView.viewportEvent = timed_viewport_event  # type: ignore[method-assign]
        IntradayChart.paintEvent = timed_chart_paint  # type: ignore[method-assign]

    async def sample_lag(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            expected = loop.time() + TIMER_MS / 1e3
            await asyncio.sleep(TIMER_MS / 1e3)
            if self.recording:
                lag = max(0.0, (loop.time() - expected) * 1e3)
                self.lags.append(lag)
                if lag > LAG_LIMIT_MS:
                    self.stalls.append((loop.time(), lag))
                if self.backfill_active is not None and self.backfill_active():
                    self.active_samples += 1

    def reset(self) -> None:
        """Empty the per-window samples (--backfill-compare measures several windows)."""
        for samples in (self.lags, self.flushes, self.wire_to_cell, self.gc_pauses, self.stalls,
                        self.table_paints, self.chart_paints):  # fmt: skip
            samples.clear()
        self.active_samples = 0


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
    feed: str = "iex",
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
            env={}, use_keyring=False, show_window=True, feed=feed,
        )  # fmt: skip
        options = _as_the_app(options)
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


# --- --backfill-compare: the same firehose with and without the history backfill ---------


class StallSampler:
    """Bench only (--stall-stacks): where the loop was during each stall. A heartbeat
    task stamps the time every 5 ms; a thread looks every 5 ms and, once the stamp is
    over 10 ms old, takes the main thread's Python stack (sys._current_frames). When the
    next stamp shows the gap was a stall (> LAG_LIMIT_MS), every sample of that gap is
    kept, so a stall made of several callbacks is seen whole; each sample stands for
    ~5 ms. Stacks are keyed by the outermost and the innermost frame of this repository
    (the callback and where in it) plus the leaf frame."""

    PERIOD_S = 0.005

    def __init__(self) -> None:
        import threading

        self.beat = time.perf_counter()
        self.recording = False
        self.samples: dict[tuple[str, str, str], int] = {}
        self.worst: list[tuple[float, list[tuple[str, str, str]]]] = []  # (ms, samples)
        self._main = threading.get_ident()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="bench-stalls", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(1)

    async def heartbeat(self) -> None:
        while True:
            self.beat = time.perf_counter()
            await asyncio.sleep(self.PERIOD_S)

    def take(self) -> tuple[list[tuple[float, str, str, str]], list[tuple[float, list[str]]]]:
        """Since the last take: (ms, outer, inner, leaf) most first, and the three worst
        stalls as (ms, "outer > inner xN" in order)."""
        taken, self.samples = self.samples, {}
        worst, self.worst = self.worst, []
        ms = self.PERIOD_S * 1e3
        totals = sorted(((n * ms, *key) for key, n in taken.items()), reverse=True)
        stalls = []
        for length, keys in sorted(worst, key=lambda w: -w[0])[:3]:
            runs: list[list[Any]] = []
            for outer, inner, _leaf in keys:
                label = f"{outer} > {inner}"
                if runs and runs[-1][0] == label:
                    runs[-1][1] += 1
                else:
                    runs.append([label, 1])
            stalls.append((round(length, 1), [f"{label} ~{n * ms:.0f} ms" for label, n in runs]))
        return totals, stalls

    def _stack(self) -> tuple[str, str, str] | None:
        frame = sys._current_frames().get(self._main)
        if frame is None:
            return None
        root = str(ROOT) + os.sep
        leaf = f"{Path(frame.f_code.co_filename).name}:{frame.f_code.co_name}"
        ours: list[str] = []
        while frame is not None:
            name = frame.f_code.co_filename
            if name.startswith(root) and "/tests/" not in name and "/.venv/" not in name:
                ours.append(f"{name[len(root) :]}:{frame.f_code.co_name}")
            frame = frame.f_back
        return (ours[-1] if ours else "-", ours[0] if ours else "-", leaf)

    def _watch(self) -> None:
        pending: list[tuple[str, str, str]] = []
        last = self.beat
        while not self._stop.wait(self.PERIOD_S):
            beat = self.beat
            if beat != last:  # the loop ran: was the gap a stall?
                gap_ms = (beat - last) * 1e3
                if self.recording and gap_ms > LAG_LIMIT_MS and pending:
                    for key in pending:
                        self.samples[key] = self.samples.get(key, 0) + 1
                    self.worst.append((gap_ms, pending))
                    self.worst = sorted(self.worst, key=lambda w: -w[0])[:3]
                pending, last = [], beat
            elif self.recording and time.perf_counter() - last > 2 * self.PERIOD_S:
                stack = self._stack()
                if stack is not None:
                    pending.append(stack)


async def _window(
    session: Any, probe: Probe, http: Any, rest_url: str, seconds: float,
    procs: tuple[Any, Any], until_idle: bool = False, profile: str | None = None,
    sampler: StallSampler | None = None,
) -> dict[str, Any]:  # fmt: skip
    """One measured window in the running app: `seconds` long, or (`until_idle`) until
    the history backfill is idle, at most `seconds`. Streaming figures plus what the
    backfill did meanwhile (symbols loaded, REST pages). `profile`: cProfile the window
    into that file (pstats)."""
    backfill = session.rest.backfill
    me, simproc = procs
    loop = asyncio.get_running_loop()
    probe.reset()
    done0, calls0 = backfill.progress.done, backfill.calls
    before = await _sim_stats(http, rest_url)
    recv0, t0 = session.health.messages - probe.control, time.monotonic()
    loop0 = loop.time()
    cpu0, simcpu0 = me.cpu_times(), simproc.cpu_times()
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    probe.recording = True
    if sampler is not None:
        sampler.take()
        sampler.recording = True
    if until_idle:
        deadline = loop.time() + seconds
        # Progress has a callback only for its owner: poll (bench only, 20 ms grain).
        while backfill.progress.active and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    else:
        await asyncio.sleep(seconds)
    probe.recording = False
    stacks: list[tuple[float, str, str, str]] = []
    worst_stacks: list[tuple[float, list[str]]] = []
    if sampler is not None:
        sampler.recording = False
        stacks, worst_stacks = sampler.take()
        stacks = stacks[:12]
    if profiler is not None and profile:
        profiler.disable()
        profiler.dump_stats(profile)
    recv1, t1 = session.health.messages - probe.control, time.monotonic()
    cpu1, simcpu1 = me.cpu_times(), simproc.cpu_times()
    after = await _sim_stats(http, rest_url)
    wall = t1 - t0
    sent_before = {s["id"]: s["messages_sent"] for s in before["sessions"]}
    sent = sum(s["messages_sent"] - sent_before.get(s["id"], 0) for s in after["sessions"])
    stalls = sorted(probe.stalls, key=lambda s: -s[1])[:5]
    return {
        "seconds": wall,
        "sent_per_s": sent / wall,
        "recv_per_s": (recv1 - recv0) / wall,
        "lag_p50": percentile(probe.lags, 0.5),
        "lag_p99": percentile(probe.lags, 0.99),
        "lag_max": max(probe.lags, default=float("nan")),
        "stalls_50ms": len(probe.stalls),
        "worst_stalls": [(round(at - loop0, 2), round(ms, 1)) for at, ms in stalls],
        "flush_p50": percentile(probe.flushes, 0.5),
        "flush_p99": percentile(probe.flushes, 0.99),
        "w2c_p50": percentile(probe.wire_to_cell, 0.5),
        "w2c_p99": percentile(probe.wire_to_cell, 0.99),
        "gc_max": max(probe.gc_pauses, default=0.0),
        "paint_p50": percentile(probe.table_paints, 0.5),
        "paint_p99": percentile(probe.table_paints, 0.99),
        "paints_per_s": len(probe.table_paints) / wall,
        "chart_p50": percentile(probe.chart_paints, 0.5),
        "chart_p99": percentile(probe.chart_paints, 0.99),
        "charts_per_s": len(probe.chart_paints) / wall,
        "cpu": (sum(cpu1[:2]) - sum(cpu0[:2])) / wall * 100,
        "sim_cpu": (sum(simcpu1[:2]) - sum(simcpu0[:2])) / wall * 100,
        "active_pct": 100 * probe.active_samples / max(1, len(probe.lags)),
        "loaded": backfill.progress.done - done0,
        "calls": backfill.calls - calls0,
        "progress": backfill.progress.text(),
        "stall_stacks": stacks,
        "worst_stall_stacks": worst_stacks,
    }


async def _compare(
    watch: int, extra: int, rate: float, seconds: float, warmup: float, feed: str,
    max_window: float, profile: str | None, stall_stacks: bool, cpu_control: bool,
    ws_url: str, rest_url: str, sim_pid: int,
) -> dict[str, Any]:  # fmt: skip
    """Launch (the watchlist's backfill runs: window 1 until it is idle), a window of
    `seconds` with no backfill, then ask for `extra` more symbols' history (window 3
    until idle)."""
    import httpx
    import psutil

    from engine.simulator.universe import synthetic_symbols
    from gui.runtime import Runtime, RuntimeOptions

    probe = Probe()
    probe.install()
    probe.install_paint_timers()
    universe = list(synthetic_symbols(watch + extra))
    symbols, extras = universe[:watch], universe[watch:]
    phases: dict[str, dict[str, Any]] = {}
    info: dict[str, Any] = {"symbols": watch, "extra": extra, "rate": rate, "feed": feed}
    with tempfile.TemporaryDirectory() as tmp:
        options = RuntimeOptions(
            url=ws_url, rest_url=rest_url, symbols=symbols, settings_path=Path(tmp) / "b.ini",
            env={}, use_keyring=False, show_window=True, feed=feed,
        )  # fmt: skip
        session = Runtime(options, asyncio.Event())
        lag_task = asyncio.get_running_loop().create_task(probe.sample_lag(), name="bench-lag")
        sampler = StallSampler() if stall_stacks else None
        beat_task = None
        if sampler is not None:
            sampler.start()
            beat_task = asyncio.get_running_loop().create_task(sampler.heartbeat())
        procs = (psutil.Process(), psutil.Process(sim_pid))
        launched = time.monotonic()
        try:
            await session.start()
            assert session.window is not None
            assert session.store is not None
            session.window.resize(1400, 900)
            if os.environ.get(NO_DETAIL_ENV):
                session.window.detail.hide()
            session.store.add_observer(probe.observe)
            backfill = session.rest.backfill
            if backfill is None:
                raise RuntimeError("no history backfill in this app (no REST?)")
            probe.backfill_active = lambda: bool(backfill.progress.active)
            await wait_streaming(session, lambda: probe.control > 0)
            await asyncio.sleep(warmup)
            assert session.client is not None
            info["streamed"] = len(session.client.subscription.trades)
            info["plan"] = str(session.budget.plan.plan.value)
            async with httpx.AsyncClient(timeout=10) as http:
                info["before_window"] = backfill.progress.text()
                info["window_after_launch_s"] = time.monotonic() - launched
                phases["backfill"] = await _window(
                    session, probe, http, rest_url, max_window, procs, until_idle=True,
                    profile=profile and f"{profile}.launch", sampler=sampler,
                )  # fmt: skip
                await asyncio.sleep(1.0)  # settle: the last batch's repaints
                phases["none"] = await _window(
                    session, probe, http, rest_url, seconds, procs,
                    profile=profile and f"{profile}.none", sampler=sampler,
                )  # fmt: skip
                if cpu_control:
                    # Control: no backfill, but another process burning a core, as the
                    # simulator does while it generates history pages.
                    # (Popen returns at once; qasync's loop has no subprocess transport.)
                    burn = [sys.executable, "-c", "while True: pass"]
                    burner = subprocess.Popen(burn)  # noqa: ASYNC220
                    try:
                        phases["burn"] = await _window(
                            session, probe, http, rest_url, seconds, procs, sampler=sampler
                        )
                    finally:
                        burner.kill()
                        burner.wait(10)
                if extras:
                    backfill.request(extras)  # history only (not on screen, no snapshots)
                    phases["extra"] = await _window(
                        session, probe, http, rest_url, max_window, procs, until_idle=True,
                        profile=profile and f"{profile}.extra", sampler=sampler,
                    )  # fmt: skip
        finally:
            for task in (lag_task, beat_task):
                if task is not None:
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
            if sampler is not None:
                sampler.stop()
            await session.close()
    info["phases"] = phases
    return info


def run_compare(args: argparse.Namespace) -> dict[str, Any]:
    watch, rate, extra = args.compare_step.split(":")
    universe = int(watch) + int(extra)

    def main(ws_url: str, rest_url: str, sim_pid: int) -> Awaitable[dict[str, Any]]:
        return _compare(
            int(watch), int(extra), float(rate), args.seconds, args.warmup, args.feed,
            args.max_window, args.profile, args.stall_stacks, args.cpu_control, ws_url,
            rest_url, sim_pid,
        )  # fmt: skip

    return run_with_simulator(float(rate), universe, main)


COMPARE_KEYS = ("seconds", "recv_per_s", "lag_p50", "lag_p99", "lag_max", "stalls_50ms",
                "flush_p50", "flush_p99", "w2c_p50", "w2c_p99", "gc_max", "cpu", "sim_cpu",
                "active_pct", "loaded", "calls", "paint_p50", "paint_p99", "paints_per_s",
                "chart_p50", "chart_p99", "charts_per_s")  # fmt: skip
PHASE_LABELS = {
    "backfill": "during the launch backfill",
    "none": "no backfill (after it)",
    "burn": "no backfill, a core burnt",
    "extra": "during a backfill of extras",
}


def backfill_compare(args: argparse.Namespace) -> None:
    """Parent of --backfill-compare: --repeat fresh child processes, medians per phase."""
    watch = int((args.symbols or "1000").split(",")[0])
    rate = float((args.rates or "5000").split(",")[0])
    print(f"load average at start: {os.getloadavg()[0]:.2f}, cores: {os.cpu_count()}")
    print(f"backfill compare: {watch:,} watched symbols at {rate:,.0f} msgs/s, feed "
          f"{args.feed}; windows: launch backfill until idle (at most {args.max_window:g} s), "
          f"no backfill {args.seconds:g} s, then {args.extra} extra symbols' history until "
          f"idle; {args.repeat} run(s), medians; simulator in another process, "
          f"loopback")  # fmt: skip
    runs: list[dict[str, Any]] = []
    for i in range(args.repeat):
        cmd = [sys.executable, __file__, "--compare-step", f"{watch}:{rate}:{args.extra}",
               "--seconds", str(args.seconds), "--warmup", str(args.warmup), "--feed",
               args.feed, "--max-window", str(args.max_window)]  # fmt: skip
        if args.profile:
            cmd += ["--profile", f"{args.profile}.{i + 1}"]
        if args.stall_stacks:
            cmd.append("--stall-stacks")
        if args.cpu_control:
            cmd.append("--cpu-control")
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=3600)
        lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
        if not lines:
            raise RuntimeError(f"compare run failed:\n{out.stderr[-3000:]}")
        run = json.loads(lines[-1])
        runs.append(run)
        print(f"run {i + 1}: plan {run['plan']}, {run['streamed']} symbols streamed; first "
              f"window from {run['window_after_launch_s']:.1f} s after launch, when "
              f"{run['before_window']}")  # fmt: skip
        for name, row in run["phases"].items():
            worst = ", ".join(f"{ms:.0f} ms at +{at:.1f} s" for at, ms in row["worst_stalls"])
            print(f"  {PHASE_LABELS[name]:28} {row['seconds']:5.1f} s: lag p50/p99/max "
                  f"{row['lag_p50']:5.1f} / {row['lag_p99']:5.1f} / {row['lag_max']:6.1f} ms, "
                  f"flush p50/p99 {row['flush_p50']:5.2f} / {row['flush_p99']:5.2f} ms, "
                  f"recv {row['recv_per_s']:,.0f}/s (sent {row['sent_per_s']:,.0f}/s), "
                  f"backfill busy {row['active_pct']:.0f}% of it, {row['loaded']} symbols "
                  f"loaded, {row['calls']} REST pages, then {row['progress']}; "
                  f"{row['stalls_50ms']} lags > 50 ms{': ' + worst if worst else ''}")  # fmt: skip
            if row["stall_stacks"]:
                print("    where the loop was during stalls > 50 ms (sampled every 5 ms):")
            for ms, outer, inner, leaf in row["stall_stacks"]:
                print(f"      ~{ms:5.0f} ms in {leaf} <- {inner} <- ... {outer}")
            for ms, parts in row["worst_stall_stacks"]:
                print(f"    a {ms:.0f} ms stall: {' | '.join(parts)}")
    names = list(runs[0]["phases"])
    med = {n: {k: statistics.median(r["phases"][n][k] for r in runs) for k in COMPARE_KEYS}
           for n in names}  # fmt: skip
    print(f"medians of {len(runs)} run(s) (ms; ratio = phase / no backfill):")
    print(f"{'':28} {'secs':>5} {'lag50':>6} {'lag99':>6} {'lagmax':>7} {'fl50':>6} {'fl99':>6} "
          f"{'w2c50':>6} {'w2c99':>6} {'cpu%':>5} {'recv/s':>8} {'busy%':>5} {'loaded':>6} "
          f"{'pages':>5} {'>50ms':>5}")  # fmt: skip
    for n in names:
        m = med[n]
        print(f"{PHASE_LABELS[n]:28} {m['seconds']:5.1f} {m['lag_p50']:6.1f} {m['lag_p99']:6.1f} "
              f"{m['lag_max']:7.1f} {m['flush_p50']:6.2f} {m['flush_p99']:6.2f} "
              f"{m['w2c_p50']:6.1f} {m['w2c_p99']:6.1f} {m['cpu']:5.0f} {m['recv_per_s']:8,.0f} "
              f"{m['active_pct']:5.0f} {m['loaded']:6.0f} {m['calls']:5.0f} "
              f"{m['stalls_50ms']:5.0f}")  # fmt: skip
    print("paints (ms; the table's viewport and the detail chart, timed around the paint):")
    for n in names:
        m = med[n]
        print(f"{PHASE_LABELS[n]:28} table p50/p99 {m['paint_p50']:5.1f} / {m['paint_p99']:5.1f} "
              f"({m['paints_per_s']:4.1f}/s), chart p50/p99 {m['chart_p50']:5.1f} / "
              f"{m['chart_p99']:5.1f} ({m['charts_per_s']:4.1f}/s), simulator cpu "
              f"{m['sim_cpu']:3.0f}%")  # fmt: skip
    base = med["none"]
    for n in names:
        if n == "none":
            continue
        ratio = {k: med[n][k] / base[k] if base[k] else float("nan")
                 for k in ("lag_p50", "lag_p99", "flush_p50", "flush_p99")}  # fmt: skip
        print(f"ratio {PHASE_LABELS[n]} / no backfill: lag p50 x{ratio['lag_p50']:.2f}, "
              f"lag p99 x{ratio['lag_p99']:.2f}, flush p50 x{ratio['flush_p50']:.2f}, "
              f"flush p99 x{ratio['flush_p99']:.2f}")  # fmt: skip
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


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
    universe: int,
    rate: float,
    seconds: float,
    tree: str | None,
    encoding: str,
    feed: str = "iex",
) -> dict[str, Any]:
    """One step in a fresh process; `tree` = another checkout's app (same-run baseline)."""
    cmd = [sys.executable, __file__, "--step", f"{universe}:{rate}", "--seconds", str(seconds),
           "--encoding", encoding, "--step-feed", feed]  # fmt: skip
    # Always this tree or TREE first on the path: an editable install would otherwise
    # import whichever checkout it points at.
    env = dict(os.environ, PYTHONPATH=tree or str(ROOT))
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
    parser.add_argument("--symbols", help="default 50,1000,10000 (--backfill-compare: 1000)")
    parser.add_argument("--rates", help=f"default {DEFAULT_RATES} (--backfill-compare: 5000)")
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
    parser.add_argument("--backfill-compare", action="store_true",
                        help="the first --symbols / --rates step, in one app run: windows "
                        "during the launch's history backfill, after it (none), and during a "
                        "backfill of --extra more symbols; lag and flush side by side")  # fmt: skip
    parser.add_argument("--extra", type=int, default=500,
                        help="--backfill-compare: symbols' history asked after the "
                        "baseline")  # fmt: skip
    parser.add_argument("--warmup", type=float, default=1.0,
                        help="--backfill-compare: seconds streaming before the first "
                        "window")  # fmt: skip
    parser.add_argument("--feed", default="sip", choices=("iex", "sip"),
                        help="--backfill-compare: the app's feed; sip = Algo Trader Plus (every "
                        "symbol streams, REST budget 10,000/min: the backfill as fast as the "
                        "app takes it), iex = Basic (30 streamed, 200 calls/min)")  # fmt: skip
    parser.add_argument("--max-window", type=float, default=300.0,
                        help="--backfill-compare: a backfill window ends at idle or after "
                        "this")  # fmt: skip
    parser.add_argument("--cpu-control", action="store_true",
                        help="--backfill-compare: also a window with no backfill while another "
                        "process burns a core (the simulator does while it makes history "
                        "pages): CPU contention alone, for comparison")  # fmt: skip
    parser.add_argument("--stall-stacks", action="store_true",
                        help="--backfill-compare: sample where the loop is during stalls "
                        "over 50 ms (a watchdog thread; adds a little load)")  # fmt: skip
    parser.add_argument("--profile", metavar="PATH",
                        help="--backfill-compare: cProfile each window to "
                        "PATH.<run>.<phase> (slows the app: not for the numbers)")  # fmt: skip
    parser.add_argument("--step-feed", default="iex", choices=("iex", "sip"),
                        help="the ramp's feed: iex = Basic plan (30 symbols streamed, the "
                        "rest polled), sip = Algo Trader Plus (every symbol streams: every "
                        "row can change)")  # fmt: skip
    parser.add_argument("--step", help=argparse.SUPPRESS)  # child mode: SYMBOLS:RATE
    parser.add_argument("--compare-step", help=argparse.SUPPRESS)  # SYMBOLS:RATE:EXTRA
    args = parser.parse_args()
    if args.compare_step:
        info = run_compare(args)
        print(json.dumps(info), flush=True)
        return
    if args.backfill_compare:
        if args.no_detail:
            os.environ[NO_DETAIL_ENV] = "1"
        backfill_compare(args)
        return
    args.symbols = args.symbols or "50,1000,10000"
    args.rates = args.rates or DEFAULT_RATES
    if args.step:
        universe, rate = args.step.split(":")
        result = run_step(int(universe), float(rate), args.seconds, args.encoding, args.step_feed)
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
                runs = [child(universe, rate, args.seconds, tree, encoding, args.step_feed)
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
