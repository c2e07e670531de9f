"""The bus on NATS: publish rate, and end-to-end latency from the owner's tap to another
process's store at 10k and 50k msgs/s.

Run:  .venv/bin/python tests/benchmarks/bench_bus.py [--quick] [--runs N] [--seconds S]
Prints medians of repeats; no assertions (timing claims live here, not in tests).
Needs nats-server (PATH or /usr/sbin); it is started here on 127.0.0.1 with -js.

Two processes, so the figures cross a process boundary as they would across machines:
- the owner (this process): a real Hub on an unstarted StreamClient and a BusPublisher;
  a driver hands it frames of 100 trades/quotes over 100 symbols every 10 ms, as the
  stream's tap would (`publisher.deliver`), each event stamped with the wall time of
  that call;
- the subscriber (a child process): NatsBus + BusFeed + its own MarketDataStore, as
  `tickerdesk-watch --bus` runs it; a tap on the feed (called after the store applied
  each message) takes `time.time_ns() - timestamp` = tap -> subscriber store.
Figures: publish rate (events/s the publisher drains from a burst of 200k queued events
to NATS), delivered (events/s applied by the subscriber, over the run), latency p50/p99
(ms), dropped (publisher queue overflow), slow-consumer drops in nats-py.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchstats import percentile

from engine.bus.feed import BusFeed
from engine.bus.nats_bus import BusOptions, NatsBus
from engine.bus.publisher import BusPublisher
from engine.events import Event, Quote, Trade
from engine.gateway.hub import Hub
from engine.market.store import MarketDataStore
from engine.net.health import ConnectionState, StreamHealth
from engine.net.stream import StreamClient, StreamConfig

SYMBOLS = [f"S{chr(65 + i // 26)}{chr(65 + i % 26)}" for i in range(100)]
TICK_S = 0.01


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _nats_server(root: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("nats-server") or "/usr/sbin/nats-server"
    port = _free_port()
    proc = subprocess.Popen(
        [binary, "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(root)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return proc, f"nats://127.0.0.1:{port}"
        time.sleep(0.05)
    raise RuntimeError("nats-server did not start")


# --- the subscriber process -----------------------------------------------------------


async def _subscriber(url: str) -> None:
    store, health = MarketDataStore(), StreamHealth()
    bus = NatsBus(BusOptions(url, name="bench-subscriber"))
    feed = BusFeed(bus, store, health, feed="iex", instance="bench-sub")
    latencies: list[float] = []
    received = 0
    first = last = 0.0

    def tap(events: list[Event], _received_at: float) -> None:
        nonlocal received, first, last
        now = time.time_ns()
        for event in events:
            if type(event) is Trade or type(event) is Quote:
                latencies.append((now - event.timestamp_ns) / 1e6)
                received += 1
        last = time.monotonic()
        first = first or last

    feed.set_symbols(SYMBOLS)
    feed.start()
    while health.state is not ConnectionState.STREAMING:  # noqa: ASYNC110 - polled, as tests do
        await asyncio.sleep(0.05)
    feed.add_tap(tap)  # after the snapshot: live messages only
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.readline)  # "stop"
    await feed.stop()
    await bus.close()
    result = {
        "received": received,
        "rate": received / (last - first) if last > first else 0.0,
        "p50": percentile(latencies, 0.5),
        "p99": percentile(latencies, 0.99),
        "slow": bus.slow_consumer_drops,
    }
    print(json.dumps(result), flush=True)


# --- the owner (this process) ---------------------------------------------------------


def _frame(count: int, seq: int) -> list[Event]:
    stamp = time.time_ns()
    events: list[Event] = []
    for i in range(count):
        symbol = SYMBOLS[(seq + i) % len(SYMBOLS)]
        if i % 2:
            events.append(Trade(symbol, 100.0 + i % 7, 10, stamp, seq + i, "V"))
        else:
            events.append(Quote(symbol, 99.9, 1, 100.1, 2, stamp))
    return events


async def _owner(url: str) -> tuple[Hub, BusPublisher, NatsBus]:
    store = MarketDataStore()
    client = StreamClient(StreamConfig(url="ws://127.0.0.1:9"), store, StreamHealth())
    hub = Hub(client, store, limit=None, free_plan=False, feed="iex")
    bus = NatsBus(BusOptions(url, name="bench-owner"))
    publisher = BusPublisher(hub, bus, "bench-owner")
    await publisher.start()
    return hub, publisher, bus


async def publish_rate(url: str, events: int = 200_000) -> float:
    _hub, publisher, bus = await _owner(url)
    frames = [_frame(1000, i * 1000) for i in range(events // 1000)]
    start = time.perf_counter()
    for frame in frames:
        publisher.deliver(frame, 0.0)
    while publisher.stats.published < events:  # noqa: ASYNC110 - a counter, no event
        await asyncio.sleep(0.001)
    rate = events / (time.perf_counter() - start)
    await publisher.stop()
    await bus.close()
    return rate


async def e2e(url: str, rate: int, seconds: float) -> dict[str, Any]:
    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--subscriber", url,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert child.stdout is not None
    assert child.stdin is not None
    hub, publisher, bus = await _owner(url)
    line = await child.stdout.readline()
    assert line.strip() == b"ready", line
    per_tick = max(1, round(rate * TICK_S))
    seq = 0
    start = time.monotonic()
    next_tick = start
    while time.monotonic() - start < seconds:
        publisher.deliver(_frame(per_tick, seq), time.monotonic())
        seq += per_tick
        next_tick += TICK_S
        await asyncio.sleep(max(0.0, next_tick - time.monotonic()))
    while publisher._queue:  # noqa: ASYNC110 - drain before stopping the subscriber
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.5)
    child.stdin.write(b"stop\n")
    await child.stdin.drain()
    out = await child.stdout.readline()
    await child.wait()
    result: dict[str, Any] = json.loads(out)
    result["sent"] = seq
    result["dropped"] = publisher.stats.dropped_full + publisher.stats.dropped_down
    await publisher.stop()
    await bus.close()
    del hub
    return result


async def main(args: argparse.Namespace) -> None:
    root = Path(tempfile.mkdtemp(prefix="bench-bus-"))
    server, url = _nats_server(root)
    try:
        rates = [await publish_rate(url) for _ in range(args.runs)]
        print(f"publish rate (burst of 200k to NATS): {statistics.median(rates):,.0f} events/s")
        for rate in (10_000, 50_000):
            runs = [await e2e(url, rate, args.seconds) for _ in range(args.runs)]

            def med(key: str, runs: list[dict[str, Any]] = runs) -> float:
                return statistics.median(float(r[key]) for r in runs)

            print(
                f"{rate:>6,} msgs/s offered: delivered {med('rate'):,.0f}/s "
                f"({med('received'):,.0f} of {med('sent'):,.0f}), "
                f"tap -> subscriber store p50 {med('p50'):.2f} ms p99 {med('p99'):.2f} ms, "
                f"dropped {med('dropped'):.0f}, slow-consumer drops {med('slow'):.0f}"
            )
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 run of 2 s per rate")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--subscriber", metavar="URL", help=argparse.SUPPRESS)
    cli = parser.parse_args()
    if cli.subscriber:
        asyncio.run(_subscriber(cli.subscriber))
    else:
        if cli.quick:
            cli.runs, cli.seconds = 1, 2.0
        print(f"runs: {cli.runs} x {cli.seconds:g} s per rate, {len(SYMBOLS)} symbols")
        asyncio.run(main(cli))
