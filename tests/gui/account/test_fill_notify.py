"""Fill notifications: through the alerts' Notifier (banner here), once per fill, news only."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtWidgets import QWidget

from engine.account.book import AccountBook
from engine.account.models import OrderStatus
from engine.market.store import MarketDataStore
from gui.account.controller import AccountPanels
from gui.account.notify import FillNotifier
from gui.alerts.notify import AlertBanner, Notifier
from tests.conftest import FakeClock
from tests.gui.account.factories import NS, account, fill, fill_update


class Recorder:
    """Stands in for the alerts' Notifier: records (title, text)."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []

    def notify(self, title: str, text: str) -> None:
        self.messages.append((title, text))


@pytest.fixture
def host(qtbot: Any) -> QWidget:
    widget = QWidget()
    qtbot.addWidget(widget)
    return widget


@pytest.fixture
def panels(
    qtbot: Any, host: QWidget, store: MarketDataStore, clock: FakeClock
) -> tuple[AccountPanels, AccountBook, Notifier]:
    book = AccountBook()
    notifier = Notifier(AlertBanner(host), use_tray=False, sound=False, parent=host)
    panels = AccountPanels(book, store, True, notifier, clock, start_timer=False, parent=host)
    for dock in (panels.positions, panels.orders):
        qtbot.addWidget(dock)
    return panels, book, notifier


def test_a_fill_is_notified_once_and_history_is_not(
    panels: tuple[AccountPanels, AccountBook, Notifier],
) -> None:
    ui, book, notifier = panels
    # The first reconcile finds yesterday's fills: listed, not news (AccountService does
    # not hand them to on_fill).
    book.reconcile(account(), [], [], [fill("old-1"), fill("old-2")])
    ui.tick()
    assert notifier.shown == 0
    assert ui.orders.fills_model.rowCount() == 2
    # A partial fill, then the rest, on the stream.
    part = fill("exec-1", "AAPL", 40, 187.5, time_ns=NS + 10, partial=True, order_id="o9",
                cum_qty=40, leaves_qty=60)  # fmt: skip
    new = book.apply_update(fill_update(part, OrderStatus.PARTIALLY_FILLED))
    assert new is not None
    ui.on_fill(new)
    ui.tick()
    assert notifier.shown == 1
    assert notifier.banner.text() == (
        "Partial fill (paper): BUY 40 AAPL @ 187.50 (40 filled, 60 left)"
    )
    # The same execution again: from the stream, then from REST after a reconnect (the
    # activity id is "<timestamp>::<execution uuid>"): never a second notification.
    assert book.apply_update(fill_update(part, OrderStatus.PARTIALLY_FILLED)) is None
    again = fill("20231114221320000::exec-1", "AAPL", 40, 187.5, time_ns=NS + 10,
                 partial=True, order_id="o9", cum_qty=40, leaves_qty=60)  # fmt: skip
    assert book.reconcile(None, None, None, [again]) == []
    ui.on_fill(again)  # even if a caller handed it over anyway
    ui.tick()
    assert notifier.shown == 1
    assert ui.fills.duplicates == 1
    rest = fill("exec-2", "AAPL", 60, 187.4, time_ns=NS + 20, order_id="o9", cum_qty=100,
                leaves_qty=0)  # fmt: skip
    for found in book.reconcile(None, None, None, [rest]):  # missed during a drop
        ui.on_fill(found)
    ui.tick()
    assert notifier.shown == 2
    assert notifier.banner.text().startswith("Order filled (paper): BUY 60 AAPL @ 187.40")
    ui.tick()
    assert notifier.shown == 2  # nothing queued: nothing shown


def test_many_fills_at_once_make_one_summary() -> None:
    recorder = Recorder()
    fills = FillNotifier(recorder, paper=False)  # type: ignore[arg-type]
    for i, symbol in enumerate(("AAPL", "MSFT", "AAPL", "SPY", "TSLA")):
        fills.add(fill(f"e{i}", symbol))
    assert fills.flush() == 5
    assert recorder.messages == [("5 fills", "AAPL, MSFT, SPY, TSLA")]
    fills.add(fill("e9", "NVDA", 3, 120.0))
    fills.flush()
    assert recorder.messages[-1] == ("Order filled", "BUY 3 NVDA @ 120.00")


def test_seen_keys_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    import gui.account.notify as notify

    monkeypatch.setattr(notify, "SEEN_KEYS", 3)
    fills = FillNotifier(None, paper=True)
    for i in range(10):
        fills.add(fill(f"k{i}"))
    assert len(fills._seen) == 3
    assert fills.flush() == 10
