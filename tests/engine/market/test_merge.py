"""engine.market.merge: the merge rules as data in, data out (a snapshot and an event, no store)."""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, datetime

import pytest

from engine.events import (
    Bar,
    BarKind,
    CancelError,
    Correction,
    Imbalance,
    Luld,
    Quote,
    Snapshot,
    Trade,
    TradingStatus,
)
from engine.market.merge import (
    DAY,
    LIVE,
    MERGE_RULES,
    UNCHANGED,
    Outcome,
    RejectKind,
    Touch,
    merge_bar,
    merge_cancel,
    merge_correction,
    merge_daily_bar,
    merge_luld,
    merge_minute_bar,
    merge_quote,
    merge_rest_snapshot,
    merge_status,
    merge_trade,
)
from engine.market.snapshot import Source, SymbolSnapshot

S = 1_000_000_000
DAY_START = 1_700_000_000 * S  # the daily bar's timestamp


def trade(price: float, t: int, size: int = 100, tid: int = 1) -> Trade:
    return Trade("AAPL", price, size, DAY_START + t * S, trade_id=tid, exchange="V")


def quote(bid: float, ask: float, t: int) -> Quote:
    return Quote("AAPL", bid, 3, ask, 5, DAY_START + t * S)


def daily(o: float, h: float, lo: float, v: int, t_ns: int = DAY_START) -> Bar:
    return Bar(BarKind.DAILY, "AAPL", o, h, lo, (h + lo) / 2, v, t_ns, vwap=(h + lo) / 2)


def minute(h: float, lo: float, t: int) -> Bar:
    return Bar(BarKind.MINUTE, "AAPL", lo, h, lo, h, 10, DAY_START + t * S)


def status(code: str, t: int, reason: str = "") -> TradingStatus:
    return TradingStatus("AAPL", code, f"status {code}", "T1", reason, DAY_START + t * S)


def correction(original: int, price: float, size: int, new_id: int) -> Correction:
    return Correction("AAPL", "V", original, 0.0, 100, new_id, price, size, DAY_START)


def cancel(trade_id: int, action: str = "C") -> CancelError:
    return CancelError("AAPL", trade_id, "V", 0.0, 100, action, DAY_START)


def fresh() -> SymbolSnapshot:
    return SymbolSnapshot("AAPL")


def rejected(outcome: Outcome, kind: RejectKind) -> None:
    assert outcome.touch is Touch.NONE
    assert not outcome.changed
    assert [r.kind for r in outcome.rejections] == [kind]
    assert outcome.rejections[0].reason.startswith("AAPL: ")


# --- trades and quotes -------------------------------------------------------------------


def test_a_trade_never_rewrites_the_quote() -> None:
    snap = fresh()
    assert merge_quote(snap, quote(99.9, 100.1, 1)) is LIVE
    assert merge_trade(snap, trade(100.0, 2)) is LIVE
    assert (snap.bid_price, snap.bid_size, snap.ask_price, snap.ask_size) == (99.9, 3, 100.1, 5)
    assert snap.quote_ns == DAY_START + S
    assert (snap.last_price, snap.last_size, snap.last_trade_id) == (100.0, 100, 1)


def test_a_quote_never_rewrites_the_last_price() -> None:
    snap = fresh()
    merge_trade(snap, trade(100.0, 1))
    assert merge_quote(snap, quote(120.0, 121.0, 2)) is LIVE
    assert (snap.last_price, snap.last_trade_ns, snap.tick) == (100.0, DAY_START + S, 0)


def test_an_out_of_order_trade_is_rejected_and_leaves_the_snapshot_as_it_was() -> None:
    snap = fresh()
    merge_trade(snap, trade(100.0, 10, tid=2))
    before = dataclasses.replace(snap)
    outcome = merge_trade(snap, trade(90.0, 5, tid=1))
    rejected(outcome, RejectKind.OUT_OF_ORDER)
    assert "older than" in outcome.rejections[0].reason
    assert snap == before


def test_a_trade_with_the_same_timestamp_is_applied_and_sets_the_tick() -> None:
    snap = fresh()
    merge_trade(snap, trade(100.0, 10, tid=1))
    assert merge_trade(snap, trade(100.5, 10, tid=2)) is LIVE
    assert (snap.last_price, snap.tick) == (100.5, 1)
    assert snap._prev_trade == (100.0, 100, "V", DAY_START + 10 * S, 1)


@pytest.mark.parametrize("price", [0.0, -1.0, math.nan, math.inf])
def test_a_trade_at_an_impossible_price_is_invalid(price: float) -> None:
    snap = fresh()
    rejected(merge_trade(snap, trade(price, 1)), RejectKind.INVALID)
    assert snap == fresh()


def test_a_quote_with_a_nan_side_is_invalid_but_a_zero_side_is_empty() -> None:
    snap = fresh()
    rejected(merge_quote(snap, quote(math.nan, 10.0, 1)), RejectKind.INVALID)
    assert merge_quote(snap, quote(0.0, 10.0, 2)) is LIVE
    assert snap.spread is None


def test_trades_of_the_daily_bars_day_count_only_with_a_baseline() -> None:
    snap = fresh()
    merge_trade(snap, trade(200.0, 1, size=7))
    assert (snap.volume, snap.high, snap.low) == (None, None, None)  # no daily bar yet
    assert merge_daily_bar(snap, daily(100.0, 101.0, 99.0, 1000)) is DAY
    merge_trade(snap, trade(102.0, 2, size=50, tid=2))
    assert (snap.volume, snap.high, snap.low) == (1050, 102.0, 99.0)
    merge_trade(snap, trade(98.0, 3, size=5, tid=3), count_volume=False)
    assert (snap.volume, snap.low) == (1050, 99.0)  # a REST trade is already in its bar


# --- bars ----------------------------------------------------------------------------------


def test_an_older_daily_bar_is_rejected() -> None:
    snap = fresh()
    merge_daily_bar(snap, daily(100.0, 101.0, 99.0, 1000))
    rejected(merge_daily_bar(snap, daily(1.0, 2.0, 0.5, 5, DAY_START - S)), RejectKind.OUT_OF_ORDER)
    assert (snap.open, snap.volume) == (100.0, 1000)


def test_minute_bars_only_extend_the_day_range() -> None:
    snap = fresh()
    assert merge_minute_bar(snap, minute(500.0, 1.0, 60)) is UNCHANGED  # no baseline
    merge_daily_bar(snap, daily(100.0, 101.0, 99.0, 1000))
    assert merge_bar(snap, minute(100.5, 99.5, 60)) is UNCHANGED  # inside the range
    assert merge_bar(snap, minute(103.0, 99.5, 120)) is DAY
    assert (snap.high, snap.low, snap.volume) == (103.0, 99.0, 1000)
    assert merge_bar(snap, daily(1.0, 2.0, 0.5, 5, DAY_START + 86_400 * S)) is DAY
    assert (snap.open, snap.high) == (1.0, 2.0)


# --- status and LULD ----------------------------------------------------------------------


def test_halt_then_resume_status() -> None:
    snap = fresh()
    assert merge_status(snap, status("H", 1, reason="news pending")) is LIVE
    assert (snap.halted, snap.halt_reason, snap.status_code) == (True, "news pending", "H")
    assert merge_status(snap, status("E", 2)) is LIVE  # other codes leave the halt
    assert snap.halted
    assert merge_status(snap, status("T", 3)) is LIVE
    assert (snap.halted, snap.halt_reason, snap.status_code) == (False, None, "T")
    rejected(merge_status(snap, status("H", 0)), RejectKind.OUT_OF_ORDER)
    assert not snap.halted


def test_luld_band_and_an_older_band() -> None:
    snap = fresh()
    assert merge_luld(snap, Luld("AAPL", 11.0, 9.0, "B", DAY_START + S)) is LIVE
    rejected(merge_luld(snap, Luld("AAPL", 20.0, 1.0, "B", DAY_START)), RejectKind.OUT_OF_ORDER)
    assert (snap.luld_up, snap.luld_down) == (11.0, 9.0)


# --- corrections and cancels ------------------------------------------------------------


def test_a_correction_of_the_last_trade_fixes_price_size_tick_and_volume() -> None:
    snap = fresh()
    merge_daily_bar(snap, daily(100.0, 101.0, 99.0, 1000))
    merge_trade(snap, trade(100.0, 1, tid=1))
    merge_trade(snap, trade(100.5, 2, size=100, tid=2))
    assert merge_correction(snap, correction(2, 99.5, 40, new_id=22)) is LIVE
    assert (snap.last_price, snap.last_size, snap.last_trade_id) == (99.5, 40, 22)
    assert snap.tick == -1  # below the kept previous print
    assert snap.volume == 1000 + 100 + 40


def test_a_correction_of_the_kept_previous_trade_and_an_unmatched_one() -> None:
    snap = fresh()
    merge_trade(snap, trade(100.0, 1, tid=1))
    merge_trade(snap, trade(101.0, 2, tid=2))
    assert merge_correction(snap, correction(1, 100.2, 10, new_id=11)) is LIVE
    assert snap._prev_trade == (100.2, 10, "V", DAY_START + S, 11)
    assert snap.last_price == 101.0
    rejected(merge_correction(snap, correction(99, 1.0, 1, new_id=100)), RejectKind.UNMATCHED)


def test_a_cancel_reverts_to_the_previous_trade_then_marks_the_last_cancelled() -> None:
    snap = fresh()
    merge_trade(snap, trade(100.0, 1, tid=1))
    merge_trade(snap, trade(101.0, 2, tid=2))
    assert merge_cancel(snap, cancel(2)) is LIVE
    assert (snap.last_price, snap.last_trade_id, snap.last_cancelled) == (100.0, 1, False)
    assert merge_cancel(snap, cancel(1, "E")) is LIVE
    assert (snap.last_price, snap.last_cancelled, snap.tick) == (100.0, True, 0)
    rejected(merge_cancel(snap, cancel(1, "X")), RejectKind.INVALID)
    rejected(merge_cancel(snap, cancel(7)), RejectKind.UNMATCHED)


# --- REST snapshot ------------------------------------------------------------------------


def test_a_rest_snapshot_older_than_the_stream_fills_day_stats_only() -> None:
    snap = fresh()
    merge_trade(snap, trade(100.0, 60, tid=5))
    rest = Snapshot(
        "AAPL",
        latest_trade=trade(90.0, 30, tid=3),
        daily_bar=daily(95.0, 101.0, 94.0, 5000),
        prev_daily_bar=daily(90.0, 92.0, 89.0, 4000, DAY_START - 86_400 * S),
    )
    outcome = merge_rest_snapshot(snap, rest)
    assert outcome.touch is Touch.DAY
    assert [r.kind for r in outcome.rejections] == [RejectKind.OUT_OF_ORDER]
    assert (snap.last_price, snap.open, snap.volume, snap.prev_close) == (100.0, 95.0, 5000, 90.5)


def test_a_rest_snapshot_before_the_open_takes_yesterdays_daily_bar_as_previous_close() -> None:
    yesterday = int(datetime(2024, 3, 4, 5, tzinfo=UTC).timestamp()) * S  # 00:00 New York
    this_morning = int(datetime(2024, 3, 5, 12, tzinfo=UTC).timestamp()) * S  # 07:00
    rest = Snapshot(
        "AAPL",
        latest_trade=Trade("AAPL", 50.0, 10, this_morning, trade_id=9),
        latest_quote=Quote("AAPL", 49.9, 1, 50.1, 1, this_morning),
        daily_bar=daily(40.0, 42.0, 39.0, 100, yesterday),
        prev_daily_bar=daily(30.0, 31.0, 29.0, 100, yesterday - 86_400 * S),
    )
    snap = fresh()
    assert merge_rest_snapshot(snap, rest) is LIVE
    assert (snap.prev_close, snap.open, snap.volume) == (40.5, None, None)
    assert (snap.last_price, snap.bid_price) == (50.0, 49.9)


def test_an_empty_rest_snapshot_changes_nothing() -> None:
    snap = fresh()
    assert merge_rest_snapshot(snap, Snapshot("AAPL")) is UNCHANGED
    assert snap == fresh()


# --- what every rule shares -----------------------------------------------------------------


def test_rules_leave_receipt_time_source_and_counts_to_the_store() -> None:
    snap = SymbolSnapshot("AAPL", source=Source.REST)
    for event in (trade(1.0, 1), quote(1.0, 2.0, 2), status("H", 3), cancel(1)):
        assert MERGE_RULES[type(event)](snap, event).changed
    assert (snap.received_at, snap.source, snap.updates, snap._epoch) == (None, Source.REST, 0, 0)


def test_the_same_inputs_give_the_same_snapshot() -> None:
    events = [trade(10.0, 1), quote(9.9, 10.1, 2), trade(10.2, 3, tid=2), correction(2, 10.1, 5, 3)]
    first, second = fresh(), fresh()
    for snap in (first, second):
        for event in events:
            MERGE_RULES[type(event)](snap, event)
    assert first == second


def test_every_kept_event_type_has_a_rule_and_imbalances_have_none() -> None:
    kept = {Trade, Quote, Bar, TradingStatus, Luld, Correction, CancelError, Snapshot}
    assert set(MERGE_RULES) == kept
    assert Imbalance not in MERGE_RULES
