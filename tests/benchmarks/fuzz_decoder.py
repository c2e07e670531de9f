"""Coverage-guided fuzzing of the wire decoders for a bounded time.

    /tmp/venv/bin/pip install atheris   # wheels for CPython 3.12 exist (atheris 3.1)
    python tests/benchmarks/fuzz_decoder.py [--seconds 60]

Targets, chosen by the input's first byte: engine.protocol.FrameDecoder on JSON text,
JSON bytes and msgpack bytes, and engine.net.rest.decode_snapshots. A crash is an
exception escaping a decoder, a non-list result, or FrameDecoder's last-resort net
firing ("decoder failure": a decoder bug it hid). Crashes are recorded (inputs saved
under --crash-dir), not fatal, and the run goes on; prints iterations, iterations/s
and the crash count. Without atheris it falls back to seeded random mutation.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import msgspec

SEEDS: list[bytes] = [
    b'[{"T":"t","S":"AAPL","i":1,"x":"V","p":187.5,"s":100,"c":["@"],"z":"C",'
    b'"t":"2024-03-01T15:30:00.123456789Z"}]',
    b'[{"T":"q","S":"MSFT","bx":"Q","bp":410.1,"bs":2,"ax":"Q","ap":410.2,"as":3,'
    b'"c":["R"],"z":"C","t":"2024-03-01T15:30:00Z"}]',
    b'[{"T":"b","S":"SPY","o":1,"h":2,"l":0.5,"c":1.5,"v":10,"n":2,"vw":1.2,'
    b'"t":"2024-03-01T15:30:00Z"}]',
    b'[{"T":"success","msg":"connected"}]',
    b'[{"T":"error","code":406,"msg":"connection limit exceeded"}]',
    b'[{"T":"subscription","trades":["AAPL"],"quotes":[],"bars":[]}]',
    b'{"AAPL":{"latestTrade":{"t":"2024-03-01T15:30:00Z","p":1.0,"s":1},'
    b'"prevDailyBar":{"t":"2024-02-29T05:00:00Z","o":1,"h":1,"l":1,"c":1,"v":1}}}',
]


class Stats:
    def __init__(self, crash_dir: Path) -> None:
        self.iterations = 0
        self.crashes: list[str] = []
        self.crash_dir = crash_dir
        self.started = time.perf_counter()
        self.deadline = 0.0  # monotonic end of an atheris run (0: not atheris)

    def crash(self, what: str, data: bytes) -> None:
        self.crashes.append(what)
        if len(self.crashes) <= 20:
            (self.crash_dir / f"crash-{len(self.crashes)}.bin").write_bytes(data)

    def report(self) -> None:
        elapsed = time.perf_counter() - self.started
        rate = self.iterations / elapsed if elapsed else 0.0
        print(f"fuzz: {self.iterations} inputs in {elapsed:.1f} s ({rate:,.0f}/s), "
              f"{len(self.crashes)} crashes", flush=True)  # fmt: skip
        for what in sorted(set(self.crashes))[:10]:
            print(f"  crash: {what}", flush=True)
        if self.crashes:
            print(f"  inputs saved in {self.crash_dir}", flush=True)


def make_target(stats: Stats) -> Callable[[bytes], None]:
    from engine.events import DecodeError
    from engine.net.rest import decode_snapshots
    from engine.protocol import Encoding, FrameDecoder

    json_dec = FrameDecoder(Encoding.JSON)
    msgpack_dec = FrameDecoder(Encoding.MSGPACK)

    def one(data: bytes) -> None:
        stats.iterations += 1
        if stats.deadline and stats.iterations % 1024 == 0 and time.monotonic() > stats.deadline:
            stats.report()  # libFuzzer's own exit skips Python's atexit: report and leave
            os._exit(1 if stats.crashes else 0)
        if not data:
            return
        which, body = data[0] % 4, data[1:]
        try:
            if which == 3:
                snaps, problems = decode_snapshots(body)
                assert isinstance(snaps, dict)
                assert isinstance(problems, list)
                return
            if which == 0:
                events = json_dec.decode(body.decode("utf-8", "replace"))
            elif which == 1:
                events = json_dec.decode(body)
            else:
                events = msgpack_dec.decode(body)
            assert isinstance(events, list)
            for ev in events:
                if isinstance(ev, DecodeError) and ev.reason.startswith("decoder failure"):
                    raise AssertionError(f"last-resort net: {ev.reason}")
        except Exception as exc:  # record and go on: one bug must not end the run
            stats.crash(f"target {which}: {type(exc).__name__}: {str(exc)[:100]}", data)

    return one


def _corpus(folder: Path) -> None:
    for n, seed in enumerate(SEEDS):
        for target in range(4):
            body = seed
            if target == 2:
                try:
                    body = msgspec.msgpack.encode(msgspec.json.decode(seed))
                except msgspec.DecodeError:
                    continue
            (folder / f"seed-{n}-{target}").write_bytes(bytes([target]) + body)


def _fallback(target: Callable[[bytes], None], seconds: float, seed: int) -> None:
    """Seeded mutation of the seeds (no coverage guidance) when atheris is missing."""
    rng = random.Random(seed)
    pool = [bytes([t]) + s for s in SEEDS for t in range(4)]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        data = bytearray(rng.choice(pool))
        for _ in range(rng.randint(1, 8)):
            op, pos = rng.random(), rng.randrange(len(data) + 1)
            if op < 0.4 and data:
                data[min(pos, len(data) - 1)] = rng.randrange(256)
            elif op < 0.7:
                data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 4)))
            else:
                del data[pos : pos + rng.randint(1, 8)]
        target(bytes(data))


def main() -> int:
    parser = argparse.ArgumentParser(description="fuzz the wire decoders")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--crash-dir", type=Path, default=None)
    parser.add_argument("--no-atheris", action="store_true")
    args = parser.parse_args()
    crash_dir = args.crash_dir or Path(tempfile.mkdtemp(prefix="tickerdesk-fuzz-"))
    crash_dir.mkdir(parents=True, exist_ok=True)
    stats = Stats(crash_dir)
    try:
        if args.no_atheris:
            raise ImportError
        import atheris  # type: ignore[import-untyped]
    except ImportError:
        print("fuzz: atheris not installed: seeded random mutation instead", flush=True)
        _fallback(make_target(stats), args.seconds, args.seed)
        stats.report()
        return 1 if stats.crashes else 0
    with atheris.instrument_imports():
        pass
    corpus = Path(tempfile.mkdtemp(prefix="tickerdesk-corpus-"))
    _corpus(corpus)
    stats.deadline = time.monotonic() + args.seconds
    atheris.Setup(
        [sys.argv[0], f"-max_total_time={args.seconds + 60}", f"-seed={args.seed}",
         "-max_len=4096", "-print_final_stats=1", str(corpus)],
        make_target(stats),
    )  # fmt: skip
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main())
