"""Halts (issue 12, #6 and #7): `Q` keeps the halt, and a print after a halt ends it.

Data in, data out: merge rules on a bare snapshot, the store with a fixed clock, and the
price history as a store observer.
"""

from __future__ import annotations

import pytest

from engine.events import Quote, Snapshot, Trade, TradingStatus
from engine.market.history import PriceHistory
from engine.market.merge import LIVE, merge_status, merge_trade
from engine.market.snapshot import SymbolSnapshot
from engine.market.store import MarketDataStore
from tests.engine.market.rows import aapl_store, row

S = 1_000_000_000
T0 = 1_764_000_000 * S  # Monday 2025-11-24 11:00 ET


def status(code: str, t: int, message: str = "", reason: str = "") -> TradingStatus:
    return TradingStatus("AAPL", code, message or f"status {code}", "T12", reason, T0 + t * S)


def trade(price: float, t: int, tid: int, conditions: tuple[str, ...] = ("@",)) -> Trade:
    return Trade("AAPL", price, 100, T0 + t * S, trade_id=tid, exchange="Q", conditions=conditions)


@pytest.fixture
def store() -> MarketDataStore:
    return aapl_store()


# --- #7: Q is a quotation resumption only ----------------------------------------------------


def test_status_codes_q_resumes_quoting_only_t_and_3_resume_trading() -> None:
    assert not status("Q", 1).is_resume
    assert status("Q", 1).is_quotation_resume
    assert status("T", 1).is_resume
    assert status("3", 1).is_resume
    assert status("H", 1).is_halt
    assert status("P", 1).is_halt
    assert status("2", 1).is_halt


def test_a_halt_stays_through_the_quote_only_window_until_t() -> None:
    snap = SymbolSnapshot("AAPL")
    merge_status(snap, status("H", 1, "Trading Halt", reason="News Pending"))
    assert (snap.halted,) == (True,)
    assert merge_status(snap, status("Q", 2, "Quotation Resumption")) is LIVE
    assert (snap.halted,) == (True,)  # still no trading ...
    assert (snap.quotation_only,) == (True,)  # ... but quotes are back: the GUI can say so
    assert (snap.halt_reason, snap.status_message) == ("News Pending", "Quotation Resumption")
    merge_status(snap, status("T", 3, "Trading Resumption"))
    assert (snap.halted, snap.quotation_only, snap.halt_reason) == (False, False, None)
    assert snap.halt_end_note == "resumed (Trading Resumption)"


def test_a_q_without_the_halt_before_it_still_means_halted() -> None:
    snap = SymbolSnapshot("AAPL")
    merge_status(snap, status("Q", 2, "Quotation Resumption", reason="News Released"))
    assert snap.halted
    assert (snap.quotation_only, snap.halt_reason) == (True, "News Released")


def test_history_keeps_one_halt_span_from_h_through_q_to_t(store: MarketDataStore) -> None:
    history = PriceHistory()
    store.add_observer(history.on_event)
    store.apply(status("H", 1, reason="News Pending"))
    store.apply(status("Q", 300))
    h = history.get("AAPL")
    assert h is not None
    assert h.halted
    assert row(store).halted
    store.apply(status("T", 600))
    assert not h.halted
    assert [(span.start_ns, span.end_ns) for span in h.halts] == [(T0 + S, T0 + 600 * S)]


# --- #6: evidence that trading resumed ends a halt -----------------------------------------


def test_a_print_after_the_halt_ends_it_when_the_resume_was_missed(store: MarketDataStore) -> None:
    store.apply(trade(100.0, 0, 1))
    store.apply(status("H", 1, "Trading Halt", reason="News Pending"))
    store.apply(Quote("AAPL", 99.0, 1, 101.0, 1, T0 + 400 * S))  # quotes prove nothing
    assert row(store).halted
    assert store.apply(trade(101.0, 900, 2))  # the T at 600 s was missed while disconnected
    snap = row(store)
    assert not snap.halted
    assert (snap.quotation_only, snap.halt_reason) == (False, None)
    assert snap.halt_end_note == "resumed (trade seen after halt; resume message missed)"
    assert snap.status_message == snap.halt_end_note  # what the table and detail pane show
    assert snap.status_code is None
    # The status is known as of that print: a halt message from before it is stale.
    assert not store.apply(status("H", 800))
    assert not row(store).halted


def test_a_print_ends_a_halt_in_its_quote_only_window(store: MarketDataStore) -> None:
    store.apply(status("H", 1))
    store.apply(status("Q", 300))
    assert row(store).halted
    store.apply(trade(101.0, 601, 2))
    assert not row(store).halted
    assert not row(store).quotation_only


def test_prints_that_prove_nothing_leave_the_halt(store: MarketDataStore) -> None:
    store.apply(trade(100.0, 0, 1))
    store.apply(status("H", 10))
    store.apply(trade(100.5, 5, 2))  # late print from before the halt
    store.apply(trade(100.6, 10, 3))  # at the halt's own time
    store.apply(trade(100.7, 20, 4, conditions=("Z",)))  # a late report (sold out of sequence)
    store.apply(trade(100.8, 21, 5, conditions=("@", "L")))  # sold last: a late report too
    assert row(store).halted
    assert row(store).last_price == 100.8  # they still are prints


def test_a_rest_snapshot_trade_after_the_halt_ends_it(store: MarketDataStore) -> None:
    history = PriceHistory()
    store.add_observer(history.on_event)
    store.apply(status("H", 1, reason="News Pending"))
    older = Snapshot("AAPL", latest_trade=trade(99.0, 0, 1))
    store.apply(older)
    assert row(store).halted  # REST's latest trade from before the halt
    store.apply(Snapshot("AAPL", latest_trade=trade(101.0, 700, 2)))
    snap = row(store)
    assert not snap.halted
    assert snap.halt_end_note is not None
    assert "REST snapshot shows a trade after halt" in snap.halt_end_note
    h = history.get("AAPL")
    assert h is not None
    assert not h.halted
    assert h.halts[-1].end_ns == T0 + 700 * S
    assert h.halts[-1].end_note == snap.halt_end_note


def test_history_closes_the_halt_span_on_the_print(store: MarketDataStore) -> None:
    history = PriceHistory()
    store.add_observer(history.on_event)
    store.apply(status("H", 1))
    store.apply(trade(101.0, 900, 2))
    h = history.get("AAPL")
    assert h is not None
    assert not h.halted
    assert (h.halts[-1].start_ns, h.halts[-1].end_ns) == (T0 + S, T0 + 900 * S)


def test_merge_trade_alone_ends_the_halt() -> None:
    snap = SymbolSnapshot("AAPL")
    merge_status(snap, status("P", 1, "Volatility Trading Pause"))
    assert merge_trade(snap, trade(10.0, 2, 1)) is LIVE
    assert not snap.halted
