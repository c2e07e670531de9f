"""The simulator's `GET /v2/stocks/bars`: cost of a full page and the longest loop stall.

Run: .venv/bin/python tests/benchmarks/bench_sim_bars.py
Two pages of 10,000 bars for 100 symbols on a real day (2026-11-20 15:00 ET): 1Min from
04:00 ET, and a year of 1Day. For each, the page built as one synchronous call (the
stall before the page build was cooperative) and cooperatively (engine.simulator.
barsroute.bars_page, SLICE_S): total time and the longest time the loop was held, as
seen by a monitor task that yields back to back. Medians of RUNS; no assertions (timing
claims live here, not in tests).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Coroutine
from datetime import datetime
from typing import Any

from engine.market.calendar import EASTERN, to_ns
from engine.simulator.barsroute import SLICE_S, BarSource, BarsQuery, bars_page
from engine.simulator.day import DaySchedule
from engine.simulator.market import Market

RUNS = 5
SYMBOLS = sorted("".join(chr(65 + (i // 26**k) % 26) for k in range(3)) for i in range(100))


def et(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return to_ns(datetime(year, month, day, hour, minute, tzinfo=EASTERN))


NOW = et(2026, 11, 20, 15, 0)
CASES = (("1Min, today from 04:00", 1, et(2026, 11, 20, 4, 0)),
         ("1Day, one year", 0, et(2025, 11, 20)))  # fmt: skip


def _drain(coro: Coroutine[Any, Any, dict[str, Any]]) -> dict[str, Any]:
    """Run the page build to its end without giving the loop a turn (the old one call):
    its `asyncio.sleep(0)` yields come back here and are resumed at once."""
    try:
        while True:
            coro.send(None)
    except StopIteration as stop:
        result: dict[str, Any] = stop.value
        return result


async def one(source: BarSource, q: BarsQuery, cooperative: bool) -> tuple[float, float, int]:
    """(total s, longest stall s, bars) for one page build beside a monitor task."""
    stalls: list[float] = []
    done = False

    async def monitor() -> None:
        last = time.perf_counter()
        while not done:
            await asyncio.sleep(0)
            now = time.perf_counter()
            stalls.append(now - last)
            last = now

    task = asyncio.create_task(monitor())
    await asyncio.sleep(0)
    t0 = time.perf_counter()
    page = await bars_page(source, q) if cooperative else _drain(bars_page(source, q))
    total = time.perf_counter() - t0
    done = True
    await task
    return total, max(stalls), sum(len(v) for v in page["bars"].values())


def main() -> None:
    print(f"{'page':<26}{'mode':<14}{'bars':>7}{'total ms':>10}{'max stall ms':>14}")
    for name, minutes, start in CASES:
        for mode, cooperative in (("one call", False), (f"slices {SLICE_S * 1e3:g} ms", True)):
            totals, stalls, n = [], [], 0
            for _ in range(RUNS):  # a fresh market each run: nothing is cached between
                market = Market(SYMBOLS, seed=5, start_ns=NOW, rate=0.0, schedule=DaySchedule())
                source = BarSource(market, market.live, 5, True)
                q = BarsQuery(SYMBOLS, minutes, start, NOW, 10_000, None)
                total, stall, n = asyncio.run(one(source, q, cooperative))
                totals.append(total)
                stalls.append(stall)
            print(f"{name:<26}{mode:<14}{n:>7}{statistics.median(totals) * 1e3:>10.1f}"
                  f"{statistics.median(stalls) * 1e3:>14.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
