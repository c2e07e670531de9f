"""`tickerdesk-watch --bus` as a user runs it (a subprocess), against real components:
without credentials or --url it subscribes through the bus and its JSON shows the rows
and a "bus" section; with --demo it owns the upstream and publishes."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from engine.bus.nats_bus import BusOptions
from engine.net.health import ConnectionState
from tests.engine.bus.conftest import (
    NatsServer,
    owner_instance,
    price,
    run,
    simulator,
    subscriber_instance,
)
from tests.waits import until

_SECRETS = {
    "APCA_API_KEY_ID", "APCA_API_SECRET_KEY", "ALPACA_API_KEY", "ALPACA_API_SECRET",
    "TICKERDESK_BUS_PASSWORD", "TICKERDESK_BUS_TOKEN",
}  # fmt: skip


def _command() -> list[str]:
    script = Path(sys.executable).parent / "tickerdesk-watch"
    return [str(script)] if script.exists() else [sys.executable, "-m", "engine.watch"]


async def _watch(*args: str) -> tuple[int, dict[str, Any], str]:
    env = {k: v for k, v in os.environ.items() if k not in _SECRETS}
    proc = await asyncio.create_subprocess_exec(
        *_command(), *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, json.loads(out) if out.strip() else {}, err.decode()


def test_watch_subscribes_through_the_bus(nats_server: NatsServer) -> None:
    options = BusOptions(nats_server.url)

    async def body() -> None:
        async with simulator() as sim, owner_instance(sim, options, ("AAPL",)) as owner:
            code, doc, err = await _watch(
                "--bus", nats_server.url, "--seconds", "5", "--json", "AAPL", "TSLA"
            )
            assert code == 0, err
            assert f"subscribing through {nats_server.url}" in err
            assert "embedded simulator" not in err  # no upstream of its own
            assert doc["health"]["state"] == "streaming"
            assert doc["health"]["endpoint"] == f"{nats_server.url} (bus)"
            for symbol in ("AAPL", "TSLA"):  # TSLA: the owner streams it only for us
                row = doc["symbols"][symbol]
                assert isinstance(row["last"], float), row
                assert isinstance(row["bid"], float), row
            bus = doc["bus"]
            assert bus["role"] == "subscriber"
            assert bus["url"] == nats_server.url
            assert bus["owner"] == "owner-1"
            assert bus["owner_state"] == "streaming"
            assert bus["messages"] > 0
            assert bus["refused"] is None
            # It released its lease on the way out: TSLA is no longer asked upstream.
            await until(lambda: "TSLA" not in owner.client.extra_subscription.trades, "released")
            assert len([s for s in sim.session_info() if s.authenticated]) == 1

    run(body())


def test_watch_with_demo_owns_the_upstream_and_publishes(nats_server: NatsServer) -> None:
    options = BusOptions(nats_server.url)

    async def body() -> None:
        watch = asyncio.ensure_future(
            _watch("--demo", "--bus", nats_server.url, "--seconds", "8", "--json", "AAPL")
        )
        async with subscriber_instance(options, ("AAPL", "MSFT"), instance="remote") as sub:
            await until(lambda: price(sub.store, "MSFT") is not None, "MSFT from the watch", 30)
            assert sub.health.state is ConnectionState.STREAMING
            code, doc, err = await watch
        assert code == 0, err
        assert f"publishing on {nats_server.url}" in err
        bus = doc["bus"]
        assert bus["role"] == "owner"
        assert bus["published"] > 0
        assert bus["refused"] == 0

    run(body())
