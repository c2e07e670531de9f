"""The conversation the sans-I/O session conducts, end to end over 127.0.0.1.

A real Simulator answers as Alpaca does (engine.simulator.handler): the free plan's
30-symbol limit (405, no reply), a refused wildcard (410), a spurious 401, the test
feed's short-form reply, and a reconfigure mid-stream. Waits are event-driven with
generous upper bounds; nothing asserts on timing.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

import pytest

from engine.net.health import ConnectionState
from engine.protocol import Encoding
from engine.simulator import SimulatorConfig
from engine.simulator.config import FREE_PLAN_SYMBOL_LIMIT, Plan
from engine.simulator.universe import DEFAULT_SYMBOLS as UNIVERSE
from tests.engine.net.test_stream import SYMBOLS, rig, run, until


def test_symbol_limit_405_does_not_wedge_and_a_smaller_list_streams() -> None:
    """The free plan's 30-symbol limit: the simulator answers 31 with 405 and no reply."""
    too_many = UNIVERSE[: FREE_PLAN_SYMBOL_LIMIT + 1]
    allowed = UNIVERSE[:FREE_PLAN_SYMBOL_LIMIT]

    async def scenario() -> None:
        sim = SimulatorConfig(seed=4, rate=400.0, plan=Plan.FREE)
        async with rig(sim, symbols=too_many) as r:
            # The connection is fine: streaming, with the refusal explained.
            await r.streaming()
            message = r.health.last_error or ""
            assert "405" in message
            assert "Symbol limit exceeded" in message
            assert "AAPL" in message  # which subscription was refused
            assert r.client.subscription.all_symbols() == frozenset()
            refusal = r.client.refusal
            assert refusal is not None
            assert refusal.code == 405
            assert refusal.request.channels.quotes == frozenset(too_many)
            # Removing a symbol is sent (the refused set is not re-sent in a loop).
            r.client.set_symbols(allowed)
            await until(
                lambda: r.client.subscription.quotes == frozenset(allowed), what="30 confirmed"
            )
            await r.data_for(allowed[:3])
            assert r.sim.stats.errors_sent[405] == 1
            assert r.health.state is ConnectionState.STREAMING
            assert r.health.reconnects == 0

    run(scenario())


def test_refused_wildcard_410_falls_back_once_then_streams(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The free plan refuses a trades/quotes wildcard with 410 (the simulator's rule)."""

    async def scenario() -> None:
        sim = SimulatorConfig(seed=6, rate=400.0, plan=Plan.FREE)
        async with rig(sim, symbols=("*",)) as r:
            await until(lambda: r.sim.stats.errors_sent[410] == 2, what="410 twice")
            await r.streaming()  # refused twice, not wedged
            assert "410" in (r.health.last_error or "")
            r.client.set_symbols(SYMBOLS)
            await until(lambda: r.client.subscription.quotes == frozenset(SYMBOLS), what="sub")
            await r.data_for(SYMBOLS)
            # Only trades and quotes were asked for after the fallback; no third try.
            assert r.client.subscription.bars == frozenset()
            assert r.sim.stats.errors_sent[410] == 2
            assert r.health.reconnects == 0

    with caplog.at_level(logging.WARNING, logger="engine.net.stream"):
        run(scenario())
    warned = [rec.getMessage() for rec in caplog.records if "(error 410)" in rec.getMessage()]
    assert warned[0].endswith("; retrying with trades and quotes only")
    assert not warned[1].endswith("; retrying with trades and quotes only")


def test_401_reauthenticates_and_the_session_keeps_working() -> None:
    async def scenario() -> None:
        async with rig() as r:
            await r.streaming()
            await r.data_for(SYMBOLS)
            r.sim.faults.send_error(401)
            # The client authenticates again; the simulator says "already authenticated".
            await until(lambda: r.sim.stats.errors_sent[403] >= 1, what="re-auth answered")
            assert "401" in (r.health.last_error or "")
            r.client.set_symbols((*SYMBOLS, "NVDA"))
            await until(lambda: "NVDA" in r.client.subscription.quotes, what="NVDA confirmed")
            await r.data_for(("NVDA",))
            assert r.health.state is ConnectionState.STREAMING
            assert r.health.reconnects == 0

    run(scenario())


def test_a_subscribe_answered_401_is_sent_again_after_reauthentication() -> None:
    """Issue 12, #9 on the wire: the simulator answers a subscribe before auth with 401.

    The server forgets the connection's authentication (and frees its slot, as a server
    that lost its auth state would); the next subscribe meets 401; the client
    authenticates again and re-sends what the 401 voided.
    """

    async def scenario() -> None:
        async with rig() as r:
            await r.streaming()
            await r.data_for(SYMBOLS)
            (server_side,) = r.sim.sessions.values()
            assert server_side.key is not None
            server_side.authenticated = False
            r.sim.slots.release(server_side.key, server_side.path, server_side.id)
            r.client.set_symbols((*SYMBOLS, "NVDA"))
            await until(lambda: r.sim.stats.errors_sent[401] == 1, what="401 to the subscribe")
            await until(lambda: "NVDA" in r.client.subscription.quotes, what="NVDA re-sent")
            await r.data_for(("NVDA",))
            assert server_side.authenticated
            assert r.sim.stats.authenticated == 2
            assert r.sim.stats.errors_sent[401] == 1
            assert r.health.state is ConnectionState.STREAMING
            assert r.health.reconnects == 0

    run(scenario())


def test_test_feed_short_form_reply_streams() -> None:
    """The test stream answers in its short form (no daily bars, statuses or lulds)."""

    async def scenario() -> None:
        sim = SimulatorConfig(seed=8, rate=0.0, test_rate=50.0)
        async with rig(sim, feed="test", symbols=("FAKEPACA",)) as r:
            await r.streaming()
            assert r.client.subscription.quotes == {"FAKEPACA"}
            assert r.client.subscription.daily_bars == frozenset()
            await r.data_for(("FAKEPACA",))
            r.client.set_symbols(())
            await until(lambda: not r.client.subscription.quotes, what="unsubscribed")
            assert r.health.state is ConnectionState.STREAMING
            assert r.health.reconnects == 0

    run(scenario())


def test_reconfigure_while_streaming_reconnects_and_leaves_no_task() -> None:
    async def scenario() -> None:
        async with rig() as r:
            await r.streaming()
            r.client.reconfigure(replace(r.client.config, encoding=Encoding.MSGPACK))

            def msgpack_session() -> bool:
                return [s.encoding.value for s in r.sim.session_info()] == ["msgpack"]

            await until(msgpack_session, what="reconnected")
            await r.streaming()
            await r.data_for(SYMBOLS)
            assert [s.encoding.value for s in r.sim.session_info()] == ["msgpack"]
            # A reconnect for new settings is deliberate: not counted (issue 12, #15).
            assert r.health.reconnects == 0
            await r.client.stop()
            left = [t.get_name() for t in asyncio.all_tasks()]
            assert not [name for name in left if name.startswith("tickerdesk-stream")]

    run(scenario())
