"""OutageWatch: the window a reconnect's gap fill asks for, in exchange time."""

from __future__ import annotations

import pytest

from engine.net.health import ConnectionState, StreamHealth
from engine.net.outage import MAX_LEAD_S, OutageWatch

NS = 1_000_000_000


class Clocks:
    """A monotonic clock and an exchange clock running `speed` times as fast."""

    def __init__(self, speed: float = 1.0) -> None:
        self.mono = 100.0
        self.speed = speed

    def monotonic(self) -> float:
        return self.mono

    def exchange_ns(self) -> int:
        return int((1_000_000 + self.mono * self.speed) * NS)


def _watch(speed: float = 1.0) -> tuple[Clocks, StreamHealth, OutageWatch]:
    clocks = Clocks(speed)
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
    assert watch.poll() is None  # still down
    clocks.mono = 145.0
    health.set_state(ConnectionState.STREAMING)
    clocks.mono = 145.4  # the poll comes a little later
    window = watch.poll()
    assert window is not None
    assert window == (int((1_000_000 + 100.0) * NS), int((1_000_000 + 145.0) * NS))
    assert watch.outages == 1
    assert watch.poll() is None  # reported once


def test_a_drop_and_reconnect_between_two_polls_is_not_missed() -> None:
    clocks, health, watch = _watch()
    clocks.mono = 101.0
    health.set_state(ConnectionState.STREAMING)
    health.record_frame(1)
    clocks.mono = 101.2
    health.set_state(ConnectionState.DISCONNECTED)
    clocks.mono = 103.2
    health.set_state(ConnectionState.CONNECTING)
    health.set_state(ConnectionState.STREAMING)
    health.record_frame(1)  # new frames already: the last one before the drop is gone
    clocks.mono = 103.4
    start, end = watch.poll() or (0, 0)
    assert (end - start) / NS == pytest.approx(2.0)  # from the state change (no older frame known)


def test_a_demo_clock_running_faster_maps_the_window_at_its_speed() -> None:
    clocks, health, watch = _watch(speed=40.0)
    health.set_state(ConnectionState.STREAMING)
    watch.poll()
    clocks.mono = 110.0
    health.record_frame(1)
    health.set_state(ConnectionState.RECONNECTING)
    clocks.mono = 111.0
    health.set_state(ConnectionState.STREAMING)
    clocks.mono = 111.5
    start, end = watch.poll() or (0, 0)
    # One second of wall time: 40 simulated seconds.
    assert (end - start) / NS == pytest.approx(40.0)
    assert end / NS == pytest.approx(1_000_000 + 111.0 * 40)


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
    assert (end - start) / NS == pytest.approx(MAX_LEAD_S + 10)


def test_nothing_is_missed_before_the_first_connection_or_in_a_blip() -> None:
    clocks, health, watch = _watch()
    health.set_state(ConnectionState.CONNECTING)
    assert watch.poll() is None
    clocks.mono += 1
    health.set_state(ConnectionState.STREAMING)
    assert watch.poll() is None  # the first connection: the backfill loads history
    clocks.mono += 1
    health.record_frame(1)
    health.set_state(ConnectionState.RECONNECTING)
    watch.poll()
    clocks.mono += 0.2
    health.set_state(ConnectionState.STREAMING)
    assert watch.poll() is None  # shorter than a second: no request
    assert watch.outages == 0
