"""`tickerdesk-gateway --bus` (a subprocess, as on a machine without a display): the one
upstream serves a local websocket client and publishes on NATS at once, through one hub,
so each sharer's symbols are in the one upstream subscription (docs/gateway.md, docs/bus.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys

from websockets.asyncio.client import connect

from engine.bus.nats_bus import BusOptions
from engine.net.health import ConnectionState
from tests.engine.bus.conftest import NatsServer, price, run, subscriber_instance
from tests.waits import until

_SECRETS = ("APCA_API_KEY_ID", "APCA_API_SECRET_KEY", "TICKERDESK_BUS_PASSWORD")


def test_the_gateway_serves_locally_and_publishes_on_the_bus(nats_server: NatsServer) -> None:
    env = {k: v for k, v in os.environ.items() if k not in _SECRETS}
    env["TICKERDESK_GATEWAY_KEY"] = "TDGWBUSTEST0000001"
    env["TICKERDESK_GATEWAY_SECRET"] = "local-secret-for-the-bus-test"

    async def body() -> None:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "engine.gateway_cli", "--demo", "--port", "0",
            "--bus", nats_server.url, "--symbols", "AAPL", "--seconds", "60",
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            assert proc.stdout is not None
            base = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().strip()
            assert base.startswith("ws://127.0.0.1:"), base
            options = BusOptions(nats_server.url)
            async with subscriber_instance(options, ("AAPL", "NVDA"), instance="remote") as sub:
                ws = await connect(f"{base}/v2/iex")
                await ws.recv()
                await ws.send(json.dumps({"action": "auth", "key": env["TICKERDESK_GATEWAY_KEY"],
                                          "secret": env["TICKERDESK_GATEWAY_SECRET"]}))  # fmt: skip
                assert json.loads(await ws.recv())[0]["msg"] == "authenticated"
                await ws.send(json.dumps({"action": "subscribe", "trades": ["TSLA"]}))
                seen: set[str] = set()
                while "TSLA" not in seen:
                    for message in json.loads(await asyncio.wait_for(ws.recv(), 20)):
                        if message.get("T") == "t":
                            seen.add(message["S"])
                # The bus subscriber's NVDA and the local client's TSLA share one upstream.
                await until(lambda: price(sub.store, "NVDA") is not None, "NVDA via the bus", 30)
                await until(lambda: price(sub.store, "AAPL") is not None, "AAPL via the bus", 30)
                assert sub.health.state is ConnectionState.STREAMING
                await ws.close()
        finally:
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()
            _, err = await asyncio.wait_for(proc.communicate(), 30)
        text = err.decode()
        assert f"publishing on {nats_server.url}" in text, text
        assert env["TICKERDESK_GATEWAY_SECRET"] not in text
        assert proc.returncode == 0, text

    run(body())
