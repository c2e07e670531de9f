"""What counts as prices (issue 12, #8 and the store half of #4).

#8: a row's receipt time, source and freshness come from its prices (last trade / quote),
never from a status, LULD band, bar, correction or cancel. #4: the latency stamp that
`apply_stream` returns is the newest exchange time of a trade or quote in the run.
"""

from __future__ import annotations

import pytest

from engine.events import (
    Bar,
    BarKind,
    CancelError,
    Correction,
    Event,
    Imbalance,
    Luld,
    Quote,
    Snapshot,
    Subscription,
    Trade,
    TradingStatus,
)
from engine.market.snapshot import Freshness, Source
from engine.market.store import MarketDataStore
from tests.conftest import FakeClock
from tests.engine.market.rows import row

S = 1_000_000_000
T0 = 1_764_000_000 * S  # Monday 2025-11-24 11:00 ET
MIDNIGHT = T0 - 11 * 3600 * S


def trade(price: float, t: int, tid: int, symbol: str = "AAPL") -> Trade:
    return Trade(symbol, price, 100, T0 + t * S, trade_id=tid, exchange="V")


def quote(bid: float, t: int, symbol: str = "AAPL") -> Quote:
    return Quote(symbol, bid, 1, bid + 0.02, 1, T0 + t * S)


def not_prices(t: int) -> list[Event]:
    """Everything that changes a row without bringing it a new price."""
    return [
        TradingStatus("AAPL", "E", "Short Sale Restriction", "", "", T0 + t * S),
        Luld("AAPL", 110.0, 90.0, "B", T0 + t * S),
        Bar(BarKind.DAILY, "AAPL", 99.0, 101.0, 98.0, 100.0, 5000, MIDNIGHT),
        Bar(BarKind.MINUTE, "AAPL", 100.0, 102.0, 97.0, 100.0, 10, T0 + (t - 60) * S),
        Correction("AAPL", "V", 1, 100.0, 100, 11, 100.1, 100, T0 + t * S),
        TradingStatus("AAPL", "H", "Trading Halt", "", "News Pending", T0 + (t + 1) * S),
    ]


@pytest.fixture
def store(clock: FakeClock) -> MarketDataStore:
    s = MarketDataStore(clock=clock)
    s.watch(["AAPL"])
    return s


# --- #8 ------------------------------------------------------------------------------


@pytest.mark.parametrize("framed", [False, True])
def test_after_a_gap_only_new_prices_make_a_row_fresh(
    store: MarketDataStore, clock: FakeClock, framed: bool
) -> None:
    store.apply(trade(100.0, 0, 1))
    received = row(store).received_at
    store.set_stream_connected(False)
    clock.advance(120.0)
    store.set_stream_connected(True)
    assert store.freshness("AAPL") is Freshness.STALE
    events = not_prices(120)
    if framed:
        assert store.apply_stream(events, 0, clock.now)[0] == len(events)
    else:
        for event in events:
            store.apply(event)
    snap = row(store)
    assert (snap.luld_up, snap.high, snap.last_price, snap.halted) == (110.0, 102.0, 100.1, True)
    assert store.freshness("AAPL") is Freshness.STALE  # minutes-old price: still grey
    assert snap.received_at == received
    assert store.age("AAPL") == pytest.approx(120.0)
    assert "AAPL" in store.drain_changes()  # the row changed all the same
    store.apply(quote(99.9, 121))
    assert store.freshness("AAPL") is Freshness.FRESH


def test_status_updates_do_not_keep_an_old_price_fresh(
    store: MarketDataStore, clock: FakeClock
) -> None:
    store.apply(trade(100.0, 0, 1))
    for minute in range(1, 7):  # a status every minute, no price for six minutes
        clock.advance(60.0)
        store.apply(TradingStatus("AAPL", "E", "SSR", "", "", T0 + minute * 60 * S))
        store.apply(Luld("AAPL", 110.0 + minute, 90.0, "B", T0 + minute * 60 * S))
    assert store.age("AAPL") == pytest.approx(360.0)
    assert store.freshness("AAPL") is Freshness.STALE


def test_a_cancel_does_not_refresh_a_rest_row_with_stream_time(
    store: MarketDataStore, clock: FakeClock
) -> None:
    store.apply(trade(100.0, 0, 1), source=Source.REST)
    clock.advance(30.0)
    store.apply(trade(100.5, 1, 2), source=Source.REST)
    clock.advance(30.0)
    store.apply(CancelError("AAPL", 2, "V", 100.5, 100, "C", T0 + 2 * S))
    snap = row(store)
    assert (snap.last_price, snap.source) == (100.0, Source.REST)
    assert store.age("AAPL") == pytest.approx(30.0)


def test_a_row_without_prices_still_takes_its_first_data_time(
    store: MarketDataStore, clock: FakeClock
) -> None:
    store.apply(TradingStatus("AAPL", "H", "Trading Halt", "", "", T0))
    assert row(store).received_at == clock.now
    assert store.freshness("AAPL") is Freshness.FRESH


# --- #4, store half --------------------------------------------------------------------


def test_apply_stream_stamps_latency_with_the_newest_trade_or_quote(
    store: MarketDataStore,
) -> None:
    events: list[Event] = [
        trade(100.0, 10, 1),
        quote(99.0, 30),
        trade(100.1, 20, 2),  # older than the quote before it
        Bar(BarKind.MINUTE, "AAPL", 1, 1, 1, 1, 1, T0 - 60 * S),  # a bar's t is its start
        Bar(BarKind.DAILY, "AAPL", 1, 1, 1, 1, 1, MIDNIGHT),  # midnight New York
        TradingStatus("AAPL", "H", "Halt", "", "", T0 + 99 * S),
        Luld("AAPL", 110.0, 90.0, "B", T0 + 98 * S),
        Imbalance("AAPL", 10.0, T0 + 97 * S),
    ]
    assert store.apply_stream(events, 0, 1.0) == (len(events), T0 + 30 * S)
    # A trade of a symbol not watched was still on the wire that late.
    assert store.apply_stream([trade(1.0, 40, 3, symbol="MSFT")], 0, 1.0) == (1, T0 + 40 * S)


def test_a_run_without_trades_or_quotes_has_no_latency_stamp(store: MarketDataStore) -> None:
    events: list[Event] = [
        Bar(BarKind.DAILY, "AAPL", 1, 1, 1, 1, 1, MIDNIGHT),
        TradingStatus("AAPL", "H", "Halt", "", "", T0),
        Subscription(trades=frozenset({"AAPL"})),
        quote(99.0, 5),
    ]
    assert store.apply_stream(events, 0, 1.0) == (2, 0)  # stops at the control event
    assert store.apply_stream(events, 3, 1.0) == (4, T0 + 5 * S)


def test_a_rest_poll_with_the_same_prices_keeps_a_rest_row_current(clock: FakeClock) -> None:
    """Symbol budget: a quiet symbol kept alive from REST must not go stale while every
    poll confirms that nothing newer exists (the same print is accepted again)."""
    store = MarketDataStore(clock=clock)
    store.watch(["AAPL"])
    polled = Snapshot("AAPL", latest_trade=trade(10.0, 0, 1), latest_quote=quote(9.99, 0))
    store.apply(polled)
    clock.advance(90.0)  # past the REST TTL: stale
    assert store.freshness("AAPL") is not Freshness.FRESH
    store.apply(polled)  # the same prices again: confirmed as of now
    assert store.freshness("AAPL") is Freshness.FRESH
    assert store.age("AAPL") == 0.0
    snap = store.get("AAPL")
    assert snap is not None
    assert snap.source is Source.REST
