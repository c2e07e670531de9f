"""Alerts dock: model, editor, enable/delete, polling -> banner + history, persistence, live."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMenu

from engine.alerts.book import AlertBook
from engine.events import Trade
from engine.market.store import MarketDataStore
from gui.alerts.notify import AlertBanner, Notifier
from gui.alerts.panel import AlertListModel
from gui.runtime import Runtime, RuntimeOptions
from gui.settings.persistence import AppSettings
from tests.waits import until

T0 = 1_700_000_000 * 1_000_000_000
# Qt's offscreen platform says so for show(), raise() and menu keyboard grabs; only offscreen.
OFFSCREEN_SHOW = pytest.mark.qt_log_ignore("This plugin does not support")


class Prints:
    """Applies trades with increasing exchange times to a real store."""

    def __init__(self, store: MarketDataStore) -> None:
        self.store = store
        self.seq = 0

    def __call__(self, symbol: str, price: float) -> None:
        self.seq += 1
        self.store.apply(Trade(symbol, price, 100, T0 + self.seq, trade_id=self.seq))


def test_alert_list_model_passes_qtmodeltester(qtmodeltester: Any) -> None:
    book = AlertBook()
    book.add("AAPL", "above", 150.0, note="breakout")
    book.add("MSFT", "pct_below", -3.0, enabled=False)
    model = AlertListModel(book)
    qtmodeltester.check(model)
    assert model.data(model.index(1, 3)) == "-3%"
    assert model.data(model.index(1, 4)) == "off"
    assert model.data(model.index(0, 0), Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked


@OFFSCREEN_SHOW
def test_add_fire_notify_and_persist(
    make_window: Any, qtbot: Any, tmp_path: Path, store: MarketDataStore, clock: Any
) -> None:
    window = make_window(tmp_path / "a.ini")
    alerts = window.alerts
    panel = alerts.panel
    alerts.notifier.sound = False
    assert alerts.notifier.route == "banner"  # offscreen: no system tray
    trade = Prints(store)
    trade("AAPL", 149.0)
    window.select_symbol("AAPL")

    alerts.add_alert_action.trigger()  # what the table's context menu runs
    editor = panel.editor
    assert editor is not None
    assert editor.isVisible()
    assert editor.symbol_field.text() == "AAPL"
    assert editor.threshold_field.value() == 149.0  # prefilled with the last price
    editor.threshold_field.setValue(150.0)
    editor.note_field.setText("breakout")
    editor.submit()
    assert [a.describe() for a in alerts.book.alerts()] == ["AAPL price at or above 150"]

    trade("AAPL", 150.25)
    fired = panel.poll()  # the flush timer's job
    assert [f.price for f in fired] == [150.25]
    assert not alerts.banner.isHidden()  # shown (the window itself is not, in this test)
    assert "AAPL price at or above 150: last 150.25" in alerts.banner.text()
    assert alerts.banner.hide_timer.isActive()  # auto-hides
    assert panel.history.count() == 1
    assert panel.model.data(panel.model.index(0, 4)).startswith("fired")
    saved = json.loads(AppSettings(tmp_path / "a.ini").alerts_path().read_text())
    assert saved["alerts"][0]["armed"] is False
    assert saved["alerts"][0]["note"] == "breakout"
    assert len(saved["history"]) == 1
    window.shutdown()

    again = make_window(tmp_path / "a.ini")  # restart: rules and history are back
    assert [a.note for a in again.alerts.book.alerts()] == ["breakout"]
    assert again.alerts.panel.history.count() == 1
    trade("AAPL", 151.0)  # still above: no second firing after a restart
    assert again.alerts.panel.poll() == []
    again.shutdown()


@OFFSCREEN_SHOW
def test_editor_refuses_bad_input_and_stays_open(
    make_window: Any, qtbot: Any, tmp_path: Path, store: MarketDataStore, clock: Any
) -> None:
    window = make_window(tmp_path / "a.ini")
    panel = window.alerts.panel
    editor = panel.open_editor("")
    editor.symbol_field.setText("12X")
    editor.threshold_field.setValue(10.0)
    editor.submit()
    assert "Symbol:" in editor.error.text()
    editor.symbol_field.setText("MSFT")
    editor.threshold_field.setValue(0.0)
    editor.submit()
    assert editor.error.text() == "Threshold: a price threshold must be above 0"
    assert len(window.alerts.book) == 0
    editor.kind_combo.setCurrentIndex(editor.kind_combo.findData("pct_below"))
    editor.threshold_field.setValue(-2.5)
    editor.submit()
    assert [a.describe() for a in window.alerts.book.alerts()] == [
        "MSFT change % at or below -2.5%"
    ]
    window.shutdown()


@OFFSCREEN_SHOW
def test_enable_edit_delete_from_the_list(
    make_window: Any, qtbot: Any, tmp_path: Path, store: MarketDataStore, clock: Any
) -> None:
    window = make_window(tmp_path / "a.ini")
    panel = window.alerts.panel
    book = window.alerts.book
    alert = book.add("MSFT", "below", 300.0)
    panel.model.refresh()
    model = panel.model
    assert model.setData(model.index(0, 0), Qt.CheckState.Unchecked.value)
    assert not alert.enabled
    path = AppSettings(tmp_path / "a.ini").alerts_path()
    assert json.loads(path.read_text())["alerts"][0]["enabled"] is False
    Prints(store)("MSFT", 250.0)
    assert panel.poll() == []  # disabled: nothing fires

    panel.view.selectRow(0)
    panel.edit_selected()
    assert panel.editor is not None
    assert panel.editor.alert_id == alert.id
    panel.editor.threshold_field.setValue(260.0)
    panel.editor.submit()
    assert book.get(alert.id) is not None
    assert alert.threshold == 260.0
    panel.view.selectRow(0)
    panel.delete_selected()
    assert len(book) == 0
    assert model.rowCount() == 0
    assert json.loads(path.read_text())["alerts"] == []
    window.shutdown()


def test_many_firings_in_one_poll_are_summarised(qtbot: Any) -> None:
    book = AlertBook()
    for symbol in ("AAPL", "MSFT", "SPY", "QQQ"):
        book.add(symbol, "above", 1.0)
        book.evaluate(symbol, 2.0)
    from PySide6.QtWidgets import QTableView

    from gui.alerts.panel import AlertsPanel

    host = QTableView()
    qtbot.addWidget(host)
    banner = AlertBanner(host)
    panel = AlertsPanel(book, None, Notifier(banner, use_tray=False, sound=False))
    qtbot.addWidget(panel)
    assert len(panel.poll()) == 4
    assert banner.text() == "4 alerts: AAPL, MSFT, SPY, QQQ"
    assert panel.notifier is not None
    assert panel.notifier.shown == 1


@OFFSCREEN_SHOW
def test_table_context_menu_offers_add_alert(
    make_window: Any, qtbot: Any, tmp_path: Path, store: MarketDataStore, clock: Any
) -> None:
    window = make_window(tmp_path / "a.ini")
    window.show()
    qtbot.waitExposed(window)
    window.table.customContextMenuRequested.emit(QPoint(5, 5))
    menus = [m for m in window.findChildren(QMenu) if m.isVisible()]
    assert any(a.text() == "Add alert…" for m in menus for a in m.actions())
    for menu in menus:
        menu.close()
    window.shutdown()


@OFFSCREEN_SHOW
def test_alert_fires_from_the_live_simulator(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    async def scenario() -> None:
        options = RuntimeOptions(
            demo=True, symbols=["AAPL", "MSFT"], settings_path=tmp_path / "live.ini",
            simulator_rate=100.0,
        )  # fmt: skip
        session = Runtime(options, asyncio.Event())
        try:
            await session.start()
            window = session.window
            assert window is not None
            alerts = window.alerts
            alerts.notifier.sound = False
            # Any real AAPL price is above 1.00: true at once, fires on the next print.
            alerts.book.add("AAPL", "above", 1.0)
            fired: list[Any] = []
            alerts.panel.fired.connect(fired.extend)  # polled on the flush timer
            await until(lambda: bool(fired), "the alert fired from streamed data")
            assert fired[0].symbol == "AAPL"
            assert fired[0].price > 1.0
            assert "AAPL price at or above 1" in alerts.banner.text()
            client = session.client
            assert client is not None
            await until(lambda: bool(client.subscription.trades), "subscription confirmed")
            dialog = window.dialogs.open_connection_details()
            assert any("AAPL" in dialog.subscription_list.item(i).text()
                       for i in range(dialog.subscription_list.count()))  # fmt: skip
            dialog.close()
        finally:
            await session.close()
        assert AppSettings(tmp_path / "live.ini").alerts_path().exists()

    qloop.run_until_complete(scenario())
