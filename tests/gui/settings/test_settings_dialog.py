"""Settings dialog: masked secret, keyring notice, applied values, Test connection."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from PySide6.QtWidgets import QLineEdit

import gui.settings.dialog as settings_dialog
from engine.config import Credentials
from engine.core.tasks import TaskSet
from engine.net.stream import StreamConfig
from gui.settings.dialog import SettingsDialog, StreamSettings
from gui.settings.probe import probe_stream
from tests.waits import until

CURRENT = StreamSettings(None, "iex", "json", 50)
OFFSCREEN_SHOW = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def make_dialog(qtbot: Any) -> Any:
    def make(
        current: StreamSettings = CURRENT, probe: Any = None, tasks: TaskSet | None = None
    ) -> SettingsDialog:
        dialog = SettingsDialog(current, tasks or TaskSet(), probe)
        qtbot.addWidget(dialog)
        return dialog

    return make


def test_secret_is_masked_and_cleared_after_apply(make_dialog: Any, qtbot: Any) -> None:
    dialog = make_dialog()
    assert dialog.secret_field.echoMode() is QLineEdit.EchoMode.Password
    qtbot.keyClicks(dialog.key_field, "PKTEST")
    qtbot.keyClicks(dialog.secret_field, "s3cret")
    dialog.feed_combo.setCurrentText("sip")
    dialog.encoding_combo.setCurrentText("msgpack")
    dialog.flush_spin.setValue(120)
    with qtbot.waitSignal(dialog.applied) as applied:
        dialog.accept()
    values = applied.args[0]
    assert values == StreamSettings(Credentials("PKTEST", "s3cret"), "sip", "msgpack", 120)
    assert dialog.secret_field.text() == ""
    assert "s3cret" not in repr(values)


def test_empty_secret_keeps_current_credentials(make_dialog: Any) -> None:
    current = StreamSettings(Credentials("PKOLD", "old"), "iex", "json", 50)
    dialog = make_dialog(current)
    assert dialog.key_field.text() == "PKOLD"
    assert dialog.secret_field.text() == ""  # the secret is never shown back
    assert dialog.values().credentials == current.credentials
    dialog.key_field.setText("PKNEW")
    assert dialog.values().credentials is None  # a new key needs its secret


def test_without_keyring_the_dialog_says_session_only(
    make_dialog: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings_dialog, "keyring_available", lambda: False)
    dialog = make_dialog()
    assert not dialog.keyring_ok
    assert "this session only" in dialog.keyring_label.text()


@OFFSCREEN_SHOW
def test_open_is_not_a_nested_loop(make_dialog: Any) -> None:
    dialog = make_dialog()
    dialog.open()  # returns at once (exec() would block here and break qasync)
    assert dialog.isVisible()
    dialog.reject()
    assert not dialog.isVisible()


def test_test_connection_reports_success_and_failure(
    qloop: asyncio.AbstractEventLoop, make_dialog: Any
) -> None:
    from engine.simulator import Simulator, SimulatorConfig

    async def scenario() -> None:
        config = SimulatorConfig(rate=0.0, key="PKGOOD", secret="good-secret")
        async with Simulator(config) as sim:

            async def probe(creds: Any, feed: str, encoding: str) -> Any:
                config = StreamConfig(url=sim.ws_url, feed=feed, credentials=creds)
                return await probe_stream(config)

            tasks = TaskSet()
            dialog = make_dialog(probe=probe, tasks=tasks)
            try:
                results: list[tuple[bool, str]] = []
                dialog.probe_finished.connect(lambda ok, text: results.append((ok, text)))
                dialog.key_field.setText("PKGOOD")
                dialog.secret_field.setText("wrong")
                dialog.test_button.click()
                assert not dialog.test_button.isEnabled()  # one probe at a time
                await until(lambda: len(results) == 1, "first probe")
                assert results[0][0] is False
                assert "Failed" in dialog.test_result.text()
                assert "wrong" not in dialog.test_result.text()
                dialog.secret_field.setText("good-secret")
                dialog.test_button.click()
                await until(lambda: len(results) == 2, "second probe")
                assert results[1][0] is True
                assert dialog.test_result.text().startswith("Connected and authenticated")
            finally:
                await tasks.cancel_all()

    qloop.run_until_complete(scenario())


def test_plan_choice_shows_the_limit_in_words(make_dialog: Any) -> None:
    from engine.plan import MarketDataPlan, PlanLimit

    dialog = make_dialog()  # no plan chosen yet: Basic, the default on iex
    assert dialog.chosen_plan() == PlanLimit(MarketDataPlan.BASIC)
    assert "30 symbols (trades and quotes together) on one connection" in (dialog.plan_label.text())
    assert not dialog.limit_spin.isEnabled()
    dialog.feed_combo.setCurrentText("sip")  # not chosen: it follows the feed
    assert dialog.chosen_plan() == PlanLimit(MarketDataPlan.ALGO_TRADER_PLUS)
    assert "no symbol limit" in dialog.plan_label.text()
    assert dialog.values().plan is None  # still the feed's default: nothing to save
    dialog.plan_combo.setCurrentIndex(dialog.plan_combo.findData(MarketDataPlan.CUSTOM.value))
    assert dialog.limit_spin.isEnabled()
    dialog.limit_spin.setValue(12)
    assert dialog.values().plan == PlanLimit(MarketDataPlan.CUSTOM, 12)
    assert "at most 12 symbols" in dialog.plan_label.text()


def test_a_chosen_plan_stays_and_the_demo_says_what_it_enforces(make_dialog: Any) -> None:
    from engine.plan import MarketDataPlan, PlanLimit

    basic = PlanLimit(MarketDataPlan.BASIC)
    note = "Demo: the built-in simulator has no symbol limit."
    dialog = make_dialog(StreamSettings(None, "iex", "json", 50, plan=basic, plan_note=note))
    dialog.feed_combo.setCurrentText("sip")  # chosen before: the plan does not follow
    assert dialog.values().plan == basic
    assert note in dialog.plan_label.text()
