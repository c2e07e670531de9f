"""Start-up: launch of the demo to the first live row painted, and to full history.

Both run the demo at a FIXED regular-session moment (--demo-at, default 2026-11-20 11:00
ET, a Friday) so the numbers do not depend on today's date or the time of day: the
embedded simulator lives that trading day, and its REST bars start at 04:00 ET of it.
The watchlist is the default one (a fresh settings file: engine.config.DEFAULT_SYMBOLS,
10 symbols). Offscreen platform, TICKERDESK_TRACE_STARTUP=1 (gui/startup_trace.py prints
when the table first paints a row holding stream data). Per run, two launches:

1. As before: `python -m gui --demo-at T --smoke-test` to the first live row painted:
   outside = launch (just before exec) to that stdout line, timed here; inside = the
   app's own figure, from the kernel's process start time (~10 ms grain); and the whole
   smoke run to exit.
2. History: this script's child mode builds the app as gui.app.main does (QApplication,
   qasync loop, gui.runtime.Runtime, window shown) and times, from the Runtime.start()
   call (and from process start, ~10 ms grain, and from launch as seen here), the first
   live row painted (the same startup_trace watcher) and "history full": every symbol's
   history LOADED (engine.market.history_load.HistoryLoad), its minute bars (what the
   detail chart draws, gui/detail/chart_data.py) starting at the session's first bar
   (within 30 minutes of 04:00 ET: pre-market is thin) and its sparkline covering its
   whole window. Polled every 5 ms. Afterwards it checks the first minute against the
   simulator's own first bar of the day and reads the REST calls the backfill made
   (Runtime.rest.backfill.calls).

Plus the time to a bare `import gui.runtime` (interpreter + PySide6 + our modules).

Bytecode: a user's second launch reads compiled modules from __pycache__ (pip writes
them at install; an editable install's first run does). A shell with
PYTHONDONTWRITEBYTECODE=1 (this project's dev containers) would instead compile every
module of both trees at every launch, ~0.3 s of the figure that no user pays; so the
children run with bytecode written to a temporary PYTHONPYCACHEPREFIX (outside the
trees), warmed by one untimed launch of each tree. --no-bytecode-cache measures the
compile-every-time launch instead.
Medians of --runs (default 5). Numbers only, no assertions. Loopback only (the demo's
simulator listens on 127.0.0.1).

With --baseline TREE (e.g. a `git worktree add /tmp/base e9a1d70`), every run also
launches TREE's app the same two ways (its `gui` and `engine` on PYTHONPATH, cwd TREE),
interleaved with this tree's, and the medians of both are printed side by side.

Run: .venv/bin/python tests/benchmarks/bench_startup.py [--runs 5] [--demo-at TIME]
         [--baseline TREE]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "startup: first live row painted"
HISTORY_PREFIX = "bench: history full"
BREAKDOWN = "startup: breakdown"  # gui.startup_trace: the marks on the way
BREAKDOWNS: dict[Path, list[str]] = {}
DEMO_AT = "2026-11-20T11:00-05:00"  # a Friday, regular session
PRE_OPEN_SLACK_MIN = 30  # the first pre-market print may come a few minutes after 04:00
POLL_S = 0.005
HISTORY_TIMEOUT_S = 60.0


_PYCACHE: str | None = None  # main() sets it: the children's bytecode folder


def _env(tree: Path = ROOT) -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", TICKERDESK_TRACE_STARTUP="1")
    if _PYCACHE is not None:  # compiled once, read at every launch (see the docstring)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = _PYCACHE
    if tree != ROOT:
        env["PYTHONPATH"] = str(tree)  # that tree's gui and engine, not the editable install
    for name in ("APCA_API_KEY_ID", "APCA_API_SECRET_KEY", "ALPACA_API_KEY", "ALPACA_API_SECRET"):
        env.pop(name, None)  # demo mode regardless of the caller's credentials
    return env


def one_run(settings: Path, demo_at: str, tree: Path = ROOT) -> tuple[float, float, float]:
    """(outside s, inside s, whole smoke run s) for one `python -m gui` launch."""
    cmd = [sys.executable, "-m", "gui", "--demo-at", demo_at, "--smoke-test",
           "--settings", str(settings)]  # fmt: skip
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            cwd=tree, env=_env(tree))  # fmt: skip
    assert proc.stdout is not None
    outside = inside = float("nan")
    for line in proc.stdout:
        if line.startswith(PREFIX):
            outside = time.perf_counter() - t0
            inside = float(line.split()[5])
        elif line.startswith(BREAKDOWN):
            BREAKDOWNS.setdefault(tree, []).append(line[len(BREAKDOWN) :].strip())
    proc.wait(60)
    return outside, inside, time.perf_counter() - t0


def history_run(settings: Path, demo_at: str, tree: Path = ROOT) -> dict[str, Any]:
    """One launch of this script's child mode; its figures plus launch-relative ones."""
    cmd = [sys.executable, __file__, "--child", "--settings", str(settings), "--demo-at", demo_at]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=tree, env=_env(tree))  # fmt: skip
    assert proc.stdout is not None
    row: dict[str, Any] = {"launch_row": math.nan, "launch_history": math.nan}
    for line in proc.stdout:
        if line.startswith(PREFIX):
            row["launch_row"] = time.perf_counter() - t0
        elif line.startswith(HISTORY_PREFIX):
            row["launch_history"] = time.perf_counter() - t0
        elif line.startswith("{"):
            row.update(json.loads(line))
    _, err = proc.communicate(timeout=60)
    if "start_row" not in row:
        raise RuntimeError(f"history child failed:\n{err[-2000:]}")
    return row


def import_time() -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import gui.runtime"], check=True, cwd=ROOT,
                   env=_env())  # fmt: skip
    return time.perf_counter() - t0


# --- child mode: the app, timed from inside ---------------------------------------------


def child(settings: Path, demo_at: str) -> None:
    """gui.app.main's set-up (QApplication, then qasync's loop), then the timed start."""
    import asyncio

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    import qasync

    result = asyncio.run(_timed_start(settings, demo_at), loop_factory=qasync.QEventLoop)
    app.processEvents()
    print(json.dumps(result), flush=True)


def _history_full(runtime: Any, symbols: list[str], pre_open_ns: int) -> bool:
    from engine.market.history_load import HistoryLoad

    history = runtime.parts.history
    window_ns = int(history.window_s * 1e9)
    for symbol in symbols:
        hist = history.get(symbol)
        if hist is None or hist.load is not HistoryLoad.LOADED or not len(hist.bars):
            return False
        if hist.bars.times[0] >= pre_open_ns + PRE_OPEN_SLACK_MIN * 60 * 10**9:
            return False  # the chart does not reach back to the session's start
        buckets, _ = hist.prices.points()
        if not buckets or (buckets[-1] - buckets[0] + 1) * history.bucket_ns < window_ns - 60e9:
            return False  # the sparkline is not full (a minute of slack: bar closes)
    return True


async def _first_sim_minute(rest_url: str, symbol: str, pre_open_ns: int, end_ns: int) -> int:
    """The simulator's own first 1Min bar of the day for `symbol` (after the timing)."""
    import httpx

    from engine.protocol.timestamps import format_rfc3339_ns, parse_rfc3339_ns

    params = {
        "symbols": symbol, "timeframe": "1Min", "limit": "1", "feed": "sip",
        "start": format_rfc3339_ns(pre_open_ns), "end": format_rfc3339_ns(end_ns),
    }  # fmt: skip
    keys = {"APCA-API-KEY-ID": "k", "APCA-API-SECRET-KEY": "s"}  # the demo takes any key
    async with httpx.AsyncClient(base_url=rest_url) as client:
        reply = await client.get("/v2/stocks/bars", params=params, headers=keys)
        reply.raise_for_status()
        bars = (reply.json()["bars"] or {}).get(symbol, [])
    return parse_rfc3339_ns(bars[0]["t"]) if bars else -1


async def _timed_start(settings: Path, demo_at: str) -> dict[str, Any]:
    import asyncio
    from datetime import datetime

    from engine.demo import DemoOptions, parse_demo_at
    from engine.market.calendar import EASTERN
    from gui import startup_trace
    from gui.detail.chart_data import build_series
    from gui.runtime import Runtime, RuntimeOptions

    class Watcher(startup_trace.FirstRowWatcher):
        """The app's first-live-row watcher, also noting this clock when it reports."""

        at: float | None = None

        def eventFilter(self, watched: Any, event: Any) -> bool:
            before = self.reported_at
            handled = super().eventFilter(watched, event)
            if before is None and self.reported_at is not None:
                self.at = time.perf_counter()
            return handled

    start_ns = parse_demo_at(demo_at)
    day = datetime.fromtimestamp(start_ns / 1e9, EASTERN).date()
    pre_open_ns = int(datetime(day.year, day.month, day.day, 4, tzinfo=EASTERN).timestamp()) * 10**9
    options = RuntimeOptions(demo=True, settings_path=settings,
                             demo_clock=DemoOptions(start_ns=start_ns))  # fmt: skip
    runtime = Runtime(options, asyncio.Event())
    age0 = startup_trace.process_age_s()
    t0 = time.perf_counter()
    try:
        await runtime.start()
        started = time.perf_counter()
        assert runtime.window is not None
        watcher = Watcher(runtime)
        runtime.window.model.flushed.connect(watcher.on_flushed)
        runtime.window.table.viewport().installEventFilter(watcher)
        symbols = runtime.window_symbols()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + HISTORY_TIMEOUT_S
        full_at = math.nan
        full_age = math.nan
        while loop.time() < deadline:
            if math.isnan(full_at) and _history_full(runtime, symbols, pre_open_ns):
                full_at, full_age = time.perf_counter(), startup_trace.process_age_s()
                print(f"{HISTORY_PREFIX} {full_age:.3f} s after process start", flush=True)
            if not math.isnan(full_at) and watcher.at is not None:
                break
            await asyncio.sleep(POLL_S)
        backfill = runtime.rest.backfill
        calls = backfill.calls if backfill is not None else -1
        # After the timing: is the chart's first minute the simulator's first bar?
        history = runtime.parts.history
        exact = 0
        first_et: list[str] = []
        assert runtime.simulator is not None
        for symbol in symbols:
            hist = history.get(symbol)
            if hist is None or not len(hist.bars):
                continue
            served = await _first_sim_minute(runtime.simulator.rest_url, symbol, pre_open_ns,
                                             hist.bars.times[-1] + 1)  # fmt: skip
            exact += served == hist.bars.times[0]
            series = build_series(hist, 1, runtime.exchange_ns())
            if len(series):
                first = series.t[series.today]
                first_et.append(datetime.fromtimestamp(first / 1e9, EASTERN).strftime("%H:%M"))
        progress = runtime.rest.progress()
    finally:
        await runtime.close()
    row_at = watcher.at if watcher.at is not None else math.nan
    return {
        "symbols": len(symbols),
        "start_call": started - t0,  # how long `await runtime.start()` itself took
        "start_row": row_at - t0,
        "start_history": full_at - t0,
        "age_at_start": age0,
        "age_row": watcher.reported_at if watcher.reported_at is not None else math.nan,
        "age_history": full_age,
        "calls": calls,
        "progress": progress.text() if progress is not None else "no backfill",
        "exact_first_minute": exact,
        "chart_first_candle_et": sorted(set(first_et)),
    }


def _median(rows: list[dict[str, Any]], key: str) -> float:
    values = [float(r[key]) for r in rows if not math.isnan(float(r[key]))]
    return statistics.median(values) if values else math.nan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--demo-at", default=DEMO_AT,
                        help=f"the demo's simulated moment (default {DEMO_AT})")  # fmt: skip
    parser.add_argument("--baseline", type=Path,
                        help="another checkout (e.g. a git worktree of today's main), "
                             "launched the same way in the same runs")  # fmt: skip
    parser.add_argument("--no-bytecode-cache", action="store_true",
                        help="compile every module at every launch (the old way of measuring "
                             "under PYTHONDONTWRITEBYTECODE=1)")  # fmt: skip
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--settings", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.settings, args.demo_at)
        return
    print(f"load average: {os.getloadavg()[0]:.2f}, cores: {os.cpu_count()}")
    print(f"demo at a fixed moment: {args.demo_at} (--demo-at), default watchlist, offscreen")
    rows = []
    hist_rows: list[dict[str, Any]] = []
    global _PYCACHE
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_bytecode_cache:
            _PYCACHE = str(Path(tmp) / "pycache")
        print("bytecode: " + ("compiled at every launch (--no-bytecode-cache)"
                              if _PYCACHE is None else f"cached in {_PYCACHE}"))  # fmt: skip
        import_time()  # warm the OS file cache and __pycache__ once, like a second launch
        for tree in (ROOT, args.baseline):  # and every module a launch imports, untimed
            if tree is not None:
                one_run(Path(tmp) / "warm.ini", args.demo_at, tree)
        BREAKDOWNS.clear()
        imports = [import_time() for _ in range(args.runs)]
        base_rows: list[tuple[float, float, float]] = []
        base_hist: list[dict[str, Any]] = []
        for i in range(args.runs):  # interleaved: both see the same load
            if args.baseline is not None:  # first on odd runs, second on even: no order bias
                base_first = i % 2 == 1
                if base_first:
                    base_rows.append(one_run(Path(tmp) / f"b{i}.ini", args.demo_at, args.baseline))
                    base_hist.append(history_run(Path(tmp) / f"bh{i}.ini", args.demo_at,
                                                 args.baseline))  # fmt: skip
            rows.append(one_run(Path(tmp) / f"startup{i}.ini", args.demo_at))
            hist_rows.append(history_run(Path(tmp) / f"history{i}.ini", args.demo_at))
            if args.baseline is not None and not base_first:
                base_rows.append(one_run(Path(tmp) / f"b{i}.ini", args.demo_at, args.baseline))
                base_hist.append(history_run(Path(tmp) / f"bh{i}.ini", args.demo_at,
                                             args.baseline))  # fmt: skip
    for i, (outside, inside, whole) in enumerate(rows, 1):
        print(f"run {i}: first live row {outside:.3f} s (app's own figure {inside:.3f} s), "
              f"smoke run to exit {whole:.3f} s")  # fmt: skip
    med = [statistics.median(r[i] for r in rows) for i in range(3)]
    print(f"median of {args.runs}: launch -> first live row painted {med[0]:.3f} s "
          f"(app's own figure {med[1]:.3f} s); import gui.runtime "
          f"{statistics.median(imports):.3f} s; smoke run to exit {med[2]:.3f} s")  # fmt: skip
    print("history (child mode, same launch: first live row vs every symbol's history full):")
    for i, r in enumerate(hist_rows, 1):
        print(f"run {i}: {r['symbols']} symbols; from Runtime.start(): first live row "
              f"{r['start_row']:.3f} s, history full {r['start_history']:.3f} s; from process "
              f"start: {r['age_row']:.2f} s / {r['age_history']:.2f} s; from launch: "
              f"{r['launch_row']:.3f} s / {r['launch_history']:.3f} s; start() itself "
              f"{r['start_call']:.3f} s; backfill REST calls {r['calls']}; first minute = "
              f"simulator's first bar for {r['exact_first_minute']}/{r['symbols']}; chart's "
              f"first candle {','.join(r['chart_first_candle_et'])} ET; "
              f"{r['progress']}")  # fmt: skip
    print(f"median of {args.runs} ({hist_rows[0]['symbols']} symbols, demo at {args.demo_at}):")
    for label, key in (("first live row", "row"), ("history full (chart+sparkline)", "history")):
        print(f"  {label:31}: from Runtime.start() {_median(hist_rows, 'start_' + key):.3f} s, "
              f"from process start {_median(hist_rows, 'age_' + key):.3f} s, "
              f"from launch {_median(hist_rows, 'launch_' + key):.3f} s")  # fmt: skip
    print(f"  backfill REST calls: median {_median(hist_rows, 'calls'):.0f} "
          f"(runs: {', '.join(str(r['calls']) for r in hist_rows)}); "
          f"process start -> Runtime.start() call "
          f"{_median(hist_rows, 'age_at_start'):.3f} s")  # fmt: skip
    for tree, lines in BREAKDOWNS.items():  # the way there, per launch (gui.startup_trace)
        print(f"breakdown, {'this tree' if tree == ROOT else tree} (s after process start):")
        for line in lines:
            print(f"  {line}")
    if args.baseline is not None:
        _compare(rows, hist_rows, base_rows, base_hist, args.baseline)


def _compare(rows: list[tuple[float, float, float]], hist: list[dict[str, Any]],
             base_rows: list[tuple[float, float, float]], base_hist: list[dict[str, Any]],
             tree: Path) -> None:  # fmt: skip
    """Medians of this tree and the baseline's, from the same interleaved runs."""
    print(f"\nthis tree vs --baseline {tree} (medians of the same {len(rows)} runs):")
    figures = [
        ("launch -> first live row (outside)", [r[0] for r in rows], [r[0] for r in base_rows]),
        ("  app's own figure (process age)", [r[1] for r in rows], [r[1] for r in base_rows]),
        ("Runtime.start() -> first live row", [r["start_row"] for r in hist],
         [r["start_row"] for r in base_hist]),
        ("process start -> Runtime.start()", [r["age_at_start"] for r in hist],
         [r["age_at_start"] for r in base_hist]),
        ("Runtime.start() -> history full", [r["start_history"] for r in hist],
         [r["start_history"] for r in base_hist]),
    ]  # fmt: skip
    for label, now, base in figures:
        a = statistics.median(v for v in now if not math.isnan(v))
        b = statistics.median(v for v in base if not math.isnan(v))
        print(f"  {label:36}: {a:.3f} s  (baseline {b:.3f} s, {a - b:+.3f} s)")


if __name__ == "__main__":
    main()
