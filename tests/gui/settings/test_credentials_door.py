"""Issue 18, #5: credentials are not a one-way door. "Use demo data" and "Forget
credentials" in Settings; a cleared key field means forget, said in words; forgetting
removes the pair from the OS keyring and switches the running app to the demo without a
restart; "Settings applied" is never painted over an error. Driven through the real app
on the real simulator over 127.0.0.1 (the keyring is an in-memory backend)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

import gui.settings.dialog as settings_dialog
from engine.config import Credentials, save_credentials
from engine.core.tasks import TaskSet
from engine.market.store import Source
from engine.net.health import ConnectionState
from engine.simulator import Simulator, SimulatorConfig
from gui.runtime import Runtime, RuntimeOptions
from gui.settings.credentials import FORGET_ON_EMPTY_WORDS, CredentialsChoice
from gui.settings.dialog import SettingsDialog, StreamSettings
from gui.settings.persistence import AppSettings
from tests.keyrings import MemoryKeyring
from tests.waits import until

OFFSCREEN_SHOW = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
KEY, SECRET = "PKDOOR", "door-secret"


def _dialog(qtbot: Any, current: StreamSettings, source: str) -> SettingsDialog:
    dialog = SettingsDialog(current, TaskSet(), None, source)
    qtbot.addWidget(dialog)
    return dialog


def test_settings_offer_demo_and_forget_and_a_cleared_key_means_forget(
    qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings_dialog, "keyring_available", lambda: True)
    monkeypatch.setattr(settings_dialog, "keyring_problem", lambda: None)
    current = StreamSettings(Credentials(KEY, SECRET), "iex", "json", 50)
    dialog = _dialog(qtbot, current, "keyring")
    row = dialog.credentials_row
    assert row.demo_button.text() == "Use demo data"
    assert row.demo_button.isEnabled()
    assert row.forget_button.text() == "Forget credentials"
    assert row.forget_button.isEnabled()
    # Clearing the key field means forget, and the dialog says so in words before OK.
    dialog.key_field.clear()
    assert row.note.text() == FORGET_ON_EMPTY_WORDS
    assert not row.note.isHidden()
    with qtbot.waitSignal(dialog.applied) as applied:
        dialog.accept()
    assert applied.args[0].credentials_action == CredentialsChoice.FORGET
    assert applied.args[0].credentials is None
    # The buttons apply their choice at once.
    dialog = _dialog(qtbot, current, "keyring")
    with qtbot.waitSignal(dialog.applied) as applied:
        dialog.credentials_row.demo_button.click()
    assert applied.args[0].credentials_action == CredentialsChoice.DEMO
    # In the demo with the key kept: the way back.
    parked = StreamSettings(Credentials(KEY, SECRET), "iex", "json", 50, demo=True)
    dialog = _dialog(qtbot, parked, "keyring")
    assert dialog.credentials_row.demo_button.text() == "Use Alpaca data"
    with qtbot.waitSignal(dialog.applied) as applied:
        dialog.credentials_row.demo_button.click()
    assert applied.args[0].credentials_action == CredentialsChoice.ALPACA


@OFFSCREEN_SHOW
def test_forget_removes_the_key_and_the_running_app_shows_the_demo(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    AppSettings(tmp_path / "door.ini").set_trading_api("off")  # the data feed only

    async def scenario() -> None:
        async with Simulator(SimulatorConfig(rate=80.0, key=KEY, secret=SECRET)) as sim:
            assert save_credentials(Credentials(KEY, SECRET))
            options = RuntimeOptions(
                url=sim.ws_url, rest_url=sim.rest_url, symbols=["AAPL", "SPY"],
                settings_path=tmp_path / "door.ini", env={},
            )  # fmt: skip
            session = Runtime(options, asyncio.Event())
            try:
                await session.start()
                window, store = session.window, session.store
                assert window is not None
                assert store is not None
                assert not session.demo
                assert session.credentials_source == "keyring"
                await until(lambda: not session.symbols_without_data(), "data with the key")
                # Settings: clear the key field and apply (what the dialog emits).
                window.open_settings()
                dialog = window.settings_dialog
                assert dialog is not None
                dialog.key_field.clear()
                dialog.accept()
                await until(lambda: session.demo, "the running app switched to the demo")
                assert memory_keyring.entries == {}  # the pair left the OS keyring
                assert session.credentials is None
                assert window.status.feed.text() == "DEMO"
                assert window.windowTitle().endswith("simulated data")
                assert session.client is not None
                assert session.client.config.credentials is None
                assert session.simulator is not None
                assert session.client.config.url == session.simulator.ws_url
                await until(
                    lambda: session.health.state is ConnectionState.STREAMING,
                    "streaming from the embedded simulator",
                )
                await until(
                    lambda: all(
                        (snap := store.get(s)) is not None and snap.source is Source.SIMULATOR
                        for s in ("AAPL", "SPY")
                    ),
                    "simulated rows, no real prices mixed in",
                )
                message = window.statusBar().currentMessage()
                assert "forgotten" in message
                assert "removed from the OS keyring" in message
                assert window.stream_settings.credentials is None
            finally:
                await session.close()
        assert len(session.tasks) == 0

    qloop.run_until_complete(scenario())


@OFFSCREEN_SHOW
def test_use_demo_data_keeps_the_key_and_comes_back(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    AppSettings(tmp_path / "back.ini").set_trading_api("off")

    async def scenario() -> None:
        async with Simulator(SimulatorConfig(rate=80.0, key=KEY, secret=SECRET)) as sim:
            options = RuntimeOptions(
                url=sim.ws_url, rest_url=sim.rest_url, symbols=["AAPL"],
                settings_path=tmp_path / "back.ini",
                env={"APCA_API_KEY_ID": KEY, "APCA_API_SECRET_KEY": SECRET},
            )  # fmt: skip
            session = Runtime(options, asyncio.Event())
            try:
                await session.start()
                window = session.window
                assert window is not None
                await until(lambda: session.health.state is ConnectionState.STREAMING, "live")
                base = window.stream_settings
                demo = StreamSettings(
                    base.credentials, "iex", "json", 50, credentials_action=CredentialsChoice.DEMO
                )
                await session.apply_settings(demo)
                assert session.demo
                assert window.status.feed.text() == "DEMO"
                assert window.stream_settings.credentials == Credentials(KEY, SECRET)
                assert window.stream_settings.demo
                assert session.client is not None
                assert session.client.config.credentials is None
                await until(lambda: session.health.state is ConnectionState.STREAMING, "demo")
                back = replace_action(window.stream_settings, CredentialsChoice.ALPACA)
                await session.apply_settings(back)
                assert not session.demo
                assert session.client.config.credentials == Credentials(KEY, SECRET)
                assert session.client.config.url == sim.ws_url
                await until(lambda: session.health.state is ConnectionState.STREAMING, "back")
            finally:
                await session.close()

    qloop.run_until_complete(scenario())


def replace_action(values: StreamSettings, action: str) -> StreamSettings:
    from dataclasses import replace

    return replace(values, credentials_action=action)


@OFFSCREEN_SHOW
def test_settings_applied_is_never_painted_over_the_error(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    async def scenario() -> None:
        options = RuntimeOptions(
            demo=True, symbols=["AAPL"], settings_path=tmp_path / "err.ini", simulator_rate=50.0
        )
        session = Runtime(options, asyncio.Event())
        try:
            await session.start()
            window = session.window
            assert window is not None
            missing = str(tmp_path / "no-such-ca.pem")
            bad = StreamSettings(None, "iex", "json", 50, ca_file=missing)
            await session.apply_settings(bad)
            message = window.statusBar().currentMessage()
            assert message != "Settings applied"
            assert "no-such-ca.pem" in message or "CA" in message
        finally:
            await session.close()

    qloop.run_until_complete(scenario())
