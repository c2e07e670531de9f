"""TradingRest and TradeUpdatesClient against the simulator over 127.0.0.1: binary
frames, a key pair without Trading API access (403) in words, and no secret in any log
line (docs/account-and-history.md; docs/design.md: secrets never reach logs)."""

from __future__ import annotations

import logging

import pytest
import websockets

from engine.account.models import TradeUpdate
from engine.account.stream import TradeUpdatesClient, trading_stream_url
from engine.config import Credentials
from engine.net.health import ConnectionState, StreamHealth
from engine.net.rest import RestError
from engine.simulator import Simulator, SimulatorConfig
from tests.engine.account.simharness import KEY, SECRET, harness, run, trading_rest
from tests.waits import until

NO_TRADING = "PKDATAONLY"


def test_the_trading_stream_sends_binary_frames_and_the_client_reads_them() -> None:
    async def scenario() -> None:
        async with harness(start=False) as h:
            url = trading_stream_url(h.sim.ws_url)
            # What the server sends, seen by a bare websocket: binary frames.
            async with websockets.connect(url) as ws:
                await ws.send('{"action":"auth","key":"PKRAW","secret":"raw"}')
                frame = await ws.recv()
            assert isinstance(frame, bytes)
            assert b'"authorized"' in frame
            # The client reads the same binary frames: authorized, listening, updates.
            updates: list[TradeUpdate] = []
            connected: list[bool] = []
            health = StreamHealth()
            client = TradeUpdatesClient(
                url,
                Credentials(KEY, SECRET),
                health,
                updates.append,
                lambda: connected.append(True),
                start_delay_s=0.0,
            )
            client.start()
            try:
                await until(lambda: health.state is ConnectionState.STREAMING, "streaming")
                assert connected == [True]
                order_id = await h.place(symbol="AAPL", qty=3)
                await until(
                    lambda: any(u.order.id == order_id and u.fill for u in updates), "the fill"
                )
                events = [u.event for u in updates if u.order.id == order_id]
                assert events[0] == "new"
                assert events[-1] == "fill"
                assert health.decode_errors == 0
                assert health.frames >= 4
            finally:
                await client.stop()
            assert health.state is ConnectionState.DISCONNECTED

    run(scenario())


def test_a_key_pair_without_trading_access_is_explained_in_words() -> None:
    config = SimulatorConfig(seed=5, rate=20.0, trading_forbidden_keys=(NO_TRADING,))
    creds = Credentials(NO_TRADING, SECRET)

    async def scenario() -> None:
        async with Simulator(config) as sim:
            rest = trading_rest(sim, creds)
            try:
                with pytest.raises(RestError) as info:
                    await rest.positions()
            finally:
                await rest.aclose()
            assert info.value.status == 403
            assert info.value.message.startswith(
                "this key pair has no access to the Trading API (HTTP 403): "
            )
            assert SECRET not in str(info.value)
        async with harness(config, creds=creds) as h:
            service = h.service
            await until(lambda: service.last_error is not None, "the REST refusal")
            assert "no access to the Trading API (HTTP 403)" in (service.last_error or "")
            await until(lambda: h.health.state is ConnectionState.FAILED, "stream refused")
            assert "refused the key pair" in (h.health.last_error or "")
            assert h.book.account is None

    run(scenario())


def test_no_secret_in_any_log_line(caplog: pytest.LogCaptureFixture) -> None:
    wrong = "wr0ng-secret-VALUE"
    config = SimulatorConfig(seed=5, rate=20.0, key=KEY, secret=SECRET)

    async def scenario() -> None:
        # Right key pair: a full conversation, a drop and a reconnect.
        async with harness(config) as h:
            await until(lambda: h.service.in_sync, "connected and reconciled")
            connects = h.service.stream.connects
            h.sim.faults.drop_trade_streams()
            await h.in_sync_after(connects)
            texts = [repr(h.service.stream), repr(h.health), repr(h.service.rest)]
        # Wrong secret: the refusals, REST and stream, are logged and kept in words.
        async with harness(config, creds=Credentials(KEY, wrong)) as h:
            await until(lambda: h.health.state is ConnectionState.FAILED, "refused")
            await until(lambda: h.service.last_error is not None, "REST refused")
            texts += [h.health.last_error or "", h.service.last_error or "", repr(h.health)]
        assert all(SECRET not in text and wrong not in text for text in texts)

    with caplog.at_level(logging.DEBUG):
        run(scenario())
    assert len(caplog.records) > 10  # websockets' DEBUG lines included
    for record in caplog.records:
        line = record.getMessage() + (record.exc_text or "")
        assert SECRET not in line, record.name
        assert wrong not in line, record.name


def test_liveness_ping_finds_a_half_dead_server_and_reconnects_with_backoff() -> None:
    async def scenario() -> None:
        async with harness(start=False) as h:
            health = StreamHealth()
            connected: list[bool] = []
            client = TradeUpdatesClient(
                trading_stream_url(h.sim.ws_url),
                Credentials(KEY, SECRET),
                health,
                lambda update: None,
                lambda: connected.append(True),
                start_delay_s=0.0,
                ping_interval=0.3,
                ping_timeout=0.3,
                open_timeout=2.0,
            )
            client.start()
            try:
                await until(lambda: health.state is ConnectionState.STREAMING, "streaming")
                h.sim.faults.pause()  # no reads: pings go unanswered
                await until(
                    lambda: health.state is not ConnectionState.STREAMING, "the silence noticed"
                )
                assert "keepalive ping" in (health.last_error or "")
                assert health.next_retry_at is not None or health.state in (
                    ConnectionState.CONNECTING,
                    ConnectionState.AUTHENTICATING,
                )
                h.sim.faults.pause(False)
                await until(lambda: len(connected) == 2, "reconnected")
                assert health.state is ConnectionState.STREAMING
                assert health.reconnects >= 1
            finally:
                await client.stop()

    run(scenario())


def test_start_is_staggered_after_the_data_stream() -> None:
    async def scenario() -> None:
        async with harness(start=False) as h:
            health = StreamHealth()
            client = TradeUpdatesClient(
                trading_stream_url(h.sim.ws_url),
                Credentials(KEY, SECRET),
                health,
                lambda update: None,
                lambda: None,
                start_delay_s=30.0,
            )
            client.start()
            try:
                await until(lambda: health.state is ConnectionState.CONNECTING, "waiting")
                assert health.state_detail == "waiting for the data stream first"
                assert h.sim.trading.streams.connections == 0  # nothing opened yet
            finally:
                await client.stop()

    run(scenario())
