"""Memory: RSS and Python heap of the real app at 10 / 1,000 / 10,000 symbols over time.

Each size runs in a fresh child process: the app (gui.runtime.Runtime, window shown
offscreen, all symbols in one watchlist) against `python -m engine.simulator` in
another process at --rate msgs/s, for --minutes (default 5). Every --interval seconds
(default 10) it samples RSS (psutil) and the traced Python heap (tracemalloc, started
before the app is built; --no-tracemalloc to skip its ~2x CPU cost). Printed per size:
RSS and heap at the first and last sample, bytes per symbol (against the smallest
size), and the slope of RSS and heap over the samples after the first minute (MB/h:
flat means bounded by symbols, not by time or message count). No assertions.

Run: /tmp/venv/bin/python tests/benchmarks/bench_memory.py [--minutes 5] [--sizes 10,1000,10000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_app_firehose import ROOT, run_with_simulator, wait_streaming


def slope_per_hour(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value) in value units per hour (0 if < 2 points)."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mx = sum(t for t, _ in points) / n
    my = sum(v for _, v in points) / n
    sxx = sum((t - mx) ** 2 for t, _ in points)
    if sxx == 0:
        return 0.0
    return sum((t - mx) * (v - my) for t, v in points) / sxx * 3600


def full_history_bytes(symbols: int = 100) -> float:
    """Heap bytes per symbol of a store + PriceHistory filled to every bound: a trade a
    second per symbol for the whole sparkline window, so the window and the tape are full
    (what a long session at any rate converges to; 5 minutes of streaming is not there)."""
    import gc

    from engine.events import Trade
    from engine.market.history import DEFAULT_WINDOW_S, NS, PriceHistory
    from engine.market.store import MarketDataStore

    history = PriceHistory()
    store = MarketDataStore(clock=lambda: 1.0)
    names = [f"S{i:04d}" for i in range(symbols)]
    store.watch(names)
    store.add_observer(history.on_event)
    t0 = 1_700_000_000 * NS
    tracemalloc.start()
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    for second in range(int(DEFAULT_WINDOW_S) + 1):
        for i, name in enumerate(names):
            price = 100.0 + i + (second % 50) * 0.01
            conditions = tuple("@")  # a fresh tuple per print, as decoded
            trade = Trade(name, price, 100 + second % 300, t0 + second * NS + i,
                          second * 10_000 + i, "V", conditions)  # fmt: skip
            store.apply(trade, 1.0)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return (after - before) / symbols


def run_size(
    size: int, rate: float, minutes: float, interval: float, trace: bool
) -> dict[str, Any]:
    if trace:
        tracemalloc.start()  # before Qt and the app are imported (run_with_simulator)

    def main(ws_url: str, rest_url: str, _sim_pid: int) -> Awaitable[dict[str, Any]]:
        return _sample(size, minutes, interval, trace, ws_url, rest_url)

    return run_with_simulator(rate, size, main)


async def _sample(
    size: int, minutes: float, interval: float, trace: bool, ws_url: str, rest_url: str
) -> dict[str, Any]:
    import psutil  # type: ignore[import-untyped]

    from engine.simulator.universe import synthetic_symbols
    from gui.runtime import Runtime, RuntimeOptions

    me = psutil.Process()
    samples: list[tuple[float, float, float]] = []  # (s, rss MB, heap MB)
    with tempfile.TemporaryDirectory() as tmp:
        options = RuntimeOptions(
            url=ws_url, rest_url=rest_url, symbols=list(synthetic_symbols(size)),
            settings_path=Path(tmp) / "m.ini", env={}, use_keyring=False, show_window=True,
        )  # fmt: skip
        session = Runtime(options, asyncio.Event())
        try:
            await session.start()
            assert session.window is not None
            session.window.resize(1400, 900)
            await wait_streaming(session)
            t0 = time.monotonic()
            end = t0 + minutes * 60
            settled: tracemalloc.Snapshot | None = None
            while True:
                heap = tracemalloc.get_traced_memory()[0] / 2**20 if trace else float("nan")
                samples.append((time.monotonic() - t0, me.memory_info().rss / 2**20, heap))
                if trace and settled is None and samples[-1][0] >= 60:
                    settled = tracemalloc.take_snapshot()  # growth is measured from here
                if time.monotonic() >= end:
                    break
                await asyncio.sleep(min(interval, max(0.0, end - time.monotonic())))
            messages = session.health.messages
            growth: list[str] = []
            if settled is not None:
                diff = tracemalloc.take_snapshot().compare_to(settled, "lineno")
                growth = [str(stat) for stat in diff[:8] if stat.size_diff > 0]
        finally:
            await session.close()
    late = [s for s in samples if s[0] >= 60] or samples
    return {
        "size": size,
        "growth": growth,
        "messages": messages,
        "samples": samples,
        "rss_first": samples[0][1],
        "rss_last": samples[-1][1],
        "heap_first": samples[0][2],
        "heap_last": samples[-1][2],
        "rss_slope": slope_per_hour([(t, r) for t, r, _ in late]),
        "heap_slope": slope_per_hour([(t, h) for t, _, h in late]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,1000,10000")
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=2000.0, help="simulator msgs/s")
    parser.add_argument("--no-tracemalloc", action="store_true")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    trace = not args.no_tracemalloc
    if args.child is not None:
        result = run_size(args.child, args.rate, args.minutes, args.interval, trace)
        print(json.dumps(result), flush=True)
        return
    print(f"load average: {os.getloadavg()[0]:.2f}; {args.minutes} min per size at "
          f"{args.rate:,.0f} msgs/s, sample every {args.interval} s, "
          f"tracemalloc={trace}")  # fmt: skip
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        cmd = [sys.executable, __file__, "--child", str(size), "--minutes", str(args.minutes),
               "--interval", str(args.interval), "--rate", str(args.rate)]  # fmt: skip
        if not trace:
            cmd.append("--no-tracemalloc")
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT,
                             timeout=args.minutes * 60 + 300)  # fmt: skip
        line = next((x for x in reversed(out.stdout.splitlines()) if x.startswith("{")), None)
        if line is None:
            print(f"size {size} failed:\n{out.stderr[-2000:]}")
            continue
        results.append(json.loads(line))
    print(f"{'symbols':>8} {'msgs':>10} {'RSS first':>10} {'RSS last':>9} {'heap first':>10} "
          f"{'heap last':>9} {'RSS MB/h':>9} {'heap MB/h':>9} {'B/symbol':>9}")  # fmt: skip
    base = results[0] if results else None
    for r in results:
        per = ""
        if base is not None and r["size"] > base["size"]:
            per = f"{(r['rss_last'] - base['rss_last']) * 2**20 / (r['size'] - base['size']):,.0f}"
        print(f"{r['size']:>8,} {r['messages']:>10,} {r['rss_first']:>10.1f} {r['rss_last']:>9.1f} "
              f"{r['heap_first']:>10.1f} {r['heap_last']:>9.1f} {r['rss_slope']:>+9.1f} "
              f"{r['heap_slope']:>+9.1f} {per:>9}")  # fmt: skip
    from engine.market.history import DEFAULT_MAX_SYMBOLS

    full = full_history_bytes()
    most = full * DEFAULT_MAX_SYMBOLS / 2**20
    print(f"store + history filled to every bound: {full / 1024:,.1f} KiB per symbol; history "
          f"is kept for at most {DEFAULT_MAX_SYMBOLS:,} symbols: <= {most:,.0f} MiB")  # fmt: skip
    for r in results:
        if r.get("growth"):
            print(f"largest heap growth after the first minute, {r['size']:,} symbols:")
            for line in r["growth"]:
                print(f"  {line}")
    print("RSS/heap in MB; slopes by least squares over samples after the first minute;")
    print("B/symbol = (RSS last - RSS last of the smallest size) / extra symbols")


if __name__ == "__main__":
    main()
