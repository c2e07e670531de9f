"""tickerdesk-sim-order: an order placed by hand on a running simulator fills against its
market (and a resting one cancels); refusals say why; never anything but loopback."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import httpx

from engine.simulator import Simulator, SimulatorConfig
from tests.engine.simulator.wsclient import run

KEY, SECRET = "PKORDERCLI", "order-cli-secret"
HEADERS = {"APCA-API-KEY-ID": KEY, "APCA-API-SECRET-KEY": SECRET}


async def _cli(*args: str) -> tuple[int, str, str]:
    env = {**os.environ, "APCA_API_KEY_ID": KEY, "APCA_API_SECRET_KEY": SECRET}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "engine.simulator.order_cli", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def test_an_order_placed_by_hand_fills_and_a_resting_one_cancels() -> None:
    async def main() -> None:
        config = SimulatorConfig(seed=3, rate=200.0, key=KEY, secret=SECRET, fill_interval_s=0.0)
        async with Simulator(config) as sim:
            url = sim.rest_url
            code, out, err = await _cli("--rest-url", url, "buy", "AAPL", "5")
            assert code == 0, err
            order = json.loads(out)
            assert (order["symbol"], order["side"], order["qty"]) == ("AAPL", "buy", "5")
            async with httpx.AsyncClient(base_url=url, headers=HEADERS) as http:
                for _ in range(200):
                    state = (await http.get(f"/v2/orders/{order['id']}")).json()
                    if state["status"] == "filled":
                        break
                    await asyncio.sleep(0.02)
                assert state["status"] == "filled"
                assert state["filled_qty"] == "5"
            code, out, err = await _cli("--rest-url", url, "buy", "NVDA", "1", "--limit", "1")
            assert code == 0, err
            resting = json.loads(out)
            code, out, err = await _cli("--rest-url", url, "cancel", resting["id"])
            assert code == 0, err
            assert out.strip() == "canceled"
            code, _out, err = await _cli("--rest-url", url, "buy", "ZZZZQX", "1")
            assert code == 1
            assert "refused (HTTP 422)" in err

    run(main())


def test_only_a_loopback_simulator() -> None:
    async def main() -> None:
        code, _out, err = await _cli("--rest-url", "https://paper-api.alpaca.markets", "buy",
                                     "AAPL", "1")  # fmt: skip
        assert code == 2
        assert "only a simulator on a loopback address" in err

    run(main())
