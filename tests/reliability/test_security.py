"""Security: the secret never leaks (logs at DEBUG, stderr, settings, argv, reprs,
exception texts, a settings-dialog screenshot, the simulator's logs); TLS is verified;
ws:// off loopback is refused; the simulator binds loopback; settings survive kill -9."""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest
import websockets
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QStatusBar
from pytestqt.qtbot import QtBot

from engine.config import Credentials
from engine.core.tasks import TaskSet
from engine.market.store import MarketDataStore
from engine.net.health import ConnectionState, StreamHealth
from engine.net.rest import RestClient, RestConfig, RestError
from engine.net.stream import ConfigError, StreamClient, StreamConfig
from engine.simulator import Simulator, SimulatorConfig
from gui.settings.dialog import SettingsDialog, StreamSettings
from gui.statusbar import StatusIndicators

ROOT = Path(__file__).resolve().parents[2]
KEY = "PKSECURITYTEST"
SECRET = "Zq8-secret-never-shown-7Hk2"
LIMIT_S = 60.0
_CRED_VARS = ("APCA_API_KEY_ID", "APCA_API_SECRET_KEY", "ALPACA_API_KEY", "ALPACA_API_SECRET")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _CRED_VARS}
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.update(extra)
    return env


def _wait_for(condition: object, what: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + LIMIT_S
    while not condition():  # type: ignore[operator]
        assert process.poll() is None, f"{what}: process exited {process.returncode}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


# The app with DEBUG logging to a file: what a user would run to report a problem.
_APP = (
    "import logging, sys; "
    "logging.basicConfig(filename=sys.argv.pop(1), level=logging.DEBUG); "
    "from gui.app import main; sys.exit(main(sys.argv[1:]))"
)


def test_secret_never_leaks_from_app_or_simulator(tmp_path: Path) -> None:
    sim_err = (tmp_path / "sim.err").open("w")
    sim = subprocess.Popen(
        [sys.executable, "-m", "engine.simulator", "--port", "0", "--key", KEY,
         "--log-level", "DEBUG", "--rate", "100"],
        cwd=ROOT, env=_env(TICKERDESK_SIM_SECRET=SECRET), stdout=subprocess.PIPE,
        stderr=sim_err, text=True,
    )  # fmt: skip
    app: subprocess.Popen[str] | None = None
    try:
        assert sim.stdout is not None
        ws_url, rest_url = sim.stdout.readline().strip(), sim.stdout.readline().strip()
        assert SECRET not in _cmdline(sim.pid)
        log_file, ini = tmp_path / "app.log", tmp_path / "app.ini"
        app = subprocess.Popen(
            [sys.executable, "-c", _APP, str(log_file), "--url", ws_url, "--rest-url",
             rest_url, "--symbols", "AAPL,MSFT", "--settings", str(ini)],
            cwd=ROOT, env=_env(APCA_API_KEY_ID=KEY, APCA_API_SECRET_KEY=SECRET),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        # Authenticated and streaming: the REST poller asked too, with the secret header.
        _wait_for(lambda: log_file.exists() and log_file.read_text().count("< TEXT") > 5,
                  "data frames in the app log", app)  # fmt: skip
        _wait_for(lambda: ini.exists() and "geometry" in ini.read_text(), "window up", app)
        cmdline = _cmdline(app.pid)
        assert "--url" in cmdline
        assert SECRET not in cmdline
        app.send_signal(signal.SIGTERM)
        out, err = app.communicate(timeout=LIMIT_S)
        assert app.returncode == 0, err
    finally:
        if app is not None and app.poll() is None:
            app.kill()
            app.communicate()
        sim.send_signal(signal.SIGTERM)
        sim.communicate(timeout=LIMIT_S)
        sim_err.close()
    app_log = log_file.read_text()
    assert "authenticated" in app_log or "content not logged" in app_log  # DEBUG was on
    assert "APCA-API-SECRET-KEY" in (tmp_path / "sim.err").read_text()  # header seen...
    for path in tmp_path.iterdir():  # ...but never its value, in any file
        assert SECRET.encode() not in path.read_bytes(), path.name
    assert SECRET not in out
    assert SECRET not in err


def test_simulator_cli_refuses_secret_in_argv_and_reads_stdin() -> None:
    refused = subprocess.run(
        [sys.executable, "-m", "engine.simulator", "--secret", "x"],
        cwd=ROOT, capture_output=True, text=True, timeout=LIMIT_S,
    )  # fmt: skip
    assert refused.returncode == 2
    assert "TICKERDESK_SIM_SECRET" in refused.stderr
    sim = subprocess.Popen(
        [sys.executable, "-m", "engine.simulator", "--port", "0", "--key", KEY,
         "--secret-stdin"],
        cwd=ROOT, env=_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert sim.stdin is not None
        assert sim.stdout is not None
        sim.stdin.write(SECRET + "\n")
        sim.stdin.close()
        ws_url = sim.stdout.readline().strip()

        async def auth(secret: str) -> str:
            async with websockets.connect(ws_url + "/v2/iex") as ws:
                await ws.recv()
                await ws.send(f'{{"action":"auth","key":"{KEY}","secret":"{secret}"}}')
                return str(await ws.recv())

        assert "authenticated" in asyncio.run(auth(SECRET))
        assert '"code":402' in asyncio.run(auth("wrong"))
        assert SECRET not in _cmdline(sim.pid)
    finally:
        sim.send_signal(signal.SIGTERM)
        sim.wait(timeout=LIMIT_S)  # stdin is closed already: no communicate()
        for pipe in (sim.stdout, sim.stderr):
            if pipe is not None:
                pipe.close()


def test_reprs_and_exception_texts_hide_the_secret() -> None:
    creds = Credentials(KEY, SECRET)
    objects = [
        creds,
        StreamConfig(credentials=creds),
        RestConfig(credentials=creds),
        SimulatorConfig(key=KEY, secret=SECRET),
        StreamSettings(creds, "iex", "json", 50),
    ]
    for obj in objects:
        assert SECRET not in repr(obj)
        assert SECRET not in str(obj)

    async def refused() -> str:
        async with Simulator(SimulatorConfig(key=KEY, secret="other")) as sim:
            client = RestClient(RestConfig(sim.rest_url, credentials=creds))
            try:
                await client.snapshots(["AAPL"])
            except RestError as exc:
                return f"{exc} {exc!r} {exc.__cause__!r}"
            finally:
                await client.aclose()
        raise AssertionError("a wrong secret was accepted")

    text = asyncio.run(refused())
    assert "403" in text or "401" in text
    assert SECRET not in text


@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
def test_settings_dialog_screenshot_does_not_show_the_secret(qtbot: QtBot) -> None:
    dialog = SettingsDialog(StreamSettings(None, "iex", "json", 50), TaskSet())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    grabs = []
    for secret in (SECRET, "x" * len(SECRET)):
        dialog.key_field.setText(KEY)
        dialog.secret_field.setText(secret)
        dialog.secret_field.setFocus()
        grabs.append(dialog.grab().toImage())
    assert grabs[0] == grabs[1]  # the masked field renders the same for any secret
    dialog.secret_field.setText("")
    assert dialog.grab().toImage() != grabs[0]  # ...and the grab does show the field


def _self_signed(tmp_path: Path) -> ssl.SSLContext:
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed")
    key, cert = tmp_path / "k.pem", tmp_path / "c.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
         "-keyout", str(key), "-out", str(cert), "-days", "1"],
        check=True, capture_output=True, timeout=LIMIT_S,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def test_tls_certificates_are_verified(tmp_path: Path) -> None:
    """A wss:// / https:// server with an untrusted certificate is refused by both clients."""
    context = _self_signed(tmp_path)

    async def scenario() -> None:
        async def handler(ws: websockets.ServerConnection) -> None:
            await ws.send('[{"T":"success","msg":"connected"}]')

        async with websockets.serve(handler, "127.0.0.1", 0, ssl=context) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            health = StreamHealth()
            client = StreamClient(
                StreamConfig(url=f"wss://127.0.0.1:{port}", credentials=Credentials(KEY, SECRET)),
                MarketDataStore(),
                health,
            )
            client.start()
            deadline = asyncio.get_running_loop().time() + LIMIT_S
            while health.state is not ConnectionState.FAILED:
                assert asyncio.get_running_loop().time() < deadline, health.last_error
                await asyncio.sleep(0.05)
            await client.stop()
            assert "certificate" in (health.last_error or "")
            rest = RestClient(RestConfig(f"https://127.0.0.1:{port}", credentials=None))
            try:
                with pytest.raises(RestError, match=r"ConnectError|certificate|failed"):
                    await rest.snapshots(["AAPL"])
            finally:
                await rest.aclose()

    asyncio.run(scenario())


def test_plain_ws_to_a_remote_host_is_refused_without_insecure(tmp_path: Path) -> None:
    # Refused before any connection attempt: no traffic leaves loopback.
    result = subprocess.run(
        [sys.executable, "-m", "gui", "--url", "ws://198.51.100.7:8080", "--symbols", "AAPL",
         "--settings", str(tmp_path / "s.ini"), "--smoke-test"],
        cwd=ROOT, env=_env(APCA_API_KEY_ID=KEY, APCA_API_SECRET_KEY=SECRET),
        capture_output=True, text=True, timeout=LIMIT_S,
    )  # fmt: skip
    assert result.returncode == 2
    assert "refusing unencrypted ws:// to 198.51.100.7" in result.stderr
    with pytest.raises(ConfigError, match="--insecure"):
        StreamClient(StreamConfig(url="ws://198.51.100.7"), MarketDataStore(), StreamHealth())


def test_insecure_override_shows_a_badge(qtbot: QtBot) -> None:
    # The client is built but never started: nothing connects to the documentation address.
    health = StreamHealth()
    StreamClient(StreamConfig(url="ws://198.51.100.7", insecure=True), MarketDataStore(), health)
    assert health.insecure
    bar = QStatusBar()
    qtbot.addWidget(bar)
    indicators = StatusIndicators(bar, health, start_timers=False)
    indicators.refresh()
    assert not indicators.insecure.isHidden()
    assert indicators.insecure.text() == "INSECURE"
    safe = StreamHealth()
    StreamClient(StreamConfig(url="ws://127.0.0.1:1"), MarketDataStore(), safe)
    assert not safe.insecure


def test_simulator_binds_loopback_only() -> None:
    assert SimulatorConfig().host == "127.0.0.1"
    for host in ("0.0.0.0", "::", "192.0.2.10"):  # refused, never bound
        with pytest.raises(ValueError, match="non-loopback"):
            SimulatorConfig(host=host)

    async def scenario() -> None:
        async with Simulator() as sim:
            assert sim.ws_url.startswith("ws://127.0.0.1:")

    asyncio.run(scenario())


_WRITER = """
import sys
from gui.settings.persistence import AppSettings
settings = AppSettings(sys.argv[1])
print("ready", flush=True)
g = 0
while True:
    g += 1
    settings.set_watchlist([f"g{g}-{i}" for i in range(40)])
    settings.set_flush_ms(10 + g % 900)
"""


def test_settings_survive_kill_9_during_writes(tmp_path: Path) -> None:
    """QSettings' ini writer goes through QSaveFile (temp file + rename): a SIGKILL at
    any moment leaves the old or the new complete file, never a torn one."""
    ini = tmp_path / "atomic.ini"
    rng = random.Random(4)
    generations: list[int] = []
    for _ in range(25):
        writer = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(ini)],
            cwd=ROOT, env=_env(), stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.01, 0.15))  # a random moment mid-loop (test thread, no loop)
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=LIMIT_S)
        writer.stdout.close()
        settings = QSettings(str(ini), QSettings.Format.IniFormat)
        symbols = settings.value("watchlist/symbols")
        assert settings.status() == QSettings.Status.NoError
        assert isinstance(symbols, list)
        assert len(symbols) == 40
        gens = {s.split("-")[0] for s in symbols}
        assert len(gens) == 1, gens  # one complete generation, not a mix
        generations.append(int(next(iter(gens))[1:]))
    assert max(generations) > 1  # the writer really was mid-loop when killed
