"""Backpressure end to end: a simulator in ANOTHER process keeps sending while our event
loop is deliberately blocked. The stream client must say it fell behind (flag, counter,
the figure in its warning), apply everything the server sent, and recover; no 407.

No timing assertions: the block is 3 s of exchange time, so the backlog read after it
spans more than the 1 s that makes "falling behind" (engine.net.stream), whatever the speed.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from engine.market.store import MarketDataStore
from engine.net.health import ConnectionState, StreamHealth
from engine.net.stream import FALLING_BEHIND_NS, StreamClient, StreamConfig
from tests.waits import until

SYMBOLS = ["AAPL", "MSFT"]
BLOCK_S = 3.0  # > 2 x FALLING_BEHIND_NS: the late backlog spans >= 1 s of exchange time
LIMIT_S = 20.0  # generous bound for every wait; each ends as soon as its condition holds


@pytest.fixture
def simulator() -> Iterator[tuple[str, str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine.simulator", "--port", "0", "--seed", "7",
         "--rate", "400", "--symbols", ",".join(SYMBOLS), "--halt-probability", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    ws_url, rest_url = proc.stdout.readline().strip(), proc.stdout.readline().strip()
    try:
        assert ws_url.startswith("ws://"), "simulator did not start"
        yield ws_url, rest_url
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()


async def _messages_sent(rest_url: str) -> int:
    async with httpx.AsyncClient() as http:
        stats = (await http.get(rest_url + "/stats")).json()
    return sum(session["messages_sent"] for session in stats["sessions"])


@pytest.mark.slow
def test_blocked_loop_reads_as_falling_behind_then_recovers_without_loss(
    simulator: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    ws_url, rest_url = simulator
    assert BLOCK_S * 1e9 > 2 * FALLING_BEHIND_NS
    store, health = MarketDataStore(), StreamHealth()
    config = StreamConfig(url=ws_url, feed="iex", channels=("trades", "quotes"))
    client = StreamClient(config, store, health)

    async def scenario() -> None:
        client.set_symbols(SYMBOLS)
        client.start()
        try:
            await until(lambda: health.messages > 40, "data flowing (best latency known)", LIMIT_S)
            assert not health.falling_behind
            assert health.falling_behind_events == 0
            # Deliberately block the loop (what a long synchronous slot would do): the
            # simulator, in its own process, keeps stamping and sending meanwhile.
            time.sleep(BLOCK_S)  # noqa: ASYNC251 (the blocked loop is the point)
            await until(
                lambda: health.falling_behind_events >= 1, "falling behind flagged", LIMIT_S
            )
            await until(lambda: not health.falling_behind, "caught up again", LIMIT_S)
            sent = await _messages_sent(rest_url)
            # health.messages also counts the 3 control messages: >= means none lost.
            await until(
                lambda: health.messages >= sent, f"all {sent} sent messages received", LIMIT_S
            )
        finally:
            await client.stop()

    with caplog.at_level(logging.WARNING, logger="engine.net.stream"):
        asyncio.run(scenario())
    assert health.falling_behind_events == 1
    assert health.reconnects == 0
    assert health.server_errors == 0  # no 407: the server never gave up on us
    assert health.state is ConnectionState.DISCONNECTED  # stopped by us, not failed
    warnings = [r for r in caplog.records if r.getMessage().startswith("falling behind")]
    assert len(warnings) == 1
    behind_s = warnings[0].args[0] if isinstance(warnings[0].args, tuple) else None
    assert isinstance(behind_s, float)
    assert behind_s > FALLING_BEHIND_NS / 1e9
    assert store.applied > 0
