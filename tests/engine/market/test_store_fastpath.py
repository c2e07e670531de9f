"""MarketDataStore.apply_stream's inlined quote path (issue 16) has exactly the effect of
`apply()` per event (merge.merge_quote): snapshots, counters, change sets and what the
observers see, for in-order, equal, older, invalid, unwatched and day-rolling quotes."""

from __future__ import annotations

import math
import random

from engine.events import Event, Quote, Subscription, Trade
from engine.market.snapshot import SymbolSnapshot
from engine.market.store import MarketDataStore, observes_late_prints

NS = 1_000_000_000
DAY0 = 1_763_650_800 * NS  # 2025-11-20 15:00 UTC = 10:00 New York, a regular session
PRICES = [10.0, 10.01, 0.0, 5.5, math.nan, math.inf, -1.0, 1e308]


def _events(rng: random.Random, n: int) -> list[Event]:
    out: list[Event] = []
    t = DAY0
    for _ in range(n):
        t += rng.choice([0, 1, 1_000, 60 * NS, 7 * 3600 * NS])  # day rolls and closes
        ts = t - rng.choice([0, 0, 0, 5_000])  # now and then older than the last
        symbol = rng.choice(["AAPL", "AAPL", "MSFT", "ZZZZ"])  # ZZZZ is not watched
        if rng.random() < 0.7:
            bid, ask = rng.choice(PRICES), rng.choice(PRICES)
            out.append(Quote(symbol, bid, rng.randint(0, 9), ask, rng.randint(0, 9), ts))
        elif rng.random() < 0.95:
            price = rng.choice(PRICES[:4])
            out.append(Trade(symbol, price, rng.randint(1, 500), ts, rng.randint(1, 50), "V"))
        else:
            out.append(Subscription(quotes=frozenset({"AAPL"})))  # a control event
    return out


def _run(events: list[Event], batch: bool) -> tuple[object, ...]:
    store = MarketDataStore(clock=lambda: 3.0)
    store.watch(["AAPL", "MSFT"])
    seen: list[tuple[Event, str]] = []
    late: list[Event] = []

    def observer(event: Event, snap: SymbolSnapshot) -> None:
        seen.append((event, repr(snap)))

    @observes_late_prints
    def tape(event: Event, snap: SymbolSnapshot) -> None:
        late.append(event)

    store.add_observer(observer)
    store.add_observer(tape)
    changes: list[set[str]] = []
    for start in range(0, len(events), 10):  # 10-event frames, drained between them
        frame = events[start : start + 10]
        if batch:
            index, _ = store.apply_stream(frame, 0, 3.0)
            while index < len(frame):
                index, _ = store.apply_stream(frame, index + 1, 3.0)
        else:
            for event in frame:
                store.apply(event, 3.0)
        changes.append(store.drain_changes())
    return (
        repr(store.get("AAPL")),
        repr(store.get("MSFT")),
        store.applied,
        store.ignored_unwatched,
        store.rejected_out_of_order,
        store.rejected_invalid,
        store.last_rejection,
        changes,
        seen,
        late,
    )


def test_apply_stream_matches_apply_on_random_streams() -> None:
    for seed in range(40):
        events = _events(random.Random(seed), 300)
        assert _run(events, batch=True) == _run(events, batch=False), seed


def test_inlined_quote_counts_applied_and_marks_changed() -> None:
    store = MarketDataStore(clock=lambda: 1.0)
    store.watch(["AAPL"])
    store.drain_changes()
    quotes: list[Event] = [Quote("AAPL", 1.0, 1, 1.1, 1, DAY0 + i) for i in range(5)]
    assert store.apply_stream(quotes, 0, 2.0) == (5, DAY0 + 4)
    snap = store.get("AAPL")
    assert snap is not None
    assert (store.applied, snap.updates, snap.received_at) == (5, 5, 2.0)
    assert store.drain_changes() == {"AAPL"}


def test_nan_and_inf_quotes_are_rejected_on_the_stream_path_too() -> None:
    store = MarketDataStore(clock=lambda: 1.0)
    store.watch(["AAPL"])
    bad: list[Event] = [
        Quote("AAPL", math.nan, 1, 1.1, 1, DAY0),
        Quote("AAPL", 1.0, 1, math.inf, 1, DAY0),
        Quote("AAPL", -0.5, 1, 1.1, 1, DAY0),
    ]
    store.apply_stream(bad, 0, 2.0)
    snap = store.get("AAPL")
    assert snap is not None
    assert (snap.bid_price, snap.ask_price) == (None, None)
    assert (store.rejected_invalid, store.applied) == (3, 0)
