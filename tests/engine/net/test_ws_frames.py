"""engine.net.ws_frames: the stream's own receive path, over real sockets on 127.0.0.1.

Against the project's simulator (close codes, a half-dead peer's ping timeout, TLS with
the test CA, the TCP byte stream cut at random places) and, for what the simulator never
sends (fragmented messages, an oversize message, a flood before the handler is
attached), a real `websockets` server in the test. No mocks; no timing assertions.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import msgspec
import pytest
import websockets
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosedError

from engine.market.store import MarketDataStore
from engine.net.health import ConnectionState, StreamHealth
from engine.net.retry import BackoffPolicy, classify
from engine.net.stream import StreamClient, StreamConfig
from engine.net.ws_frames import BURST_FRAMES, FrameConnection, open_frames
from engine.protocol import Encoding
from engine.simulator import Simulator, SimulatorConfig
from tests.reliability.tls_certs import CertSet, make_certs
from tests.waits import until

SYMBOLS = ("AAPL", "MSFT", "SPY")
FAST_BACKOFF = BackoffPolicy(initial=0.05, factor=2.0, maximum=0.4, jitter=0.2, slow=0.3)


def run(coro: Awaitable[None]) -> None:
    async def guarded() -> None:
        await asyncio.wait_for(coro, timeout=60)

    asyncio.run(guarded())


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> CertSet:
    return make_certs(tmp_path_factory.mktemp("tls"))


class Server:
    """A real websockets server on 127.0.0.1 running `handler` for each connection."""

    def __init__(self, handler: Callable[[ServerConnection], Awaitable[None]]) -> None:
        self._handler = handler
        self._server: websockets.Server | None = None
        self.url = ""

    async def __aenter__(self) -> Server:
        self._server = await websockets.serve(self._handler, "127.0.0.1", 0, max_size=None)
        port = next(iter(self._server.sockets)).getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()


# --- messages arrive whole, in order ------------------------------------------------------


@pytest.mark.parametrize("text_as_bytes", [False, True])
def test_fragmented_messages_arrive_whole_and_in_order(text_as_bytes: bool) -> None:
    text = '[{"T":"t","S":"AAPL","p":1.5}]' * 50
    binary = msgspec.msgpack.encode([{"T": "q", "S": "MSFT", "bp": 1.0}] * 40)

    async def fragments(data: str | bytes, size: int) -> AsyncIterator[str | bytes]:
        for start in range(0, len(data), size):
            yield data[start : start + size]

    async def handler(ws: ServerConnection) -> None:
        await ws.send(fragments(text, 7))  # a text message in 7-character fragments
        await ws.send("whole")
        await ws.send(fragments(binary, 5))  # a binary one in 5-byte fragments
        await ws.wait_closed()

    async def scenario() -> None:
        got: list[str | bytes] = []
        async with (
            Server(handler) as server,
            open_frames(server.url, text_as_bytes=text_as_bytes) as conn,
        ):
            assert isinstance(conn, FrameConnection)
            conn.deliver_to(got.append)
            await until(lambda: len(got) == 3, "three messages")
        expect_text: str | bytes = text.encode() if text_as_bytes else text
        expect_whole: str | bytes = b"whole" if text_as_bytes else "whole"
        assert got == [expect_text, expect_whole, binary]

    run(scenario())


def test_messages_before_the_handler_wait_in_a_bounded_queue_and_none_is_lost() -> None:
    count = 300
    payload = "x" * 4000  # 300 x 4 kB: more than one read (256 kB at most)

    async def handler(ws: ServerConnection) -> None:
        for n in range(count):
            await ws.send(f"{n}:{payload}")
        await ws.wait_closed()

    async def scenario() -> None:
        got: list[str | bytes] = []
        # No deflate: 4 kB of "x" would shrink to a few bytes and all fit in one read.
        async with Server(handler) as server, open_frames(server.url, compression=None) as conn:
            assert isinstance(conn, FrameConnection)
            await asyncio.sleep(0.5)  # no handler yet: reading pauses once one waits
            assert 0 < conn.queued_max < count
            conn.deliver_to(got.append)
            await until(lambda: len(got) == count, f"all {count} messages")
        assert [str(m).split(":")[0] for m in got] == [str(n) for n in range(count)]
        # Bounded: one read's worth at most (asyncio reads up to 256 kB at a time).
        assert conn.queued_max <= 256 * 1024 // len(payload) + 1

    run(scenario())


def test_a_backlog_is_handed_on_a_slice_per_loop_iteration() -> None:
    count = 2000

    async def handler(ws: ServerConnection) -> None:
        for n in range(count):
            await ws.send(f"{n}")
        await ws.wait_closed()

    async def scenario() -> None:
        iteration = 0

        async def ticker() -> None:  # counts loop iterations: one per sleep(0)
            nonlocal iteration
            while True:
                iteration += 1
                await asyncio.sleep(0)

        seen: list[int] = []  # the loop iteration each message was handed on in
        got: list[str | bytes] = []

        def on_message(message: str | bytes) -> None:
            got.append(message)
            seen.append(iteration)

        async with Server(handler) as server, open_frames(server.url, compression=None) as conn:
            assert isinstance(conn, FrameConnection)
            tick = asyncio.get_running_loop().create_task(ticker())
            try:
                await asyncio.sleep(0.3)  # a backlog builds up in the kernel meanwhile
                conn.deliver_to(on_message)
                await until(lambda: len(got) == count, f"all {count} messages")
            finally:
                tick.cancel()
        assert got == [str(n) for n in range(count)]  # all, in order
        per_iteration = max(seen.count(i) for i in set(seen))
        assert per_iteration <= BURST_FRAMES  # the loop ran between slices

    run(scenario())


# --- endings: close codes, failures, size, liveness ---------------------------------------


@pytest.mark.parametrize(("code", "reason"), [(1000, ""), (1001, "bye"), (1011, "broken")])
def test_close_codes_and_reasons_are_surfaced(code: int, reason: str) -> None:
    async def scenario() -> None:
        sim = Simulator(SimulatorConfig(seed=3, rate=200.0))
        await sim.start()
        try:
            got: list[str | bytes] = []
            async with open_frames(sim.ws_url + "/v2/iex") as conn:
                assert isinstance(conn, FrameConnection)
                conn.deliver_to(got.append)
                await until(lambda: bool(got), "the connected message")
                sim.faults.close_all(code, reason)
                if code in (1000, 1001):
                    await conn.until_closed()  # a normal end, as `async for` ends
                else:
                    with pytest.raises(ConnectionClosedError) as info:
                        await conn.until_closed()
                    assert info.value.rcvd is not None
                    assert (info.value.rcvd.code, info.value.rcvd.reason) == (code, reason)
                    assert classify(info.value).message == (
                        f"server closed the connection (code {code}: {reason})"
                    )
            assert conn.close_code == code
        finally:
            await sim.stop()

    run(scenario())


def test_a_handler_that_raises_ends_the_connection_with_1000_and_its_error() -> None:
    class Boom(Exception):
        pass

    async def scenario() -> None:
        sim = Simulator(SimulatorConfig(seed=3, rate=200.0))
        await sim.start()
        try:
            seen: list[str | bytes] = []

            def handler(message: str | bytes) -> None:
                seen.append(message)
                raise Boom("the session ended")

            async with open_frames(sim.ws_url + "/v2/iex") as conn:
                assert isinstance(conn, FrameConnection)
                conn.deliver_to(handler)
                with pytest.raises(Boom):
                    await conn.until_closed()
                assert conn.close_code == 1000
            assert len(seen) == 1  # nothing after the failure was handed on
            await until(lambda: not sim.sessions, "the simulator's session to end")
        finally:
            await sim.stop()

    run(scenario())


def test_an_oversize_message_closes_with_1009() -> None:
    async def handler(ws: ServerConnection) -> None:
        await ws.send("small")
        await ws.send("y" * 5000)
        await ws.wait_closed()

    async def scenario() -> None:
        got: list[str | bytes] = []
        async with Server(handler) as server, open_frames(server.url, max_size=4096) as conn:
            assert isinstance(conn, FrameConnection)
            conn.deliver_to(got.append)
            with pytest.raises(ConnectionClosedError) as info:
                await conn.until_closed()
        assert got == ["small"]
        assert info.value.sent is not None
        assert info.value.sent.code == 1009

    run(scenario())


def test_a_half_dead_peer_fails_the_ping_timeout() -> None:
    async def scenario() -> None:
        sim = Simulator(SimulatorConfig(seed=3, rate=200.0))
        await sim.start()
        try:
            got: list[str | bytes] = []
            async with open_frames(
                sim.ws_url + "/v2/iex", ping_interval=0.2, ping_timeout=0.2, close_timeout=0.5
            ) as conn:
                assert isinstance(conn, FrameConnection)
                conn.deliver_to(got.append)
                await until(lambda: bool(got), "the connected message")
                sim.faults.pause(True)  # no data, no reads: the ping goes unanswered
                with pytest.raises(ConnectionClosedError) as info:
                    await conn.until_closed()
            assert info.value.sent is not None
            assert info.value.sent.code == 1011
            assert "ping" in classify(info.value).message
        finally:
            sim.faults.pause(False)
            await sim.stop()

    run(scenario())


# --- the stream client on it ----------------------------------------------------------------


class ChoppingProxy:
    """TCP on 127.0.0.1 in front of the simulator that forwards the server's bytes in
    small random pieces, so frames reach the client cut anywhere (and many per read)."""

    def __init__(self, target_port: int, seed: int) -> None:
        self._target = target_port
        self._rng = random.Random(seed)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    async def __aenter__(self) -> ChoppingProxy:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._target)
        for task in (
            asyncio.create_task(self._pipe(reader, up_writer, chop=False)),
            asyncio.create_task(self._pipe(up_reader, writer, chop=True)),
        ):
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, chop: bool
    ) -> None:
        try:
            while data := await reader.read(65536):
                if not chop:
                    writer.write(data)
                    await writer.drain()
                    continue
                start = 0
                while start < len(data):
                    size = self._rng.randint(1, 97)
                    writer.write(data[start : start + size])
                    await writer.drain()
                    await asyncio.sleep(0)  # let the client read a piece on its own
                    start += size
        finally:
            writer.close()


@pytest.mark.parametrize("encoding", [Encoding.JSON, Encoding.MSGPACK])
def test_a_stream_cut_at_random_bytes_applies_every_message(encoding: Encoding) -> None:
    async def scenario() -> None:
        sim = Simulator(SimulatorConfig(seed=9, rate=600.0))
        await sim.start()
        port = int(sim.ws_url.rsplit(":", 1)[1])
        store, health = MarketDataStore(), StreamHealth()
        try:
            async with ChoppingProxy(port, seed=4) as proxy:
                config = StreamConfig(
                    url=f"ws://127.0.0.1:{proxy.port}",
                    encoding=encoding,
                    channels=("trades", "quotes"),
                    backoff=FAST_BACKOFF,
                )
                client = StreamClient(config, store, health)
                client.set_symbols(SYMBOLS)
                client.start()
                try:
                    await until(lambda: health.messages > 300, "data through the proxy")
                    sim.faults.set_rate(0.0)
                    sent = sum(s.counters.messages_sent for s in sim.sessions.values())
                    # health.messages also counts connected, authenticated, subscription.
                    await until(lambda: health.messages >= sent + 3, f"all {sent} messages")
                    await asyncio.sleep(0.2)
                    sent = sum(s.counters.messages_sent for s in sim.sessions.values())
                    assert health.messages == sent + 3  # every one, none twice
                    assert health.decode_errors == 0
                    assert health.reconnects == 0
                    assert store.applied > 0
                finally:
                    await client.stop()
        finally:
            await sim.stop()

    run(scenario())


def test_stream_client_over_tls_with_the_test_ca(certs: CertSet) -> None:
    async def scenario() -> None:
        sim = Simulator(
            SimulatorConfig(
                seed=17, rate=300.0, tls_cert=str(certs.good.cert), tls_key=str(certs.good.key)
            )
        )
        await sim.start()
        store, health = MarketDataStore(), StreamHealth()
        try:
            assert sim.ws_url.startswith("wss://")
            config = StreamConfig(
                url=sim.ws_url,
                channels=("trades", "quotes"),
                ca_file=str(Path(certs.ca)),
                backoff=FAST_BACKOFF,
            )
            client = StreamClient(config, store, health)
            client.set_symbols(SYMBOLS)
            client.start()
            try:
                await until(lambda: health.state is ConnectionState.STREAMING, "streaming")
                await until(lambda: store.applied > 20, "data over TLS")
                assert health.last_error is None
            finally:
                await client.stop()
            assert health.state is ConnectionState.DISCONNECTED
            await until(lambda: not sim.sessions, "the simulator's session to end")
        finally:
            await sim.stop()

    run(scenario())
