"""History backfill (engine.net.backfill) on the Basic plan against an in-process simulator.

Run: .venv/bin/python tests/benchmarks/bench_backfill.py [--runs 5] [--big-runs 1]

The simulator listens on 127.0.0.1 in this process (plan basic, REST limit 200 calls a
minute per key, the real trading day at 2026-11-20 15:00 ET, no live data), and the
client spends one RequestBudget of 200 a minute, as the app does on Basic. Printed:
- 500 symbols: seconds from the first request until every symbol is LOADED, the REST
  calls (pages) made, and the floor those calls cost at 200 a minute (the budget lets 20
  go at once, then 180 over each minute: floor = max(0, calls - 20) / 3 s; the plain
  calls / 200 minutes is printed too), and the loop stalls seen by a monitor task
  (p99 and longest; client and simulator share the loop here, so they bound both);
- 10 symbols: seconds until their history is loaded (median of --runs);
- the decode of one 10,000-bar page: whole (decode_bars_page) and the longest slice of
  the cooperative decode (decode_bars_page_async), medians of 20.
Numbers only, no assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from datetime import datetime

import msgspec
from benchstats import percentile

from engine.config import Credentials
from engine.events import BarKind
from engine.market.calendar import EASTERN, to_ns
from engine.market.history import PriceHistory
from engine.market.history_load import HistoryLoad
from engine.market.store import MarketDataStore
from engine.net.backfill import Backfill
from engine.net.bars import BarsClient, decode_bars_page, decode_bars_page_async
from engine.net.budget import BASIC_CALLS_PER_MINUTE, RequestBudget
from engine.net.rest import RestClient, RestConfig
from engine.protocol.timestamps import format_rfc3339_ns
from engine.simulator import Plan, Simulator, SimulatorConfig

NOW = to_ns(datetime(2026, 11, 20, 15, 0, tzinfo=EASTERN))  # a Friday, regular session
SYMBOLS = sorted({"".join(chr(65 + (i // 26**k) % 26) for k in range(3)) for i in range(500)})


async def one_backfill(count: int) -> tuple[float, int, int, int, float, float]:
    """(seconds to all LOADED, calls, server requests, 429s, loop stall p99 s, max s)."""
    symbols = SYMBOLS[:count]
    cfg = SimulatorConfig(seed=5, rate=0.0, day=True, plan=Plan.FREE, start_ns=NOW,
                          rest_limit=BASIC_CALLS_PER_MINUTE, symbols=tuple(symbols))  # fmt: skip
    async with Simulator(cfg) as sim:
        budget = RequestBudget(BASIC_CALLS_PER_MINUTE)
        rest = RestClient(RestConfig(sim.rest_url, "iex", Credentials("K", "S")), budget=budget)
        history, store = PriceHistory(), MarketDataStore()
        store.watch(symbols)
        backfill = Backfill(BarsClient(rest), history, store, sim.clock.now_ns, sip_recent=False)
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
            while backfill.progress.done < count:
                await asyncio.sleep(0.01)
            took = time.perf_counter() - t0
        finally:
            done = True
            await watcher
            await backfill.stop()
            await rest.aclose()
        loaded = sum(1 for s in symbols if backfill.state(s) is HistoryLoad.LOADED)
        if loaded != count:
            print(f"  note: {count - loaded} symbols done but not LOADED (EMPTY)")
        stats = sim.stats
        p99, worst = percentile(stalls, 0.99), max(stalls, default=0.0)
        return took, backfill.calls, stats.rest_requests, stats.rest_rate_limited, p99, worst


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
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()[0]:.2f}")
    whole_ms, slice_ms = decode_figures()
    print(f"decode of a 10,000-bar page (100 symbols x 100 bars): whole {whole_ms:.1f} ms; "
          f"cooperative, longest slice {slice_ms:.2f} ms")  # fmt: skip
    small = [asyncio.run(one_backfill(10)) for _ in range(args.runs)]
    print(f"10 symbols: history loaded in {statistics.median(r[0] for r in small):.3f} s "
          f"(median of {args.runs}; {small[0][1]} calls; loop stall p99 "
          f"{statistics.median(r[4] for r in small) * 1e3:.1f} ms, longest "
          f"{statistics.median(r[5] for r in small) * 1e3:.1f} ms)")  # fmt: skip
    for _ in range(args.big_runs):
        took, calls, served, limited, p99, stall = asyncio.run(one_backfill(500))
        floor_s = max(0, calls - BASIC_CALLS_PER_MINUTE // 10) / (
            (BASIC_CALLS_PER_MINUTE - BASIC_CALLS_PER_MINUTE // 10) / 60
        )
        print(f"500 symbols (Basic, 200 calls/min): every symbol LOADED in {took:.1f} s; "
              f"{calls} REST calls (server saw {served}, {limited} answered 429); floor "
              f"{floor_s:.1f} s with the budget's burst of 20 "
              f"(calls / 200 per minute = {calls / BASIC_CALLS_PER_MINUTE * 60:.1f} s); "
              f"loop stall p99 {p99 * 1e3:.1f} ms, longest {stall * 1e3:.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
