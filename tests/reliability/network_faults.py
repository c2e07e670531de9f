"""The fault matrix's network rows: the real app behind tests/reliability/netproxy.py.

`ProxiedApp` is the fault harness's `FaultApp` with a `NetProxy` between the app and the
simulator (stream and REST both go through it, as they share one host). Each `Fault`
here has the harness's shape, so `run_fault` records before/during/after the same way;
used by tests/reliability/test_network_faults.py and tests/benchmarks/fault_matrix.py.
"""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

from engine.net.health import ConnectionState
from engine.simulator import Simulator
from engine.simulator.config import Plan, SimulatorConfig
from tests.reliability.fault_harness import RATE, Fault, FaultApp, until
from tests.reliability.netproxy import NetProxy

LATENCY_S = 0.3
JITTER_S = 0.05  # round trip at most 0.7 s: under the harness's 1 s keepalive timeout
SEGMENT_BYTES = 7
# The latency and segment rows need seconds, not the outage: thousands of frames go
# through either way, and the proxy's own per-segment cost is not the app's.
HOLD_MAX_S = 5.0
RESET_HANDSHAKES = 2
CAP_FRACTION = 0.25  # the bandwidth cap, as a share of the feed's measured byte rate
SLOW_LIMIT = 32 * 1024  # the simulator's 407 threshold during the cap (default 8 MiB)
# Under a cap the pong waits behind the backlog like the data: with the harness's 1 s
# keepalive the ping timeout would always come first. Longer than the time the backlog
# takes to fill the sockets' buffers, so the server's 407 is what ends it.
BANDWIDTH_PING_S = 30.0
SURGE = 5.0
SERVER_SNDBUF = 64 * 1024


class ProxiedApp(FaultApp):
    """FaultApp whose app talks to the simulator through a NetProxy."""

    def __init__(
        self, settings_path: Path, plan: Plan = Plan.FREE, rate: float = RATE, record: bool = True
    ) -> None:
        super().__init__(settings_path, plan, rate, record)
        self.proxy: NetProxy | None = None

    async def start_sim(self, start_ns: int | None = None) -> Simulator:
        sim = await super().start_sim(start_ns)
        if self.proxy is None:
            self.proxy = NetProxy(sim.port)
            await self.proxy.start()
        return sim

    def app_urls(self, sim: Simulator) -> tuple[str, str]:
        assert self.proxy is not None
        return f"ws://127.0.0.1:{self.proxy.port}", f"http://127.0.0.1:{self.proxy.port}"

    async def close(self) -> None:
        await super().close()
        if self.proxy is not None:
            await self.proxy.stop()

    def net(self) -> NetProxy:
        assert self.proxy is not None
        return self.proxy


async def _hold_streaming(app: FaultApp, seconds: float) -> None:
    """Keep the fault on `seconds` (at most HOLD_MAX_S) and until data came through it;
    whether the stream stayed up is run_fault's record (the test asserts it)."""
    assert app.session is not None
    health = app.session.health
    start = health.messages
    await asyncio.sleep(min(seconds, HOLD_MAX_S))
    await until(lambda: health.messages > start, "data through the fault")


async def _latency(app: FaultApp, outage: float) -> str:
    assert isinstance(app, ProxiedApp)
    net = app.net()
    net.latency_s, net.jitter_s = LATENCY_S, JITTER_S
    try:
        await _hold_streaming(app, max(outage, 2.0))
    finally:
        net.clear()
    return f"{LATENCY_S * 1000:g} ms each way, jitter {JITTER_S * 1000:g} ms"


async def _tiny_segments(app: FaultApp, outage: float) -> str:
    assert isinstance(app, ProxiedApp)
    net = app.net()
    before = net.stats.segments_down
    net.segment_bytes = SEGMENT_BYTES
    try:
        await _hold_streaming(app, max(outage, 2.0))
    finally:
        net.clear()
    return f"{net.stats.segments_down - before} segments of 1-{SEGMENT_BYTES} bytes"


async def _bandwidth(app: FaultApp, outage: float) -> str:
    assert isinstance(app, ProxiedApp)
    assert app.session is not None
    assert app.sim is not None
    net, health, sim = app.net(), app.session.health, app.sim

    # The stream's own byte rate (the proxy also carries the REST history backfill).
    def sent() -> int:
        return sum(s.counters.bytes_sent for s in sim.sessions.values())

    start_bytes, start_t = sent(), time.monotonic()
    await asyncio.sleep(1.0)
    feed = (sent() - start_bytes) / (time.monotonic() - start_t)
    cap = max(256.0, feed * CAP_FRACTION)
    drops = sim.stats.slow_client_drops
    sim.faults.set_slow_client_limit(SLOW_LIMIT)
    net.bandwidth = cap
    try:
        # Backpressure: the app sees its data ever later and says it is falling behind;
        # then the open's surge (the feed x SURGE) passes the simulator's backlog limit
        # within seconds and it sends 407 (the sockets' buffers alone hold ~30 s).
        await until(lambda: health.falling_behind, "falling behind shown", limit_s=60)
        behind = health.falling_behind_s
        # Loopback lets the server's send buffer grow to megabytes (minutes of backlog
        # at the cap); a server's kernel would not hold that much for one client.
        for session in sim.sessions.values():
            transport = session.conn.transport
            sock = transport.get_extra_info("socket") if transport is not None else None
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SERVER_SNDBUF)
        sim.faults.set_rate(app.rate * SURGE)
        await until(lambda: sim.stats.slow_client_drops > drops, "407 sent", limit_s=60)
    finally:
        net.clear()
        sim.faults.set_rate(app.rate)
        sim.faults.set_slow_client_limit(SimulatorConfig().slow_client_limit)
    await until(lambda: health.state is not ConnectionState.STREAMING, "407 received")
    return f"cap {cap / 1024:.1f} KiB/s (feed {feed / 1024:.1f} KiB/s); behind {behind:.1f} s"


async def _stall_mid_frame(app: FaultApp, outage: float) -> str:
    assert isinstance(app, ProxiedApp)
    assert app.session is not None
    net, health = app.net(), app.session.health
    stall = max(outage, 3.0)  # longer than the keepalive timeout (harness: 1 s)
    net.stall_mid_frame(stall)
    await until(lambda: net.stats.stalled_mid_frame > 0, "a frame cut in two")
    await until(lambda: health.state is not ConnectionState.STREAMING, "the stall noticed")
    return f"a frame stopped half way for {stall:g} s"


async def _reset_handshake(app: FaultApp, outage: float) -> str:
    assert isinstance(app, ProxiedApp)
    assert app.session is not None
    net, health = app.net(), app.session.health
    net.reset_handshakes = RESET_HANDSHAKES
    net.reset_all()
    await until(lambda: health.state is not ConnectionState.STREAMING, "the reset noticed")
    await until(
        lambda: net.stats.handshake_resets >= RESET_HANDSHAKES, "handshakes reset", limit_s=30
    )
    return f"RST, then {RESET_HANDSHAKES} handshakes reset after 'HTTP/1.1 101'"


async def _blackhole(app: FaultApp, outage: float) -> str:
    assert isinstance(app, ProxiedApp)
    assert app.session is not None
    net, health = app.net(), app.session.health
    net.blackhole = True
    try:
        await until(lambda: health.state is not ConnectionState.STREAMING, "the ping timeout")
        await asyncio.sleep(outage)
    finally:
        net.blackhole = False
    return f"no packets either way for {outage:g} s after the timeout, no RST"


def make_app(fault: Fault, settings_path: Path) -> ProxiedApp:
    """The app for one row; the bandwidth row keeps a long keepalive (BANDWIDTH_PING_S)."""
    app = ProxiedApp(settings_path)
    if fault.inject is _bandwidth:
        app.ping_s = BANDWIDTH_PING_S
    return app


NETWORK_FAULTS: tuple[Fault, ...] = (
    Fault("latency 300 ms + jitter", _latency, False),
    Fault("tiny TCP segments", _tiny_segments, False),
    Fault("bandwidth cap below the feed", _bandwidth, True, "slow client"),
    Fault("stall mid-frame", _stall_mid_frame, True, "keepalive"),
    Fault("reset mid-handshake", _reset_handshake, True, "during the handshake"),
    Fault("blackhole (no RST)", _blackhole, True, "keepalive"),
)
