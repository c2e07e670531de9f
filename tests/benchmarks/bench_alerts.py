"""Benchmark engine.alerts.book: what the AlertBook observer adds to store.apply (prints medians).

Run: /tmp/venv/bin/python tests/benchmarks/bench_alerts.py
"""

from __future__ import annotations

from benchstats import median_seconds

from engine.alerts.book import AlertBook
from engine.events import Event, Quote, Trade
from engine.market.store import MarketDataStore

RUNS = 7
N_EVENTS = 200_000
DAY_NS = 1_700_000_000 * 1_000_000_000


def events(symbols: list[str], n: int) -> list[Event]:
    """~3 quotes per trade, prices wandering a few cents (like bench_store)."""
    out: list[Event] = []
    for i in range(n):
        sym = symbols[i % len(symbols)]
        price = 100.0 + (i % 17) * 0.01
        if i % 4 == 0:
            out.append(Trade(sym, price, 100, DAY_NS + i, trade_id=i))
        else:
            out.append(Quote(sym, price - 0.01, 2, price + 0.01, 3, DAY_NS + i))
    return out


def run(symbols: list[str], batch: list[Event], alerted: list[str] | None) -> float:
    def once() -> None:
        store = MarketDataStore()
        store.watch(symbols)
        if alerted is not None:
            book = AlertBook()
            for sym in alerted:  # 3 rules per alerted symbol; levels inside the price range
                book.add(sym, "above", 100.10)
                book.add(sym, "crosses", 100.05)
                book.add(sym, "pct_below", -2.0)
            store.add_observer(book.on_event)
        apply = store.apply
        for event in batch:
            apply(event, 1.0)

    return median_seconds(once, RUNS) / len(batch)


def main() -> None:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    symbols = [a + b + c for a in letters[:20] for b in letters[:5] for c in letters[:5]]
    batch = events(symbols, N_EVENTS)
    base = run(symbols, batch, None)
    print(f"store.apply, no alert book:           {base * 1e9:6.0f} ns/event")
    for label, alerted in (
        ("book, no rules", []),
        ("book, 3 rules on 10 of 500 symbols", symbols[:10]),
        ("book, 3 rules on all 500 symbols", symbols),
    ):
        cost = run(symbols, batch, alerted)
        print(f"{label + ':':38s}{cost * 1e9:6.0f} ns/event  (+{(cost - base) * 1e9:.0f} ns)")


if __name__ == "__main__":
    main()
