"""StreamClient over real websockets on 127.0.0.1 against the project's simulator.

Every fault the design names: drops, 406, 407, 500, 402, 409, a half-dead peer, quiet
symbols, malformed frames, live subscription changes and stopping in every state.
Waits are event-driven with generous upper bounds; nothing asserts on timing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace

import pytest
import websockets
from websockets.asyncio.server import ServerConnection

from engine.config import Credentials
from engine.market.store import Freshness, MarketDataStore
from engine.net.health import ConnectionState, StreamHealth
from engine.net.retry import BackoffPolicy
from engine.net.stream import ConfigError, StreamClient, StreamConfig
from engine.protocol import Encoding
from engine.simulator import Simulator, SimulatorConfig
from engine.simulator.config import Plan

SYMBOLS = ("AAPL", "MSFT", "SPY")
FAST_BACKOFF = BackoffPolicy(initial=0.05, factor=2.0, maximum=0.4, jitter=0.2, slow=0.3)
CREDS = Credentials("TESTKEY", "test-secret-value")


def run(coro: Awaitable[None]) -> None:
    async def guarded() -> None:
        await asyncio.wait_for(coro, timeout=60)

    asyncio.run(guarded())


async def until(predicate: Callable[[], bool], limit: float = 15.0, what: str = "") -> None:
    """Poll `predicate` until true; fail with `what` after `limit` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not predicate():
        if loop.time() > deadline:
            pytest.fail(f"timed out waiting for {what or predicate}")
        await asyncio.sleep(0.01)


class Rig:
    """A simulator, a store, a health object and a client wired together."""

    def __init__(self, sim: Simulator, client: StreamClient, store: MarketDataStore) -> None:
        self.sim = sim
        self.client = client
        self.store = store
        self.health: StreamHealth = client._health
        self.states: list[ConnectionState] = []

    def record_states(self) -> None:
        if not self.states or self.states[-1] is not self.health.state:
            self.states.append(self.health.state)

    async def streaming(self, limit: float = 15.0) -> None:
        await until(
            lambda: self.health.state is ConnectionState.STREAMING, limit, "streaming state"
        )

    async def data_for(self, symbols: tuple[str, ...] | frozenset[str], after: int = 0) -> None:
        def ready() -> bool:
            for symbol in symbols:
                snap = self.store.get(symbol)
                if snap is None or snap.updates <= after or snap.bid_price is None:
                    return False
            return True

        await until(ready, 15.0, f"data for {sorted(symbols)}")


@contextlib.asynccontextmanager
async def rig(
    sim_config: SimulatorConfig | None = None,
    *,
    encoding: Encoding = Encoding.JSON,
    credentials: Credentials | None = CREDS,
    feed: str = "iex",
    ping: float = 5.0,
    symbols: tuple[str, ...] = SYMBOLS,
    clock: Callable[[], float] | None = None,
    health: StreamHealth | None = None,
) -> AsyncIterator[Rig]:
    sim = Simulator(sim_config or SimulatorConfig(seed=11, rate=400.0))
    await sim.start()
    store = MarketDataStore()
    health = health if health is not None else StreamHealth()
    config = StreamConfig(
        url=sim.ws_url,
        feed=feed,
        encoding=encoding,
        credentials=credentials,
        ping_interval=ping,
        ping_timeout=ping,
        backoff=FAST_BACKOFF,
    )
    client = (
        StreamClient(config, store, health, clock=clock)
        if clock is not None
        else StreamClient(config, store, health)
    )
    client.set_symbols(symbols)
    the_rig = Rig(sim, client, store)
    client.start()
    # Created after the client's task, so it first runs once the client is connecting.
    watcher = asyncio.get_running_loop().create_task(_watch_states(the_rig))
    try:
        yield the_rig
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
        await client.stop()
        await sim.stop()


async def _watch_states(the_rig: Rig) -> None:
    while True:
        the_rig.record_states()
        await asyncio.sleep(0.002)


@pytest.mark.parametrize("encoding", [Encoding.JSON, Encoding.MSGPACK])
def test_streams_into_store(encoding: Encoding) -> None:
    async def scenario() -> None:
        async with rig(encoding=encoding) as r:
            await r.streaming()
            await r.data_for(SYMBOLS)
            assert r.client.subscription.quotes == frozenset(SYMBOLS)
            assert r.client.subscription.trades == frozenset(SYMBOLS)
            # Corrections and cancel errors follow trades (docs/protocol.md, "Handshake").
            assert r.client.subscription.corrections == frozenset(SYMBOLS)
            assert r.health.messages > 0
            assert r.health.decode_errors == 0
            assert r.health.message_age() is not None
            assert r.health.latency_percentile_ms(0.5) is not None
            for symbol in SYMBOLS:
                assert r.store.freshness(symbol) is Freshness.FRESH
            assert [state for _, state in r.health.transitions][:3] == [
                ConnectionState.CONNECTING,
                ConnectionState.AUTHENTICATING,
                ConnectionState.STREAMING,
            ]
            sessions = r.sim.session_info()
            assert [s.encoding.value for s in sessions] == [encoding.value]

    run(scenario())


def test_reconnects_after_abrupt_drops_and_resubscribes() -> None:
    async def scenario() -> None:
        async with rig() as r:
            await r.streaming()
            await r.data_for(SYMBOLS)
            for round_no in range(1, 4):
                before = {s: r.store.get(s).updates for s in SYMBOLS}  # type: ignore[union-attr]
                assert r.sim.faults.drop_all() == 1
                await until(
                    lambda: r.health.state is not ConnectionState.STREAMING, what="drop noticed"
                )
                # While down, stream data is stale, never shown as fresh.
                assert all(r.store.freshness(s) is Freshness.STALE for s in SYMBOLS)
                await r.streaming()
                assert r.health.reconnects == round_no
                for symbol in SYMBOLS:
                    await r.data_for((symbol,), after=before[symbol])
                assert all(r.store.freshness(s) is Freshness.FRESH for s in SYMBOLS)
            assert ConnectionState.RECONNECTING in r.states
            assert "without a close frame" in (r.health.last_error or "")
            assert set(r.store.symbols()) == set(SYMBOLS)

    run(scenario())


def test_clean_close_and_server_500_reconnect() -> None:
    async def scenario() -> None:
        async with rig() as r:
            await r.streaming()
            r.sim.faults.close_all(1001, "going away")
            await until(lambda: r.health.reconnects == 1, what="reconnect after close")
            await r.streaming()
            r.sim.faults.send_error(500, close=True)
            await until(lambda: r.health.reconnects == 2, what="reconnect after 500")
            await r.streaming()
            await r.data_for(SYMBOLS)
            assert r.health.server_errors >= 1

    run(scenario())


def test_406_retries_slowly_says_why_and_recovers() -> None:
    async def scenario() -> None:
        sim = SimulatorConfig(seed=3, rate=200.0)
        async with rig(sim) as r:
            await r.streaming()
            r.sim.faults.hold_slot(1.5)
            r.sim.faults.drop_all()
            await until(lambda: "another" in (r.health.last_error or ""), what="406 message")
            assert r.health.state in (
                ConnectionState.RECONNECTING,
                ConnectionState.CONNECTING,
                ConnectionState.AUTHENTICATING,
            )
            assert r.sim.stats.errors_sent[406] >= 1
            await r.streaming(limit=20)
            await r.data_for(SYMBOLS)

    run(scenario())


def test_slow_client_407_reconnects() -> None:
    async def scenario() -> None:
        async with rig() as r:
            await r.streaming()
            r.sim.faults.send_error(407, close=True)
            await until(lambda: r.health.reconnects >= 1, what="reconnect after 407")
            await r.streaming()
            assert "407" in (r.health.last_error or "") or r.health.server_errors >= 1

    run(scenario())


def test_auth_failure_stops_retrying_with_actionable_message() -> None:
    async def scenario() -> None:
        sim = SimulatorConfig(seed=1, key="RIGHTKEY", secret="right-secret")
        async with rig(sim, credentials=Credentials("RIGHTKEY", "wrong-secret")) as r:
            await until(lambda: r.health.state is ConnectionState.FAILED, what="failed state")
            assert "402" in (r.health.last_error or "")
            connections = r.sim.stats.connections
            await asyncio.sleep(0.5)  # would be several retries with FAST_BACKOFF
            assert r.sim.stats.connections == connections
            assert r.health.reconnects == 0
            assert "wrong-secret" not in (r.health.last_error or "")
            # New credentials recover without a restart.
            r.client.reconfigure(
                replace(r.client.config, credentials=Credentials("RIGHTKEY", "right-secret"))
            )
            await r.streaming()
            await r.data_for(SYMBOLS)

    run(scenario())


def test_insufficient_subscription_409_fails() -> None:
    async def scenario() -> None:
        async with rig(SimulatorConfig(seed=1, plan=Plan.FREE), feed="sip") as r:
            await until(lambda: r.health.state is ConnectionState.FAILED, what="failed state")
            assert "409" in (r.health.last_error or "")
            assert "iex" in (r.health.last_error or "")

    run(scenario())


def test_half_dead_peer_is_detected_by_ping_timeout() -> None:
    async def scenario() -> None:
        async with rig(ping=0.3) as r:
            await r.streaming()
            r.sim.faults.pause(True)
            await until(
                lambda: r.health.state is not ConnectionState.STREAMING, what="ping timeout"
            )
            assert "ping" in (r.health.last_error or "")
            r.sim.faults.pause(False)
            await r.streaming()
            await r.data_for(SYMBOLS)

    run(scenario())


def test_quiet_symbols_do_not_cause_reconnects() -> None:
    async def scenario() -> None:
        async with rig(SimulatorConfig(seed=5, rate=0.0, test_rate=0.0), ping=0.2) as r:
            await r.streaming()
            # Many ping intervals without a single data message.
            await asyncio.sleep(1.5)
            assert r.health.state is ConnectionState.STREAMING
            assert r.health.reconnects == 0
            assert r.sim.stats.connections == 1

    run(scenario())


def test_live_subscribe_and_unsubscribe() -> None:
    async def scenario() -> None:
        async with rig() as r:
            await r.streaming()
            await r.data_for(SYMBOLS)
            r.client.set_symbols((*SYMBOLS, "NVDA", "AMD"))
            await until(
                lambda: {"NVDA", "AMD"} <= r.client.subscription.quotes, what="added symbols"
            )
            await r.data_for(("NVDA", "AMD"))
            r.client.set_symbols(("AAPL", "NVDA"))
            await until(
                lambda: r.client.subscription.quotes == {"AAPL", "NVDA"}, what="removal confirmed"
            )
            assert set(r.store.symbols()) == {"AAPL", "NVDA"}
            assert r.health.reconnects == 0

    run(scenario())


def test_bad_frames_are_counted_and_data_keeps_flowing() -> None:
    async def scenario() -> None:
        async with rig() as r:
            await r.streaming()
            await r.data_for(SYMBOLS)
            r.sim.faults.send_malformed("frame")
            r.sim.faults.send_malformed("missing_fields")
            r.sim.faults.send_malformed("not_a_list")
            r.sim.faults.send_unknown_type()
            await until(lambda: r.health.decode_errors >= 3, what="decode errors counted")
            await until(lambda: r.health.unknown_messages >= 1, what="unknown type counted")
            before = {s: r.store.get(s).updates for s in SYMBOLS}  # type: ignore[union-attr]
            for symbol in SYMBOLS:
                await r.data_for((symbol,), after=before[symbol])
            assert r.health.state is ConnectionState.STREAMING
            assert r.health.reconnects == 0

    run(scenario())


@pytest.mark.parametrize("phase", ["connecting", "authenticating", "streaming"])
def test_stop_is_prompt_in_every_phase(phase: str) -> None:
    async def scenario() -> None:
        sim = Simulator(SimulatorConfig(seed=2, rate=100.0, auth_timeout=30.0))
        await sim.start()
        url = sim.ws_url
        silent_server = None
        if phase == "connecting":
            sim.faults.pause(True)  # accepts TCP, never answers the upgrade
        elif phase == "authenticating":
            # A real websocket server that completes the upgrade and then says nothing,
            # so the client stays in AUTHENTICATING (waiting for "connected").
            silent_server = await websockets.serve(_silent, "127.0.0.1", 0)
            port = next(iter(silent_server.sockets)).getsockname()[1]
            url = f"ws://127.0.0.1:{port}"
        store, health = MarketDataStore(), StreamHealth()
        client = StreamClient(
            StreamConfig(url=url, credentials=CREDS, backoff=FAST_BACKOFF), store, health
        )
        client.set_symbols(SYMBOLS)
        client.start()
        if phase == "authenticating":
            await until(lambda: health.state is ConnectionState.AUTHENTICATING)
            assert silent_server is not None
        elif phase == "streaming":
            await until(lambda: health.state is ConnectionState.STREAMING)
        else:
            await asyncio.sleep(0.1)
        # A hang guard, not a timing claim: stop() must not wait for network timeouts.
        await asyncio.wait_for(client.stop(), timeout=5.0)
        assert health.state is ConnectionState.DISCONNECTED
        sim.faults.pause(False)
        await sim.stop()
        if silent_server is not None:
            silent_server.close()
            await silent_server.wait_closed()

    run(scenario())


def test_a_stop_whose_caller_is_cancelled_still_closes_the_connection() -> None:
    async def scenario() -> None:
        async with rig() as r:
            await r.streaming()
            await r.data_for(SYMBOLS)
            stopping = asyncio.get_running_loop().create_task(r.client.stop())
            await asyncio.sleep(0)  # the stop has begun: it is sending the close frame
            stopping.cancel()
            with pytest.raises(asyncio.CancelledError):
                await stopping
            # ...and still went on: the socket closed, the client's task ended.
            await until(lambda: r.health.state is ConnectionState.DISCONNECTED)
            await until(lambda: not r.sim.sessions, what="the simulator's session to end")
            left = [t.get_name() for t in asyncio.all_tasks()]
            assert not [name for name in left if name.startswith("tickerdesk-stream")]

    run(scenario())


async def _silent(ws: ServerConnection) -> None:
    await ws.wait_closed()


def test_remote_plain_ws_is_refused() -> None:
    with pytest.raises(ConfigError, match="insecure"):
        StreamClient(StreamConfig(url="ws://example.com"), MarketDataStore(), StreamHealth())
    client = StreamClient(
        StreamConfig(url="ws://example.com", insecure=True), MarketDataStore(), StreamHealth()
    )
    assert client.config.insecure
