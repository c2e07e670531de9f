"""Row states without Qt: refreshed rows of a change set, tick flashes that end, positions."""

from __future__ import annotations

from engine.events import Trade
from engine.market.store import Freshness, MarketDataStore
from gui.positions.book import Position
from gui.table.rowstates import FLASH_SECONDS, RowStates, contiguous_blocks, normalised
from tests.conftest import FakeClock

NS = 1_700_000_000_000_000_000
ROWS = {"AAPL": 0, "MSFT": 1}


def price(store: MarketDataStore, symbol: str, value: float, seq: int) -> None:
    assert store.apply(Trade(symbol, value, 100, NS + seq))


def test_refresh_skips_symbols_off_the_watchlist_and_flashes_on_a_new_price(
    store: MarketDataStore, clock: FakeClock
) -> None:
    store.watch(["AAPL", "MSFT"])
    price(store, "AAPL", 10.0, 1)
    states = RowStates(store)
    states.add(["AAPL", "MSFT"], clock())
    aapl = states.by_symbol["AAPL"]
    assert aapl.seen_price == 10.0  # known price at insert: no flash for it later
    assert states.by_symbol["MSFT"].freshness is Freshness.EMPTY
    assert states.refresh(["ZZZZ", "AAPL"], ROWS, clock()) == {0}
    assert aapl.flash_tick == 0
    price(store, "AAPL", 10.5, 2)
    assert states.refresh(["AAPL"], ROWS, clock()) == {0}
    assert (aapl.flash_tick, aapl.flash_until) == (1, clock() + FLASH_SECONDS)
    rows: set[int] = set()
    states.end_flashes(ROWS, clock(), rows)
    assert rows == set()  # still flashing
    clock.advance(FLASH_SECONDS)
    states.end_flashes(ROWS, clock(), rows)
    assert rows == {0}
    assert aapl.flash_tick == 0
    rows.clear()
    states.end_flashes(ROWS, clock(), rows)
    assert rows == set()  # ended once


def test_positions_reach_new_and_existing_rows_and_discard_forgets(
    store: MarketDataStore, clock: FakeClock
) -> None:
    states = RowStates(store)
    states.add(["AAPL"], clock())
    book = {"AAPL": Position(10, 100.0), "MSFT": Position(5, 300.0)}
    assert states.set_positions(book) == ["AAPL"]
    assert states.set_positions(dict(book)) == []  # same holdings: nothing to repaint
    states.add(["MSFT"], clock())
    assert states.by_symbol["MSFT"].position == book["MSFT"]
    states.discard(["AAPL", "NOPE"])
    assert list(states.by_symbol) == ["MSFT"]


def test_blocks_and_symbol_keys() -> None:
    assert contiguous_blocks([7, 3, 4, 4, 9, 8]) == [(3, 4), (7, 9)]
    assert normalised([" aapl ", "", "  ", "Brk.B"]) == ["AAPL", "BRK.B"]
