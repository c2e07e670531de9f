"""Benchmark engine.market.store: per-event apply cost, sweep and drain cost (prints medians).

Run: .venv/bin/python tests/benchmarks/bench_store.py
"""

from __future__ import annotations

from benchstats import median_seconds

from engine.events import Bar, BarKind, Event, Quote, Trade
from engine.market.store import MarketDataStore

RUNS = 7
DAY_NS = 1_700_000_000 * 1_000_000_000


def events(symbols: list[str], n: int) -> list[Event]:
    """A mix like a busy IEX stream: ~3 quotes per trade, occasional minute bars."""
    out: list[Event] = []
    for i in range(n):
        sym = symbols[i % len(symbols)]
        t = DAY_NS + i * 1000
        price = 100.0 + (i % 17) * 0.01
        if i % 4 == 0:
            out.append(Trade(sym, price, 100, t, trade_id=i, exchange="V"))
        elif i % 1000 == 999:
            out.append(Bar(BarKind.MINUTE, sym, price, price + 1, price - 1, price, 10, t))
        else:
            out.append(Quote(sym, price - 0.01, 2, price + 0.01, 3, t))
    return out


def main() -> None:
    symbols = [f"S{i:04d}" for i in range(100)]
    batch = events(symbols, 200_000)

    def run_apply() -> None:
        store = MarketDataStore()
        store.watch(symbols)
        apply = store.apply
        for event in batch:
            apply(event, 1.0)

    def run_apply_many() -> None:
        store = MarketDataStore()
        store.watch(symbols)
        for i in range(0, len(batch), 10):  # 10-message frames
            store.apply_many(batch[i : i + 10], 1.0)

    per_apply = median_seconds(run_apply, RUNS) / len(batch)
    per_many = median_seconds(run_apply_many, RUNS) / len(batch)
    print(f"apply():      {per_apply * 1e9:7.0f} ns/event  ({1 / per_apply / 1e6:.2f} M events/s)")
    print(f"apply_many(): {per_many * 1e9:7.0f} ns/event  (10-event frames)")

    big = MarketDataStore()
    big_symbols = [f"X{i:05d}" for i in range(10_000)]
    big.watch(big_symbols)
    for i, sym in enumerate(big_symbols):
        big.apply(Trade(sym, 10.0, 1, DAY_NS + i), 1.0)
    clock_now = [1.0]

    def run_sweep() -> None:
        clock_now[0] += 0.001  # no class change: the steady-state 1 Hz cost
        big.sweep(clock_now[0])

    print(f"sweep():      {median_seconds(run_sweep, RUNS) * 1e3:7.2f} ms for 10,000 symbols")

    def run_drain() -> None:
        for sym in big_symbols[:1000]:
            big.apply(Trade(sym, 10.0, 1, DAY_NS + 10**12), 1.0)
        big.drain_changes()

    drain_ms = median_seconds(run_drain, RUNS) * 1e3
    print(f"apply+drain:  {drain_ms:7.2f} ms for 1,000 changed symbols")


if __name__ == "__main__":
    main()
