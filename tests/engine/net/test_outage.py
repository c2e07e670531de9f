"""OutageWatch: the window a reconnect's gap fill asks for, in exchange time."""

from __future__ import annotations

from engine.net.health import ConnectionState, StreamHealth
from engine.net.outage import MAX_LEAD_S, OutageWatch

NS = 1_000_000_000


class Clocks:
    """A monotonic clock and an exchange clock moving together (exchange = 1e6 s + mono)."""

    def __init__(self) -> None:
        self.mono = 100.0

    def monotonic(self) -> float:
        return self.mono

    def exchange_ns(self) -> int:
        return int((1_000_000 + self.mono) * NS)


def _watch() -> tuple[Clocks, StreamHealth, OutageWatch]:
    clocks = Clocks()
    health = StreamHealth(clock=clocks.monotonic)
    return clocks, health, OutageWatch(health, clocks.exchange_ns)


def test_an_outage_window_runs_from_the_last_frame_to_the_reconnect() -> None:
    clocks, health, watch = _watch()
    health.set_state(ConnectionState.STREAMING)
    assert watch.poll() is None
    health.record_frame(1)  # last frame at mono 100
    clocks.mono = 105.0  # the link dies silently; noticed at 105
    health.set_state(ConnectionState.RECONNECTING, "server closed the connection")
    clocks.mono = 106.0
    assert watch.poll() is None  # down: the start is taken now
    clocks.mono = 145.0
    health.set_state(ConnectionState.STREAMING)
    window = watch.poll()
    assert window == (clocks.exchange_ns() - 45 * NS, clocks.exchange_ns())
    assert watch.outages == 1
    assert watch.poll() is None  # reported once


def test_a_quiet_stream_before_the_drop_is_not_counted_as_missed() -> None:
    clocks, health, watch = _watch()
    health.set_state(ConnectionState.STREAMING)
    watch.poll()
    health.record_frame(1)  # at 100; then nothing for an hour
    clocks.mono = 3700.0
    health.set_state(ConnectionState.RECONNECTING)
    watch.poll()
    clocks.mono = 3710.0
    health.set_state(ConnectionState.STREAMING)
    start, end = watch.poll() or (0, 0)
    assert (end - start) / NS == MAX_LEAD_S + 10


def test_nothing_is_missed_before_the_first_connection_or_in_a_blip() -> None:
    clocks, health, watch = _watch()
    health.set_state(ConnectionState.CONNECTING)
    assert watch.poll() is None
    health.set_state(ConnectionState.STREAMING)
    assert watch.poll() is None  # the first connection: the backfill loads history
    health.record_frame(1)
    health.set_state(ConnectionState.RECONNECTING)
    watch.poll()
    clocks.mono += 0.2
    health.set_state(ConnectionState.STREAMING)
    assert watch.poll() is None  # shorter than a second: no request
    assert watch.outages == 0
