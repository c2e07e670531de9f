"""GatewayServer under load and faults, real sockets on 127.0.0.1 over a real simulator:
a client that stops reading gets conflated quotes but every trade; one that still cannot
keep up gets 407 and is closed while another client keeps receiving everything; an
upstream outage leaves clients connected and data resumes (docs/gateway.md, "Fan-out
and conflation"). No timing assertions: every wait is event-driven and bounded."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from engine.events import Event, Trade
from engine.gateway.server import GatewayConfig
from engine.net.health import ConnectionState
from engine.simulator import Simulator, SimulatorConfig
from tests.engine.gateway.conftest import GatewayRig, RigFactory, decode, recv_until, run, send
from tests.waits import until

SYMBOLS = ["AAPL", "MSFT", "SPY", "QQQ"]
FAST_SIM = SimulatorConfig(rate=6000.0, seed=151)
Key = tuple[str, int]  # (symbol, trade id)


@dataclass
class Recorder:
    """A second hub sink: every trade of SYMBOLS the upstream delivered, in order."""

    trades: list[Key] = field(default_factory=list)

    def deliver(self, events: Sequence[Event], received_at: float) -> None:
        self.trades += [(e.symbol, e.trade_id) for e in events
                        if isinstance(e, Trade) and e.symbol in SYMBOLS]  # fmt: skip


@dataclass
class Reader:
    """Reads a client's frames in the background; keeps every message."""

    ws: ClientConnection
    messages: list[dict[str, Any]] = field(default_factory=list)
    closed_code: int | None = None
    task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        try:
            async for frame in self.ws:
                self.messages += decode(frame)
        except ConnectionClosed:
            pass
        self.closed_code = self.ws.close_code

    def trades(self) -> list[Key]:
        return [(m["S"], m["i"]) for m in self.messages if m["T"] == "t"]

    def count(self, tag: str) -> int:
        return sum(1 for m in self.messages if m["T"] == tag)


@contextlib.asynccontextmanager
async def reading(ws: ClientConnection) -> AsyncIterator[Reader]:
    reader = Reader(ws)
    reader.start()
    try:
        yield reader
    finally:
        assert reader.task is not None
        reader.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader.task


async def slow_client(rig: GatewayRig) -> ClientConnection:
    """An authenticated client whose socket reads almost nothing until the test reads:
    a tiny receive buffer, and websockets' own queue of one frame."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", rig.server.port))
    ws = rig.adopt(await websockets.connect(rig.url, sock=sock, max_queue=1))
    creds = rig.credentials
    assert decode(await ws.recv())[0]["msg"] == "connected"
    await send(ws, {"action": "auth", "key": creds.key_id, "secret": creds.secret})
    assert decode(await ws.recv())[0]["msg"] == "authenticated"
    return ws


async def subscribe(ws: ClientConnection) -> None:
    await send(ws, {"action": "subscribe", "trades": SYMBOLS, "quotes": SYMBOLS})
    await recv_until(ws, lambda m: m["T"] == "subscription", "subscription reply")


def assert_contiguous(received: list[Key], upstream: list[Key], who: str) -> None:
    """`received[1:]` is an unbroken run of the upstream's trades (received[0] may be the
    snapshot's trade): no trade lost, none reordered, none duplicated."""
    assert len(received) > 1, f"{who} received too few trades"
    live = received[1:]
    start = upstream.index(live[0])
    assert upstream[start : start + len(live)] == live, f"{who} lost or reordered trades"


def client_row(rig: GatewayRig, remote_port: int) -> dict[str, Any]:
    for row in rig.server.client_report():
        if str(row["remote"]).endswith(f":{remote_port}"):
            return row
    raise AssertionError(f"no client on port {remote_port}")


def test_backed_up_client_conflates_quotes_but_never_trades(gateway_rig: RigFactory) -> None:
    config = GatewayConfig(write_limit=1024, max_pending=1_000_000)

    async def body() -> None:
        async with gateway_rig(sim_config=FAST_SIM, gateway_config=config) as rig:
            recorder = Recorder()
            rig.hub.attach(recorder)
            fast = await rig.connect()
            slow = await slow_client(rig)
            port = slow.local_address[1]
            await subscribe(fast)
            await subscribe(slow)  # its reply came; from here on it does not read
            async with reading(fast) as fast_reader:
                await until(lambda: client_row(rig, port)["conflated"] > 50, "slow conflates")
                backlog = client_row(rig, port)["pending"]
                assert backlog > 0
                async with reading(slow) as slow_reader:
                    # it catches up: wait until it has the trades it was behind on
                    target = recorder.trades[-1]
                    await until(lambda: target in slow_reader.trades(), "slow catches up")
                    await until(lambda: target in fast_reader.trades(), "fast has it too")
                    assert_contiguous(slow_reader.trades(), recorder.trades, "slow client")
                    assert_contiguous(fast_reader.trades(), recorder.trades, "fast client")
                    assert slow_reader.count("q") < fast_reader.count("q")
            assert rig.server.stats.conflated >= 50
            assert rig.server.stats.slow_closed == 0

    run(body(), timeout=120)


def test_client_that_cannot_keep_up_gets_407_others_get_everything(
    gateway_rig: RigFactory,
) -> None:
    # Room enough that the fast client (read by this same loop, on a busy machine) never
    # comes near the limit, while the one that does not read at all reaches it at once.
    config = GatewayConfig(write_limit=16 * 1024, max_pending=2000)

    async def body() -> None:
        async with gateway_rig(sim_config=FAST_SIM, gateway_config=config) as rig:
            recorder = Recorder()
            rig.hub.attach(recorder)
            fast = await rig.connect()
            slow = await slow_client(rig)
            await subscribe(fast)
            await subscribe(slow)  # its reply came; from here on it does not read
            async with reading(fast) as fast_reader:
                await until(lambda: rig.server.stats.slow_closed == 1, "407 for the slow one")
                assert rig.server.clients == 1  # the fast one is still here
                async with reading(slow) as slow_reader:
                    await until(lambda: slow_reader.closed_code is not None, "slow closed")
                    assert slow_reader.closed_code == 1008
                    assert slow_reader.messages[-1] == {
                        "T": "error", "code": 407, "msg": "slow client",
                    }  # fmt: skip
                # the fast client goes on and has lost nothing
                after = len(recorder.trades)
                await until(lambda: len(recorder.trades) > after + 20, "more upstream trades")
                target = recorder.trades[-1]
                await until(lambda: target in fast_reader.trades(), "fast has the newest trade")
                assert_contiguous(fast_reader.trades(), recorder.trades, "fast client")
                assert fast_reader.closed_code is None
            assert rig.hub.registry.holder_names() == ["gateway:1"]  # the slow one was dropped

    run(body(), timeout=120)


def test_upstream_outage_keeps_clients_connected_and_data_resumes(
    gateway_rig: RigFactory,
) -> None:
    async def body() -> None:
        async with gateway_rig(gui_symbols=("MSFT",)) as rig:
            ws = await rig.connect()
            await send(ws, {"action": "subscribe", "trades": ["AAPL"], "quotes": ["AAPL"]})
            await recv_until(ws, lambda m: m["T"] in ("t", "q"), "data before the outage")
            port = rig.sim.port
            config = rig.sim.config
            await rig.sim.stop()
            await until(lambda: rig.health.state is not ConnectionState.STREAMING, "upstream down")
            assert rig.hub.upstream_state != "streaming"
            # the client is still connected: it answers pings and gets nothing bad
            await asyncio.wait_for(await ws.ping(), 15)
            assert rig.server.clients == 1
            with contextlib.suppress(TimeoutError):
                while True:  # drain what was sent before the outage
                    await asyncio.wait_for(ws.recv(), 0.3)
            rig.sim = Simulator(replace(config, port=port))
            await rig.sim.start()
            await rig.streaming()
            await rig.upstream_has("trades", "AAPL")
            resumed = await recv_until(ws, lambda m: m["T"] in ("t", "q"), "data after restart")
            assert resumed[-1]["S"] == "AAPL"
            assert all(m["T"] != "error" for m in resumed)
            assert rig.server.clients == 1

    run(body(), timeout=120)


@pytest.mark.parametrize("count", [3])
def test_many_clients_share_one_upstream_connection(gateway_rig: RigFactory, count: int) -> None:
    async def body() -> None:
        async with gateway_rig() as rig:
            clients = [await rig.connect() for _ in range(count)]
            for ws in clients:
                await send(ws, {"action": "subscribe", "trades": ["AAPL"]})
            for ws in clients:
                await recv_until(ws, lambda m: m["T"] == "t", "a trade")
            assert rig.sim.stats.authenticated == 1  # one upstream connection for all
            assert rig.server.clients == count

    run(body())
