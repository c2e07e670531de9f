"""One REST reconcile of a big account (200 positions, 500 orders) and its cost on the loop.

Run: .venv/bin/python tests/benchmarks/bench_account.py [--runs 7]

The simulator listens on 127.0.0.1 in this process (engine.simulator, its Trading API)
with 210 synthetic symbols. Through its own `POST /v2/orders` (as another app of the
user's would) the account gets 200 positions (a filled market order each) and 500 open
orders (limit buys far below the market; the demo's open orders count). Then
`AccountService.reconcile()` (account, positions, open orders, 100 closed orders, FILL
activities: the read after every reconnect) runs `--runs` times while a 1 ms ticker
coroutine measures its own lateness. Printed, medians over the runs:
- the reconcile's wall time;
- loop lag p99 and the longest stall during it (client and simulator share this loop,
  so the simulator's JSON encoding is included: an upper bound for the client's share);
- the client-only CPU: decoding the 500-order answer (decode_orders) and applying the
  reconcile to the book, outside any I/O.
Numbers only, no assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import string
import time
from itertools import product

import httpx
from benchstats import median_seconds, percentile

from engine.account.book import AccountBook
from engine.account.client import TradingRest
from engine.account.decode import decode_orders
from engine.account.service import AccountService
from engine.account.stream import trading_stream_url
from engine.config import Credentials
from engine.net.budget import RequestBudget
from engine.net.health import StreamHealth
from engine.net.rest import RestClient, RestConfig
from engine.simulator import Simulator, SimulatorConfig

POSITIONS = 200
ORDERS = 500
CREDS = Credentials("PKBENCH", "bench-secret")


def symbols(n: int) -> tuple[str, ...]:
    """Synthetic tickers the simulator lists ("QAAA", "QAAB", ...)."""
    letters = string.ascii_uppercase
    return tuple(
        "Q" + "".join(t) for t, _ in zip(product(letters, repeat=3), range(n), strict=False)
    )


async def fill_account(broker: httpx.AsyncClient, names: tuple[str, ...]) -> tuple[int, int]:
    for symbol in names[:POSITIONS]:
        body = {"symbol": symbol, "qty": 1, "side": "buy", "type": "market", "time_in_force": "gtc"}
        response = await broker.post("/v2/orders", json=body)
        response.raise_for_status()
    # Let the market orders fill (the next ticks), then rest limit orders far below.
    for _ in range(200):
        open_orders = (
            await broker.get("/v2/orders", params={"status": "open", "limit": "500"})
        ).json()
        if not any(o["type"] == "market" for o in open_orders):
            break
        await asyncio.sleep(0.05)
    index = 0
    while len(open_orders) < ORDERS:
        symbol = names[index % len(names)]
        index += 1
        body = {"symbol": symbol, "qty": 1, "side": "buy", "type": "limit", "limit_price": "0.01",
                "time_in_force": "gtc"}  # fmt: skip
        response = await broker.post("/v2/orders", json=body)
        if response.status_code == 403:
            break  # the simulator's open-order limit
        response.raise_for_status()
        open_orders.append(response.json())
    positions = (await broker.get("/v2/positions")).json()
    orders = (await broker.get("/v2/orders", params={"status": "open", "limit": "500"})).json()
    return len(positions), len(orders)


async def ticker(lateness: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        start = time.perf_counter()
        await asyncio.sleep(0.001)
        lateness.append(time.perf_counter() - start - 0.001)


async def main(runs: int) -> None:
    names = symbols(POSITIONS + 10)
    config = SimulatorConfig(seed=11, rate=20.0, symbols=names)
    async with Simulator(config) as sim:
        headers = {"APCA-API-KEY-ID": CREDS.key_id, "APCA-API-SECRET-KEY": CREDS.secret}
        async with httpx.AsyncClient(base_url=sim.rest_url, headers=headers) as broker:
            held, open_count = await fill_account(broker, names)
            orders_body = (
                await broker.get("/v2/orders", params={"status": "open", "limit": "500"})
            ).content
        rest = TradingRest(
            RestClient(RestConfig(sim.rest_url, credentials=CREDS), budget=RequestBudget(10_000))
        )
        book = AccountBook()
        service = AccountService(
            rest, trading_stream_url(sim.ws_url), CREDS, book, StreamHealth(), lambda fill: None
        )
        times: list[float] = []
        p99s: list[float] = []
        worst: list[float] = []
        try:
            await service.reconcile()  # warm: connections, caches
            for _ in range(runs):
                lateness: list[float] = []
                stop = asyncio.Event()
                tick = asyncio.get_running_loop().create_task(ticker(lateness, stop))
                await asyncio.sleep(0.05)
                lateness.clear()
                start = time.perf_counter()
                await service.reconcile()
                times.append(time.perf_counter() - start)
                stop.set()
                await tick
                p99s.append(percentile(lateness, 0.99))
                worst.append(max(lateness, default=0.0))
        finally:
            await rest.aclose()
        print(f"account: {held} positions, {open_count} open orders, "
              f"{len(book.orders)} orders in the book")  # fmt: skip
        print(f"reconcile (5 REST reads, in-process simulator): "
              f"median {statistics.median(times) * 1e3:.1f} ms over {runs} runs")  # fmt: skip
        print(f"loop lag during it: p99 median {statistics.median(p99s) * 1e3:.2f} ms, "
              f"longest stall median {statistics.median(worst) * 1e3:.2f} ms")  # fmt: skip
    decode_s = median_seconds(lambda: decode_orders(orders_body), 20)
    orders, _ = decode_orders(orders_body)
    positions = list(book.positions.values())

    def apply() -> None:
        AccountBook().reconcile(book.account, positions, orders, list(book.fills))

    print(f"client CPU: decode {open_count} orders {decode_s * 1e3:.2f} ms "
          f"({len(orders_body) / 1e3:.0f} kB), book reconcile "
          f"{median_seconds(apply, 20) * 1e3:.2f} ms (medians of 20)")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    asyncio.run(main(parser.parse_args().runs))
