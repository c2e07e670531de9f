"""Simulator throughput: market generation alone, and end to end to one raw client.

Run: /tmp/venv/bin/python tests/benchmarks/bench_simulator.py
Prints medians of several runs; no assertions (timing claims live here, not in tests).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time

from websockets.asyncio.client import connect

from engine.simulator import DEFAULT_SYMBOLS, Simulator, SimulatorConfig
from engine.simulator.market import Market
from engine.simulator.wire import Encoding, encode

RUNS = 5


def bench_generation(steps: int = 200_000) -> tuple[float, float]:
    """(steps/s, JSON-encoded messages/s) for the market alone."""
    market = Market(DEFAULT_SYMBOLS, seed=1, start_ns=time.time_ns(), rate=0.0)
    market.set_active(DEFAULT_SYMBOLS)
    t0 = time.perf_counter()
    messages = market.burst(steps, time.time_ns())
    t1 = time.perf_counter()
    for i in range(0, len(messages), 50):
        encode(messages[i : i + 50], Encoding.JSON)
    t2 = time.perf_counter()
    return steps / (t1 - t0), len(messages) / (t2 - t1)


async def bench_stream(rate: float, seconds: float, compression: bool) -> float:
    """Messages/s a raw client actually receives at the requested rate."""
    config = SimulatorConfig(seed=1, rate=rate, compression=compression)
    async with (
        Simulator(config) as sim,
        connect(
            sim.ws_url + "/v2/sip", compression="deflate" if compression else None, max_queue=None
        ) as ws,
    ):
        await ws.recv()
        await ws.send(json.dumps({"action": "auth", "key": "k", "secret": "s"}))
        await ws.recv()
        await ws.send(json.dumps({"action": "subscribe", "trades": ["*"], "quotes": ["*"]}))
        await ws.recv()
        count = 0
        loop = asyncio.get_running_loop()
        start = loop.time()
        while loop.time() - start < seconds:
            count += len(json.loads(await ws.recv()))
        return count / (loop.time() - start)


def main() -> None:
    gen = [bench_generation() for _ in range(RUNS)]
    print(f"market steps/s (median of {RUNS}): {statistics.median(g[0] for g in gen):,.0f}")
    print(f"JSON encode msgs/s (median of {RUNS}): {statistics.median(g[1] for g in gen):,.0f}")
    for rate in (1_000.0, 20_000.0, 50_000.0):
        for compression in (False, True):
            got = [asyncio.run(bench_stream(rate, 2.0, compression)) for _ in range(3)]
            print(
                f"stream rate {rate:>8,.0f}/s deflate={compression!s:5}: received "
                f"{statistics.median(got):>9,.0f} msgs/s (median of 3, 2 s each)"
            )


if __name__ == "__main__":
    main()
