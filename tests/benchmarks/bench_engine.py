"""End-to-end stream throughput: simulator -> (a) bare websockets, (b) our client, (c) alpaca-py.

Run: .venv/bin/python tests/benchmarks/bench_engine.py [--quick] [--profile]
         [--baseline TREE]   (e.g. `git worktree add /tmp/base e9a1d70`, then /tmp/base)
The simulator and every consumer run in their own processes (2-core machine: producer
and consumer must not share a core). Per cell and run, consumers (a), (b), (c) take turns
on the same simulator; each prints messages received in a timed window and its own CPU
seconds. Figures: delivered msgs/s at the offered rate, and capacity = messages per
consumer CPU-second (what one core could absorb). Ratios are taken within a run, then
the median of the runs is printed. No assertions: numbers only (docs/design.md: timing claims
live in benchmark scripts). Consumers:
  (a) ceiling: `websockets` receive loop counting messages from the frame (msgpack array
      header / JSON `"T":` keys), no decoding;
  (b) engine.net.stream.StreamClient decoding into engine.market.store.MarketDataStore;
  (c) alpaca-py StockDataStream (url_override, raw_data=False, msgpack, async counting
      handler); alpaca-py always asks for msgpack, so it runs once per frame size and run
      and both encodings of (b) are compared with that one sample (issue 16: "5x at frames
      of 10 and 50, JSON and msgpack");
  (d) the bare loop an app would write without us: `websockets`, stdlib `json.loads` (or
      `msgpack.unpackb`, what alpaca-py decodes with), a dict of the latest message per
      symbol (`latest[m["S"]] = m`), nothing validated, no timestamps parsed;
  (B) with `--baseline TREE`: (b) again, its `engine` package imported from TREE
      (PYTHONPATH), in the same runs on the same simulator: before/after in one run.
The simulator runs without deflate (all three get the same bytes; alpaca-py would
negotiate it) and is itself the limit near ~110k msgs/s on one core: past that its own
queue grows until its slow-client check sends 407 to any consumer, even (a).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, NoReturn

FEED = "iex"
KINDS = ("a", "b", "c", "d", "B")
ENCODINGS = ("json", "msgpack")
_SIM_BOOT_S = 20.0


# --- consumer side (runs in its own process: --consume a|b|c) -------------------------


@dataclass(slots=True)
class Meter:
    """What a consumer counted; `started` once market data (not handshake) arrives."""

    messages: int = 0
    frames: int = 0
    closed: str | None = None
    started: asyncio.Event = field(default_factory=asyncio.Event)


def _count_json(frame: str | bytes) -> int:
    # Every message object carries its "T" tag exactly once; nothing nested has one.
    return frame.count('"T":') if isinstance(frame, str) else frame.count(b'"T":')


def _count_msgpack(frame: str | bytes) -> int:
    if isinstance(frame, str) or not frame:
        return 0
    head = frame[0]
    if 0x90 <= head <= 0x9F:  # fixarray
        return head & 0x0F
    if head == 0xDC:  # array 16
        return int.from_bytes(frame[1:3], "big")
    if head == 0xDD:  # array 32
        return int.from_bytes(frame[1:5], "big")
    return 1


async def _run_bare(url: str, encoding: str, symbols: list[str], meter: Meter) -> None:
    import msgspec
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    mp = encoding == "msgpack"
    headers = {"Content-Type": "application/msgpack"} if mp else {}
    count = _count_msgpack if mp else _count_json

    def out(obj: dict[str, object]) -> str | bytes:
        return msgspec.msgpack.encode(obj) if mp else msgspec.json.encode(obj).decode()

    async with connect(
        f"{url}/v2/{FEED}", additional_headers=headers, compression=None, max_size=2**24
    ) as ws:
        await ws.recv()  # connected
        await ws.send(out({"action": "auth", "key": "bench-a", "secret": "x"}))
        await ws.recv()  # authenticated
        await ws.send(out({"action": "subscribe", "trades": symbols, "quotes": symbols}))
        await ws.recv()  # subscription
        try:
            async for frame in ws:
                meter.frames += 1
                meter.messages += count(frame)
                if not meter.started.is_set():
                    meter.started.set()
        except ConnectionClosed:
            pass
        meter.closed = f"{ws.close_code} {ws.close_reason}"


async def _run_dict(url: str, encoding: str, symbols: list[str], meter: Meter) -> None:
    """(d): decode every frame with the stdlib (json) or msgpack-python, keep the latest
    message per symbol in a dict; count what it kept."""
    import msgpack  # type: ignore[import-untyped,unused-ignore]
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    mp = encoding == "msgpack"
    headers = {"Content-Type": "application/msgpack"} if mp else {}
    loads = msgpack.unpackb if mp else json.loads

    def out(obj: dict[str, object]) -> str | bytes:
        return msgpack.packb(obj) if mp else json.dumps(obj)

    latest: dict[str, dict[str, Any]] = {}
    async with connect(
        f"{url}/v2/{FEED}", additional_headers=headers, compression=None, max_size=2**24
    ) as ws:
        await ws.recv()  # connected
        await ws.send(out({"action": "auth", "key": "bench-d", "secret": "x"}))
        await ws.recv()  # authenticated
        await ws.send(out({"action": "subscribe", "trades": symbols, "quotes": symbols}))
        await ws.recv()  # subscription
        try:
            async for frame in ws:
                messages = loads(frame)
                for m in messages:
                    latest[m["S"]] = m
                meter.frames += 1
                meter.messages += len(messages)
                if not meter.started.is_set():
                    meter.started.set()
        except ConnectionClosed:
            pass
        meter.closed = f"{ws.close_code} {ws.close_reason}"


async def _run_ours(
    url: str, encoding: str, symbols: list[str], meter: Meter
) -> tuple[Any, Callable[[], None]]:
    from engine.market.store import MarketDataStore
    from engine.net.health import StreamHealth
    from engine.net.stream import StreamClient, StreamConfig
    from engine.protocol import Encoding

    store = MarketDataStore()
    health = StreamHealth()
    config = StreamConfig(
        url=url, feed=FEED, encoding=Encoding(encoding), channels=("trades", "quotes")
    )
    client = StreamClient(config, store, health)
    client.set_symbols(symbols)
    client.start()

    def sync() -> None:  # copy the client's own counters into the meter
        meter.messages = health.messages
        meter.frames = health.frames
        if health.server_errors:
            meter.closed = health.last_error
        if store.applied and not meter.started.is_set():
            meter.started.set()

    while not meter.started.is_set():
        sync()
        await asyncio.sleep(0.02)  # poll: no hook in the client's hot path
    return client, sync


async def _run_alpaca(url: str, symbols: list[str], meter: Meter) -> Any:
    warnings.simplefilter("ignore", DeprecationWarning)  # alpaca-py uses websockets.legacy
    from alpaca.data.live.stock import StockDataStream

    stream = StockDataStream("bench-c", "x", url_override=f"{url}/v2/{FEED}")

    async def on_data(_msg: object) -> None:
        meter.messages += 1
        if not meter.started.is_set():
            meter.started.set()

    stream.subscribe_trades(on_data, *symbols)
    stream.subscribe_quotes(on_data, *symbols)
    return stream


_IDLE = frozenset({"poll", "select", "epoll.poll", "select.select"})


def _self_time_table(session: Any, top: int = 25) -> str:
    """Self time per function as a share of busy (non-idle) samples, from the raw tree."""
    totals: dict[str, float] = {}
    stack = [session.root_frame(trim_stem=False)]
    while stack:
        frame = stack.pop()
        children = [c for c in frame.children if not c.is_synthetic]
        stack.extend(children)
        own = frame.time - sum(c.time for c in children)
        if own > 0:
            where = f"{frame.file_path_short}:{frame.line_no}" if frame.line_no else "<built-in>"
            key = f"{frame.function}  {where}"
            totals[key] = totals.get(key, 0.0) + own
    idle = sum(t for k, t in totals.items() if k.split()[0] in _IDLE)
    busy = sum(totals.values()) - idle
    lines = [f"self time, % of busy samples ({busy:.2f} s busy, {idle:.2f} s idle in poll):"]
    ranked = sorted(((t, k) for k, t in totals.items() if k.split()[0] not in _IDLE), reverse=True)
    lines += [f"{100 * t / busy:5.1f}%  {k}" for t, k in ranked[:top]]
    return "\n".join(lines) + "\n"


async def consume(
    kind: str, url: str, encoding: str, seconds: float, warmup: float, profile_out: str | None
) -> NoReturn:
    """Connect consumer `kind`, count for `seconds` after `warmup`, print the window, exit."""
    from engine.simulator import DEFAULT_SYMBOLS

    symbols = list(DEFAULT_SYMBOLS[:50])
    meter = Meter()
    loop = asyncio.get_running_loop()
    sync: Callable[[], None] = lambda: None  # noqa: E731
    keep: list[Any] = []  # the running task or client: referenced until the process exits
    if kind == "a":
        keep.append(loop.create_task(_run_bare(url, encoding, symbols, meter)))
    elif kind == "d":
        keep.append(loop.create_task(_run_dict(url, encoding, symbols, meter)))
    elif kind in ("b", "B"):
        client, sync = await asyncio.wait_for(_run_ours(url, encoding, symbols, meter), 30)
        keep.append(client)
    else:
        stream = await _run_alpaca(url, symbols, meter)
        # What stream.run() does, but inside our loop (run() calls asyncio.run itself).
        keep.append(loop.create_task(stream._run_forever()))
    await asyncio.wait_for(meter.started.wait(), 30)
    await asyncio.sleep(warmup)
    profiler = None
    if profile_out:
        from pyinstrument import Profiler  # type: ignore[import-not-found,unused-ignore]

        profiler = Profiler(interval=0.0005, async_mode="disabled")  # every task, not ours
        profiler.start()
    sync()
    n0, f0, c0, t0 = meter.messages, meter.frames, time.process_time(), time.perf_counter()
    await asyncio.sleep(seconds)
    sync()
    n1, f1, c1, t1 = meter.messages, meter.frames, time.process_time(), time.perf_counter()
    if profiler is not None and profile_out:
        profiler.stop()
        tree = profiler.output_text(time="percent_of_total")
        with open(profile_out, "w") as fh:  # noqa: ASYNC230 - after the window
            fh.write(_self_time_table(profiler.last_session) + "\n" + tree)
    result = {
        "messages": n1 - n0,
        "frames": f1 - f0,
        "cpu": c1 - c0,
        "wall": t1 - t0,
        "closed": meter.closed,
    }
    print(json.dumps(result), flush=True)
    # Leave at once, the kernel closes the socket: a graceful close is not what is measured
    # (alpaca-py's waits ~25 s behind unread queued data, until the simulator's 407).
    os._exit(0)


# --- orchestration ---------------------------------------------------------------------


@dataclass(slots=True)
class Sim:
    """A `python -m engine.simulator` subprocess; its WARNING log goes to a temp file."""

    proc: subprocess.Popen[str]
    url: str
    log: IO[str]

    def drops(self) -> int:
        """Slow-client disconnects (error 407) so far, from the simulator's own log."""
        self.log.flush()
        return Path(self.log.name).read_text().count("slow client")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        os.unlink(self.log.name)


def start_sim(rate: float, batch: int, compression: bool) -> Sim:
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - lives as long as the Sim; Sim.stop closes
        "w+", prefix="bench-sim-", suffix=".log", delete=False
    )
    cmd = [
        sys.executable,
        "-m",
        "engine.simulator",
        "--port",
        "0",
        "--seed",
        "1",
        "--rate",
        str(rate),
        "--batch-max",
        str(batch),
        "--halt-probability",
        "0",
        "--test-rate",
        "0",
    ]
    if not compression:
        cmd.append("--no-compression")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True)
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url.startswith("ws://"):
        proc.kill()
        proc.wait()
        log.close()
        why = Path(log.name).read_text()[-2000:]
        os.unlink(log.name)
        raise RuntimeError(f"simulator did not start: {why}")
    return Sim(proc, url, log)


@dataclass(slots=True)
class Sample:
    rate: float  # delivered msgs/s
    capacity: float  # msgs per consumer CPU-second
    per_frame: float
    drops: int


def run_consumer(
    sim: Sim, kind: str, encoding: str, args: argparse.Namespace, profile_out: str | None = None
) -> Sample:
    before = sim.drops()
    cmd = [
        sys.executable,
        __file__,
        "--consume",
        kind,
        "--url",
        sim.url,
        "--encoding",
        encoding,
        "--seconds",
        str(args.seconds),
        "--warmup",
        str(args.warmup),
    ]
    if profile_out:
        cmd += ["--profile-out", profile_out]
    env = None
    if kind == "B":  # the same consumer, its `engine` imported from the baseline tree
        env = dict(os.environ, PYTHONPATH=str(args.baseline))
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=args.seconds + 120, env=env)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"consumer {kind} failed: {done.stderr[-3000:]}")
    r = json.loads(lines[-1])
    n = r["messages"]
    per_frame = n / r["frames"] if r["frames"] else float("nan")
    return Sample(n / r["wall"], n / max(r["cpu"], 1e-9), per_frame, sim.drops() - before)


Cell = dict[str, Sample]  # one run: consumer kind -> its sample


def run_cells(
    rate: float, batches: list[int], args: argparse.Namespace
) -> dict[tuple[str, int], list[Cell]]:
    """For each (encoding, batch): a list of runs, each {kind: Sample} on one simulator.

    alpaca-py (c) speaks msgpack only: it runs once per batch and run, and its sample is
    put in both encodings' runs, so (b) JSON and (b) msgpack are each compared with it.
    """
    kinds = [k for k in KINDS if k != "B" or args.baseline]
    results: dict[tuple[str, int], list[Cell]] = {}
    for batch in batches:
        sim = start_sim(rate, batch, args.compression)
        try:
            for rep in range(args.runs):
                shift = rep % len(kinds)
                order = kinds[shift:] + kinds[:shift]  # rotate: cancel drift
                runs: dict[str, Cell] = {enc: {} for enc in ENCODINGS}
                for kind in order:
                    for encoding in ENCODINGS:
                        if kind == "c" and encoding == "json":
                            continue  # alpaca-py always negotiates msgpack
                        try:
                            sample = run_consumer(sim, kind, encoding, args)
                        except (RuntimeError, subprocess.TimeoutExpired) as exc:
                            # One failed window (e.g. a shared checkout mid-edit) must not
                            # cost the whole table: the cell shows fewer runs.
                            print(f"\n  {encoding} batch {batch} ({kind}) failed: {exc!s:.300}")
                            continue
                        targets = ENCODINGS if kind == "c" else (encoding,)
                        for enc in targets:
                            runs[enc][kind] = sample
                        print(".", end="", flush=True)
                for encoding in ENCODINGS:
                    results.setdefault((encoding, batch), []).append(runs[encoding])
        finally:
            sim.stop()
    print()
    return results


def _get(kind: str, attr: str) -> Callable[[Cell], float | None]:
    return lambda run: getattr(run[kind], attr) if kind in run else None


def _ratio(x: str, y: str, attr: str) -> Callable[[Cell], float | None]:
    def f(run: Cell) -> float | None:
        if x not in run or y not in run:
            return None
        return float(getattr(run[x], attr) / getattr(run[y], attr))

    return f


def _med(runs: list[Cell], f: Callable[[Cell], float | None]) -> float | None:
    vals = [v for v in (f(r) for r in runs) if v is not None]
    return statistics.median(vals) if vals else None


def _fmt(v: float | None, ratio: bool = False) -> str:
    if v is None:
        return "-"
    return f"{v:.2f}" if ratio else f"{v / 1000:.1f}k"


RATIOS = (("b", "c"), ("b", "d"), ("b", "a"), ("B", "c"), ("B", "d"), ("b", "B"))


def print_table(title: str, rate: float, results: dict[tuple[str, int], list[Cell]]) -> None:
    print(
        f"\n== {title}: offered {rate:,.0f} msgs/s, medians of runs "
        f"(k = 1000 msgs/s; cap = msgs per consumer CPU-second; c is msgpack in both rows) =="
    )
    kinds = [k for k in KINDS if any(k in r for runs in results.values() for r in runs)]
    ratios = [(x, y) for x, y in RATIOS if x in kinds and y in kinds]
    head = (
        f"{'enc':8}{'batch':>6}{'msg/frm':>8}"
        + "".join(f"{'dlv ' + k:>8}" for k in kinds)
        + "".join(f"{'cap ' + k:>8}" for k in kinds)
        + "".join(f"{x + '/' + y + ' cap':>10}" for x, y in ratios)
        + f"{'407s':>6}{'runs':>6}"
    )
    print(head)
    for (enc, batch), runs in results.items():
        drops = sum(s.drops for r in runs for s in r.values())
        complete = min(sum(k in r for r in runs) for k in kinds) if kinds else 0
        mpf = _med(runs, _get("b", "per_frame")) or 0.0
        print(
            f"{enc:8}{batch:>6}{mpf:>8.1f}"
            + "".join(f"{_fmt(_med(runs, _get(k, 'rate'))):>8}" for k in kinds)
            + "".join(f"{_fmt(_med(runs, _get(k, 'capacity'))):>8}" for k in kinds)
            + "".join(f"{_fmt(_med(runs, _ratio(x, y, 'capacity')), True):>10}" for x, y in ratios)
            + f"{drops:>6}{complete:>6}"
        )
    print(
        "  a = websockets counting only; b = ours; c = alpaca-py; d = websockets + json.loads"
        " (msgpack.unpackb) + dict of latest per symbol; B = ours from --baseline"
    )


def profile_ours(encoding: str, batch: int, rate: float, args: argparse.Namespace) -> None:
    """Profile consumer (b) at `rate` and print the top of the profile."""
    fd, out_name = tempfile.mkstemp(prefix="bench-prof-", suffix=".txt")
    os.close(fd)
    sim = start_sim(rate, batch, args.compression)
    try:
        s = run_consumer(sim, "b", encoding, args, profile_out=out_name)
    finally:
        sim.stop()
    text = Path(out_name).read_text().splitlines()
    os.unlink(out_name)
    print(
        f"\n== profile of (b), {encoding}, batch {batch}, offered {rate:,.0f}/s "
        f"(pyinstrument; delivered {s.rate:,.0f}/s under the profiler) =="
    )
    flat_end = text.index("") if "" in text else len(text)
    print("\n".join(text[:flat_end]))
    tree = [ln for ln in text[flat_end:] if ln.strip()]
    start = next((i for i, ln in enumerate(tree) if ln.startswith("Profile at")), 0)
    print("call tree (pyinstrument, % of wall samples; idle = epoll):")
    print("\n".join(tree[start + 1 : start + 1 + args.profile_lines]))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--consume", choices=KINDS, help=argparse.SUPPRESS)  # child process mode
    p.add_argument("--url", help=argparse.SUPPRESS)
    p.add_argument("--encoding", choices=ENCODINGS, default="json", help=argparse.SUPPRESS)
    p.add_argument("--profile-out", help=argparse.SUPPRESS)
    p.add_argument("--seconds", type=float, default=2.0, help="measured window per consumer")
    p.add_argument("--warmup", type=float, default=0.5, help="seconds skipped after data starts")
    p.add_argument("--runs", type=int, default=3, help="runs per cell (median)")
    p.add_argument("--rate", type=float, default=20_000.0, help="fixed offered msgs/s")
    p.add_argument(
        "--firehose",
        type=float,
        default=100_000.0,
        help="firehose offered msgs/s (past ~110k the simulator's own send backlog trips 407)",
    )
    p.add_argument("--batches", default="10,50", help="frame sizes (simulator --batch-max)")
    p.add_argument("--firehose-batches", default="10,50")
    p.add_argument("--compression", action="store_true", help="let the simulator offer deflate")
    p.add_argument("--quick", action="store_true", help="1 s windows, firehose batch 50 only")
    p.add_argument(
        "--profile",
        choices=("auto", "always", "never"),
        default="auto",
        help="profile (b) if its capacity is under half the ceiling (auto)",
    )
    p.add_argument(
        "--profile-rate",
        type=float,
        default=60_000.0,
        help="offered msgs/s while profiling: near the simulator's own sustainable maximum",
    )
    p.add_argument("--profile-lines", type=int, default=45)
    p.add_argument(
        "--baseline",
        type=Path,
        help="another checkout (e.g. a git worktree of today's main): its engine runs as (B)",
    )
    args = p.parse_args(argv)
    if args.baseline is not None and not (args.baseline / "engine").is_dir():
        p.error(f"--baseline {args.baseline}: no engine package there")
    if args.consume:
        logging.basicConfig(level=logging.ERROR)
        asyncio.run(
            consume(
                args.consume, args.url, args.encoding, args.seconds, args.warmup, args.profile_out
            )
        )
    if args.quick:
        args.seconds, args.warmup, args.firehose_batches = 1.0, 0.3, "50"
    batches = [int(b) for b in args.batches.split(",") if b]
    fh_batches = [int(b) for b in args.firehose_batches.split(",") if b]
    t0 = time.perf_counter()
    print(
        f"bench_engine: {args.runs} runs/cell, {args.seconds:g} s windows, simulator "
        f"deflate={'on' if args.compression else 'off'}, 50 symbols trades+quotes, "
        f"feed {FEED}; (c) = alpaca-py StockDataStream, msgpack only"
        + (f"; (B) = {args.baseline}" if args.baseline else "")
    )
    fixed = run_cells(args.rate, batches, args)
    if fixed:
        print_table("fixed rate", args.rate, fixed)
    hose = run_cells(args.firehose, fh_batches, args)
    if hose:
        print_table("firehose", args.firehose, hose)
    worst = min(
        (((_med(runs, _ratio("b", "a", "capacity")) or 1.0), key) for key, runs in fixed.items()),
        default=None,
    )
    if worst is not None:
        print(
            f"\nlowest (b)/(a) capacity ratio at the fixed rate: {worst[0]:.2f} "
            f"({worst[1][0]}, batch {worst[1][1]})"
        )
        if args.profile == "always" or (args.profile == "auto" and worst[0] < 0.5):
            profile_ours(worst[1][0], worst[1][1], args.profile_rate, args)
    print(f"\ntotal wall time {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
