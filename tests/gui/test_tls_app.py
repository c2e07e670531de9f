"""The app's CA-file setting (docs/reliability.md, "TLS"): `--ca-file`, and Settings >
"Trust CA file (test servers)", saved, applied live, used at the next start. Against the
simulator serving wss/https with a certificate from a test CA (tests/reliability/tls_certs.py)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QLabel

from engine.net.health import ConnectionState
from engine.net.retry import CERT_UNTRUSTED
from engine.simulator import Simulator, SimulatorConfig
from gui.app import build_parser, options_from_args
from gui.runtime import Runtime, RuntimeOptions
from gui.settings.dialog import SettingsDialog
from gui.settings.persistence import AppSettings
from tests.reliability.tls_certs import CertSet, make_certs

OFFSCREEN_SHOW = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
ENV = {"APCA_API_KEY_ID": "PKTLSAPP", "APCA_API_SECRET_KEY": "tls-app-secret-77"}


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> CertSet:
    return make_certs(tmp_path_factory.mktemp("tls"))


def test_ca_file_option() -> None:
    parser = build_parser()
    assert options_from_args(parser.parse_args(["--ca-file", "/x/ca.pem"])).ca_file == "/x/ca.pem"
    assert options_from_args(parser.parse_args([])).ca_file is None
    help_text = parser.format_help()
    assert "--ca-file" in help_text
    assert "--no-verify" not in help_text  # there is no way to turn verification off


@OFFSCREEN_SHOW
def test_settings_field_edits_the_ca_file(qtbot: Any, make_window: Any, tmp_path: Path) -> None:
    window = make_window(tmp_path / "s.ini", symbols=["AAPL"])
    window.open_settings()
    dialog = window.settings_dialog
    assert isinstance(dialog, SettingsDialog)
    # Row labels carry a mnemonic ("Trust &CA file ..."): compared as shown.
    assert "Trust CA file (test servers)" in [
        w.text().replace("&", "") for w in dialog.findChildren(QLabel)
    ]
    assert dialog.ca_field.text() == ""
    dialog.ca_field.setText("  /tmp/test-ca.pem ")
    with qtbot.waitSignal(window.settings_applied) as applied:
        dialog.accept()
    assert applied.args[0].ca_file == "/tmp/test-ca.pem"
    window.shutdown()


async def _until(predicate: Any, what: str, limit: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not predicate():
        if loop.time() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def _history_loaded(session: Runtime) -> bool:
    """The backfill is done: no request in flight when the test closes the app (httpcore
    leaks the socket of a request cancelled mid TLS handshake; docs/reliability.md, "TLS")."""
    progress = session.rest.progress()
    return progress is not None and not progress.active and progress.done == progress.total > 0


@OFFSCREEN_SHOW
def test_the_ca_setting_applies_live_and_at_the_next_start(
    certs: CertSet, qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    path = tmp_path / "s.ini"
    AppSettings(path).set_trading_api("off")

    async def runtime(sim: Simulator) -> Runtime:
        options = RuntimeOptions(
            url=sim.ws_url, rest_url=sim.rest_url, symbols=["AAPL"], settings_path=path,
            use_keyring=False, show_window=False, env=ENV,
        )  # fmt: skip
        session = Runtime(options, asyncio.Event())
        await session.start()
        return session

    async def scenario() -> None:
        config = SimulatorConfig(
            seed=5, rate=200.0, tls_cert=str(certs.good.cert), tls_key=str(certs.good.key)
        )
        async with Simulator(config) as sim:
            session = await runtime(sim)
            try:
                health = session.health
                # Without the setting the test CA's certificate is refused, in words.
                await _until(lambda: health.state is ConnectionState.FAILED, "refused")
                assert CERT_UNTRUSTED in (health.last_error or "")
                # REST is refused the same way. Its first requests are over before the
                # settings change restarts it: httpcore leaks the socket of a request
                # cancelled mid TLS handshake (docs/reliability.md, "TLS").
                rest = session.rest
                await _until(
                    lambda: (
                        rest.poller is not None and CERT_UNTRUSTED in (rest.poller.last_error or "")
                    ),
                    "snapshots refused in words",
                )
                await _until(
                    lambda: (p := rest.progress()) is not None and not p.active and p.failed > 0,
                    "the history backfill refused",
                )
                assert session.window is not None
                values = replace(session.window.stream_settings, ca_file=str(certs.ca))
                await session.apply_settings(values)
                await _until(lambda: health.state is ConnectionState.STREAMING, "streaming")
                assert AppSettings(path).ca_file() == str(certs.ca)
                assert session.window.stream_settings.ca_file == str(certs.ca)
                assert session.rest.rest is not None
                assert session.rest.rest.config.ca_file == str(certs.ca)
                await _until(lambda: _history_loaded(session), "history over https")
            finally:
                await session.close()
            # The next start uses the saved setting with no --ca-file.
            session = await runtime(sim)
            try:
                assert session.options.ca_file == str(certs.ca)
                await _until(
                    lambda: session.health.state is ConnectionState.STREAMING, "streaming again"
                )
                await _until(lambda: _history_loaded(session), "history over https again")
            finally:
                await session.close()

    qloop.run_until_complete(scenario())
