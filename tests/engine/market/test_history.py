"""engine.market.history: bounded sparkline buckets, tape corrections, bars and halts."""

from __future__ import annotations

import pytest

from engine.events import (
    Bar,
    BarKind,
    CancelError,
    Correction,
    Luld,
    Quote,
    Snapshot,
    Trade,
    TradingStatus,
)
from engine.market.history import DEFAULT_TAPE_SIZE, NS, PriceHistory, TapeState
from engine.market.store import MarketDataStore

T0 = 1_750_000_000 * NS  # an exchange time, ns


def setup(**kwargs: float) -> tuple[MarketDataStore, PriceHistory]:
    store = MarketDataStore(clock=lambda: 100.0)
    store.watch(["AAPL", "MSFT"])
    history = PriceHistory(**kwargs)  # type: ignore[arg-type]
    store.add_observer(history.on_event)
    return store, history


def trade(price: float, t_ns: int, trade_id: int, symbol: str = "AAPL") -> Trade:
    return Trade(symbol, price, 100, t_ns, trade_id, "V")


def test_buckets_keep_the_last_price_per_second_and_bound_memory() -> None:
    store, history = setup(window_s=60, bucket_s=1.0)
    for i in range(1_000):  # 1,000 prints within one second: one bucket
        store.apply(trade(100 + i / 100, T0 + i * 1_000, i + 1))
    series = history.get("AAPL")
    assert series is not None
    assert len(series.prices) == 1
    assert series.prices.points() == ([T0 // NS * NS], [109.99])
    for s in range(1, 500):  # 500 seconds of prints: only the 60-second window stays
        store.apply(trade(200 + s, T0 + s * NS, 10_000 + s))
    times, prices = series.prices.points()
    assert len(times) == history.capacity + 1 == 61
    assert times[-1] - times[0] == 60 * NS
    assert prices[-1] == 699
    assert len(series.tape) == DEFAULT_TAPE_SIZE  # default tape bound


def test_window_is_time_not_only_count() -> None:
    store, history = setup(window_s=10, bucket_s=1.0)
    store.apply(trade(10.0, T0, 1))
    store.apply(trade(11.0, T0 + 5 * NS, 2))
    store.apply(trade(12.0, T0 + 100 * NS, 3))  # 100 s later: both older buckets left the window
    series = history.get("AAPL")
    assert series is not None
    assert series.prices.points()[1] == [12.0]


def test_correction_and_cancel_fix_tape_and_sparkline() -> None:
    store, history = setup()
    store.apply(trade(100.0, T0, 1))
    store.apply(trade(101.0, T0 + 3 * NS, 2))
    store.apply(trade(102.0, T0 + 3 * NS + 10, 3))
    h = history.get("AAPL")
    assert h is not None
    spark = h.spark_version
    store.apply(Correction("AAPL", "V", 3, 102.0, 100, 4, 101.5, 50, T0 + 4 * NS))
    corrected = h.tape[-1]
    assert (corrected.state, corrected.price, corrected.original_price) == (
        TapeState.CORRECTED, 101.5, 102.0)  # fmt: skip
    assert corrected.trade_id == 4
    assert corrected.size == 50
    assert h.prices.points()[1] == [100.0, 101.5]
    assert h.spark_version > spark
    # Cancel the (corrected) last print: the store reverts to trade 2, same bucket.
    store.apply(CancelError("AAPL", 4, "V", 101.5, 50, "C", T0 + 5 * NS))
    assert h.tape[-1].state is TapeState.CANCELLED
    assert h.prices.points()[1] == [100.0, 101.0]
    assert store.get("AAPL").last_price == 101.0  # type: ignore[union-attr]


def test_cancel_of_a_lone_print_in_its_bucket_drops_the_bucket() -> None:
    store, history = setup()
    store.apply(trade(100.0, T0, 1))
    store.apply(trade(105.0, T0 + 2 * NS, 2))
    store.apply(CancelError("AAPL", 2, "V", 105.0, 100, "E", T0 + 3 * NS))
    h = history.get("AAPL")
    assert h is not None
    assert h.tape[-1].state is TapeState.ERROR
    assert h.prices.points() == ([T0], [100.0])


def test_tape_marks_older_entries_when_an_observer_is_told() -> None:
    # The store only tells observers about corrections it could apply (last two prints);
    # the tape itself matches any entry it holds, by id and venue.
    _, history = setup()
    store = MarketDataStore(clock=lambda: 1.0)
    store.watch(["AAPL"])
    store.add_observer(history.on_event)
    for i in range(5):
        store.apply(trade(50.0 + i, T0 + i * NS, i + 1))
    snap = store.get("AAPL")
    assert snap is not None
    history.on_event(Correction("AAPL", "V", 2, 51.0, 100, 22, 51.25, 100, T0 + 9 * NS), snap)
    history.on_event(CancelError("AAPL", 1, "Q", 50.0, 100, "C", T0 + 9 * NS), snap)  # other venue
    h = history.get("AAPL")
    assert h is not None
    states = [(e.trade_id, e.state) for e in h.tape]
    assert states[1] == (22, TapeState.CORRECTED)
    assert states[0] == (1, TapeState.OK)


def test_minute_bars_updates_halts_lulds_and_snapshots() -> None:
    store, history = setup(max_bars=3)
    store.apply(Bar(BarKind.DAILY, "AAPL", 1, 2, 0.5, 1.5, 10, T0))  # day stats: not a chart bar
    for m in range(5):
        store.apply(Bar(BarKind.DAILY, "AAPL", 1, 9, 0.5, 1.5, 10, T0))
        bar = Bar(BarKind.MINUTE, "AAPL", 10 + m, 11 + m, 9 + m, 10.5 + m, 100, T0 + m * 60 * NS)
        store.apply(bar)
    store.apply(Bar(BarKind.UPDATED, "AAPL", 14, 20, 9, 19, 999, T0 + 4 * 60 * NS))
    h = history.get("AAPL")
    assert h is not None
    assert list(h.bars.times) == [T0 + m * 60 * NS for m in (2, 3, 4)]
    assert (h.bars.high[-1], h.bars.close[-1], h.bars.volume[-1]) == (20.0, 19.0, 999)
    store.apply(TradingStatus("AAPL", "H", "Trading Halt", "T1", "News Pending", T0 + NS))
    assert h.halted
    assert h.halts[-1].reason == "News Pending"
    store.apply(TradingStatus("AAPL", "T", "Trading Resumption", "", "", T0 + 9 * NS))
    assert not h.halted
    assert h.halts[-1].end_ns == T0 + 9 * NS
    store.apply(Luld("AAPL", 110.0, 90.0, "B", T0 + 10 * NS))
    assert h.lulds[-1] == (T0 + 10 * NS, 90.0, 110.0)
    store.apply(Snapshot("MSFT", latest_trade=trade(300.0, T0, 7, "MSFT"), latest_quote=Quote(
        "MSFT", 299.9, 1, 300.1, 1, T0)))  # fmt: skip
    m = history.get("MSFT")
    assert m is not None
    assert m.prices.points()[1] == [300.0]
    assert not m.tape  # a snapshot's trade is not a new print


def test_symbols_are_bounded_and_retained() -> None:
    store, history = setup(max_symbols=2)
    store.set_accept_all(True)
    for i, symbol in enumerate(["A", "B", "C"]):
        store.apply(trade(1.0, T0 + i, i, symbol))
    assert "A" not in history
    assert len(history) == 2
    assert history.evicted == 1
    history.retain(["C"])
    assert list(history._symbols) == ["C"]


def test_observer_never_raises_on_bad_input() -> None:
    store, history = setup()
    snap = store.get("AAPL")
    assert snap is not None
    history.on_event(Trade("AAPL", 1.0, 1, "not-an-int", 1), snap)  # type: ignore[arg-type]
    assert history.errors == 1
    assert history.last_error is not None
    assert "TypeError" in history.last_error
    history.on_event(object(), snap)  # unknown event types are ignored
    assert history.errors == 1


def test_rejects_bad_configuration() -> None:
    with pytest.raises(ValueError, match="bucket_s"):
        PriceHistory(window_s=1, bucket_s=5)


def test_prints_fold_into_minute_bars_until_the_stream_bar_replaces_them() -> None:
    store, history = setup()
    minute = T0 - T0 % (60 * NS)
    for i, price in enumerate([10.0, 12.0, 9.0, 11.0]):
        store.apply(Trade("AAPL", price, 10, minute + i * NS, i + 1, "V"))
    store.apply(Trade("AAPL", 11.5, 5, minute + 61 * NS, 9, "V"))  # next minute
    h = history.get("AAPL")
    assert h is not None
    bars = h.bars
    assert list(bars.times) == [minute, minute + 60 * NS]
    first = (bars.open[0], bars.high[0], bars.low[0], bars.close[0], bars.volume[0])
    assert first == (10.0, 12.0, 9.0, 11.0, 40)
    # The stream's bar for that minute (moving the day high) is the authority.
    store.apply(Bar(BarKind.DAILY, "AAPL", 10, 10, 9, 10, 1, minute - 3600 * NS))
    store.apply(Bar(BarKind.MINUTE, "AAPL", 10.0, 12.5, 8.5, 11.2, 77, minute))
    assert (bars.high[0], bars.low[0], bars.close[0], bars.volume[0]) == (12.5, 8.5, 11.2, 77)
    assert len(bars) == 2
