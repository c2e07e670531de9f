"""StreamClient over 127.0.0.1 against the simulator: lifecycle and reporting (issue 12).

Start during a pending stop (#11), reconfigure as a deliberate reconnect (#15), latency
from trades and quotes only (#4), decode warnings rate-limited (#17). Waits are
event-driven with generous upper bounds; nothing asserts on timing.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import re
import time
from collections.abc import Sized
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine.config import Credentials
from engine.net.health import ConnectionState, StreamHealth
from engine.simulator import SimulatorConfig
from engine.simulator.wire import rfc3339
from tests.engine.net.test_stream import SYMBOLS, rig, run, until

NEW_YORK = ZoneInfo("America/New_York")
HOUR_NS = 3_600_000_000_000


def _loops() -> list[asyncio.Task[object]]:
    """The stream client's connect/reconnect loops still running."""
    return [
        task
        for task in asyncio.all_tasks()
        if task.get_name().startswith("tickerdesk-stream-iex") and not task.done()
    ]


# --- #11: start() during a pending stop() ----------------------------------------------


def test_start_during_a_pending_stop_runs_exactly_one_loop() -> None:
    """Disconnect then Connect at once: the new loop waits for the stop; one loop, no 406."""

    async def scenario() -> None:
        async with rig() as r:
            await r.streaming()
            await r.data_for(SYMBOLS)
            stopping = asyncio.get_running_loop().create_task(r.client.stop())
            await asyncio.sleep(0)  # the stop has begun: it is closing the socket
            started = r.client.start()
            await stopping
            await r.streaming()
            before = {s: r.store.get(s).updates for s in SYMBOLS}  # type: ignore[union-attr]
            for symbol in SYMBOLS:
                await r.data_for((symbol,), after=before[symbol])
            await until(lambda: len(r.sim.sessions) == 1, what="one server session")
            assert _loops() == [started]
            assert r.sim.stats.errors_sent[406] == 0
            assert r.health.state is ConnectionState.STREAMING
            assert r.health.reconnects == 0

    run(scenario())


def test_stop_start_stop_leaves_nothing_running() -> None:
    async def scenario() -> None:
        async with rig() as r:
            await r.streaming()
            loop = asyncio.get_running_loop()
            first = loop.create_task(r.client.stop())
            await asyncio.sleep(0)
            r.client.start()
            second = loop.create_task(r.client.stop())
            await asyncio.gather(first, second)
            assert r.health.state is ConnectionState.DISCONNECTED
            assert _loops() == []
            await until(lambda: not r.sim.sessions, what="no server session")
            left = [t.get_name() for t in asyncio.all_tasks()]
            assert not [name for name in left if name.startswith("tickerdesk-stream")]

    run(scenario())


# --- #15: a settings change is a deliberate reconnect ----------------------------------


class _RecordingHealth(StreamHealth):
    """Every state entered, with its detail: transitions too quick to sample on loopback."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[ConnectionState, str | None]] = []

    def set_state(
        self, state: ConnectionState, error: str | None = None, **detail: str | None
    ) -> None:
        super().set_state(state, error, **detail)
        self.seen.append((self.state, getattr(self, "state_detail", None)))


def test_a_feed_or_credentials_change_is_a_deliberate_reconnect() -> None:
    health = _RecordingHealth()

    async def scenario() -> None:
        async with rig(health=health) as r:
            await r.streaming()
            r.client.reconfigure(replace(r.client.config, feed="sip"))
            await until(lambda: [s.path for s in r.sim.session_info()] == ["/v2/sip"])
            await r.streaming()
            r.client.reconfigure(
                replace(r.client.config, credentials=Credentials("OTHERKEY", "other"))
            )
            await until(lambda: [s.key for s in r.sim.session_info()] == ["OTHERKEY"])
            await r.streaming()
            await r.data_for(SYMBOLS)
            assert health.reconnects == 0
            assert health.last_error is None  # never "server closed the connection"
            assert health.state_detail is None  # streaming again: nothing to explain

    run(scenario())
    first = health.seen.index((ConnectionState.RECONNECTING, "switching to feed sip"))
    second = health.seen.index((ConnectionState.RECONNECTING, "new credentials"))
    # The explanation stays until the new connection streams.
    assert health.seen[first + 1] == (ConnectionState.AUTHENTICATING, "switching to feed sip")
    assert health.seen[first + 2] == (ConnectionState.STREAMING, None)
    assert health.seen[second + 1 : second + 3] == [
        (ConnectionState.AUTHENTICATING, "new credentials"),
        (ConnectionState.STREAMING, None),
    ]


# --- #4: latency from trades and quotes, never from a bar's start ----------------------


def _midnight_new_york_at_least_an_hour_ago() -> int:
    now = datetime.now(NEW_YORK)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if now - midnight < timedelta(hours=1):
        midnight -= timedelta(days=1)
    return int(midnight.timestamp()) * 1_000_000_000


def _trade_and_daily_bar(trade_id: int, daily_ns: int) -> bytes:
    frame = [
        {"T": "t", "S": "AAPL", "i": trade_id, "x": "V", "p": 100.0 + trade_id / 100,
         "s": 10, "t": rfc3339(time.time_ns()), "c": ["@"], "z": "C"},
        {"T": "d", "S": "AAPL", "o": 99.0, "h": 101.0, "l": 98.0, "c": 100.5, "v": 1000,
         "t": rfc3339(daily_ns), "n": 10, "vw": 100.1},
    ]  # fmt: skip
    return json.dumps(frame).encode()


def _at_least(samples: Sized, count: int) -> bool:
    return len(samples) >= count


def test_a_daily_bar_in_a_frame_is_no_latency_and_no_falling_behind() -> None:
    """A trade and a daily bar stamped midnight New York: latency is the trade's."""
    offset = [0.0]

    def clock() -> float:  # receive time, moved forward by hand instead of sleeping
        return time.monotonic() + offset[0]

    async def scenario() -> None:
        sim = SimulatorConfig(seed=3, rate=0.0, test_rate=0.0)
        async with rig(sim, symbols=("AAPL",), clock=clock) as r:
            await r.streaming()
            session = next(iter(r.sim.sessions.values()))
            daily_ns = _midnight_new_york_at_least_an_hour_ago()
            samples = r.health.latency_samples
            for n in range(1, 4):
                session.send_raw(_trade_and_daily_bar(n, daily_ns))
                await until(functools.partial(_at_least, samples, n), what=f"frame {n}")
                offset[0] += 2.0  # two receive-clock seconds between frames
            assert len(r.health.latency_samples) == 3
            assert max(r.health.latency_samples) < HOUR_NS  # the trade's, not the bar's
            assert not r.health.falling_behind
            assert r.health.falling_behind_events == 0
            snap = r.store.get("AAPL")
            assert snap is not None
            assert snap.last_price == 100.03

    run(scenario())


# --- #17: decode warnings are rate-limited, every one counted --------------------------


def _rig_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "engine.net.stream"]


def test_a_flood_of_undecodable_messages_logs_a_few_and_a_summary(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bad = 300

    async def scenario() -> None:
        async with rig(SimulatorConfig(seed=3, rate=0.0, test_rate=0.0)) as r:
            await r.streaming()
            for _ in range(bad):
                r.sim.faults.send_malformed("missing_fields")
            await until(lambda: r.health.decode_errors == bad, what="every bad message counted")
            assert r.health.state is ConnectionState.STREAMING
            await r.client.stop()  # the summary of the open window is written at stop

    with caplog.at_level(logging.WARNING, logger="engine.net.stream"):
        run(scenario())
    lines = _rig_lines(caplog)
    full = [line for line in lines if line.startswith("skipped undecodable message (")]
    summaries = [line for line in lines if "more like this in the last" in line]
    assert 1 <= len(full) <= 5
    assert summaries, lines
    summed = sum(int(re.sub(r"\D", "", s.split(" more")[0])) for s in summaries)
    assert len(full) + summed == bad  # nothing is lost from the count
