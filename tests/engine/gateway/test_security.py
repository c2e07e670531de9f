"""The gateway's security (issue 15, item 4; docs/gateway.md, "Security").

Loopback only unless --gateway-host says otherwise (checked on the listening socket the
kernel reports, /proc/net/tcp), wrong local credentials -> 402 as Alpaca sends it, the
Alpaca secret never in anything the gateway sends, prints, logs or writes, a bounded
number of clients, and a bounded message size (a 1 MB message closes that client only).
Every address used is a loopback one (127.0.0.2 stands in for "another address").
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import os
import socket
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

import engine.gateway_cli as cli
from engine.gateway.server import GatewayConfig
from engine.simulator import Simulator, SimulatorConfig
from tests.engine.gateway.gwproc import child_env, start_gateway, stored_credentials
from tests.engine.gateway.harness import (
    LOCAL,
    UP_KEY,
    UP_SECRET,
    RawClient,
    gateway_rig,
    until,
)
from tests.engine.simulator.wsclient import recv, run

linux_only = pytest.mark.skipif(
    not Path("/proc/net/tcp").exists(), reason="listening sockets read from /proc/net/tcp"
)


def listening_addresses(port: int) -> set[str]:
    """The local addresses the kernel has a LISTEN socket on `port` for (IPv4 and v6)."""
    found: set[str] = set()
    for name, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        path = Path(name)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            local, state = fields[1], fields[3]
            address, _, hex_port = local.partition(":")
            if state != "0A" or int(hex_port, 16) != port:  # 0A = LISTEN
                continue
            raw = bytes.fromhex(address)
            if width == 8:
                found.add(socket.inet_ntop(socket.AF_INET, raw[::-1]))
            else:
                words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                found.add(socket.inet_ntop(socket.AF_INET6, words))
    return found


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


@linux_only
def test_listens_on_loopback_only_by_default(tmp_path: Path) -> None:
    async def main() -> None:
        gateway = await start_gateway(["--demo", "--port", "0"], child_env({}, tmp_path))
        try:
            assert gateway.url.startswith("ws://127.0.0.1:")
            assert listening_addresses(port_of(gateway.url)) == {"127.0.0.1"}
            # Another address of this machine (still loopback, 127.0.0.2) is refused.
            with pytest.raises(ConnectionRefusedError):
                async with connect(f"ws://127.0.0.2:{port_of(gateway.url)}/v2/iex"):
                    pass
        finally:
            await gateway.stop()
            await gateway.kill()

    run(main())


@linux_only
def test_gateway_host_is_needed_for_another_address(tmp_path: Path) -> None:
    async def main() -> None:
        gateway = await start_gateway(
            ["--demo", "--port", "0", "--gateway-host", "127.0.0.2"], child_env({}, tmp_path)
        )
        try:
            assert gateway.url.startswith("ws://127.0.0.2:")
            assert listening_addresses(port_of(gateway.url)) == {"127.0.0.2"}
            async with connect(f"{gateway.url}/v2/iex") as ws:
                assert await recv(ws) == [{"T": "success", "msg": "connected"}]
        finally:
            await gateway.stop()
            await gateway.kill()

    run(main())


def test_a_non_loopback_host_is_announced_in_words(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The warning comes before the bind; the port is taken, so nothing ever listens
    beyond loopback in this test."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        args = cli.build_parser().parse_args(
            ["--demo", "--port", str(port), "--gateway-host", "0.0.0.0"]
        )
        out, err = io.StringIO(), io.StringIO()
        code = asyncio.run(cli.run(args, out, err))
    assert code == cli.EXIT_USAGE
    assert "listening on 0.0.0.0: other machines can connect" in err.getvalue()


def test_wrong_local_credentials_get_402_and_are_closed() -> None:
    async def main() -> None:
        async with gateway_rig() as rig:
            cases = [
                {"action": "auth", "key": LOCAL.key_id, "secret": "wrong"},
                {"action": "auth", "key": "wrong", "secret": LOCAL.secret},
                # The Alpaca pair itself opens nothing here: only the local pair does.
                {"action": "auth", "key": UP_KEY, "secret": UP_SECRET},
            ]
            for message in cases:
                async with connect(rig.url) as ws:
                    assert await recv(ws) == [{"T": "success", "msg": "connected"}]
                    await ws.send(json.dumps(message))
                    assert await recv(ws) == [{"T": "error", "code": 402, "msg": "auth failed"}]
                    with pytest.raises(ConnectionClosed):
                        await recv(ws)
            # Header auth (as alpaca-js does) is checked the same way.
            headers = {"APCA-API-KEY-ID": LOCAL.key_id, "APCA-API-SECRET-KEY": "nope"}
            async with connect(rig.url, additional_headers=headers) as ws:
                assert await recv(ws) == [{"T": "success", "msg": "connected"}]
                assert await recv(ws) == [{"T": "error", "code": 402, "msg": "auth failed"}]
            assert rig.server.stats.refused_auth == 4
            assert rig.server.clients == 0

    run(main())


def test_the_alpaca_secret_never_leaves_the_gateway(caplog: pytest.LogCaptureFixture) -> None:
    """Everything clients receive (frames, handshake headers), every log record at DEBUG,
    the reports and reprs: no Alpaca secret, and no local secret in logs either."""

    async def main() -> None:
        async with gateway_rig() as rig:
            good = await RawClient.open(rig.url)
            binary = await RawClient.open(rig.url, binary=True)
            for raw in (good, binary):
                assert (await raw.subscribe(["AAPL", "MSFT"]))["T"] == "subscription"
                assert (await raw.send({"action": "auth", "key": "x", "secret": "y"}))[
                    "code"
                ] == 403
                assert (await raw.send({"action": "nonsense"}))["code"] == 400
            bad = await RawClient.open(rig.url, creds=None)
            await bad.ws.send(json.dumps({"action": "auth", "key": UP_KEY, "secret": UP_SECRET}))
            await until(lambda: bool(bad.errors), "402")
            await until(lambda: good.data_messages() > 50, "data")
            frames: list[bytes] = []
            for raw in (good, binary, bad):
                response = raw.ws.response
                assert response is not None
                frames.append(json.dumps(dict(response.headers.raw_items())).encode())
            # Every frame the good clients saw, re-read raw from a fresh client too.
            probe = await connect(rig.url)
            frames.append((await probe.recv()).encode())  # type: ignore[union-attr]
            await probe.send(
                json.dumps({"action": "auth", "key": LOCAL.key_id, "secret": LOCAL.secret})
            )
            await probe.send(
                json.dumps({"action": "subscribe", "trades": ["AAPL"], "quotes": ["AAPL"]})
            )
            for _ in range(20):
                got = await asyncio.wait_for(probe.recv(), 10)
                frames.append(got.encode() if isinstance(got, str) else got)
            await probe.close()
            texts = [
                repr(rig.server.stats),
                repr(rig.server.client_report()),
                repr(rig.server.config),
                repr(rig.hub.counters),
                json.dumps(rig.server.client_report()),
            ]
            for raw in (good, binary, bad):
                await raw.close()
        blob = b"\n".join(frames)
        assert UP_SECRET.encode() not in blob
        assert UP_SECRET not in "\n".join(texts)
        logged = "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
        assert UP_SECRET not in logged
        assert LOCAL.secret not in logged  # the local secret stays out of logs too
        assert "wrong local credentials (402)" in logged

    with caplog.at_level(logging.DEBUG):
        run(main())


def test_the_cli_never_prints_or_stores_the_alpaca_secret(tmp_path: Path) -> None:
    async def main() -> tuple[int, str, str]:
        async with Simulator(SimulatorConfig(key=UP_KEY, secret=UP_SECRET)) as sim:
            env = child_env({"APCA_API_KEY_ID": UP_KEY, "APCA_API_SECRET_KEY": UP_SECRET}, tmp_path)
            gateway = await start_gateway(
                ["--url", sim.ws_url, "--port", "0", "--symbols", "AAPL", "-v",
                 "--status-every", "0.2", "--json"],
                env,
            )  # fmt: skip
            try:
                key, secret = stored_credentials(tmp_path)
                raw = await RawClient.open(f"{gateway.url}/v2/iex", type(LOCAL)(key, secret))
                await raw.subscribe(["AAPL"])
                await until(lambda: raw.data_messages() > 5, "data")
                bad = await RawClient.open(f"{gateway.url}/v2/iex", creds=None)
                await bad.ws.send(
                    json.dumps({"action": "auth", "key": UP_KEY, "secret": UP_SECRET})
                )
                await until(lambda: bool(bad.errors), "402")
                await raw.close()
                await bad.close()
                code = await gateway.stop()
            finally:
                await gateway.kill()
        return code, "\n".join(gateway.out + gateway.err), secret

    code, printed, secret = run(main(), timeout=120)
    assert code == 0
    assert "authenticated" in printed  # -v logged the client's arrival
    assert UP_SECRET not in printed
    assert secret not in printed  # the local secret is only in its file
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert [p.name for p in files] == ["gateway-credentials.json"]  # nothing else written
    text = files[0].read_text()
    assert set(json.loads(text)) == {"key_id", "secret"}
    assert UP_SECRET not in text
    assert UP_KEY not in text
    assert os.stat(files[0]).st_mode & 0o777 == 0o600


def test_max_clients_refuses_the_next_with_406_and_keeps_the_others() -> None:
    async def main() -> None:
        async with gateway_rig(gw_config=GatewayConfig(port=0, max_clients=2)) as rig:
            one = await RawClient.open(rig.url)
            two = await RawClient.open(rig.url)
            async with connect(rig.url) as ws:
                assert await recv(ws) == [{"T": "success", "msg": "connected"}]
                await ws.send(
                    json.dumps({"action": "auth", "key": LOCAL.key_id, "secret": LOCAL.secret})
                )
                assert await recv(ws) == [
                    {"T": "error", "code": 406, "msg": "connection limit exceeded"}
                ]
                with pytest.raises(ConnectionClosed):
                    await recv(ws)
            assert rig.server.stats.refused_full == 1
            for raw in (one, two):
                assert (await raw.subscribe(["AAPL"]))["T"] == "subscription"
            await until(lambda: one.data_messages() > 0 and two.data_messages() > 0, "data")
            await one.close()
            await until(lambda: rig.server.clients == 1, "one left")
            three = await RawClient.open(rig.url)  # a slot is free again
            assert rig.server.clients == 2
            await two.close()
            await three.close()

    run(main())


def test_a_1mb_message_closes_that_client_only() -> None:
    async def main() -> None:
        async with gateway_rig() as rig:
            victim = await RawClient.open(rig.url)
            other = await RawClient.open(rig.url)
            assert (await other.subscribe(["AAPL"]))["T"] == "subscription"
            huge = json.dumps({"action": "subscribe", "trades": ["A" * (1 << 20)]})
            with contextlib.suppress(ConnectionClosed):  # it may close while sending
                await victim.ws.send(huge)
            await asyncio.wait_for(victim.ws.wait_closed(), 10)
            assert victim.ws.close_code == 1009  # message too big
            # The other client goes on: still subscribed, still receiving, still answered.
            seen = other.data_messages()
            await until(lambda: other.data_messages() > seen + 5, "other still served")
            assert (await other.subscribe(["MSFT"]))["T"] == "subscription"
            assert rig.server.clients == 1
            await victim.close()
            await other.close()

    run(main())
