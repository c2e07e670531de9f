"""Benchmark engine.protocol decoding (and decode + store apply); prints a table of medians.

Realistic mixed frames (about 6 quotes : 3 trades : 1 bar, nanosecond timestamps) of 1, 10
and 50 messages, JSON text and msgpack bytes (Timestamp ext), against a stdlib
`json.loads` baseline measured in the same run.

Run: .venv/bin/python tests/benchmarks/bench_decode.py [--messages N] [--runs R]
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import msgspec
from benchstats import median_seconds

from engine.events import DecodeError, UnknownMessage
from engine.protocol import Encoding, FrameDecoder
from engine.protocol.timestamps import make_rfc3339_parser, msgpack_timestamp_ns

NS = 1_000_000_000
START_NS = 1_700_000_000 * NS + 123_456_789  # a weekday in Nov 2023, odd nanoseconds
EXCHANGES = "VPQZKD"


def _rfc3339(ns: int, digits: int = 9) -> str:
    seconds, nanos = divmod(ns, NS)
    head = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    return head + "Z" if digits == 0 else head + "." + f"{nanos:09d}"[:digits] + "Z"


def make_messages(count: int, symbols: Sequence[str]) -> list[dict[str, Any]]:
    """Wire messages with `t` as int ns (converted per encoding), increasing in time."""
    out: list[dict[str, Any]] = []
    ns = START_NS
    for i in range(count):
        ns += 37_713  # ~26k messages per second of exchange time: realistic for SIP
        sym = symbols[(i * 7) % len(symbols)]
        price = round(100.0 + (i % 97) * 0.01, 2)
        kind = i % 10
        if kind < 6:
            out.append({"T": "q", "S": sym, "bx": EXCHANGES[i % 6], "bp": price - 0.01,
                        "bs": 1 + i % 9, "ax": EXCHANGES[(i + 1) % 6], "ap": price + 0.01,
                        "as": 2 + i % 7, "t": ns, "c": ["R"], "z": "C"})  # fmt: skip
        elif kind < 9:
            out.append({"T": "t", "S": sym, "i": 52983525000000 + i, "x": EXCHANGES[i % 6],
                        "p": price, "s": 100, "t": ns, "c": ["@", "I"], "z": "C"})  # fmt: skip
        else:
            out.append({"T": "b", "S": sym, "o": price, "h": price + 0.5, "l": price - 0.5,
                        "c": price + 0.1, "v": 49378 + i, "t": ns - ns % (60 * NS), "n": 461,
                        "vw": price + 0.062639})  # fmt: skip
    return out


def _stamp_json(message: dict[str, Any]) -> dict[str, Any]:
    digits = 0 if message["T"] == "b" else 9  # bars start on whole minutes (Alpaca)
    return {**message, "t": _rfc3339(message["t"], digits)}


def _stamp_msgpack(message: dict[str, Any]) -> dict[str, Any]:
    seconds, nanos = divmod(message["t"], NS)
    payload = ((nanos << 34) | seconds).to_bytes(8, "big")  # timestamp 64, as servers send
    return {**message, "t": msgspec.msgpack.Ext(-1, payload)}


def make_frames(messages: list[dict[str, Any]], size: int) -> tuple[list[str], list[bytes]]:
    json_frames, msgpack_frames = [], []
    for start in range(0, len(messages), size):
        chunk = messages[start : start + size]
        json_frames.append(msgspec.json.encode([_stamp_json(m) for m in chunk]).decode())
        msgpack_frames.append(msgspec.msgpack.encode([_stamp_msgpack(m) for m in chunk]))
    return json_frames, msgpack_frames


def median_interleaved(cells: dict[str, Callable[[], None]], runs: int) -> dict[str, float]:
    """Median seconds per cell, the cells taking turns each round so that load from
    other processes (a noisy machine) hits all of them alike and the ratios stay fair."""
    samples: dict[str, list[float]] = {name: [] for name in cells}
    for _ in range(runs):
        for name, fn in cells.items():
            start = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in samples.items()}


def _decode_all(decoder: FrameDecoder, frames: Sequence[str | bytes]) -> Callable[[], None]:
    decode = decoder.decode

    def run() -> None:
        for frame in frames:
            decode(frame)

    return run


def _stdlib_all(frames: Sequence[str]) -> Callable[[], None]:
    loads = json.loads

    def run() -> None:
        for frame in frames:
            loads(frame)

    return run


def _store_factory() -> Any:
    """engine.market.store.MarketDataStore if it exists yet (written in parallel), else None."""
    try:
        return importlib.import_module("engine.market.store").MarketDataStore
    except (ImportError, AttributeError) as exc:
        print(f"note: MarketDataStore not available ({exc}); store column skipped")
        return None


def _decode_apply_all(
    store_cls: Any, encoding: Encoding, frames: Sequence[str | bytes], symbols: Sequence[str]
) -> Callable[[], None]:
    def run() -> None:
        store = store_cls()  # fresh per run: timestamps must look new to it
        store.watch(symbols)
        decode = FrameDecoder(encoding).decode
        apply_many = store.apply_many
        for frame in frames:
            apply_many(decode(frame), received_at=1.0)

    return run


def _check(decoder: FrameDecoder, frames: Sequence[str | bytes]) -> None:
    bad = [
        e
        for f in frames[:50]
        for e in decoder.decode(f)
        if isinstance(e, DecodeError | UnknownMessage)
    ]
    if bad:
        raise SystemExit(f"benchmark frames do not decode cleanly: {bad[:3]}")


def _rate(count: int, seconds: float) -> str:
    return f"{count / seconds / 1e6:6.3f}M"


def bench_raw_first(messages: list[dict[str, Any]], runs: int) -> None:
    """Design check: FrameDecoder decodes the whole frame typed and falls back to
    array-of-Raw-then-each-message only when a message fails; this times that fallback
    path forced on clean 10-message frames (private API, benchmark only)."""
    json_frames, msgpack_frames = make_frames(messages, 10)
    cells: dict[str, Callable[[], None]] = {}
    for name, decoder, frames in (
        ("json", FrameDecoder(Encoding.JSON), json_frames),
        ("msgpack", FrameDecoder(Encoding.MSGPACK), msgpack_frames),
    ):
        cells[name] = _decode_all(decoder, frames)
        cells[name + " raw-first"] = _raw_first_all(decoder, frames)
    medians = median_interleaved(cells, runs)
    n = len(messages)
    print(
        "10-msg frames, whole-frame typed decode vs raw-array-first: "
        + "; ".join(f"{name} {_rate(n, sec).strip()}" for name, sec in medians.items())
    )


def _raw_first_all(decoder: FrameDecoder, frames: Sequence[str | bytes]) -> Callable[[], None]:
    decode_each, codec = decoder._decode_each, decoder._codec

    def run() -> None:
        for frame in frames:
            decode_each(frame, codec)

    return run


def bench_timestamps(runs: int) -> None:
    parse = make_rfc3339_parser()
    texts = [_rfc3339(START_NS + i * 37_713) for i in range(20_000)]
    payloads = [
        ((n % NS << 34) | n // NS).to_bytes(8, "big") for n in (START_NS + i for i in range(20_000))
    ]

    def run_text() -> None:
        for text in texts:
            parse(text)

    def run_ext() -> None:
        for payload in payloads:
            msgpack_timestamp_ns(payload)

    text_ns = median_seconds(run_text, runs) / len(texts) * 1e9
    ext_ns = median_seconds(run_ext, runs) / len(payloads) * 1e9
    print(
        f"timestamps: RFC 3339 (9 digits, cached prefix) {text_ns:.0f} ns; "
        f"msgpack ext 64 -> ns {ext_ns:.0f} ns (per call, median of {runs})"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=50_000, help="messages per run")
    parser.add_argument("--runs", type=int, default=5, help="runs per cell (median)")
    parser.add_argument("--symbols", type=int, default=100, help="distinct symbols")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 50], help="frame sizes")
    args = parser.parse_args(argv)

    symbols = [f"S{i:03d}" for i in range(args.symbols)]
    messages = make_messages(args.messages, symbols)
    store_cls = _store_factory()
    started = time.perf_counter()
    print(
        f"{args.messages} messages per run, median of {args.runs} interleaved runs; rates in "
        "messages/s; ratio = rate / stdlib json.loads rate (json.loads only: no validation, "
        "no timestamps, no events)"
    )
    header = (
        f"{'msgs/frame':>10} | {'stdlib json':>11} | {'json':>8} {'ratio':>5} | "
        f"{'msgpack':>8} {'ratio':>5} | {'json+store':>10} | {'mp+store':>8}"
    )
    print(header)
    print("-" * len(header))
    for size in args.sizes:
        json_frames, msgpack_frames = make_frames(messages, size)
        json_decoder, msgpack_decoder = FrameDecoder(Encoding.JSON), FrameDecoder(Encoding.MSGPACK)
        _check(json_decoder, json_frames)
        _check(msgpack_decoder, msgpack_frames)
        n = len(messages)
        cells: dict[str, Callable[[], None]] = {
            "stdlib": _stdlib_all(json_frames),
            "json": _decode_all(json_decoder, json_frames),
            "msgpack": _decode_all(msgpack_decoder, msgpack_frames),
        }
        if store_cls is not None:
            cells["json+store"] = _decode_apply_all(store_cls, Encoding.JSON, json_frames, symbols)
            cells["mp+store"] = _decode_apply_all(
                store_cls, Encoding.MSGPACK, msgpack_frames, symbols
            )
        medians = median_interleaved(cells, args.runs)
        stdlib, as_json, as_msgpack = medians["stdlib"], medians["json"], medians["msgpack"]
        store_json = _rate(n, medians["json+store"]) if "json+store" in medians else "skipped"
        store_mp = _rate(n, medians["mp+store"]) if "mp+store" in medians else "skipped"
        print(
            f"{size:>10} | {_rate(n, stdlib):>11} | {_rate(n, as_json):>8} "
            f"{stdlib / as_json:5.2f} | {_rate(n, as_msgpack):>8} {stdlib / as_msgpack:5.2f} | "
            f"{store_json:>10} | {store_mp:>8}"
        )
    bench_raw_first(messages, args.runs)
    bench_timestamps(args.runs)
    print(f"total {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
