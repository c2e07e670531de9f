"""RestClient and SnapshotPoller against the simulator's snapshot endpoint (loopback)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

import pytest

from engine.config import Credentials
from engine.market.store import MarketDataStore, Source
from engine.net.rest import RestClient, RestConfig, RestError, SnapshotPoller
from engine.simulator import Simulator, SimulatorConfig


def run(coro: Awaitable[None]) -> None:
    async def guarded() -> None:
        await asyncio.wait_for(coro, timeout=60)

    asyncio.run(guarded())


def test_snapshots_of_known_symbols_and_absent_unknown() -> None:
    async def scenario() -> None:
        async with Simulator(SimulatorConfig(seed=4, rate=50.0)) as sim:
            client = RestClient(RestConfig(sim.rest_url, "iex", Credentials("K", "S")))
            try:
                snaps = await client.snapshots(["AAPL", "MSFT", "ZZZZZ"])
            finally:
                await client.aclose()
            assert set(snaps) == {"AAPL", "MSFT"}
            aapl = snaps["AAPL"]
            assert aapl.prev_daily_bar is not None
            assert aapl.prev_daily_bar.close > 0
            assert aapl.latest_quote is not None
            assert aapl.latest_quote.bid_price <= aapl.latest_quote.ask_price
            assert client.problems == 0

    run(scenario())


def test_wrong_secret_is_a_clear_error_without_the_secret() -> None:
    async def scenario() -> None:
        config = SimulatorConfig(seed=4, key="KEY", secret="right")
        async with Simulator(config) as sim:
            client = RestClient(RestConfig(sim.rest_url, "iex", Credentials("KEY", "wrong-one")))
            try:
                with pytest.raises(RestError) as info:
                    await client.snapshots(["AAPL"])
            finally:
                await client.aclose()
            assert info.value.status in (401, 403)
            assert "key and secret" in info.value.message
            assert "wrong-one" not in str(info.value)

    run(scenario())


def test_unreachable_server_is_a_rest_error() -> None:
    async def scenario() -> None:
        async with Simulator(SimulatorConfig(seed=4)) as sim:
            url = sim.rest_url
        client = RestClient(RestConfig(url, "iex", None, timeout=2.0))
        try:
            with pytest.raises(RestError, match="failed"):
                await client.snapshots(["AAPL"])
        finally:
            await client.aclose()

    run(scenario())


def test_remote_plain_http_is_refused() -> None:
    with pytest.raises(RestError, match="insecure"):
        RestClient(RestConfig("http://example.com"))


def test_poller_fills_prev_close_and_marks_rest_source() -> None:
    async def scenario() -> None:
        async with Simulator(SimulatorConfig(seed=8, rate=0.0)) as sim:
            store = MarketDataStore()
            store.watch(["AAPL", "SPY"])
            client = RestClient(RestConfig(sim.rest_url, "iex", Credentials("K", "S")))
            poller = SnapshotPoller(client, store, interval=0.05)
            poller.request(["AAPL", "SPY"])
            task = asyncio.get_running_loop().create_task(poller.run())
            try:
                for _ in range(500):
                    snap = store.get("SPY")
                    if snap is not None and snap.prev_close is not None:
                        break
                    await asyncio.sleep(0.01)
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                await client.aclose()
            for symbol in ("AAPL", "SPY"):
                snap = store.get(symbol)
                assert snap is not None
                assert snap.prev_close is not None
                assert snap.last_price is not None
                assert snap.source is Source.REST
            assert poller.polls >= 1
            assert poller.last_error is None

    run(scenario())
