"""A second reader of the store's changes, for a table in another top-level window.

The store keeps ONE change set and the main table's model drains it
(gui.watchlists.controller: a second model draining it too would steal the first one's
rows). A detached watchlist window therefore reads through a `StoreTee`: every store
method is the store's own, except `drain_changes`, which returns the symbols a store
observer saw change since the last drain (O(1) per event on the hot path, as
`MarketDataStore.add_observer` asks), and `sweep`, which returns every row of the tee's
list once a second so freshness, connectivity and history arrivals (changes no event
carries) repaint within the model's 1 Hz tick without taking the main table's sweep.
One process, one store, one connection (docs/design.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, cast

from engine.events import Event
from engine.market.snapshot import SymbolSnapshot
from engine.market.store import MarketDataStore

MAX_PENDING = 10_000  # bounded: a window that stops draining cannot grow without end


class StoreTee:
    """Store-shaped view of `store` with its own change set (see the module docstring)."""

    def __init__(self, store: MarketDataStore, rows: Callable[[], Iterable[str]]) -> None:
        self._store = store
        self._rows = rows  # the symbols the reader shows (its model's rows)
        self._pending: set[str] = set()
        self._attached = False
        self.overflows = 0  # drains that found the bound reached (counted, then a full pass)
        self.attach()

    def attach(self) -> None:
        if not self._attached:
            self._store.add_observer(self._on_event)
            self._attached = True

    def detach(self) -> None:
        """Stop observing (the window closed): the store's hot path is as before."""
        if self._attached:
            self._store.remove_observer(self._on_event)
            self._attached = False

    def _on_event(self, _event: Event, snap: SymbolSnapshot) -> None:
        pending = self._pending
        if len(pending) < MAX_PENDING:
            pending.add(snap.symbol)

    def drain_changes(self) -> set[str]:
        changed, self._pending = self._pending, set()
        if len(changed) >= MAX_PENDING:
            self.overflows += 1
            changed |= set(self._rows())
        return changed

    def sweep(self, now: float | None = None) -> set[str]:
        del now  # the main table sweeps the store; this reader refreshes all its rows
        return set(self._rows())

    def watch(self, symbols: Iterable[str]) -> None:
        del symbols  # WatchlistSet owns the union (watch_store=False); never the reader

    def unwatch(self, symbols: Iterable[str]) -> None:
        del symbols

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def as_store(self) -> MarketDataStore:
        """This tee typed as what TickerTableModel takes (it duck-types the store)."""
        return cast(MarketDataStore, self)
