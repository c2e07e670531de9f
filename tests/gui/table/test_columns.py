"""Column declarations (no Qt): raw values, expiry hiding, colour rules, status and tooltip."""

from __future__ import annotations

from typing import Any

from engine.events import Bar, BarKind, CancelError, Luld, Quote, Snapshot, Trade, TradingStatus
from engine.market.store import Freshness, MarketDataStore, Source, SymbolSnapshot
from gui.table.columns import (
    COLUMN_INDEX,
    COLUMNS,
    ColumnDef,
    RowState,
    Tone,
    background_tone,
    foreground_tone,
    raw_value,
    row_tooltip,
    status_text,
)

NS = 1_700_000_000_000_000_000


def col(key: str) -> ColumnDef:
    return COLUMNS[COLUMN_INDEX[key]]


def _filled(store: MarketDataStore) -> SymbolSnapshot:
    store.watch(["AAPL"])
    prev = Bar(BarKind.DAILY, "AAPL", 1, 1, 1, 100.0, 10, NS - 86_400 * 10**9)
    store.apply(Snapshot("AAPL", prev_daily_bar=prev))
    store.apply(Trade("AAPL", 98.0, 100, NS))
    store.apply(Trade("AAPL", 101.5, 200, NS + 1))
    store.apply(Quote("AAPL", 101.4, 300, 101.6, 400, NS + 2))
    snap = store.get("AAPL")
    assert snap is not None
    return snap


def test_columns_are_declared_once_with_unique_keys_and_headers() -> None:
    keys = [c.key for c in COLUMNS]
    # Several engineers add columns: check uniqueness and the known keys, not one count.
    assert len(keys) == len(set(keys)) >= 15
    assert {"symbol", "last", "market_value", "day_pnl", "total_pnl", "age"} <= set(keys)
    assert all(c.header and c.tooltip for c in COLUMNS)
    # tick_ages() refreshes Age and Status as one range: they must be adjacent.
    assert COLUMN_INDEX["status"] == COLUMN_INDEX["age"] + 1


def test_raw_values_are_numbers_not_text(store: MarketDataStore, clock: Any) -> None:
    snap = _filled(store)
    state = RowState("AAPL", freshness=store.freshness("AAPL"))
    assert raw_value(col("last"), snap, state, clock()) == 101.5
    assert raw_value(col("change"), snap, state, clock()) == 1.5
    assert raw_value(col("change_pct"), snap, state, clock()) == 1.5
    assert raw_value(col("spread"), snap, state, clock()) == snap.ask_price - 101.4  # type: ignore[operator]
    assert raw_value(col("bid_size"), snap, state, clock()) == 300
    assert raw_value(col("trade_time"), snap, state, clock()) == NS + 1
    clock.advance(2.5)
    assert raw_value(col("age"), snap, state, clock()) == 2.5


def test_expired_rows_hide_market_values_but_keep_symbol_age_status(
    store: MarketDataStore, clock: Any
) -> None:
    snap = _filled(store)
    clock.advance(1_900)
    state = RowState("AAPL", freshness=store.freshness("AAPL"))
    assert state.freshness is Freshness.EXPIRED
    hidden = [c.key for c in COLUMNS if raw_value(c, snap, state, clock()) is None]
    assert set(hidden) == {c.key for c in COLUMNS} - {"symbol", "age", "status"}
    assert col("last").formatter(raw_value(col("last"), snap, state, clock())) == "\u2014"
    assert status_text(snap, state) == "EXPIRED"
    assert col("age").formatter(raw_value(col("age"), snap, state, clock())) == "31 m"


def test_empty_book_side_and_cancelled_print_are_not_prices(store: MarketDataStore) -> None:
    snap = _filled(store)
    store.apply(Quote("AAPL", 0.0, 0, 101.6, 400, NS + 3))  # Alpaca: 0 = no bid
    store.apply(CancelError("AAPL", 0, "", 101.5, 200, "C", NS + 4))
    state = RowState("AAPL", freshness=Freshness.FRESH)
    assert raw_value(col("bid"), snap, state, 0.0) is None
    assert raw_value(col("spread"), snap, state, 0.0) is None
    assert raw_value(col("ask"), snap, state, 0.0) == 101.6


def test_colour_rules(store: MarketDataStore) -> None:
    snap = _filled(store)
    fresh = RowState("AAPL", freshness=Freshness.FRESH)
    assert foreground_tone(col("last"), snap, fresh, 101.5) is Tone.UP  # 98 -> 101.5
    assert foreground_tone(col("change"), snap, fresh, 1.5) is Tone.UP
    assert foreground_tone(col("change"), snap, fresh, -0.2) is Tone.DOWN
    assert foreground_tone(col("bid"), snap, fresh, 101.4) is None
    stale = RowState("AAPL", freshness=Freshness.STALE)
    assert foreground_tone(col("last"), snap, stale, 101.5) is Tone.MUTED
    assert foreground_tone(col("symbol"), snap, stale, "AAPL") is Tone.MUTED
    assert background_tone(col("last"), snap, fresh) is None
    flashing = RowState("AAPL", flash_tick=-1)
    assert background_tone(col("last"), snap, flashing) is Tone.FLASH_DOWN
    # Only the Last cell flashes; the rest of the row keeps its background.
    assert background_tone(col("bid"), snap, flashing) is None
    assert background_tone(col("symbol"), snap, flashing) is None


def test_halt_status_and_tooltip(store: MarketDataStore) -> None:
    snap = _filled(store)
    store.apply(TradingStatus("AAPL", "H", "Trading Halt", "T1", "Halt News Pending", NS + 5))
    store.apply(Luld("AAPL", 106.6, 96.4, "B", NS + 6))
    state = RowState("AAPL", freshness=Freshness.FRESH, flash_tick=1)
    assert status_text(snap, state) == "HALTED"
    assert background_tone(col("last"), snap, state) is Tone.HALTED  # beats the flash
    assert background_tone(col("volume"), snap, state) is Tone.HALTED  # the whole row
    tip = row_tooltip(snap, state, 0.0)
    assert "Halt News Pending" in tip
    assert "96.40" in tip
    assert "106.60" in tip


def test_status_names_the_source() -> None:
    snap = SymbolSnapshot("X", source=Source.SIMULATOR, received_at=1.0)
    assert status_text(snap, RowState("X", freshness=Freshness.FRESH)) == "DEMO"
    snap.source = Source.REST
    assert status_text(snap, RowState("X", freshness=Freshness.FRESH)) == "REST"
    assert status_text(snap, RowState("X", freshness=Freshness.STALE)) == "STALE"
    assert status_text(snap, RowState("X")) == "waiting"
