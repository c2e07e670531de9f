"""Issue 18 #8, alerts are noisy: once-only and cooldown for "crosses", fired state and the
last firing kept across a restart, recent-alert times in ET, Add… prefills the selection."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableView

from engine.alerts.book import AlertBook
from engine.events import Trade
from engine.market.calendar import EASTERN
from engine.market.store import MarketDataStore
from gui.alerts.notify import AlertBanner, Notifier
from gui.alerts.panel import AlertsPanel
from gui.runtime import Runtime, RuntimeOptions
from gui.settings.persistence import AppSettings
from tests.waits import until

T0 = 1_700_000_000 * 1_000_000_000
OFFSCREEN_SHOW = pytest.mark.qt_log_ignore("This plugin does not support")
STATE, FIRED = 4, 5


class Prints:
    def __init__(self, store: MarketDataStore) -> None:
        self.store = store
        self.seq = 0

    def __call__(self, symbol: str, *prices: float) -> None:
        for price in prices:
            self.seq += 1
            self.store.apply(Trade(symbol, price, 100, T0 + self.seq, trade_id=self.seq))


def add_through_the_editor(window: Any, qtbot: Any, kind: str, threshold: float,
                           *, once: bool = False, cooldown_s: int = 0) -> None:  # fmt: skip
    panel = window.alerts.panel
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    editor = panel.editor
    assert editor is not None
    editor.kind_combo.setCurrentIndex(editor.kind_combo.findData(kind))
    editor.threshold_field.setValue(threshold)
    editor.once_box.setChecked(once)
    editor.set_cooldown(cooldown_s)
    assert editor.cooldown_combo.currentData() == cooldown_s
    editor.submit()
    assert not editor.isVisible()


@OFFSCREEN_SHOW
def test_crosses_with_a_cooldown_notifies_once_and_lists_the_chop(
    make_window: Any, qtbot: Any, tmp_path: Path, store: MarketDataStore
) -> None:
    window = make_window(tmp_path / "a.ini")
    alerts = window.alerts
    alerts.notifier.sound = False
    trade = Prints(store)
    trade("AAPL", 149.0)
    window.select_symbol("AAPL")
    add_through_the_editor(window, qtbot, "crosses", 150.0, cooldown_s=300)
    (rule,) = alerts.book.alerts()
    assert rule.options_text() == "cooldown 5 min"

    trade("AAPL", 149.0)  # a rule's first price tells it the side (engine.alerts.rules)
    trade("AAPL", 151.0, 149.0, 151.0, 149.0)  # chops across the level four times
    fired = alerts.panel.poll()
    assert [f.price for f in fired] == [151.0]  # one notification ...
    assert alerts.notifier.shown == 1
    history = [alerts.panel.history.item(i).text() for i in range(alerts.panel.history.count())]
    assert len(history) == 4  # ... every crossing listed, newest first
    assert sum("cooldown: not notified" in line for line in history) == 3
    # At the time of the print that fired, in ET, as the table shows it (T0 = 17:13:20 ET).
    assert all(line.startswith("17:13:20 ET  AAPL price crosses 150") for line in history)
    model = alerts.panel.model
    assert model.data(model.index(0, STATE)) == "below · cooldown · 3 held"
    tip = model.data(model.index(0, STATE), Qt.ItemDataRole.ToolTipRole)
    assert "Quiet until " in tip
    assert " ET by this computer's clock" in tip
    assert model.data(model.index(0, 6)) == "cooldown 5 min"


@OFFSCREEN_SHOW
def test_once_only_crosses_fires_once_until_rearmed_by_hand(
    make_window: Any, qtbot: Any, tmp_path: Path, store: MarketDataStore
) -> None:
    window = make_window(tmp_path / "a.ini")
    alerts = window.alerts
    alerts.notifier.sound = False
    trade = Prints(store)
    trade("AAPL", 149.0)
    window.select_symbol("AAPL")
    add_through_the_editor(window, qtbot, "crosses", 150.0, once=True)
    trade("AAPL", 149.0, 151.0, 149.0, 151.0)
    assert [f.price for f in alerts.panel.poll()] == [151.0]
    model = alerts.panel.model
    assert model.data(model.index(0, STATE)) == "spent · re-arm by hand"
    saved = json.loads(AppSettings(tmp_path / "a.ini").alerts_path().read_text())
    assert saved["alerts"][0]["once"] is True

    alerts.panel.view.selectRow(0)
    qtbot.mouseClick(alerts.panel.rearm_button, Qt.MouseButton.LeftButton)
    assert model.data(model.index(0, STATE)) == "above"
    trade("AAPL", 149.0, 151.0)
    assert [f.price for f in alerts.panel.poll()] == [149.0]


@OFFSCREEN_SHOW
def test_a_restart_fires_nothing_already_fired_and_keeps_the_cooldown(
    make_window: Any, qtbot: Any, tmp_path: Path, store: MarketDataStore
) -> None:
    window = make_window(tmp_path / "a.ini")
    alerts = window.alerts
    alerts.notifier.sound = False
    trade = Prints(store)
    trade("AAPL", 149.0)
    trade("MSFT", 310.0)
    alerts.book.add("MSFT", "above", 300.0)  # true when added: fires at once
    alerts.book.add("AAPL", "crosses", 150.0, cooldown_s=900)
    trade("AAPL", 149.5, 151.0)
    trade("MSFT", 311.0)
    assert len(alerts.panel.poll()) == 2
    window.shutdown()

    again = make_window(tmp_path / "a.ini")  # the same settings file
    panel = again.alerts.panel
    again.alerts.notifier.sound = False
    above, cross = again.alerts.book.alerts()
    assert above.fired_at is not None
    assert cross.fired_at is not None
    last = datetime.fromtimestamp(above.fired_at, EASTERN)
    tip = panel.model.data(panel.model.index(0, FIRED), Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith(f"Last notified {last:%a %Y-%m-%d %H:%M:%S} ET")
    assert panel.model.data(panel.model.index(0, STATE)) == "fired"
    trade("MSFT", 312.0)  # still at or above: fired before the restart, no second firing
    trade("AAPL", 149.0)  # a crossing inside the cooldown kept from before the restart
    assert panel.poll() == []
    assert again.alerts.notifier.shown == 0
    assert cross.held == 1
    assert "cooldown: not notified" in panel.history.item(0).text()
    trade("MSFT", 299.0, 300.5)  # false (re-armed), then true again: fires
    assert [f.symbol for f in panel.poll()] == ["MSFT"]


def test_recent_alert_times_are_new_york_time(qtbot: Any) -> None:
    wall = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC = 17:13:20 in New York
    book = AlertBook(wall_clock=lambda: wall)
    book.add("AAPL", "above", 1.0)
    book.evaluate("AAPL", 2.0)
    table = QTableView()  # the banner's host
    qtbot.addWidget(table)
    panel = AlertsPanel(book, None, Notifier(AlertBanner(table), use_tray=False, sound=False))
    qtbot.addWidget(panel)
    panel.poll()
    assert panel.history.item(0).text().startswith("17:13:20 ET  AAPL price at or above 1")
    tip = panel.model.data(panel.model.index(0, FIRED), Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("Last notified Tue 2023-11-14 17:13:20 ET")


@OFFSCREEN_SHOW
def test_add_in_the_panel_prefills_the_selected_symbol(
    make_window: Any, qtbot: Any, tmp_path: Path, store: MarketDataStore
) -> None:
    window = make_window(tmp_path / "a.ini")
    trade = Prints(store)
    trade("AAPL", 149.0)
    trade("MSFT", 312.5)
    window.select_symbol("MSFT")
    panel = window.alerts.panel
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    assert panel.editor is not None
    assert panel.editor.symbol_field.text() == "MSFT"
    assert panel.editor.threshold_field.value() == 312.5  # and its last price


@OFFSCREEN_SHOW
def test_restarting_the_demo_does_not_notify_a_crosses_alert_again(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """The live simulator: a crosses rule at the price chops and notifies once; the app is
    restarted with the same settings (a new simulated market, so the price may start on
    either side) and nothing is notified while the cooldown runs."""
    options = RuntimeOptions(
        demo=True, symbols=["AAPL"], settings_path=tmp_path / "live.ini", simulator_rate=100.0
    )

    async def run(first: bool) -> tuple[list[Any], int]:
        session = Runtime(options, asyncio.Event())
        notified: list[Any] = []
        try:
            await session.start()
            window = session.window
            assert window is not None
            alerts = window.alerts
            alerts.notifier.sound = False
            alerts.panel.fired.connect(notified.extend)
            store = session.store
            assert store is not None
            await until(lambda: last_price(store) is not None, "a first AAPL price")
            if first:
                level = last_price(store) or 1.0
                alerts.book.add("AAPL", "crosses", level, cooldown_s=3600)
                # The live walk may take long to move 0.1 % past the level: two prints
                # either side of it make the first crossing certain; the live chop after
                # them is held by the cooldown.
                for i, price in enumerate((level * 0.99, level * 1.01)):
                    store.apply(Trade("AAPL", round(price, 2), 1, time.time_ns(), trade_id=-1 - i))
                    await asyncio.sleep(0.1)
                await until(lambda: bool(notified), "the crossing notified")
                await asyncio.sleep(1.0)  # live prints chop on: held, not notified
            else:  # watch a good run of live AAPL prints after the restart
                seen: list[float] = []

                def count(event: object, snap: Any) -> None:
                    if isinstance(event, Trade) and snap.symbol == "AAPL":
                        seen.append(event.price)

                store.add_observer(count)
                await until(lambda: len(seen) >= 30, "30 AAPL prints after the restart")
                store.remove_observer(count)
                await asyncio.sleep(0.3)  # a few more flushes of the alerts panel
            return notified, alerts.notifier.shown
        finally:
            await session.close()

    notified, shown = qloop.run_until_complete(run(True))
    assert len(notified) == 1
    assert shown == 1
    notified, shown = qloop.run_until_complete(run(False))
    assert notified == []
    assert shown == 0


def last_price(store: MarketDataStore) -> float | None:
    snap = store.get("AAPL")
    return None if snap is None else snap.last_price
