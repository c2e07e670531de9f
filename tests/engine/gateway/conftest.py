"""Gateway test rigs: a real simulator on 127.0.0.1, one StreamClient + store + Hub on it,
and a started GatewayServer with known local credentials.

The tests run each coroutine with `asyncio.run` (no async test plugin), so the fixtures
hand out an async context manager factory rather than running objects:

    def test_x(gateway_rig: RigFactory) -> None:
        async def body() -> None:
            async with gateway_rig(gui_symbols=("AAPL",)) as rig:
                ws = await rig.connect()          # raw websockets client, authenticated
                ...
        run(body())
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field, replace
from typing import Any

import msgpack
import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from engine.config import Credentials
from engine.gateway.credentials import LocalCredentials
from engine.gateway.hub import Hub
from engine.gateway.server import GatewayConfig, GatewayServer
from engine.market.store import MarketDataStore
from engine.net.health import ConnectionState, StreamHealth
from engine.net.retry import BackoffPolicy
from engine.net.stream import StreamClient, StreamConfig
from engine.protocol import Encoding
from engine.simulator import Simulator, SimulatorConfig
from tests.waits import until

UPSTREAM_CREDS = Credentials("UPSTREAMKEY", "upstream-secret-value")
LOCAL_CREDS = LocalCredentials("TDGW0123456789ABCDEF", "local-gateway-secret-for-tests")
FAST_BACKOFF = BackoffPolicy(initial=0.05, factor=2.0, maximum=0.4, jitter=0.2, slow=0.3)
WAIT = 15.0

Msg = dict[str, Any]


def run[T](coro: Coroutine[Any, Any, T], timeout: float = 90.0) -> T:
    """Run one test coroutine on a fresh loop, bounded."""

    async def bounded() -> T:
        async with asyncio.timeout(timeout):
            return await coro

    return asyncio.run(bounded())


@dataclass
class GatewayRig:
    """Everything wired: simulator -> StreamClient (+store) -> Hub -> GatewayServer."""

    sim: Simulator
    store: MarketDataStore
    health: StreamHealth
    client: StreamClient
    hub: Hub
    server: GatewayServer
    credentials: LocalCredentials
    # Client connections the test opened: dropped at teardown, so a client that stopped
    # reading (and would never see the server's close) leaves no socket behind.
    opened: list[ClientConnection] = field(default_factory=list)

    def adopt(self, ws: ClientConnection) -> ClientConnection:
        self.opened.append(ws)
        return ws

    @property
    def url(self) -> str:
        """The feed endpoint clients connect to (`ws://127.0.0.1:PORT/v2/iex`)."""
        return f"{self.server.url}/v2/{self.hub.feed}"

    async def raw(self, *, msgpack_frames: bool = False, **kwargs: Any) -> ClientConnection:
        """A raw websockets connection to the gateway, greeting read, not authenticated."""
        headers = dict(kwargs.pop("additional_headers", None) or {})
        if msgpack_frames:
            headers["Content-Type"] = "application/msgpack"
        ws = self.adopt(await websockets.connect(self.url, additional_headers=headers, **kwargs))
        greeting = await recv(ws)
        assert greeting == [{"T": "success", "msg": "connected"}], greeting
        return ws

    async def connect(self, *, msgpack_frames: bool = False, **kwargs: Any) -> ClientConnection:
        """A raw client, authenticated with the rig's local credentials."""
        ws = await self.raw(msgpack_frames=msgpack_frames, **kwargs)
        creds = self.credentials
        await send(ws, {"action": "auth", "key": creds.key_id, "secret": creds.secret})
        assert await recv(ws) == [{"T": "success", "msg": "authenticated"}]
        return ws

    async def streaming(self) -> None:
        await until(lambda: self.health.state is ConnectionState.STREAMING, "upstream streaming")

    async def upstream_has(self, channel: str, symbol: str, present: bool = True) -> None:
        """Wait until the upstream's confirmed subscription has (or lacks) `symbol`."""

        def holds() -> bool:
            return (symbol in getattr(self.client.subscription, channel)) is present

        await until(holds, f"upstream {channel} {'has' if present else 'lacks'} {symbol}")


async def send(ws: ClientConnection, message: Msg) -> None:
    """Send in the connection's encoding (msgpack when it asked for msgpack frames)."""
    if _is_msgpack(ws):
        await ws.send(msgpack.packb(message))
    else:
        await ws.send(json.dumps(message))


def _is_msgpack(ws: ClientConnection) -> bool:
    request = ws.request
    return request is not None and "msgpack" in request.headers.get("Content-Type", "")


def decode(frame: str | bytes) -> list[Msg]:
    if isinstance(frame, bytes):
        try:
            out = msgpack.unpackb(frame, timestamp=2)  # Timestamp ext -> int ns
        except (ValueError, msgpack.ExtraData):
            out = json.loads(frame)
    else:
        out = json.loads(frame)
    assert isinstance(out, list), out
    return out


async def recv(ws: ClientConnection, within: float = WAIT) -> list[Msg]:
    """One frame, decoded."""
    return decode(await asyncio.wait_for(ws.recv(), within))


async def recv_until(
    ws: ClientConnection, stop: Callable[[Msg], bool], what: str, within: float = WAIT
) -> list[Msg]:
    """Messages (flattened) up to and including the first for which `stop` holds."""
    seen: list[Msg] = []
    async with asyncio.timeout(within):
        while True:
            for message in await recv(ws, within):
                seen.append(message)
                if stop(message):
                    return seen
    raise AssertionError(what)  # pragma: no cover - the timeout raises first


@contextlib.asynccontextmanager
async def make_rig(
    *,
    gui_symbols: tuple[str, ...] = (),
    sim_config: SimulatorConfig | None = None,
    gateway_config: GatewayConfig | None = None,
    limit: int | None = None,
    free_plan: bool = False,
    encoding: Encoding = Encoding.JSON,
    feed: str = "iex",
) -> AsyncIterator[GatewayRig]:
    sim_cfg = sim_config or SimulatorConfig(rate=400.0, seed=15)
    sim_cfg = replace(sim_cfg, host="127.0.0.1", key=UPSTREAM_CREDS.key_id,
                      secret=UPSTREAM_CREDS.secret)  # fmt: skip
    sim = Simulator(sim_cfg)
    await sim.start()
    store = MarketDataStore()
    health = StreamHealth()
    config = StreamConfig(
        url=sim.ws_url, feed=feed, encoding=encoding, credentials=UPSTREAM_CREDS,
        backoff=FAST_BACKOFF, ping_interval=5.0, ping_timeout=5.0,
    )  # fmt: skip
    client = StreamClient(config, store, health)
    client.set_symbols(gui_symbols)
    hub = Hub(client, store, limit=limit, free_plan=free_plan, feed=feed)
    server = GatewayServer(hub, LOCAL_CREDS, gateway_config or GatewayConfig())
    rig = GatewayRig(sim, store, health, client, hub, server, LOCAL_CREDS)
    client.start()
    await server.start()
    try:
        await rig.streaming()
        yield rig
    finally:
        for ws in rig.opened:
            if ws.transport is not None:
                ws.transport.abort()
        await server.stop()
        hub.stop()
        await client.stop()
        await rig.sim.stop()  # the test may have replaced the simulator (restart)


RigFactory = Callable[..., contextlib.AbstractAsyncContextManager[GatewayRig]]


@pytest.fixture
def gateway_rig() -> RigFactory:
    """`async with gateway_rig(**options) as rig`: see `make_rig` for the options."""
    return make_rig


@pytest.fixture
def local_credentials() -> LocalCredentials:
    return LOCAL_CREDS
