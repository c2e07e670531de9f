"""Late prints and venue-scoped trade ids (issue 12, #13 and #14).

#13: a trade older than the held last trade does not move the last price, but it still
counts in the day's volume/high/low (when those are counted trade by trade) and goes on
the tape at its time, bounded as ever. #14: corrections and cancels name a print by trade
id AND exchange (SIP ids are unique per venue only), in the store and in the history.
"""

from __future__ import annotations

from engine.events import Bar, BarKind, CancelError, Correction, Trade
from engine.market.history import PriceHistory, TapeState
from engine.market.merge import (
    RejectKind,
    Touch,
    merge_cancel,
    merge_correction,
    merge_daily_bar,
    merge_trade,
)
from engine.market.snapshot import SymbolSnapshot
from engine.market.store import MarketDataStore, observes_late_prints
from tests.engine.market.rows import row

S = 1_000_000_000
T0 = 1_764_000_000 * S  # Monday 2025-11-24 11:00 ET
MIDNIGHT = T0 - 11 * 3600 * S


def trade(price: float, t: float, tid: int, size: int = 100, venue: str = "V") -> Trade:
    return Trade("AAPL", price, size, T0 + int(t * S), trade_id=tid, exchange=venue)


def daily(volume: int = 1000) -> Bar:
    return Bar(BarKind.DAILY, "AAPL", 100.0, 101.0, 99.0, 100.5, volume, MIDNIGHT)


def setup(tape_size: int = 100) -> tuple[MarketDataStore, PriceHistory]:
    store = MarketDataStore(clock=lambda: 1.0)
    store.watch(["AAPL"])
    history = PriceHistory(tape_size=tape_size)
    store.add_observer(history.on_event)
    return store, history


# --- #13 -------------------------------------------------------------------------------


def test_a_late_print_counts_in_the_day_but_not_as_the_last_price() -> None:
    snap = SymbolSnapshot("AAPL")
    merge_trade(snap, trade(100.0, 10, 2))
    merge_daily_bar(snap, daily())
    merge_trade(snap, trade(100.2, 11, 3, size=10))
    outcome = merge_trade(snap, trade(98.5, 5, 1, size=50))  # five seconds late
    assert outcome.touch is Touch.DAY
    assert outcome.late_print
    assert [r.kind for r in outcome.rejections] == [RejectKind.OUT_OF_ORDER]
    assert (snap.volume, snap.low, snap.high) == (1060, 98.5, 101.0)
    assert (snap.last_price, snap.last_trade_id, snap.last_trade_ns) == (100.2, 3, T0 + 11 * S)
    assert snap._prev_trade is not None
    assert snap._prev_trade[4] == 2


def test_a_late_print_without_a_baseline_changes_nothing_but_is_still_a_print() -> None:
    snap = SymbolSnapshot("AAPL")
    merge_trade(snap, trade(100.0, 10, 2))
    outcome = merge_trade(snap, trade(98.5, 5, 1))
    assert (outcome.touch, outcome.late_print) == (Touch.NONE, True)
    assert snap.volume is None


def test_late_prints_reach_the_tape_in_time_order_and_the_volume() -> None:
    store, history = setup()
    store.apply(daily())
    store.apply(trade(100.0, 1, 1))
    store.apply(trade(100.5, 3, 3))
    assert store.apply(trade(99.0, 2, 2, size=40))  # late, and counted: the row changed
    snap = row(store)
    assert (snap.last_price, snap.volume, snap.low) == (100.5, 1240, 99.0)
    assert store.rejected_out_of_order == 1
    h = history.get("AAPL")
    assert h is not None
    assert [e.trade_id for e in h.tape] == [1, 2, 3]
    assert h.tape_inserts == 1
    assert h.prices.points()[1][-1] == 100.5  # the sparkline's last price did not move
    assert h.prices.last_trade_id == 3
    minute = len(h.bars) - 1
    assert (h.bars.close[minute], h.bars.low[minute], h.bars.volume[minute]) == (100.5, 99.0, 240)


def test_a_late_print_that_changes_nothing_still_reaches_the_tape_only() -> None:
    store, history = setup()
    seen: list[object] = []
    late_seen: list[object] = []
    store.add_observer(lambda event, snap: seen.append(event))

    @observes_late_prints
    def tape_like(event: object, snap: SymbolSnapshot) -> None:
        late_seen.append(event)

    store.add_observer(tape_like)
    store.apply(trade(100.0, 3, 3))
    late = trade(99.0, 2, 2)
    assert not store.apply(late)  # no baseline: the row did not change
    assert seen == [trade(100.0, 3, 3)]  # plain observers see changes only
    assert late_seen == [trade(100.0, 3, 3), late]
    h = history.get("AAPL")
    assert h is not None
    assert [e.trade_id for e in h.tape] == [2, 3]
    store.remove_observer(tape_like)
    store.apply(trade(98.0, 1, 1))
    assert len(late_seen) == 2
    assert [e.trade_id for e in h.tape] == [1, 2, 3]


def test_late_prints_in_a_frame_reach_the_tape_too() -> None:
    store, history = setup()
    events = [trade(100.0, 3, 3), trade(99.0, 2, 2), trade(98.0, 1, 1)]
    store.apply_stream(events, 0, 1.0)  # type: ignore[arg-type]
    h = history.get("AAPL")
    assert h is not None
    assert [e.trade_id for e in h.tape] == [1, 2, 3]
    assert row(store).last_price == 100.0


def test_the_tape_stays_bounded_with_late_prints() -> None:
    store, history = setup(tape_size=3)
    for i in range(3):
        store.apply(trade(100.0 + i, 10 + i, 10 + i))
    store.apply(trade(99.0, 5, 5))  # older than every kept print of a full tape: not kept
    h = history.get("AAPL")
    assert h is not None
    assert [e.trade_id for e in h.tape] == [10, 11, 12]
    store.apply(trade(99.5, 11.5, 6))  # between two kept prints: the oldest goes
    assert [e.trade_id for e in h.tape] == [11, 6, 12]
    assert len(h.tape) == 3


# --- #14 -------------------------------------------------------------------------------


def test_a_cancel_from_another_venue_does_not_void_this_venues_print() -> None:
    snap = SymbolSnapshot("AAPL")
    merge_trade(snap, trade(100.0, 1, 7, venue="N"))
    merge_trade(snap, trade(101.0, 2, 7, venue="Q"))  # same id, another venue
    other = CancelError("AAPL", 7, "P", 101.0, 100, "C", T0 + 3 * S)
    outcome = merge_cancel(snap, other)
    assert [r.kind for r in outcome.rejections] == [RejectKind.UNMATCHED]
    assert "on P" in outcome.rejections[0].reason
    assert (snap.last_price, snap.last_exchange, snap.last_cancelled) == (101.0, "Q", False)
    # The previous print is matched on its venue too.
    merge_cancel(snap, CancelError("AAPL", 7, "N", 100.0, 100, "C", T0 + 4 * S))
    assert snap._prev_trade is None
    assert snap.last_price == 101.0


def test_a_correction_names_the_print_by_id_and_venue() -> None:
    snap = SymbolSnapshot("AAPL")
    merge_trade(snap, trade(100.0, 1, 7, venue="N"))
    merge_trade(snap, trade(101.0, 2, 7, venue="Q"))
    wrong = Correction("AAPL", "N", 7, 101.0, 100, 8, 90.0, 100, T0 + 3 * S)
    merge_correction(snap, wrong)  # names N's print 7: the kept previous one
    assert snap.last_price == 101.0
    assert snap._prev_trade == (90.0, 100, "N", T0 + S, 8)
    merge_correction(snap, Correction("AAPL", "Q", 7, 101.0, 100, 9, 101.5, 50, T0 + 4 * S))
    assert (snap.last_price, snap.last_size, snap.last_trade_id) == (101.5, 50, 9)


def test_history_matches_corrections_and_cancels_by_venue() -> None:
    store, history = setup()
    store.apply(trade(100.0, 1, 7, venue="N"))
    store.apply(trade(101.0, 2, 7, venue="Q"))
    h = history.get("AAPL")
    assert h is not None
    store.apply(CancelError("AAPL", 7, "N", 100.0, 100, "C", T0 + 3 * S))
    assert [e.state for e in h.tape] == [TapeState.CANCELLED, TapeState.OK]
    assert h.prices.points()[1][-1] == 101.0  # the newest bucket's print is Q's, not voided
    assert row(store).last_price == 101.0
    store.apply(Correction("AAPL", "N", 7, 100.0, 100, 8, 100.2, 100, T0 + 4 * S))
    assert [e.state for e in h.tape][1] is TapeState.OK
    assert h.prices.points()[1][-1] == 101.0
    store.apply(CancelError("AAPL", 7, "Q", 101.0, 100, "C", T0 + 5 * S))
    assert [e.state for e in h.tape][1] is TapeState.CANCELLED
    assert row(store).last_cancelled
