"""The app end to end: options, an in-process session on the real simulator, and the
real `python -m gui` process (smoke test, clean exit on SIGTERM, no warnings)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from engine.config import Credentials
from engine.net.health import ConnectionState
from gui.app import build_parser, options_from_args
from gui.runtime import Runtime, RuntimeOptions
from gui.settings.dialog import StreamSettings
from tests.waits import until

ROOT = Path(__file__).resolve().parents[2]
OFFSCREEN_SHOW = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
PROCESS_LIMIT_S = 60


def test_options_from_command_line() -> None:
    args = build_parser().parse_args(
        ["--demo", "--feed", "sip", "--symbols", "aapl, brk/b", "--msgpack", "--flush-ms", "80"]
    )
    options = options_from_args(args)
    assert options.demo
    assert options.feed == "sip"
    assert options.symbols == ["AAPL", "BRK.B"]
    assert options.msgpack
    assert options.flush_ms == 80


def test_bad_symbols_option_exits_with_a_message() -> None:
    args = build_parser().parse_args(["--symbols", "AAPL,1BAD"])
    with pytest.raises(SystemExit, match="1BAD"):
        options_from_args(args)


def _state(session: Runtime) -> ConnectionState:
    return session.health.state


def _run(qloop: asyncio.AbstractEventLoop, coro: Any) -> Any:
    return qloop.run_until_complete(coro)


@OFFSCREEN_SHOW
def test_demo_session_streams_every_symbol_and_closes_cleanly(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    import asyncio

    async def scenario() -> None:
        options = RuntimeOptions(
            demo=True,
            symbols=["AAPL", "MSFT", "NVDA"],
            settings_path=tmp_path / "demo.ini",
            simulator_rate=100.0,
        )
        session = Runtime(options, asyncio.Event())
        try:
            await session.start()
            window = session.window
            assert window is not None
            assert window.windowTitle().endswith("— simulated data")
            assert window.status.feed.text() == "DEMO"
            await until(lambda: not session.symbols_without_data(), "data for every symbol")
            assert session.health.state is ConnectionState.STREAMING
            # Disconnect / connect from the toolbar, feed from the chooser: live, no restart.
            window.connect_action.trigger()
            await until(lambda: _state(session) is ConnectionState.DISCONNECTED, "disconnected")
            window.connect_action.trigger()
            await until(lambda: _state(session) is ConnectionState.STREAMING, "reconnected")
            window.feed_combo.setCurrentText("sip")
            assert session.settings.feed() == "sip"
            await until(
                lambda: (
                    session.health.feed == "sip" and _state(session) is ConnectionState.STREAMING
                ),
                "streaming on the new feed",
            )
            assert session.client is not None
            assert session.client.config.endpoint.endswith("/v2/sip")
            window.quit_action.trigger()  # the Quit action only asks...
            assert session.stop_event.is_set()
        finally:
            await session.close()  # ...the main coroutine shuts down
        assert len(session.tasks) == 0
        assert session.simulator is None
        assert session.health.state.value == "disconnected"

    _run(qloop, scenario())


@OFFSCREEN_SHOW
def test_session_against_another_simulator_reconfigures_live(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    import asyncio

    from engine.simulator import Simulator, SimulatorConfig

    async def scenario() -> None:
        sim_config = SimulatorConfig(rate=80.0, key="PKAPP", secret="app-secret")
        async with Simulator(sim_config) as sim:
            options = RuntimeOptions(
                url=sim.ws_url,
                rest_url=sim.rest_url,
                symbols=["AAPL", "SPY"],
                settings_path=tmp_path / "live.ini",
                env={"APCA_API_KEY_ID": "PKAPP", "APCA_API_SECRET_KEY": "wrong"},
                use_keyring=False,
            )
            session = Runtime(options, asyncio.Event())
            try:
                await session.start()
                window = session.window
                assert window is not None
                assert not session.demo
                assert window.status.feed.text() == "IEX"
                # Wrong secret from the environment: 402, a failure the user can read.
                await until(lambda: session.health.state is ConnectionState.FAILED, "402")
                # Fixed in the settings dialog: reconnects without restarting the app.
                good = StreamSettings(Credentials("PKAPP", "app-secret"), "sip", "json", 50)
                await session.apply_settings(good)
                await until(lambda: not session.symbols_without_data(), "data after fix")
                assert session.health.feed == "sip"
                assert window.status.feed.text() in {"SIP", "IEX"}  # refreshed by its timer
                # A symbol added through the toolbar is checked by REST, then streams.
                window.watchlist_bar.add_field.setText("NVDA")
                window.watchlist_bar.submit()
                await until(lambda: "NVDA" in window.symbols(), "NVDA added")
                await until(lambda: not session.symbols_without_data(), "NVDA streams")
            finally:
                await session.close()
        ini = (tmp_path / "live.ini").read_text()
        assert "NVDA" in ini
        assert "app-secret" not in ini  # the secret never goes to QSettings
        assert "wrong" not in ini

    _run(qloop, scenario())


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    for name in ("APCA_API_KEY_ID", "APCA_API_SECRET_KEY", "ALPACA_API_KEY", "ALPACA_API_SECRET"):
        env.pop(name, None)
    return env


def _stderr_problems(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


def test_smoke_test_process_exits_zero_without_warnings(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "gui",
            "--demo",
            "--smoke-test",
            "--settings",
            str(tmp_path / "s.ini"),
        ],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=PROCESS_LIMIT_S,
    )
    assert result.returncode == 0, result.stderr
    assert "smoke test ok" in result.stdout
    assert _stderr_problems(result.stderr) == []
    assert "watchlist" in (tmp_path / "s.ini").read_text()


def test_smoke_test_fails_and_says_what_is_missing(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "gui",
            "--url",
            "ws://127.0.0.1:9",
            "--symbols",
            "AAPL,MSFT",
            "--smoke-test",
            "--smoke-timeout",
            "2",
            "--settings",
            str(tmp_path / "f.ini"),
        ],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=PROCESS_LIMIT_S,
    )
    assert result.returncode != 0
    assert "no data for AAPL, MSFT" in result.stderr


def test_sigterm_shuts_down_cleanly(tmp_path: Path) -> None:
    settings = tmp_path / "term.ini"
    process = subprocess.Popen(
        [sys.executable, "-m", "gui", "--demo", "--settings", str(settings)],
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # The window saves its geometry shortly after it is shown: then it is up.
        deadline = time.monotonic() + PROCESS_LIMIT_S
        while not (settings.exists() and "geometry" in settings.read_text()):
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "app did not start"
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=PROCESS_LIMIT_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    assert _stderr_problems(stderr) == []
