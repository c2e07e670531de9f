"""Gateway fan-out: 1, 3 and 10 raw websocket clients at 10k and 50k msgs/s upstream,
compared in the same run with each client opening its own connection to the simulator.

Run:  .venv/bin/python tests/benchmarks/bench_gateway.py [--quick] [--runs N] [--seconds S]
Prints medians of repeats; no assertions (timing claims live here, not in tests).

Three kinds of process, so the numbers are the serving process's and not a shared loop's:
the simulator (the upstream, SimulatorConfig.rate msgs/s over 10 symbols), the gateway
(StreamClient + Hub + GatewayServer, exactly what `tickerdesk-gateway` runs), and one
client process holding every client on one loop (trades and quotes of all 10 symbols,
decoded with msgspec). Figures:
- delivered: data messages per second per client (median client; min in brackets);
- added p50/p99: client receive time minus the hub's tap time of the same trade (trade
  ids are unique), both time.monotonic() on this machine (CLOCK_MONOTONIC is system-wide);
- e2e p50/p99: client receive wall time minus the trade's exchange timestamp, for both
  modes (includes the simulator's tick batching, the same in both);
- lag p50/p99/max: the serving (gateway) process's event-loop lag, from a 10 ms sleeper.
"Direct" gives every client its own key: the simulator takes any key when none is
configured (SimulatorConfig.key None), and its one-connection limit is per key pair and
endpoint (engine/simulator/slots.py), so distinct keys lift it without changing it.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import statistics
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import msgspec
from benchstats import percentile

RATES = (10_000.0, 50_000.0)
CLIENTS = (1, 3, 10)
SYMBOLS = ("AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "SPY", "QQQ", "AMD")
LAG_TICK_S = 0.010


# --- the simulator process ----------------------------------------------------------------


def simulator_main(pipe: Connection, rate: float) -> None:
    asyncio.run(_simulator(pipe, rate))


async def _simulator(pipe: Connection, rate: float) -> None:
    from engine.simulator import Simulator, SimulatorConfig

    config = SimulatorConfig(seed=7, rate=rate, symbols=SYMBOLS, compression=False)
    async with Simulator(config) as sim:
        pipe.send(sim.ws_url)
        loop = asyncio.get_running_loop()
        while True:
            command = await loop.run_in_executor(None, pipe.recv)
            if command == "mark":
                pipe.send(
                    (time.monotonic(), sim.stats.messages_generated, sim.stats.slow_client_drops)
                )
            else:
                return


# --- the gateway process ------------------------------------------------------------------


def gateway_main(pipe: Connection, upstream: str) -> None:
    asyncio.run(_gateway(pipe, upstream))


async def _gateway(pipe: Connection, upstream: str) -> None:
    from engine.config import Credentials
    from engine.events import Event, Trade
    from engine.gateway.credentials import LocalCredentials
    from engine.gateway.hub import Hub
    from engine.gateway.server import GatewayConfig, GatewayServer
    from engine.market.store import MarketDataStore
    from engine.net.health import StreamHealth
    from engine.net.stream import StreamClient, StreamConfig

    store = MarketDataStore()
    client = StreamClient(
        StreamConfig(url=upstream, feed="iex", credentials=Credentials("bench-gw", "s")),
        store,
        StreamHealth(),
    )
    hub = Hub(client, store, limit=None, free_plan=False, feed="iex")
    server = GatewayServer(hub, LocalCredentials("bench", "bench"), GatewayConfig(port=0))
    seen: dict[int, float] = {}

    def tap(events: list[Event], received_at: float) -> None:
        for event in events:
            if type(event) is Trade:
                seen[event.trade_id] = received_at

    lags: list[tuple[float, float]] = []

    async def lag_probe() -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(LAG_TICK_S)
            now = time.monotonic()
            lags.append((now, max(0.0, loop.time() - before - LAG_TICK_S)))
            if len(lags) > 100_000:
                del lags[:50_000]

    hub.start()
    client.add_tap(tap)
    client.start()
    await server.start()
    probe = asyncio.get_running_loop().create_task(lag_probe())
    pipe.send(server.url)
    loop = asyncio.get_running_loop()
    try:
        window = await loop.run_in_executor(None, pipe.recv)  # (t0, t1) from the clients
        t0, t1 = window
        pipe.send(
            {
                "seen": seen,
                "lag": [lag for at, lag in lags if t0 <= at <= t1],
                "slow_closed": server.stats.slow_closed,
                "conflated": server.stats.conflated,
            }
        )
    finally:
        probe.cancel()
        await server.stop()
        hub.stop()
        await client.stop()


# --- the client process -------------------------------------------------------------------


@dataclass
class ClientResult:
    messages: int = 0
    # (trade id, monotonic receive time, wall receive ns, exchange timestamp text): the
    # timestamp is parsed after the window, so the clients' cost stays at decoding.
    arrivals: list[tuple[int, float, int, str]] = field(default_factory=list)


def clients_main(
    pipe: Connection, url: str, count: int, direct: bool, warmup: float, seconds: float
) -> None:
    pipe.send(asyncio.run(_clients(url, count, direct, warmup, seconds)))


async def _one_client(
    url: str, key: str, secret: str, result: ClientResult, window: list[float], ready: asyncio.Event
) -> None:
    from websockets.asyncio.client import connect

    decoder = msgspec.json.Decoder()
    async with connect(f"{url}/v2/iex", compression=None, max_queue=None, max_size=2**24) as ws:
        await ws.recv()
        await ws.send(msgspec.json.encode({"action": "auth", "key": key, "secret": secret}))
        await ws.recv()
        await ws.send(
            msgspec.json.encode({"action": "subscribe", "trades": SYMBOLS, "quotes": SYMBOLS})
        )
        ready.set()
        while True:
            frame = await ws.recv()
            mono, wall = time.monotonic(), time.time_ns()
            if not window or mono < window[0]:
                continue
            if mono > window[1]:
                return
            for msg in decoder.decode(frame):
                kind = msg.get("T")
                if kind == "t":
                    result.messages += 1
                    result.arrivals.append((msg["i"], mono, wall, msg["t"]))
                elif kind == "q":
                    result.messages += 1


def _ns(text: str) -> int:
    """RFC 3339 with up to 9 fractional digits (Z) -> Unix ns."""
    from datetime import datetime

    head, _, frac = text.removesuffix("Z").partition(".")
    whole = int(datetime.fromisoformat(head + "+00:00").timestamp()) * 1_000_000_000
    return whole + int((frac or "0").ljust(9, "0")[:9])


async def _clients(
    url: str, count: int, direct: bool, warmup: float, seconds: float
) -> dict[str, Any]:
    results = [ClientResult() for _ in range(count)]
    window: list[float] = []
    readies = [asyncio.Event() for _ in range(count)]
    tasks = [
        asyncio.get_running_loop().create_task(
            _one_client(
                url,
                f"bench-direct-{i}" if direct else "bench",
                "s" if direct else "bench",
                results[i],
                window,
                readies[i],
            )
        )
        for i in range(count)
    ]
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 30)
    await asyncio.sleep(warmup)
    start = time.monotonic()
    window.extend((start, start + seconds))
    done, pending = await asyncio.wait(tasks, timeout=seconds + 10)
    for task in pending:
        task.cancel()
    return {
        "window": (start, start + seconds),
        "messages": [r.messages for r in results],
        "arrivals": [
            [(i, mono, wall - _ns(t)) for i, mono, wall, t in r.arrivals] for r in results
        ],
        "failed": sum(1 for t in done if t.exception() is not None),
    }


# --- one scenario ---------------------------------------------------------------------------


@dataclass
class Figures:
    delivered: float
    delivered_min: float
    sim_rate: float
    added_p50: float = float("nan")
    added_p99: float = float("nan")
    e2e_p50: float = float("nan")
    e2e_p99: float = float("nan")
    lag_p50: float = float("nan")
    lag_p99: float = float("nan")
    lag_max: float = float("nan")
    dropped: int = 0


def scenario(rate: float, count: int, direct: bool, warmup: float, seconds: float) -> Figures:
    ctx = mp.get_context("spawn")
    sim_pipe, sim_child = ctx.Pipe()
    sim = ctx.Process(target=simulator_main, args=(sim_child, rate), daemon=True)
    sim.start()
    gw = None
    try:
        upstream = sim_pipe.recv()
        url = upstream
        gw_pipe = None
        if not direct:
            gw_pipe, gw_child = ctx.Pipe()
            gw = ctx.Process(target=gateway_main, args=(gw_child, upstream), daemon=True)
            gw.start()
            url = gw_pipe.recv()
        cl_pipe, cl_child = ctx.Pipe()
        clients = ctx.Process(
            target=clients_main, args=(cl_child, url, count, direct, warmup, seconds), daemon=True
        )
        clients.start()
        time.sleep(warmup * 0.5)
        sim_pipe.send("mark")
        first = sim_pipe.recv()
        report = cl_pipe.recv()
        sim_pipe.send("mark")
        last = sim_pipe.recv()
        clients.join(10)
        sim_rate = (last[1] - first[1]) / (last[0] - first[0])
        rates = sorted(m / seconds for m in report["messages"])
        figures = Figures(statistics.median(rates), rates[0], sim_rate, dropped=last[2])
        e2e = [lat / 1e6 for arrivals in report["arrivals"] for _, _, lat in arrivals]
        figures.e2e_p50, figures.e2e_p99 = percentile(e2e, 0.5), percentile(e2e, 0.99)
        if gw_pipe is not None:
            gw_pipe.send(report["window"])
            served = gw_pipe.recv()
            seen: dict[int, float] = served["seen"]
            added = [
                (mono - seen[tid]) * 1000
                for arrivals in report["arrivals"]
                for tid, mono, _ in arrivals
                if tid in seen
            ]
            figures.added_p50, figures.added_p99 = percentile(added, 0.5), percentile(added, 0.99)
            lag = [x * 1000 for x in served["lag"]]
            figures.lag_p50, figures.lag_p99 = percentile(lag, 0.5), percentile(lag, 0.99)
            figures.lag_max = max(lag) if lag else float("nan")
            figures.dropped += served["slow_closed"]
        return figures
    finally:
        sim_pipe.send("stop")
        for proc in (gw, sim):
            if proc is not None:
                proc.join(10)
                if proc.is_alive():
                    proc.terminate()


def median_figures(runs: list[Figures]) -> Figures:
    def med(name: str) -> float:
        values: list[float] = [getattr(r, name) for r in runs]
        return statistics.median(values)

    return Figures(
        **{name: med(name) for name in Figures.__dataclass_fields__ if name != "dropped"},
        dropped=sum(r.dropped for r in runs),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run of 2 s per scenario")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    runs = 1 if args.quick else args.runs
    seconds = 2.0 if args.quick else args.seconds
    warmup = 1.0
    print(
        f"gateway fan-out, median of {runs} run(s) of {seconds:g} s after {warmup:g} s warm-up; "
        "ms; delivered = data msgs/s per client (median [min])"
    )
    header = (
        f"{'upstream':>9} {'clients':>7} {'mode':>7} {'sim gen/s':>10} {'delivered':>18} "
        f"{'added p50/p99':>14} {'e2e p50/p99':>14} {'lag p50/p99/max':>18} {'407':>4}"
    )
    print(header)
    for rate in RATES:
        for count in CLIENTS:
            for direct in (False, True):
                f = median_figures(
                    [scenario(rate, count, direct, warmup, seconds) for _ in range(runs)]
                )
                added = "—" if direct else f"{f.added_p50:.1f}/{f.added_p99:.1f}"
                lag = "—" if direct else f"{f.lag_p50:.1f}/{f.lag_p99:.1f}/{f.lag_max:.0f}"
                delivered = f"{f.delivered:,.0f} [{f.delivered_min:,.0f}]"
                e2e = f"{f.e2e_p50:.1f}/{f.e2e_p99:.1f}"
                mode = "direct" if direct else "gateway"
                print(
                    f"{rate:>9,.0f} {count:>7} {mode:>7} {f.sim_rate:>10,.0f} {delivered:>18} "
                    f"{added:>14} {e2e:>14} {lag:>18} {f.dropped:>4}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
