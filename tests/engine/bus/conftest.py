"""Bus test rigs: a real nats-server (JetStream) on 127.0.0.1, an owner instance (a real
simulator upstream, StreamClient + Hub + BusPublisher) and subscriber instances (BusFeed
with their own store and health).

Tests run each coroutine with `run` (asyncio.run, bounded); the server is a fixture that
can be stopped and started again on the same port ("NATS itself restarted"), with
optional user/password, token or TLS.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from engine.bus.feed import BusFeed
from engine.bus.nats_bus import BusOptions, NatsBus
from engine.bus.publisher import BusPublisher
from engine.gateway.hub import Hub
from engine.market.store import MarketDataStore
from engine.net.health import StreamHealth
from engine.net.retry import BackoffPolicy
from engine.net.stream import StreamClient, StreamConfig
from engine.simulator import Simulator, SimulatorConfig

NATS_SERVER = shutil.which("nats-server") or (
    "/usr/sbin/nats-server" if Path("/usr/sbin/nats-server").exists() else None
)
FAST_BACKOFF = BackoffPolicy(initial=0.05, factor=2.0, maximum=0.4, jitter=0.2, slow=0.3)
# Short enough that the staleness and lease tests finish quickly (the defaults are 1, 6
# and 30 s); the behaviour is the same.
HEARTBEAT_S = 0.2
OWNER_SILENT_S = 1.5
RENEW_S = 0.5


def run[T](coro: Coroutine[Any, Any, T], timeout: float = 90.0) -> T:
    async def bounded() -> T:
        async with asyncio.timeout(timeout):
            return await coro

    return asyncio.run(bounded())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class NatsServer:
    """One nats-server process with JetStream, restartable on the same port."""

    def __init__(self, root: Path, args: list[str], scheme: str = "nats") -> None:
        if NATS_SERVER is None:
            missing = "nats-server is not installed (Debian package nats-server)"
            if os.environ.get("TICKERDESK_REQUIRE_NATS"):  # CI installs it: never skip there
                pytest.fail(missing)
            pytest.skip(missing)
        self.port = free_port()
        self.store_dir = root / "jetstream"
        self.log = root / "nats-server.log"
        self.args = args
        self.scheme = scheme
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def start(self) -> None:
        assert NATS_SERVER is not None
        command = [NATS_SERVER, "-a", "127.0.0.1", "-p", str(self.port), "-js"]
        command += ["-sd", str(self.store_dir), *self.args]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15.0
        while True:  # ready when it accepts a connection
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5),
            ):
                return
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nats-server did not start: {self.log.read_text()[-2000:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


@pytest.fixture
def make_nats(tmp_path: Path) -> Iterator[Callable[..., NatsServer]]:
    servers: list[NatsServer] = []

    def make(*args: str, scheme: str = "nats") -> NatsServer:
        root = tmp_path / f"nats{len(servers)}"
        root.mkdir()
        server = NatsServer(root, list(args), scheme)
        servers.append(server)
        server.start()
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def nats_server(make_nats: Callable[..., NatsServer]) -> NatsServer:
    return make_nats()


# --- instances --------------------------------------------------------------------------


@dataclass
class Owner:
    client: StreamClient
    store: MarketDataStore
    health: StreamHealth
    hub: Hub
    bus: NatsBus
    publisher: BusPublisher


@contextlib.asynccontextmanager
async def owner_instance(
    sim: Simulator,
    options: BusOptions,
    symbols: tuple[str, ...] = ("AAPL", "MSFT"),
    *,
    instance: str = "owner-1",
    limit: int | None = None,
    lease_s: float = 30.0,
) -> AsyncIterator[Owner]:
    """The instance owning the upstream: simulator -> StreamClient -> Hub -> BusPublisher."""
    store, health = MarketDataStore(), StreamHealth()
    client = StreamClient(
        StreamConfig(url=sim.ws_url, feed="iex", backoff=FAST_BACKOFF), store, health
    )
    hub = Hub(client, store, limit=limit, free_plan=limit is not None, feed="iex")
    hub.start()
    client.set_symbols(symbols)
    client.start()
    bus = NatsBus(options)
    publisher = BusPublisher(hub, bus, instance, heartbeat_s=HEARTBEAT_S, lease_s=lease_s)
    await publisher.start()
    owner = Owner(client, store, health, hub, bus, publisher)
    try:
        yield owner
    finally:
        await publisher.stop()
        hub.stop()
        await client.stop()
        await bus.close()


@dataclass
class Subscriber:
    feed: BusFeed
    store: MarketDataStore
    health: StreamHealth
    bus: NatsBus


@contextlib.asynccontextmanager
async def subscriber_instance(
    options: BusOptions, symbols: tuple[str, ...] = ("AAPL", "MSFT"), *, instance: str
) -> AsyncIterator[Subscriber]:
    """An instance without an upstream: BusFeed + its own store and health."""
    store, health = MarketDataStore(), StreamHealth()
    bus = NatsBus(options)
    feed = BusFeed(
        bus, store, health, feed="iex", instance=instance,
        renew_s=RENEW_S, owner_silent_s=OWNER_SILENT_S,
    )  # fmt: skip
    feed.set_symbols(symbols)
    feed.start()
    try:
        yield Subscriber(feed, store, health, bus)
    finally:
        await feed.stop()
        await bus.close()


@contextlib.asynccontextmanager
async def simulator(rate: float = 300.0) -> AsyncIterator[Simulator]:
    config = SimulatorConfig(seed=15, rate=rate, halt_probability=0.0)
    async with Simulator(config) as sim:
        yield sim


def price(store: MarketDataStore, symbol: str) -> float | None:
    snap = store.get(symbol)
    return None if snap is None else snap.last_price


# --- a test CA (openssl CLI: the `cryptography` package is not in the venv) --------------


@dataclass(frozen=True)
class TestCA:
    ca_cert: Path
    server_cert: Path
    server_key: Path


def make_ca(root: Path, name: str) -> TestCA:
    """A CA and a server certificate for 127.0.0.1 it signed (SAN IP, as TLS checks)."""
    root.mkdir(parents=True, exist_ok=True)

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=root)

    openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-keyout", "ca.key", "-out", "ca.pem", "-subj", f"/CN={name} test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )  # fmt: skip
    openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key",
        "-out", "server.csr", "-subj", "/CN=127.0.0.1",
    )  # fmt: skip
    (root / "ext.cnf").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
    )
    openssl(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf",
    )  # fmt: skip
    return TestCA(root / "ca.pem", root / "server.pem", root / "server.key")
