"""An in-process gateway on a real simulator, and a raw websockets client, for G2's tests.

`gateway_rig` starts the simulator on 127.0.0.1, one StreamClient to it (the app's own
connection, Alpaca credentials `UP_KEY`/`UP_SECRET`), the Hub and the GatewayServer, and
taps the stream client itself so a test knows every trade the upstream delivered (the
reference "nothing lost" is checked against). `RawClient` is a plain websockets client
speaking Alpaca's protocol by hand, deliberately not engine.protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import msgpack
from websockets.asyncio.client import ClientConnection, connect

from engine.config import Credentials
from engine.events import Event, Quote, Trade
from engine.gateway.credentials import LocalCredentials
from engine.gateway.hub import Hub
from engine.gateway.server import GatewayConfig, GatewayServer
from engine.market.store import MarketDataStore, Source
from engine.net.health import ConnectionState, StreamHealth
from engine.net.stream import StreamClient, StreamConfig
from engine.simulator import Simulator, SimulatorConfig

UP_KEY = "PKUPSTREAMKEY0001"
UP_SECRET = "upstream-ALPACA-secret-must-never-leave-0123456789"
LOCAL = LocalCredentials("TDGWTESTKEY00000001", "local-gateway-secret")
WAIT = 20.0

Msg = dict[str, Any]


async def until(predicate: Callable[[], bool], what: str, within: float = WAIT) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        await asyncio.sleep(0.01)


@dataclass
class Rig:
    sim: Simulator
    client: StreamClient
    store: MarketDataStore
    health: StreamHealth
    hub: Hub
    server: GatewayServer
    # Every trade id the upstream delivered, per symbol, in arrival order (the tap).
    upstream_trades: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    upstream_quotes: Counter[str] = field(default_factory=Counter)

    def tap(self, events: list[Event], received_at: float) -> None:
        for event in events:
            if isinstance(event, Trade):
                self.upstream_trades[event.symbol].append(event.trade_id)
            elif isinstance(event, Quote):
                self.upstream_quotes[event.symbol] += 1

    @property
    def url(self) -> str:
        return f"{self.server.url}/v2/iex"


def upstream_sessions(sim: Simulator) -> list[Any]:
    """The simulator's authenticated stream sessions (the gateway's upstream)."""
    return [s for s in sim.session_info() if s.authenticated and s.path == "/v2/iex"]


def upstream_symbols(sim: Simulator, channel: str = "trades") -> set[str]:
    sessions = upstream_sessions(sim)
    assert len(sessions) == 1, f"{len(sessions)} upstream sessions"
    return set(sessions[0].subscription.get(channel) or ())


@contextlib.asynccontextmanager
async def gateway_rig(
    sim_config: SimulatorConfig | None = None,
    gw_config: GatewayConfig | None = None,
    *,
    symbols: tuple[str, ...] = ("AAPL",),
    limit: int | None = None,
    free_plan: bool = False,
) -> AsyncIterator[Rig]:
    sim = Simulator(sim_config or SimulatorConfig(seed=15, rate=400.0))
    await sim.start()
    store = MarketDataStore(default_source=Source.STREAM)
    health = StreamHealth()
    client = StreamClient(
        StreamConfig(url=sim.ws_url, feed="iex", credentials=Credentials(UP_KEY, UP_SECRET)),
        store,
        health,
    )
    hub = Hub(client, store, limit=limit, free_plan=free_plan, feed="iex")
    server = GatewayServer(hub, LOCAL, gw_config or GatewayConfig(port=0))
    rig = Rig(sim, client, store, health, hub, server)
    hub.start()
    client.add_tap(rig.tap)
    client.set_symbols(symbols)
    client.start()
    await server.start()
    try:
        await until(lambda: health.state is ConnectionState.STREAMING, "upstream streaming")
        yield rig
    finally:
        await server.stop()
        hub.stop()
        await client.stop()
        await sim.stop()


class RawClient:
    """A raw websockets client of the gateway: records trade ids and quote counts."""

    def __init__(self, ws: ClientConnection, *, binary: bool = False) -> None:
        self.ws = ws
        self.binary = binary
        self.trades: dict[str, list[int]] = defaultdict(list)
        self.quotes: Counter[str] = Counter()
        self.other: Counter[str] = Counter()
        self.frames: list[str | bytes] = []  # every frame as received (bounded by tests)
        self.control: asyncio.Queue[Msg] = asyncio.Queue()
        self.errors: list[Msg] = []
        self._reader: asyncio.Task[None] | None = None

    @classmethod
    async def open(
        cls,
        url: str,
        creds: LocalCredentials | None = LOCAL,
        *,
        binary: bool = False,
        max_queue: int | None = 16,
        sock: socket.socket | None = None,
        compression: str | None = "deflate",
    ) -> RawClient:
        headers = {"Content-Type": "application/msgpack"} if binary else None
        ws = await connect(
            url, additional_headers=headers, max_queue=max_queue, sock=sock,
            compression=compression, open_timeout=WAIT, max_size=2**24,
        )  # fmt: skip
        raw = cls(ws, binary=binary)
        raw.start_reading()
        assert await raw.next_control() == {"T": "success", "msg": "connected"}
        if creds is not None:
            reply = await raw.send({"action": "auth", "key": creds.key_id, "secret": creds.secret})
            assert reply == {"T": "success", "msg": "authenticated"}, reply
        return raw

    def decode(self, frame: str | bytes) -> list[Msg]:
        if isinstance(frame, bytes):
            result: list[Msg] = msgpack.unpackb(frame, timestamp=0)
            return result
        loaded: list[Msg] = json.loads(frame)
        return loaded

    def start_reading(self) -> None:
        if self._reader is None or self._reader.done():
            self._reader = asyncio.get_running_loop().create_task(self._read())

    async def stop_reading(self) -> None:
        """Stop taking frames off the socket (the websockets queue then the kernel fill)."""
        task, self._reader = self._reader, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _read(self) -> None:
        with contextlib.suppress(Exception):
            while True:
                frame = await self.ws.recv()
                for msg in self.decode(frame):
                    kind = msg.get("T")
                    if kind == "t":
                        self.trades[msg["S"]].append(msg["i"])
                    elif kind == "q":
                        self.quotes[msg["S"]] += 1
                    elif kind in ("success", "subscription", "error"):
                        if kind == "error":
                            self.errors.append(msg)
                        self.control.put_nowait(msg)
                    else:
                        self.other[str(kind)] += 1

    async def next_control(self, within: float = WAIT) -> Msg:
        return await asyncio.wait_for(self.control.get(), within)

    async def send(self, message: Msg) -> Msg:
        """Send one client message; the next control message (reply or error)."""
        if self.binary:
            await self.ws.send(msgpack.packb(message))
        else:
            await self.ws.send(json.dumps(message))
        return await self.next_control()

    async def subscribe(
        self, symbols: list[str], channels: tuple[str, ...] = ("trades", "quotes")
    ) -> Msg:
        return await self.send({"action": "subscribe", **dict.fromkeys(channels, symbols)})

    async def unsubscribe(
        self, symbols: list[str], channels: tuple[str, ...] = ("trades", "quotes")
    ) -> Msg:
        return await self.send({"action": "unsubscribe", **dict.fromkeys(channels, symbols)})

    async def close(self) -> None:
        await self.stop_reading()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(), 5)

    def data_messages(self) -> int:
        return sum(len(v) for v in self.trades.values()) + sum(self.quotes.values())


def slow_socket(port: int, rcvbuf: int = 2048) -> socket.socket:
    """A connected loopback socket with a tiny receive buffer, so a client that stops
    reading makes the gateway's transport fill within a second, not after megabytes."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.connect(("127.0.0.1", port))
    sock.setblocking(False)
    return sock


def contiguous(received: list[int], upstream: list[int]) -> bool:
    """`received` is a gap-free, in-order run of `upstream` (it may start late, with the
    snapshot trade, and stop early)."""
    if not received:
        return False
    try:
        start = upstream.index(received[0])
    except ValueError:
        return False
    return upstream[start : start + len(received)] == received
