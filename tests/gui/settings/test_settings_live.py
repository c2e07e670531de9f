"""Settings apply the flush rate at once (no restart): TickerTableModel.set_flush_interval."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QLabel

from engine.market.store import MarketDataStore
from gui.settings.dialog import SettingsDialog
from gui.settings.persistence import AppSettings
from gui.table.model import TickerTableModel


def test_set_flush_interval_restarts_or_stops_the_timer(
    qapp: Any, store: MarketDataStore, clock: Any, qtmodeltester: Any
) -> None:
    model = TickerTableModel(store, clock, flush_interval_ms=50)
    assert model.flush_interval() == 50
    model.set_flush_interval(250)
    assert model.flush_interval() == 250
    assert model.pacer.interval_ms == 250  # load shedding now stretches from the new rate
    model.set_flush_interval(0)
    assert model.flush_interval() == 0
    model.set_flush_interval(-5)
    assert model.flush_interval() == 0
    model.set_flush_interval(20)  # and back on
    assert model.flush_interval() == 20
    model.set_symbols(["AAPL"])
    qtmodeltester.check(model)
    model.set_flush_interval(0)


@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")  # offscreen open()
def test_settings_dialog_applies_the_flush_rate_live(
    qtbot: Any, make_window: Any, tmp_path: Path
) -> None:
    path = tmp_path / "s.ini"
    window = make_window(path, symbols=["AAPL"], flush_ms=50)
    assert window.model.flush_interval() == 50
    window.open_settings()
    dialog = window.settings_dialog
    assert isinstance(dialog, SettingsDialog)
    labels = [w.text().replace("&", "") for w in dialog.findChildren(QLabel)]  # as shown
    assert "Table refresh" in labels
    assert not any("next start" in t for t in labels)
    dialog.flush_spin.setValue(200)
    with qtbot.waitSignal(window.settings_applied):
        dialog.accept()
    assert window.model.flush_interval() == 200  # no restart needed
    assert AppSettings(path).flush_ms() == 200  # and kept for the next start
    window.shutdown()
    window.model.set_flush_interval(0)
