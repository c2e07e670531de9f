"""Settings: the Trading API choice (off, paper, live), persisted; unchosen follows the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.config import Credentials
from engine.core.tasks import TaskSet
from gui.settings.dialog import SettingsDialog, StreamSettings
from gui.settings.persistence import AppSettings, default_trading_api


def test_choice_is_persisted_and_a_bad_value_falls_back(qapp: Any, tmp_path: Path) -> None:
    path = tmp_path / "s.ini"
    settings = AppSettings(path)
    assert settings.trading_api() is None  # never chosen
    settings.set_trading_api("live")
    assert AppSettings(path).trading_api() == "live"
    settings.set_trading_api("off")
    assert AppSettings(path).trading_api() == "off"
    settings.set_trading_api(None)  # forget: follow the key again
    assert AppSettings(path).trading_api() is None
    path.write_text("[account]\ntrading_api=margin\n")
    reread = AppSettings(path)
    assert reread.trading_api() is None
    assert reread.last_error is not None
    assert "unknown Trading API" in reread.last_error


def test_default_follows_the_key() -> None:
    assert default_trading_api("AKLIVE123") == "live"
    assert default_trading_api("PKPAPER123") == "paper"
    assert default_trading_api(None) == "paper"  # the demo account
    assert default_trading_api("") == "paper"


def make(qtbot: Any, current: StreamSettings) -> SettingsDialog:
    dialog = SettingsDialog(current, TaskSet())
    qtbot.addWidget(dialog)
    return dialog


def test_dialog_follows_the_key_until_chosen(qtbot: Any) -> None:
    dialog = make(qtbot, StreamSettings(None, "iex", "json", 50))
    assert dialog.chosen_trading_api() == "paper"
    assert dialog.values().trading_api is None  # the default is not a choice to save
    dialog.key_field.setText("AKLIVE")
    assert dialog.chosen_trading_api() == "live"
    assert dialog.values().trading_api is None
    dialog.trading_combo.setCurrentIndex(dialog.trading_combo.findData("off"))
    assert dialog.values().trading_api == "off"
    assert "Read-only" in dialog.trading_label.text()


def test_dialog_keeps_an_explicit_choice(qtbot: Any) -> None:
    current = StreamSettings(Credentials("PKOLD", "x"), "iex", "json", 50, trading_api="live")
    dialog = make(qtbot, current)
    assert dialog.chosen_trading_api() == "live"
    dialog.key_field.setText("PKNEW")
    assert dialog.values().trading_api == "live"
    with qtbot.waitSignal(dialog.applied) as applied:
        dialog.accept()
    assert applied.args[0].trading_api == "live"
