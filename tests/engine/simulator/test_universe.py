"""The simulator makes a market for any well-formed ticker (issue 18, #4): a REST snapshot
of COIN answers like one of AAPL (it joins the universe, as a subscription would), the
unlisted ZZZ… block and invalid names stay absent, and `tickerdesk-watch COIN PLTR RIVN
--json` without credentials streams all three with the snapshot's day figures."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Awaitable
from pathlib import Path

import httpx

from engine.simulator import Simulator, SimulatorConfig

CREDENTIAL_VARS = {"APCA_API_KEY_ID", "APCA_API_SECRET_KEY", "ALPACA_API_KEY", "ALPACA_API_SECRET"}
POPULAR = ("COIN", "PLTR", "RIVN")
KEY = {"APCA-API-KEY-ID": "PKUNIVERSE", "APCA-API-SECRET-KEY": "universe-secret"}


def run(coro: Awaitable[None]) -> None:
    async def guarded() -> None:
        await asyncio.wait_for(coro, timeout=90)

    asyncio.run(guarded())


def test_which_names_are_listable() -> None:
    from engine.simulator.universe import is_listable

    assert all(is_listable(s) for s in (*POPULAR, "AAPL", "BRK.B", "F"))
    assert not any(is_listable(s) for s in ("ZZZZ", "ZZZZQ", "ZZZ", "aapl", "TOOLONG", "1X"))


def test_rest_snapshots_list_any_well_formed_ticker() -> None:
    async def scenario() -> None:
        async with Simulator(SimulatorConfig(seed=3, rate=0.0)) as sim:
            assert "COIN" not in sim.market
            async with httpx.AsyncClient(base_url=sim.rest_url) as http:
                response = await http.get(
                    "/v2/stocks/snapshots",
                    params={"symbols": "COIN,PLTR,RIVN,ZZZZQ,aapl!,AAPL", "feed": "iex"},
                )
                assert response.status_code == 200
                body = response.json()
                assert sorted(body) == ["AAPL", "COIN", "PLTR", "RIVN"]
                for symbol in POPULAR:
                    snap = body[symbol]
                    assert snap["latestQuote"]["bp"] > 0
                    assert snap["prevDailyBar"]["c"] > 0  # a previous close: Change % works
                assert "COIN" in sim.market  # it joined the universe ...
                assert "ZZZZQ" not in sim.market  # ... the unlisted block never does
                assets = await http.get("/v2/assets", headers=KEY)  # the list has it now
                assert "COIN" in {a["symbol"] for a in assets.json()}

    run(scenario())


def _watch_command() -> list[str]:
    script = Path(sys.executable).with_name("tickerdesk-watch")  # as the user runs it
    return [str(script)] if script.exists() else [sys.executable, "-m", "engine.watch"]


def test_tickerdesk_watch_streams_popular_tickers_without_credentials() -> None:
    async def scenario() -> None:
        env = {k: v for k, v in os.environ.items() if k not in CREDENTIAL_VARS}
        proc = await asyncio.create_subprocess_exec(
            *_watch_command(), *POPULAR, "--json", "--seconds", "3",
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()
        assert "embedded simulator" in err.decode()
        doc = json.loads(out)
        assert doc["health"]["state"] == "streaming"
        assert doc["budget"]["streamed"] == list(POPULAR)
        for symbol in POPULAR:
            entry = doc["symbols"][symbol]
            assert entry["streamed"] is True
            assert entry["updates"] > 0
            assert isinstance(entry["last"], float)
            assert isinstance(entry["bid"], float)
            # From the REST snapshot, which used to leave these names out.
            assert isinstance(entry["prev_close"], float), entry
            assert isinstance(entry["volume"], int), entry

    run(scenario())
