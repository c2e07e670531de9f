"""Issue 18 #8: "crosses" gets once-only and a cooldown; fired state and the last firing time
survive a restart; an old alerts file loads as before (docs/design.md, "Alerts: once only
and cooldown")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.alerts.book import AlertBook, AlertError
from engine.alerts.rules import Alert, AlertKind, Verdict, evaluate_rule


class WallClock:
    def __init__(self, now: float = 10_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def chop(book: AlertBook, prices: list[float], clock: WallClock, step_s: float = 10.0) -> None:
    for price in prices:
        clock.now += step_s
        book.evaluate("AAPL", price)


def test_crosses_once_only_fires_once_then_waits_for_a_rearm_by_hand() -> None:
    clock = WallClock()
    book = AlertBook(wall_clock=clock)
    alert = book.add("AAPL", "crosses", 100.0, once=True)
    chop(book, [99.0, 101.0, 99.0, 101.0, 99.0], clock)  # side learnt, then four crossings
    assert [f.price for f in book.drain_fired()] == [101.0]
    assert alert.fired_count == 1
    assert alert.spent
    assert alert.side == -1  # still tracked while spent
    book.rearm(alert.id)
    assert not alert.spent
    chop(book, [99.5, 101.0, 99.0], clock)
    assert [f.price for f in book.drain_fired()] == [101.0]  # the next crossing, once


def test_crosses_cooldown_counts_and_shows_crossings_but_notifies_one() -> None:
    clock = WallClock()
    book = AlertBook(wall_clock=clock)
    alert = book.add("AAPL", "crosses", 100.0, cooldown_s=300)
    chop(book, [99.0, 101.0, 99.0, 101.0, 99.0], clock, step_s=30.0)  # chop for 2 minutes
    fired = book.drain_fired()
    assert [f.price for f in fired] == [101.0]  # notified once
    assert alert.fired_count == 1
    assert alert.held == 3  # the other crossings are counted ...
    history = book.history()
    assert [f.notified for f in history] == [True, False, False, False]  # ... and shown
    assert alert.fired_at == 10_060.0
    assert alert.cooling(clock.now)
    clock.now = 10_060.0 + 300.0  # cooldown over: the next crossing notifies again
    book.evaluate("AAPL", 101.0)
    assert [f.price for f in book.drain_fired()] == [101.0]
    assert alert.held == 0
    assert alert.fired_count == 2


def test_above_once_only_does_not_rearm_on_a_pull_back() -> None:
    alert = Alert(1, "AAPL", AlertKind.ABOVE, 100.0, once=True)
    got = [evaluate_rule(alert, p, None, hysteresis=0.01) for p in (101.0, 98.0, 101.0)]
    assert got == [Verdict.FIRED, Verdict.QUIET, Verdict.QUIET]
    assert alert.spent


def test_fired_state_last_fired_time_and_cooldown_survive_a_restart(tmp_path: Path) -> None:
    clock = WallClock()
    book = AlertBook(wall_clock=clock)
    above = book.add("AAPL", "above", 150.0)
    cross = book.add("MSFT", "crosses", 300.0, cooldown_s=900, once=False)
    once = book.add("SPY", "crosses", 500.0, once=True)
    book.evaluate("AAPL", 151.0)
    for price in (299.0, 301.0):
        book.evaluate("MSFT", price)
    for price in (499.0, 501.0):
        book.evaluate("SPY", price)
    assert len(book.drain_fired()) == 3
    path = tmp_path / "alerts.json"
    book.save(path)

    clock.now += 60.0  # restarted a minute later
    again = AlertBook(wall_clock=clock)
    assert again.load(path) == []
    a, c, o = (again.get(x.id) for x in (above, cross, once))
    assert a is not None
    assert c is not None
    assert o is not None
    assert (a.armed, a.fired_at) == (False, 10_000.0)
    assert (c.cooldown_s, c.side, c.fired_at) == (900, 1, 10_000.0)
    assert o.spent
    again.evaluate("AAPL", 152.0)  # still true: already fired before the restart
    again.evaluate("MSFT", 299.0)  # the demo restarted below: a crossing inside the cooldown
    again.evaluate("SPY", 499.0)  # spent once-only: tracks, never fires
    again.evaluate("SPY", 501.0)
    assert again.drain_fired() == []
    assert c.held == 1
    again.evaluate("AAPL", 149.0)  # false (re-armed) ...
    again.evaluate("AAPL", 150.5)  # ... then true again: fires
    assert [f.symbol for f in again.drain_fired()] == ["AAPL"]


def test_an_old_alerts_file_without_the_new_state_loads_as_before(tmp_path: Path) -> None:
    path = tmp_path / "alerts.json"
    rules = [
        {"id": 1, "symbol": "AAPL", "kind": "crosses", "threshold": 100.0, "enabled": True,
         "note": "", "armed": True, "side": 1, "fired_count": 4},
        {"id": 2, "symbol": "MSFT", "kind": "above", "threshold": 300.0, "armed": False},
    ]  # fmt: skip
    history = [{"alert_id": 1, "symbol": "AAPL", "kind": "crosses", "threshold": 100.0,
                "price": 99.0, "change_pct": None, "wall_time": 5.0}]  # fmt: skip
    path.write_text(json.dumps({"version": 1, "alerts": rules, "history": history}))
    book = AlertBook()
    assert book.load(path) == []
    cross, above = book.alerts()
    assert (cross.once, cross.cooldown_s, cross.fired_at, cross.held) == (False, 0, None, 0)
    assert (cross.side, cross.fired_count) == (1, 4)
    assert not above.armed
    assert [f.notified for f in book.history()] == [True]
    book.evaluate("AAPL", 98.0)  # crosses as it always did
    assert len(book.drain_fired()) == 1


def test_bad_options_are_refused_in_words_and_a_bad_file_option_is_named() -> None:
    book = AlertBook()
    with pytest.raises(AlertError, match="cooldown: must be whole seconds"):
        book.add("AAPL", "crosses", 100.0, cooldown_s=-60)
    with pytest.raises(AlertError, match="cooldown: not a number"):
        book.add("AAPL", "crosses", 100.0, cooldown_s="5m")  # type: ignore[arg-type]
    assert len(book) == 0
    raw = {"id": 1, "symbol": "AAPL", "kind": "crosses", "threshold": 100.0,
           "cooldown_s": 1e300, "fired_at": "yesterday", "held": -4}  # fmt: skip
    problems = book.load_json({"version": 1, "alerts": [raw]})
    assert [a.symbol for a in book.alerts()] == ["AAPL"]  # the rule is kept
    assert any("alert #1" in p and "cooldown" in p for p in problems)
    assert any("alert #1" in p and "last fired time" in p for p in problems)
    (alert,) = book.alerts()
    assert (alert.cooldown_s, alert.fired_at, alert.held) == (0, None, 0)


def test_editing_the_condition_forgets_its_last_firing_and_keeps_options() -> None:
    clock = WallClock()
    book = AlertBook(wall_clock=clock)
    alert = book.add("AAPL", "crosses", 100.0, cooldown_s=60, once=True)
    for price in (99.0, 101.0):
        book.evaluate("AAPL", price)
    fired_at = alert.fired_at
    assert fired_at is not None
    book.update(alert.id, "AAPL", "crosses", 100.0, "note only")
    assert book.alerts()[0].fired_at == fired_at  # same condition: its cooldown still runs
    book.update(alert.id, "AAPL", "crosses", 102.0)
    assert (book.alerts()[0].fired_at, alert.once, alert.cooldown_s) == (None, True, 60)
    book.update(alert.id, "AAPL", "crosses", 102.0, once=False, cooldown_s=0)
    assert (alert.once, alert.cooldown_s) == (False, 0)
