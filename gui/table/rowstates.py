"""Per-row view state beside the store (no Qt): cached freshness, tick flashes, positions.

The table model keeps one `gui.table.columns.RowState` per watchlist symbol. A flush hands
this object the symbols the store changed and gets back the rows to repaint: rows whose
state it refreshed, plus rows whose ~600 ms tick flash has just ended (no store change,
but the Last cell's background must go back). Work follows changed symbols and flashing
rows, never the watchlist's length.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from engine.market.store import MarketDataStore
from gui.positions.book import Position
from gui.table.columns import RowState

__all__ = ["FLASH_SECONDS", "RowStates", "contiguous_blocks", "normalised"]

FLASH_SECONDS = 0.6


def contiguous_blocks(rows: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted, de-duplicated rows as inclusive (first, last) runs: {0,1,2,5} -> [(0,2),(5,5)]."""
    blocks: list[tuple[int, int]] = []
    for row in sorted(set(rows)):
        if blocks and blocks[-1][1] == row - 1:
            blocks[-1] = (blocks[-1][0], row)
        else:
            blocks.append((row, row))
    return blocks


def normalised(symbols: Iterable[str]) -> list[str]:
    """Same keys as MarketDataStore.watch (stripped, upper-case); validation is the caller's."""
    return [s for s in (raw.strip().upper() for raw in symbols) if s]


class RowStates:
    """RowState per watched symbol, refreshed from the store; tracks which rows flash."""

    def __init__(self, store: MarketDataStore, flash_seconds: float = FLASH_SECONDS) -> None:
        self._store = store
        self._flash_seconds = flash_seconds
        # One dict for the object's lifetime, mutated in place: the cell presenter
        # (gui.table.cells) holds it directly so each painted role is one lookup.
        self.by_symbol: dict[str, RowState] = {}
        self._flashing: dict[str, float] = {}  # symbol -> flash end (bounded by flashing rows)
        self._positions: Mapping[str, Position] = {}

    def add(self, symbols: Iterable[str], now: float) -> None:
        """New rows: state from what the store already holds (no flash for a first price)."""
        store = self._store
        for symbol in symbols:
            state = RowState(symbol, position=self._positions.get(symbol))
            snap = store.get(symbol)
            if snap is not None:
                state.freshness = store.freshness(symbol, now)
                state.seen_price = snap.last_price
            self.by_symbol[symbol] = state

    def discard(self, symbols: Iterable[str]) -> None:
        for symbol in symbols:
            self.by_symbol.pop(symbol, None)
            self._flashing.pop(symbol, None)

    def refresh(self, symbols: Iterable[str], rows_of: Mapping[str, int], now: float) -> set[int]:
        """Refresh the rows of `symbols` (symbols not in `rows_of` are not ours: skipped,
        e.g. a wildcard subscription); returns their rows."""
        # One loop, locals only: at 10,000 symbols a flush refreshes ~1,000 rows, and this
        # loop is most of what the flush costs once only rows on screen are signalled
        # (gui.table.model, issue 16).
        rows: set[int] = set()
        row_of, state_of = rows_of.get, self.by_symbol.__getitem__
        freshness, snap_of = self._store.freshness, self._store.get
        flashing, flash_until = self._flashing, now + self._flash_seconds
        for symbol in symbols:
            row = row_of(symbol)
            if row is None:
                continue
            state = state_of(symbol)
            state.freshness = freshness(symbol, now)
            snap = snap_of(symbol)
            price = None if snap is None else snap.last_price
            seen = state.seen_price
            if price is not None and seen is not None and price != seen:
                state.flash_tick = 1 if price > seen else -1
                state.flash_until = flashing[symbol] = flash_until
            state.seen_price = price
            rows.add(row)
        return rows

    def end_flashes(self, rows_of: Mapping[str, int], now: float, rows: set[int]) -> None:
        """Stop the flashes that are over and add their rows to `rows`."""
        if not self._flashing:
            return
        ended = [s for s, until in self._flashing.items() if until <= now]
        for symbol in ended:
            del self._flashing[symbol]
            self.by_symbol[symbol].flash_tick = 0
            rows.add(rows_of[symbol])

    def set_positions(self, positions: Mapping[str, Position]) -> list[str]:
        """Use this book (symbol -> Position) from now on; returns the symbols it changed."""
        self._positions = positions
        changed = []
        for symbol, state in self.by_symbol.items():
            position = positions.get(symbol)
            if position != state.position:
                state.position = position
                changed.append(symbol)
        return changed
