"""Tests for engine.net.health.StreamHealth with a fake clock (no sleeping)."""

from __future__ import annotations

import pytest

from engine.net.health import ConnectionState, StreamHealth


class FakeClock:
    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def health(clock: FakeClock) -> StreamHealth:
    return StreamHealth(clock=clock)


def test_initial_state(health: StreamHealth) -> None:
    assert health.state is ConnectionState.DISCONNECTED
    assert health.message_age() is None
    assert health.message_rate() == 0.0
    assert health.latency_percentile_ms(0.5) is None
    assert (health.messages, health.frames, health.reconnects) == (0, 0, 0)


def test_message_age_follows_fake_clock(health: StreamHealth, clock: FakeClock) -> None:
    health.record_frame(3)
    assert health.last_message_at == 100.0
    assert health.message_age() == 0.0
    clock.now = 112.5
    assert health.message_age() == pytest.approx(12.5)
    assert health.message_age(now=101.0) == pytest.approx(1.0)
    # A `now` before the last message (caller's stale timestamp) never gives a negative age.
    assert health.message_age(now=99.0) == 0.0


def test_record_frame_counts(health: StreamHealth) -> None:
    health.record_frame(10, now=1.2)
    health.record_frame(5, now=1.7)
    health.record_frame(0, now=2.1)
    assert health.frames == 3
    assert health.messages == 15
    assert health.last_message_at == 2.1


def test_rate_counts_only_complete_seconds_in_window(health: StreamHealth) -> None:
    # 100 messages in each of seconds 10..14, plus some in the current second 15.
    for second in range(10, 15):
        health.record_frame(60, now=second + 0.1)
        health.record_frame(40, now=second + 0.9)
    health.record_frame(999, now=15.2)
    # Window is [current - 5, current): seconds 10..14, the partial second 15 excluded.
    assert health.message_rate(now=15.5) == pytest.approx(100.0)
    # One second later second 10 falls out and 15 comes in.
    assert health.message_rate(now=16.0) == pytest.approx((400 + 999) / 5)


def test_rate_decays_to_zero_when_quiet(health: StreamHealth) -> None:
    health.record_frame(50, now=10.5)
    assert health.message_rate(now=11.0) == pytest.approx(10.0)
    assert health.message_rate(now=15.9) == pytest.approx(10.0)
    assert health.message_rate(now=16.0) == 0.0
    assert health.message_rate(now=1000.0) == 0.0


def test_rate_uses_injected_clock(health: StreamHealth, clock: FakeClock) -> None:
    clock.now = 20.3
    health.record_frame(25)
    clock.now = 21.0
    assert health.message_rate() == pytest.approx(5.0)


def test_rate_memory_is_bounded(health: StreamHealth) -> None:
    for second in range(10_000):
        health.record_frame(1, now=float(second))
    assert len(health._rate_buckets) <= 6
    assert health.message_rate(now=10_000.0) == pytest.approx(1.0)


def test_state_changes_record_time_and_errors(health: StreamHealth, clock: FakeClock) -> None:
    clock.now = 5.0
    health.set_state(ConnectionState.CONNECTING)
    assert health.state is ConnectionState.CONNECTING
    assert health.state_changed_at == 5.0
    clock.now = 6.0
    health.set_state(ConnectionState.CONNECTING, error="still trying")
    assert health.state_changed_at == 5.0  # same state: time in state not reset
    assert health.last_error == "still trying"
    clock.now = 7.0
    health.next_retry_at = 9.0
    health.set_state(ConnectionState.RECONNECTING, error="connection closed (1006)")
    assert health.next_retry_at == 9.0  # a scheduled retry belongs to RECONNECTING
    assert health.state_changed_at == 7.0
    health.set_state(ConnectionState.STREAMING)
    assert health.next_retry_at is None
    assert health.last_error == "connection closed (1006)"  # kept for display


def test_latency_percentiles(health: StreamHealth) -> None:
    for ms in range(1, 102):  # 1..101 ms
        health.record_latency_ns(ms * 1_000_000)
    assert health.latency_percentile_ms(0.0) == 1.0
    assert health.latency_percentile_ms(0.5) == 51.0
    assert health.latency_percentile_ms(0.99) == 100.0
    assert health.latency_percentile_ms(1.0) == 101.0
    # Out-of-range fractions clamp instead of raising.
    assert health.latency_percentile_ms(-1.0) == 1.0
    assert health.latency_percentile_ms(2.0) == 101.0


def test_latency_samples_bounded_and_recent(health: StreamHealth) -> None:
    for _ in range(5000):
        health.record_latency_ns(1_000_000_000)
    for _ in range(4096):
        health.record_latency_ns(2_000_000)
    assert len(health.latency_samples) == 4096
    assert health.latency_percentile_ms(1.0) == 2.0  # old samples have been dropped


def test_single_latency_sample(health: StreamHealth) -> None:
    health.record_latency_ns(1_500_000)
    assert health.latency_percentile_ms(0.5) == 1.5


def test_a_deliberate_reconnect_explains_itself_until_streaming(health: StreamHealth) -> None:
    """Issue 12, #15: the words say why (a settings change), not an error."""
    health.set_state(ConnectionState.STREAMING)
    health.set_state(ConnectionState.RECONNECTING, detail="switching to feed sip")
    assert health.state_detail == "switching to feed sip"
    assert health.last_error is None
    health.set_state(ConnectionState.CONNECTING)
    health.set_state(ConnectionState.AUTHENTICATING)
    assert health.state_detail == "switching to feed sip"
    health.set_state(ConnectionState.STREAMING)
    assert health.state_detail is None
    # A real failure replaces the explanation with the error.
    health.set_state(ConnectionState.RECONNECTING, detail="new credentials")
    health.set_state(ConnectionState.RECONNECTING, "connection refused")
    assert health.state_detail is None
    assert health.last_error == "connection refused"
