"""AlertBook: firing, hysteresis re-arm, crossings, percent moves, persistence, bad input."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from engine.alerts.book import (
    PENDING_LIMIT,
    AlertBook,
    AlertError,
    AlertKind,
)
from engine.events import Bar, BarKind, Quote, Snapshot, Trade
from engine.market.calendar import EASTERN
from engine.market.store import MarketDataStore

T0 = 1_700_000_000 * 1_000_000_000


class Feed:
    """A real store with a book observing it; `trade(price)` applies one print."""

    def __init__(self, book: AlertBook, symbols: tuple[str, ...] = ("AAPL", "MSFT")) -> None:
        self.clock = 1000.0
        self.store = MarketDataStore(clock=lambda: self.clock)
        self.store.watch(symbols)
        self.store.add_observer(book.on_event)
        self.seq = 0

    def trade(self, price: float, symbol: str = "AAPL") -> None:
        self.seq += 1
        self.store.apply(Trade(symbol, price, 100, T0 + self.seq, trade_id=self.seq))

    def quote(self, bid: float, ask: float, symbol: str = "AAPL") -> None:
        self.seq += 1
        self.store.apply(Quote(symbol, bid, 1, ask, 1, T0 + self.seq))

    def prev_close(self, close: float, symbol: str = "AAPL") -> None:
        bar = Bar(BarKind.DAILY, symbol, close, close, close, close, 1000, T0 - 86_400 * 10**9)
        self.store.apply(Snapshot(symbol, prev_daily_bar=bar))


@pytest.fixture
def book() -> AlertBook:
    return AlertBook(wall_clock=lambda: 1234.5)


def test_above_fires_once_per_crossing_and_rearms_after_hysteresis(book: AlertBook) -> None:
    feed = Feed(book)
    alert = book.add("aapl", "above", 150.0)
    assert alert.symbol == "AAPL"
    feed.trade(149.0)
    assert book.drain_fired() == []
    feed.trade(150.5)
    fired = book.drain_fired()
    assert [(f.alert_id, f.price) for f in fired] == [(alert.id, 150.5)]
    assert fired[0].exchange_ns == T0 + 2
    assert fired[0].wall_time == 1234.5
    # Jitter around the level: inside the 0.1 % band (149.85) nothing re-arms or fires.
    for price in (149.9, 150.2, 149.86, 151.0):
        feed.trade(price)
    assert book.drain_fired() == []
    feed.trade(149.80)  # below 150 * (1 - 0.001): re-armed
    assert alert.armed
    feed.trade(150.0)
    assert [f.price for f in book.drain_fired()] == [150.0]
    assert alert.fired_count == 2
    assert len(book.history()) == 2


def test_below_mirrors_above(book: AlertBook) -> None:
    feed = Feed(book)
    alert = book.add("AAPL", AlertKind.BELOW, 100.0)
    feed.trade(101.0)
    feed.trade(99.99)
    feed.trade(99.0)
    assert [f.price for f in book.drain_fired()] == [99.99]
    feed.trade(100.05)  # within the band above 100: still disarmed
    assert not alert.armed
    feed.trade(100.2)
    assert alert.armed


def test_condition_already_true_when_added_fires_on_next_event(book: AlertBook) -> None:
    feed = Feed(book)
    feed.trade(200.0)
    book.add("AAPL", "above", 150.0)
    feed.quote(199.9, 200.1)  # a quote: same price, but the new rule is evaluated once
    assert [f.price for f in book.drain_fired()] == [200.0]
    feed.quote(199.8, 200.2)
    assert book.drain_fired() == []


def test_crosses_fires_each_way_but_not_on_first_sight_or_jitter(book: AlertBook) -> None:
    feed = Feed(book)
    book.add("AAPL", "crosses", 100.0)
    feed.trade(99.0)  # first sight: establishes the side, no crossing yet
    assert book.drain_fired() == []
    feed.trade(100.05)  # within the band: not yet on the other side
    assert book.drain_fired() == []
    feed.trade(100.5)
    feed.trade(101.0)
    feed.trade(99.5)
    assert [f.price for f in book.drain_fired()] == [100.5, 99.5]


def test_percent_move_uses_previous_close(book: AlertBook) -> None:
    feed = Feed(book)
    up = book.add("AAPL", "pct_above", 3.0)
    down = book.add("AAPL", "pct_below", -2.0)
    feed.trade(104.0)  # no previous close yet: change % unknown, nothing fires
    assert book.drain_fired() == []
    feed.prev_close(100.0)
    fired = book.drain_fired()
    assert [(f.alert_id, round(f.change_pct or 0, 6)) for f in fired] == [(up.id, 4.0)]
    feed.trade(102.95)  # back 0.05 pp under +3: still inside the 0.1 pp band
    assert not up.armed
    feed.trade(97.9)
    fired = book.drain_fired()
    assert [f.alert_id for f in fired] == [down.id]
    assert up.armed
    assert "change % at or below -2%" in fired[0].message()


def test_only_alerted_symbols_are_evaluated_and_quotes_are_skipped(book: AlertBook) -> None:
    feed = Feed(book)
    book.add("AAPL", "above", 150.0)
    feed.trade(500.0, symbol="MSFT")
    assert book.drain_fired() == []
    feed.trade(151.0)
    revision = book.revision
    feed.quote(150.0, 152.0)  # price unchanged: stops at the (price, close) comparison
    assert book.revision == revision
    assert len(book.drain_fired()) == 1


def test_disable_keeps_rule_and_enable_rearms(book: AlertBook) -> None:
    feed = Feed(book)
    alert = book.add("AAPL", "above", 150.0)
    feed.trade(151.0)
    assert len(book.drain_fired()) == 1
    book.set_enabled(alert.id, False)
    feed.trade(152.0)
    assert book.drain_fired() == []
    book.set_enabled(alert.id, True)
    assert alert.armed
    feed.trade(152.5)
    assert len(book.drain_fired()) == 1


def test_update_and_remove(book: AlertBook) -> None:
    feed = Feed(book)
    alert = book.add("AAPL", "above", 150.0)
    book.update(alert.id, "MSFT", "below", 300.0, note="buy zone")
    feed.trade(100.0)  # AAPL no longer watched by any rule
    feed.trade(299.0, symbol="MSFT")
    fired = book.drain_fired()
    assert [(f.symbol, f.kind) for f in fired] == [("MSFT", AlertKind.BELOW)]
    assert book.get(alert.id) is alert
    assert alert.note == "buy zone"
    assert book.remove(alert.id)
    assert not book.remove(alert.id)
    feed.trade(250.0, symbol="MSFT")
    assert book.drain_fired() == []
    assert len(book) == 0


@pytest.mark.parametrize(
    ("symbol", "kind", "threshold", "field"),
    [
        ("12X", "above", 1.0, "symbol"),
        ("", "above", 1.0, "symbol"),
        ("AAPL", "sideways", 1.0, "kind"),
        ("AAPL", "above", 0.0, "threshold"),
        ("AAPL", "below", -5.0, "threshold"),
        ("AAPL", "above", float("nan"), "threshold"),
        ("AAPL", "pct_above", float("inf"), "threshold"),
    ],
)
def test_bad_rules_are_refused_with_the_field(
    book: AlertBook, symbol: str, kind: str, threshold: float, field: str
) -> None:
    with pytest.raises(AlertError) as info:
        book.add(symbol, kind, threshold)
    assert info.value.field == field
    assert len(book) == 0


def test_pending_queue_is_bounded_and_counts_drops(book: AlertBook) -> None:
    book.add("AAPL", "crosses", 100.0)
    book.evaluate("AAPL", 90.0)
    for i in range(PENDING_LIMIT + 5):
        book.evaluate("AAPL", 110.0 if i % 2 == 0 else 90.0)
    assert len(book.drain_fired()) == PENDING_LIMIT
    assert book.dropped == 5
    assert len(book.history()) == 200


def test_save_and_load_round_trip_keeps_armed_state(book: AlertBook, tmp_path: Path) -> None:
    feed = Feed(book)
    fired_rule = book.add("AAPL", "above", 150.0, note="take profit")
    book.add("MSFT", "pct_below", -3.0, enabled=False)
    feed.trade(151.0)
    book.drain_fired()
    path = tmp_path / "alerts.json"
    book.save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["alerts.json"]  # temp file replaced

    again = AlertBook()
    assert again.load(path) == []
    assert [a.describe() for a in again.alerts()] == [a.describe() for a in book.alerts()]
    restored = again.get(fired_rule.id)
    assert restored is not None
    assert not restored.armed
    assert restored.note == "take profit"
    assert [f.price for f in again.history()] == [151.0]
    # Restart while still above: no second firing; a new rule gets a fresh id.
    feed2 = Feed(again)
    feed2.trade(152.0)
    assert again.drain_fired() == []
    assert again.add("AAPL", "below", 1.0).id == 3


def test_bad_files_never_crash(tmp_path: Path) -> None:
    book = AlertBook()
    assert book.load(tmp_path / "missing.json") == []
    path = tmp_path / "alerts.json"
    path.write_text("{not json")
    assert "not valid JSON" in book.load(path)[0]
    path.write_text(json.dumps([1, 2]))
    assert "expected an object" in book.load(path)[0]
    entries = [
        {"id": 1, "symbol": "AAPL", "kind": "above", "threshold": 10},
        {"id": 2, "symbol": "12X", "kind": "above", "threshold": 10},
        {"id": 3, "symbol": "MSFT", "kind": "weird", "threshold": 10},
        "nonsense",
        {"id": 5, "symbol": "SPY", "kind": "below"},
    ]
    history = [{"alert_id": 1}, {"alert_id": 1, "symbol": "AAPL", "kind": "above",
                                 "threshold": 10, "price": 11, "wall_time": 5}]  # fmt: skip
    path.write_text(json.dumps({"version": 1, "alerts": entries, "history": history}))
    problems = book.load(path)
    assert [a.symbol for a in book.alerts()] == ["AAPL"]
    assert len(problems) == 5
    assert any("alert #2" in p and "symbol" in p for p in problems)
    assert any("alert #3" in p and "kind" in p for p in problems)
    assert len(book.history()) == 1


def test_observer_errors_are_counted_not_raised(book: AlertBook) -> None:
    feed = Feed(book)
    alert = book.add("AAPL", "above", 150.0)
    alert.kind = "garbage"  # type: ignore[assignment]  # corrupt state: must not escape
    feed.trade(151.0)
    assert book.errors == 1
    assert book.last_error is not None
    assert book.last_error.startswith("AAPL")


def test_percent_alert_uses_the_previous_close_rolled_at_the_day_boundary(
    book: AlertBook,
) -> None:
    # Issue 12 (#2): left open overnight, Tuesday's change % is against Monday's close.
    def et(day: int, hour: int, minute: int = 0) -> int:
        return int(datetime(2026, 11, day, hour, minute, tzinfo=EASTERN).timestamp()) * 10**9

    feed = Feed(book)
    drop = book.add("AAPL", "pct_below", -2.0)
    friday = Bar(BarKind.DAILY, "AAPL", 100, 100, 100, 100.0, 1000, et(20, 0))
    feed.store.apply(Snapshot("AAPL", prev_daily_bar=friday))
    feed.store.apply(Trade("AAPL", 110.0, 100, et(23, 15, 59), trade_id=1))
    monday = Bar(BarKind.DAILY, "AAPL", 100, 111, 99, 110.0, 9000, et(23, 0))
    feed.store.apply(monday)
    assert book.drain_fired() == []  # +10 % on Monday
    feed.store.apply(Trade("AAPL", 107.0, 100, et(24, 9, 31), trade_id=2))  # Tuesday
    fired = book.drain_fired()
    assert [f.alert_id for f in fired] == [drop.id]
    assert fired[0].change_pct == pytest.approx((107.0 - 110.0) / 110.0 * 100)
    snap = feed.store.get("AAPL")
    assert snap is not None
    assert snap.prev_close == 110.0
