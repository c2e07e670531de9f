"""`tickerdesk-gateway` (docs/gateway.md, "tickerdesk-gateway") as a user runs it.

The first stdout line is the websocket base URL, the second says where the local
credentials are without the secret, then status lines; SIGINT and SIGTERM stop it
cleanly (exit 0); bad arguments exit 2 with a message in words. The real process runs
against the embedded simulator (`--demo`) or a test simulator on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import signal
import socket
import stat
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

import engine.gateway_cli as cli
from engine.simulator import Simulator, SimulatorConfig
from tests.engine.gateway.gwproc import child_env, start_gateway, stored_credentials
from tests.engine.simulator.wsclient import recv, run

URL_LINE = re.compile(r"ws://127\.0\.0\.1:(\d+)")


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    args = cli.build_parser().parse_args(argv)
    code = asyncio.run(cli.run(args, out, err))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in list(os.environ):
        if name.startswith(("APCA_", "ALPACA_", "TICKERDESK_GATEWAY_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--port", "70000"], "--port must be 0"),
        (["--port", "-1"], "--port must be 0"),
        (["--max-clients", "0"], "--max-clients must be at least 1"),
        (["--symbols", "AAPL,12AB"], "invalid symbol 12AB"),
        (["--seconds", "0"], "--seconds must be a number of seconds above 0"),
        (["--seconds", "nan"], "--seconds must be a number of seconds above 0"),
        (["--plan", "gold"], "unknown plan"),
        (["--demo", "--url", "ws://127.0.0.1:9"], "--demo uses the embedded simulator"),
        (["--demo", "--plan", "2", "--symbols", "AAPL,MSFT,NVDA"], "names 3 symbols"),
        (["--url", "ws://192.0.2.1:8765"], "refusing unencrypted ws://"),
    ],
)
def test_bad_arguments_exit_2_with_a_message_in_words(
    clean_env: Path, argv: list[str], words: str
) -> None:
    code, out, err = run_cli([*argv, "--port", "0"] if "--port" not in argv else argv)
    assert code == cli.EXIT_USAGE
    assert words in err
    assert out == ""  # no URL line: a parent must not connect to a gateway that is not there


def test_local_credentials_equal_to_the_alpaca_pair_are_refused(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APCA_API_KEY_ID", "PKSAME")
    monkeypatch.setenv("APCA_API_SECRET_KEY", "alpaca-secret")
    monkeypatch.setenv("TICKERDESK_GATEWAY_KEY", "local")
    monkeypatch.setenv("TICKERDESK_GATEWAY_SECRET", "alpaca-secret")
    code, out, err = run_cli(["--url", "ws://127.0.0.1:9", "--port", "0"])
    assert code == cli.EXIT_USAGE
    assert "repeat the Alpaca key id or secret" in err
    assert "alpaca-secret" not in out + err


def test_a_port_in_use_exits_2_and_names_the_address(clean_env: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = run_cli(["--demo", "--port", str(port), "--seconds", "5"])
    assert code == cli.EXIT_USAGE
    assert f"cannot listen on 127.0.0.1:{port}" in err
    assert out == ""


def test_in_process_run_prints_url_then_credentials_then_json(clean_env: Path) -> None:
    code, out, err = run_cli(
        ["--demo", "--port", "0", "--symbols", "AAPL", "--seconds", "1.5", "--json"]
    )
    assert code == cli.EXIT_OK, err
    lines = out.splitlines()
    assert URL_LINE.fullmatch(lines[0])
    key, secret = stored_credentials(clean_env)
    path = clean_env / "tickerdesk" / "gateway-credentials.json"
    assert lines[1] == f"local key {key}; secret stored in {path} (mode 0600, new)"
    document = json.loads("\n".join(lines[2:]))
    assert document["url"] == lines[0]
    assert document["stream_url"] == lines[0] + "/v2/iex"
    assert document["local_key"] == key
    assert document["own_symbols"] == ["AAPL"]
    assert document["clients_union"] == []
    assert document["clients"] == []
    assert secret not in out + err
    assert "stopped" in err


def test_subprocess_first_line_is_the_url_and_sigterm_stops_cleanly(clean_env: Path) -> None:
    async def main() -> None:
        env = child_env({}, clean_env)
        gateway = await start_gateway(
            ["--demo", "--port", "0", "--symbols", "AAPL,MSFT", "--status-every", "0.3"], env
        )
        try:
            match = URL_LINE.fullmatch(gateway.url)
            assert match, gateway.url
            key, secret = stored_credentials(clean_env)
            assert gateway.credentials_line.startswith(f"local key {key}; secret stored in ")
            assert "(mode 0600, new)" in gateway.credentials_line
            path = clean_env / "tickerdesk" / "gateway-credentials.json"
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
            line = await gateway.wait_for_out("upstream streaming")
            assert re.fullmatch(r"upstream streaming · 0 clients · [\d,]+ msgs/s", line)
            # The URL serves Alpaca's handshake at /v2/iex.
            async with connect(f"{gateway.url}/v2/iex") as ws:
                assert await recv(ws) == [{"T": "success", "msg": "connected"}]
            code = await gateway.stop(signal.SIGTERM)
        finally:
            await gateway.kill()
        assert code == 0, gateway.err
        assert any("stopped" in text for text in gateway.err)
        assert all(secret not in text for text in gateway.out + gateway.err)

    run(main())


def test_sigint_stops_cleanly_with_clients_connected(clean_env: Path) -> None:
    async def main() -> None:
        env = child_env(
            {"TICKERDESK_GATEWAY_KEY": "envkey", "TICKERDESK_GATEWAY_SECRET": "s"}, clean_env
        )
        gateway = await start_gateway(["--demo", "--port", "0"], env)
        try:
            assert (
                gateway.credentials_line
                == "local key envkey and secret from TICKERDESK_GATEWAY_KEY"
            )
            assert not (clean_env / "tickerdesk").exists()  # nothing stored
            async with connect(f"{gateway.url}/v2/iex") as ws:
                assert (await recv(ws))[0]["msg"] == "connected"
                await ws.send(json.dumps({"action": "auth", "key": "envkey", "secret": "s"}))
                assert (await recv(ws))[0]["msg"] == "authenticated"
                code = await gateway.stop(signal.SIGINT)
                # The client was told: a close frame (1001, going away), not a dead socket.
                await asyncio.wait_for(ws.wait_closed(), 10)
                assert ws.close_code == 1001
        finally:
            await gateway.kill()
        assert code == 0, gateway.err

    run(main())


def test_upstream_auth_failure_exits_3_with_the_reason(clean_env: Path) -> None:
    async def main() -> None:
        config = SimulatorConfig(key="PKGOOD", secret="good-secret")
        async with Simulator(config) as sim:
            env = child_env(
                {"APCA_API_KEY_ID": "PKGOOD", "APCA_API_SECRET_KEY": "wrong-secret"}, clean_env
            )
            gateway = await start_gateway(
                ["--url", sim.ws_url, "--port", "0", "--symbols", "AAPL"], env
            )
            try:
                code = await gateway.finish()
            finally:
                await gateway.kill()
        assert code == cli.EXIT_FATAL
        text = "\n".join(gateway.err)
        assert "upstream failed" in text
        assert "wrong-secret" not in text + "\n".join(gateway.out)

    run(main())
