"""Other programs' symbols spend the plan's limit too (docs/gateway.md): with the gateway
on, the watchlists stream what is left, the rest come from REST and the status bar says
why; when the program lets go, the watchlists stream everything again. Real app, real
simulator (free plan, limit 5 by configuration) on 127.0.0.1, a raw websockets client.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from engine.plan import counted_symbols, parse_plan
from engine.simulator import Simulator, SimulatorConfig
from engine.simulator.config import Plan
from gui.runtime import Runtime, RuntimeOptions
from gui.settings.persistence import AppSettings
from tests.waits import until

OFFSCREEN_SHOW = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
WATCHED = ["AAPL", "MSFT", "SPY"]


@OFFSCREEN_SHOW
def test_symbols_held_through_the_gateway_leave_the_watchlists_what_is_left(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    ini = tmp_path / "shared.ini"
    AppSettings(ini).set_watchlists([("Main", WATCHED)], active=0)
    AppSettings(ini).set_trading_api("off")  # the data stream only
    AppSettings(ini).set_plan(parse_plan("5"))

    async def scenario() -> None:
        config = SimulatorConfig(seed=5, rate=300.0, plan=Plan.FREE, symbol_limit=5)
        async with Simulator(config) as sim:
            options = RuntimeOptions(
                url=sim.ws_url, rest_url=sim.rest_url, settings_path=ini, env={},
                use_keyring=False, rest_poll_s=1.0, gateway_port=0,
            )  # fmt: skip
            runtime = Runtime(options, asyncio.Event())
            try:
                await runtime.start()
                gateway, window, client = runtime.gateway, runtime.window, runtime.client
                assert window is not None
                assert client is not None
                assert gateway.server is not None, gateway.error
                local = gateway.local_credentials()
                assert local is not None
                ws = await connect(gateway.url())
                await ws.recv()
                await ws.send(json.dumps({"action": "auth", "key": local.key_id,
                                          "secret": local.secret}))  # fmt: skip
                await ws.recv()
                await ws.send(json.dumps({"action": "subscribe", "trades": ["TSLA", "AMD"],
                                          "quotes": ["TSLA", "AMD"]}))  # fmt: skip
                reply = json.loads(await ws.recv())
                assert reply[0]["T"] == "subscription", reply
                assert runtime.budget.shared == {"TSLA", "AMD"}

                # Two more watched symbols: 3 + 2 shared = 5 already, so both go to REST.
                window.model.add_symbols(["QQQ", "NVDA"])
                await until(lambda: runtime.budget.last.polled == ("QQQ", "NVDA"), "polled")
                await until(lambda: counted_symbols(client.subscription) == 5, "5 upstream")
                assert runtime.health.last_error is None  # nothing refused: no 405
                window.status.refresh()
                assert window.status.budget.text() == (
                    "streaming 3 of 5 symbols: 2 more held by programs sharing the "
                    "connection, your plan setting allows 5"
                )

                # The program lets go of AMD: QQQ, first in row order, streams.
                await ws.send(json.dumps({"action": "unsubscribe", "trades": ["AMD"],
                                          "quotes": ["AMD"]}))  # fmt: skip
                await until(lambda: runtime.budget.last.polled == ("NVDA",), "QQQ streams")
                await ws.close()  # gone: its symbols are released
                await until(lambda: runtime.budget.last.polled == (), "all stream again")
                await until(
                    lambda: client.subscription.quotes == {*WATCHED, "QQQ", "NVDA"},
                    "the watchlists' five upstream",
                )
            finally:
                await runtime.close()

    qloop.run_until_complete(asyncio.wait_for(scenario(), 90))
