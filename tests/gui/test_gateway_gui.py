"""Issue 15: the real app (demo) shares its one simulator connection through the local
gateway with alpaca-py, a raw websockets client and `tickerdesk-watch`, while its own
table keeps updating (docs/gateway.md). Everything runs on 127.0.0.1: the app's built-in
simulator, the gateway on a free port, the SDK and the watch as real subprocesses.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from gui.runtime import Runtime, RuntimeOptions
from gui.settings.gateway_page import GatewayPage
from gui.settings.persistence import AppSettings
from tests.waits import until

OFFSCREEN_SHOW = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
ROOT = Path(__file__).resolve().parents[2]
WATCH = Path(sys.executable).with_name("tickerdesk-watch")
GUI_SYMBOLS = ["AAPL", "MSFT"]

# alpaca-py exactly as a user runs it: its own process, `run()`, url_override.
SDK_SCRIPT = """
import sys, warnings
warnings.filterwarnings("ignore")
from alpaca.data.live import StockDataStream
key, secret, url = sys.argv[1:4]
stream = StockDataStream(key, secret, url_override=url)
async def on_data(item):
    print(type(item).__name__, item.symbol, flush=True)
stream.subscribe_quotes(on_data, "AAPL", "NVDA")
stream.subscribe_trades(on_data, "AAPL", "NVDA")
stream.run()
"""


def _stream_sessions(runtime: Runtime) -> list[Any]:
    assert runtime.simulator is not None
    return [
        s for s in runtime.simulator.session_info() if s.authenticated and s.path.startswith("/v2/")
    ]


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def _spawn(args: list[str], out: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """A program of the user's, started beside the app (stdout in `out`, stderr beside)."""
    with out.open("wb") as sink, out.with_suffix(".err").open("wb") as err:
        return subprocess.Popen(args, stdout=sink, stderr=err, env=env, cwd=ROOT)


async def _read_until_closed(ws: Any) -> None:
    while True:
        await asyncio.wait_for(ws.recv(), 10)


async def _raw_client(url: str, key: str, secret: str, symbols: list[str]) -> Any:
    ws = await connect(url)
    assert json.loads(await ws.recv()) == [{"T": "success", "msg": "connected"}]
    await ws.send(json.dumps({"action": "auth", "key": key, "secret": secret}))
    assert json.loads(await ws.recv()) == [{"T": "success", "msg": "authenticated"}]
    await ws.send(json.dumps({"action": "subscribe", "quotes": symbols, "trades": symbols}))
    return ws


async def _receive_data(ws: Any, wanted: int, symbols: frozenset[str] = frozenset()) -> set[str]:
    """Symbols of the first `wanted` trades and quotes, reading on until `symbols` came."""
    got: list[dict[str, Any]] = []
    while len(got) < wanted or not symbols <= {m["S"] for m in got}:
        for message in json.loads(await asyncio.wait_for(ws.recv(), 10)):
            if message.get("T") in ("t", "q"):
                got.append(message)
    return {m["S"] for m in got}


@OFFSCREEN_SHOW
def test_sdk_raw_client_and_watch_share_the_apps_one_connection(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    ini = tmp_path / "gateway.ini"
    AppSettings(ini).set_trading_api("off")  # the data stream only: no /stream session
    sdk_out, watch_out = tmp_path / "sdk.out", tmp_path / "watch.json"
    procs: list[subprocess.Popen[bytes]] = []

    async def scenario() -> None:
        options = RuntimeOptions(
            demo=True, symbols=GUI_SYMBOLS, feed="iex", settings_path=ini, env={},
            use_keyring=False, gateway_port=0, simulator_rate=300.0,
        )  # fmt: skip
        runtime = Runtime(options, asyncio.Event())
        try:
            await runtime.start()
            gateway, window, store = runtime.gateway, runtime.window, runtime.store
            assert window is not None
            assert store is not None
            await until(lambda: not runtime.symbols_without_data(), "the GUI's own data")
            assert gateway.server is not None, gateway.error
            url = gateway.url()
            assert url.startswith("ws://127.0.0.1:")
            assert url.endswith("/v2/iex")
            local = gateway.local_credentials()
            assert local is not None
            # The credentials file sits beside the settings, never in them.
            assert local.secret not in ini.read_text()

            env = {**os.environ, "APCA_API_KEY_ID": local.key_id,
                   "APCA_API_SECRET_KEY": local.secret, "PYTHONPATH": str(ROOT)}  # fmt: skip
            sdk = [sys.executable, "-c", SDK_SCRIPT, local.key_id, local.secret, url]
            procs.append(_spawn(sdk, sdk_out, env))
            watch_args = [str(WATCH), "--url", url.removesuffix("/v2/iex"), "--feed", "iex",
                          "--seconds", "12", "--json", "--no-history", "MSFT", "TSLA"]  # fmt: skip
            procs.append(_spawn(watch_args, watch_out, env))
            ws = await _raw_client(url, local.key_id, local.secret, ["AAPL", "AMZN"])
            # AMZN is in no watchlist of the GUI: it comes through the union upstream.
            assert await _receive_data(ws, 20, frozenset({"AAPL", "AMZN"})) == {"AAPL", "AMZN"}

            await until(lambda: gateway.server is not None and gateway.server.clients == 3,
                        "three gateway clients", limit_s=30)  # fmt: skip
            label = gateway.indicator
            assert label in window.status.labels

            await until(lambda: label.text().startswith("gateway: 3 clients"), "status text")
            assert "simulated" in label.text()  # the demo: never taken for real prices
            assert url in label.toolTip()
            await until(lambda: len(_lines(sdk_out)) >= 10, "alpaca-py receives data")
            assert any("NVDA" in line for line in _lines(sdk_out))

            # The GUI table keeps updating meanwhile.
            before = store.get("AAPL")
            assert before is not None
            updates = before.updates
            await until(lambda: store.get("AAPL").updates > updates, "the GUI's rows move")  # type: ignore[union-attr]

            # One upstream connection for all of them: the simulator saw exactly one.
            assert len(_stream_sessions(runtime)) == 1
            assert runtime.simulator is not None
            assert runtime.simulator.stats.authenticated == 1
            union = runtime.client.extra_subscription if runtime.client else None
            assert union is not None
            assert {"NVDA", "AMZN", "TSLA"} <= set(union.quotes)

            watch = procs[1]
            await until(lambda: watch.poll() is not None, "tickerdesk-watch ends", limit_s=30)
            assert watch.returncode == 0, watch_out.with_suffix(".err").read_text()
            document = json.loads(watch_out.read_text())
            assert document["health"]["messages"] > 0
            assert document["symbols"]["TSLA"]["updates"] > 0
            await until(lambda: gateway.server is not None and gateway.server.clients == 2,
                        "the watch's client gone")  # fmt: skip
            assert len(_stream_sessions(runtime)) == 1

            # Switched off in Settings: every client is closed, the indicator hides.
            window.settings_action.trigger()
            dialog = window.settings_dialog
            assert dialog is not None
            page = dialog.findChild(GatewayPage)
            assert page is not None
            page.enabled_box.setChecked(False)
            dialog.accept()
            await until(lambda: gateway.server is None, "gateway stopped")
            with pytest.raises(ConnectionClosed):
                await _read_until_closed(ws)
            await until(lambda: label.isHidden(), "indicator hidden")
            assert AppSettings(ini).gateway()[0] is False
            assert runtime.client is not None
            assert not set(runtime.client.extra_subscription.quotes)  # nothing kept upstream
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                proc.wait(10)
            await runtime.close()

    qloop.run_until_complete(asyncio.wait_for(scenario(), 120))


@OFFSCREEN_SHOW
def test_a_feed_change_closes_clients_of_the_old_path_with_the_reason(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    ini = tmp_path / "feed.ini"
    AppSettings(ini).set_trading_api("off")

    async def scenario() -> None:
        options = RuntimeOptions(
            demo=True, symbols=GUI_SYMBOLS, feed="iex", settings_path=ini, env={},
            use_keyring=False, gateway_port=0, simulator_rate=300.0,
        )  # fmt: skip
        runtime = Runtime(options, asyncio.Event())
        try:
            await runtime.start()
            gateway, window = runtime.gateway, runtime.window
            assert window is not None
            await until(lambda: gateway.server is not None, "gateway serving")
            local = gateway.local_credentials()
            assert local is not None
            ws = await _raw_client(gateway.url(), local.key_id, local.secret, ["AAPL"])
            await _receive_data(ws, 3)

            window.feed_combo.setCurrentText("sip")

            with pytest.raises(ConnectionClosed) as closed:
                await _read_until_closed(ws)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 1001  # going away: the path is not served now
            assert "sip" in closed.value.rcvd.reason  # the reason on the wire too
            await until(lambda: gateway.server is not None, "serving the new feed")
            assert gateway.url().endswith("/v2/sip")
            assert any("iex to sip" in note for note in gateway.notes)
            ws2 = await _raw_client(gateway.url(), local.key_id, local.secret, ["AAPL"])
            await _receive_data(ws2, 3)
            await ws2.close()
        finally:
            await runtime.close()

    qloop.run_until_complete(asyncio.wait_for(scenario(), 90))
