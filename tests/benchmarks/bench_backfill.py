"""History backfill (engine.net.backfill) on the Basic plan against an in-process simulator.

Run: .venv/bin/python tests/benchmarks/bench_backfill.py [--runs 5] [--big-runs 1]
     [--sim-process]

The simulator listens on 127.0.0.1 in this process (plan basic, REST limit 200 calls a
minute per key, the real trading day at 2026-11-20 15:00 ET, no live data), and the
client spends one RequestBudget of 200 a minute, as the app does on Basic. Printed:
- 500 symbols: seconds from the first request until every symbol is LOADED, the REST
  calls (pages) made, and the floor those calls cost at 200 a minute (the budget lets 20
  go at once, then 180 over each minute: floor = max(0, calls - 20) / 3 s; the plain
  calls / 200 minutes is printed too), and the loop stalls seen by a monitor task
  (p99 and longest; client and simulator share the loop here, so they bound both);
  with --sim-process also against `tickerdesk-sim` in a child process (the simulator's
  page generation then runs on the other core, as Alpaca's would be elsewhere);
- 10 symbols: seconds until their history is loaded (median of --runs);
- the decode of one 10,000-bar page: whole (decode_bars_page) and the longest slice of
  the cooperative decode (decode_bars_page_async), medians of 20.
Numbers only, no assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

import msgspec
from benchstats import percentile

from engine.config import Credentials
from engine.events import BarKind
from engine.market.calendar import EASTERN, to_ns
from engine.market.history import PriceHistory
from engine.market.history_load import HistoryLoad
from engine.market.store import MarketDataStore
from engine.net.backfill import Backfill, BackfillProgress
from engine.net.bars import BarsClient, decode_bars_page, decode_bars_page_async
from engine.net.budget import BASIC_CALLS_PER_MINUTE, RequestBudget
from engine.net.rest import RestClient, RestConfig
from engine.protocol.timestamps import format_rfc3339_ns
from engine.simulator import Plan, Simulator, SimulatorConfig

TIMEOUT_S = 600.0
ROOT = Path(__file__).resolve().parents[2]
NOW = to_ns(datetime(2026, 11, 20, 15, 0, tzinfo=EASTERN))  # a Friday, regular session
SYMBOLS = sorted({"".join(chr(65 + (i // 26**k) % 26) for k in range(3)) for i in range(500)})


async def one_backfill(count: int, rest_url: str | None = None) -> Figures:
    """One backfill of `count` symbols; against `rest_url` (a simulator in another
    process) or an in-process simulator."""
    symbols = SYMBOLS[:count]
    if rest_url is not None:
        # The child's clock started at NOW a moment before its URL was read: this one
        # runs a little behind it, so it never asks for data the server calls recent.
        t0 = time.monotonic_ns()
        return await _backfill(symbols, rest_url, lambda: NOW + time.monotonic_ns() - t0, None)
    cfg = SimulatorConfig(seed=5, rate=0.0, day=True, plan=Plan.FREE, start_ns=NOW,
                          rest_limit=BASIC_CALLS_PER_MINUTE, symbols=tuple(symbols))  # fmt: skip
    async with Simulator(cfg) as sim:
        return await _backfill(symbols, sim.rest_url, sim.clock.now_ns, sim)


async def _backfill(
    symbols: list[str], url: str, now_ns: Callable[[], int], sim: Simulator | None
) -> Figures:
    budget = RequestBudget(BASIC_CALLS_PER_MINUTE)
    rest = RestClient(RestConfig(url, "iex", Credentials("K", "S")), budget=budget)
    history, store = PriceHistory(), MarketDataStore()
    store.watch(symbols)
    finished = asyncio.Event()

    def on_progress(progress: BackfillProgress) -> None:
        if progress.total == len(symbols) and progress.done == progress.total:
            finished.set()

    backfill = Backfill(BarsClient(rest), history, store, now_ns, False, on_progress=on_progress)
    stalls: list[float] = []
    done = False

    async def monitor() -> None:
        last = time.perf_counter()
        while not done:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            stalls.append(now - last - 0.001)
            last = now

    watcher = asyncio.create_task(monitor())
    try:
        t0 = time.perf_counter()
        backfill.start()
        backfill.request(symbols)
        try:
            async with asyncio.timeout(TIMEOUT_S):
                await finished.wait()
        except TimeoutError:
            print(f"  did not finish in {TIMEOUT_S:.0f} s: {backfill.progress.text()}, "
                  f"last error {backfill.last_error}")  # fmt: skip
        took = time.perf_counter() - t0
    finally:
        done = True
        await watcher
        await backfill.stop()
        await rest.aclose()
    empty = sum(1 for s in symbols if backfill.state(s) is not HistoryLoad.LOADED)
    if empty:
        print(f"  note: {empty} symbols done but not LOADED (EMPTY)")
    served = sim.stats.rest_requests if sim is not None else -1
    limited = sim.stats.rest_rate_limited if sim is not None else -1
    p99, worst = percentile(stalls, 0.99), max(stalls, default=0.0)
    return Figures(took, backfill.calls, served, limited, p99, worst)


class Figures(NamedTuple):
    seconds: float  # first request to every symbol LOADED
    calls: int  # pages the backfill asked for
    served: int  # requests the simulator saw (-1: another process)
    limited: int  # of those, answered 429
    stall_p99: float
    stall_max: float


@contextlib.contextmanager
def sim_process(count: int) -> Iterator[str]:
    """`tickerdesk-sim` in a child process (plan free, 200 calls a minute); its REST URL."""
    start = datetime.fromtimestamp(NOW / 1e9, EASTERN).isoformat()
    cmd = [sys.executable, "-m", "engine.simulator", "--port", "0", "--seed", "5",
           "--rate", "0", "--plan", "free", "--rest-limit", str(BASIC_CALLS_PER_MINUTE),
           "--session", "day", "--start", start, "--symbols", ",".join(SYMBOLS[:count]),
           "--log-level", "WARNING"]  # fmt: skip
    # No key configured: the simulator accepts any non-empty credentials.
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert proc.stdout is not None
        proc.stdout.readline()  # the websocket URL
        yield proc.stdout.readline().strip()
    finally:
        proc.terminate()
        proc.wait(10)


def page_body() -> bytes:
    bar = {"o": 10.0, "h": 10.5, "l": 9.5, "c": 10.1, "v": 1234, "n": 12, "vw": 10.05}
    start = to_ns(datetime(2026, 11, 20, 4, 0, tzinfo=EASTERN))
    rows = {s: [{**bar, "t": format_rfc3339_ns(start + i * 60 * 10**9)} for i in range(100)]
            for s in SYMBOLS[:100]}  # fmt: skip
    return msgspec.json.encode({"bars": rows, "next_page_token": "x"})


def decode_figures(runs: int = 20) -> tuple[float, float]:
    """(median ms of the whole decode, median ms of the longest slice of the async one)."""
    body = page_body()
    whole = []
    for _ in range(runs):
        t0 = time.perf_counter()
        decode_bars_page(body, BarKind.MINUTE)
        whole.append(time.perf_counter() - t0)

    async def sliced() -> float:
        longest = 0.0
        last = time.perf_counter()
        done = False

        async def monitor() -> None:
            nonlocal longest, last
            while not done:
                await asyncio.sleep(0)
                now = time.perf_counter()
                longest = max(longest, now - last)
                last = now

        task = asyncio.create_task(monitor())
        await asyncio.sleep(0)
        last = time.perf_counter()
        await decode_bars_page_async(body, BarKind.MINUTE)
        done = True
        await task
        return longest

    slices = [asyncio.run(sliced()) for _ in range(runs)]
    return statistics.median(whole) * 1e3, statistics.median(slices) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of the 10-symbol case")
    parser.add_argument("--big-runs", type=int, default=1, help="runs of the 500-symbol case")
    parser.add_argument(
        "--sim-process", action="store_true", help="also 500 symbols, tickerdesk-sim in a child"
    )
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()[0]:.2f}")
    whole_ms, slice_ms = decode_figures()
    print(f"decode of a 10,000-bar page (100 symbols x 100 bars): whole {whole_ms:.1f} ms; "
          f"cooperative, longest slice {slice_ms:.2f} ms")  # fmt: skip
    small = [asyncio.run(one_backfill(10)) for _ in range(args.runs)]
    print(f"10 symbols: history loaded in {statistics.median(r.seconds for r in small):.3f} s "
          f"(median of {args.runs}; {small[0].calls} calls; loop stall p99 "
          f"{statistics.median(r.stall_p99 for r in small) * 1e3:.1f} ms, longest "
          f"{statistics.median(r.stall_max for r in small) * 1e3:.1f} ms)")  # fmt: skip
    for _ in range(args.big_runs):
        report("in-process simulator", asyncio.run(one_backfill(500)))
    if args.sim_process:
        with sim_process(500) as url:
            report("simulator in another process", asyncio.run(one_backfill(500, url)))


def report(where: str, f: Figures) -> None:
    burst = BASIC_CALLS_PER_MINUTE // 10  # RequestBudget's burst
    floor_s = max(0, f.calls - burst) / ((BASIC_CALLS_PER_MINUTE - burst) / 60)
    served = f" (server saw {f.served}, {f.limited} answered 429)" if f.served >= 0 else ""
    print(f"500 symbols, Basic (200 calls/min), {where}: every symbol LOADED in "
          f"{f.seconds:.1f} s; {f.calls} REST calls{served}; floor {floor_s:.1f} s with the "
          f"budget's burst of {burst} (calls / 200 per minute = "
          f"{f.calls / BASIC_CALLS_PER_MINUTE * 60:.1f} s); loop stall p99 "
          f"{f.stall_p99 * 1e3:.1f} ms, longest {f.stall_max * 1e3:.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
