"""Helpers shared by the market tests: the AAPL row and a store that watches it."""

from __future__ import annotations

from engine.market.store import MarketDataStore, SymbolSnapshot


def aapl_store() -> MarketDataStore:
    """A store on a constant clock that watches AAPL (ages do not matter to these tests)."""
    store = MarketDataStore(clock=lambda: 1.0)
    store.watch(["AAPL"])
    return store


def row(store: MarketDataStore, symbol: str = "AAPL") -> SymbolSnapshot:
    """The live snapshot of `symbol`, which the test has watched."""
    snap = store.get(symbol)
    assert snap is not None
    return snap
