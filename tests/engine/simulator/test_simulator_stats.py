"""Simulator hooks for benchmarks: GET /stats (messages sent per session) and a generated
universe (`--universe-size`)."""

from __future__ import annotations

import asyncio
import json

import httpx
from websockets.asyncio.client import connect

from engine.simulator import Simulator, SimulatorConfig
from engine.simulator.cli import _config, _parser
from engine.simulator.universe import DEFAULT_SYMBOLS, is_valid_symbol, synthetic_symbols


def test_synthetic_universe_is_valid_distinct_and_stable() -> None:
    names = synthetic_symbols(10_000)
    assert len(names) == len(set(names)) == 10_000
    assert names[: len(DEFAULT_SYMBOLS)] == DEFAULT_SYMBOLS
    assert all(is_valid_symbol(name) for name in names)
    assert synthetic_symbols(60) == names[:60]


def test_cli_universe_size_raises_the_universe_cap() -> None:
    config = _config(_parser().parse_args(["--universe-size", "12000"]))
    assert len(config.symbols) == 12_000
    assert config.max_universe >= 12_000


def test_stats_endpoint_counts_messages_sent_to_each_session() -> None:
    async def scenario() -> None:
        config = SimulatorConfig(seed=3, rate=500.0, symbols=("AAPL", "MSFT"), compression=False)
        async with Simulator(config) as sim, connect(sim.ws_url + "/v2/iex") as ws:
            await ws.recv()  # connected
            await ws.send(json.dumps({"action": "auth", "key": "k", "secret": "s"}))
            await ws.recv()
            await ws.send(json.dumps({"action": "subscribe", "trades": ["AAPL"]}))
            await ws.recv()  # subscription
            received = 0
            while received < 5:
                received += len(json.loads(await ws.recv()))
            async with httpx.AsyncClient() as http:
                stats = (await http.get(sim.rest_url + "/stats")).json()
            (session,) = stats["sessions"]
            assert session["path"] == "/v2/iex"
            assert session["messages_sent"] >= received
            assert stats["authenticated"] == 1
            assert stats["errors_sent"] == {}
            assert stats["slow_client_drops"] == 0

    asyncio.run(scenario())
