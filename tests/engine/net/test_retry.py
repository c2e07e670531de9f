"""Backoff and failure classification are pure: tested without a network."""

from __future__ import annotations

import itertools
import random
import ssl

import pytest
from websockets.datastructures import Headers
from websockets.exceptions import (
    ConnectionClosedError,
    ConnectionClosedOK,
    InvalidStatus,
    InvalidURI,
)
from websockets.frames import Close
from websockets.http11 import Response

from engine.events import ServerError
from engine.net.retry import (
    BackoffPolicy,
    RetryDecision,
    SessionEnded,
    backoff_delays,
    classify,
    slow_delay,
)


def test_backoff_grows_and_caps_without_jitter() -> None:
    policy = BackoffPolicy(initial=1.0, factor=2.0, maximum=10.0, jitter=0.0)
    assert list(itertools.islice(backoff_delays(policy), 6)) == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_backoff_jitter_stays_in_band_and_is_seedable() -> None:
    policy = BackoffPolicy(initial=1.0, factor=2.0, maximum=30.0, jitter=0.3)
    first = list(itertools.islice(backoff_delays(policy, random.Random(7)), 50))
    again = list(itertools.islice(backoff_delays(policy, random.Random(7)), 50))
    assert first == again
    nominal = [min(30.0, 2.0**i) for i in range(50)]
    for got, base in zip(first, nominal, strict=True):
        assert got <= 30.0
        assert base * 0.7 - 1e-9 <= got <= base * 1.3 + 1e-9
    # Jitter really spreads clients out.
    assert len({round(x, 6) for x in first[:5]}) == 5


def test_slow_delay_is_long() -> None:
    policy = BackoffPolicy(slow=30.0, jitter=0.3)
    delays = [slow_delay(policy, random.Random(i)) for i in range(20)]
    assert all(21.0 <= d <= 39.0 for d in delays)


@pytest.mark.parametrize(
    ("code", "decision"),
    [
        (402, RetryDecision.GIVE_UP),
        (409, RetryDecision.GIVE_UP),
        (406, RetryDecision.RETRY_SLOWLY),
        (407, RetryDecision.RETRY),
        (404, RetryDecision.RETRY),
        (500, RetryDecision.RETRY),
    ],
)
def test_session_ending_server_errors(code: int, decision: RetryDecision) -> None:
    failure = classify(SessionEnded(ServerError(code, "x")))
    assert failure.decision is decision
    assert f"error {code}" in failure.message


def _status(code: int) -> InvalidStatus:
    return InvalidStatus(Response(code, "", Headers()))


def test_http_statuses() -> None:
    assert classify(_status(429)).decision is RetryDecision.RETRY_SLOWLY
    assert classify(_status(401)).decision is RetryDecision.GIVE_UP
    assert classify(_status(404)).decision is RetryDecision.GIVE_UP
    assert classify(_status(502)).decision is RetryDecision.RETRY


def test_network_failures_retry() -> None:
    assert classify(ConnectionRefusedError()).decision is RetryDecision.RETRY
    assert classify(TimeoutError()).decision is RetryDecision.RETRY
    assert classify(OSError(113, "No route to host")).message.endswith("No route to host")
    dropped = classify(ConnectionClosedError(None, None))
    assert dropped.decision is RetryDecision.RETRY
    assert "without a close frame" in dropped.message
    ping = classify(ConnectionClosedError(None, Close(1011, "keepalive ping timeout")))
    assert "ping" in ping.message
    closed = classify(ConnectionClosedOK(Close(1000, "bye"), Close(1000, "bye"), True))
    assert "code 1000: bye" in closed.message


def test_fatal_local_failures() -> None:
    assert classify(InvalidURI("nope://", "bad")).decision is RetryDecision.GIVE_UP
    cert = ssl.SSLCertVerificationError()
    cert.verify_message = "self-signed certificate"
    assert classify(cert).decision is RetryDecision.GIVE_UP
    assert classify(RuntimeError("x")).decision is RetryDecision.RETRY


def test_a_broken_handshake_says_why_in_words() -> None:
    from websockets.exceptions import InvalidMessage

    def broken(cause: BaseException) -> InvalidMessage:
        exc = InvalidMessage("did not receive a valid HTTP response")
        exc.__cause__ = cause
        return exc

    reset = classify(broken(ConnectionResetError(104, "Connection reset by peer")))
    assert reset.message == (
        "websocket handshake failed: the connection was reset during the handshake"
    )
    closed = classify(broken(EOFError("connection closed while reading HTTP status line")))
    assert closed.message == (
        "websocket handshake failed: the server closed the connection during the handshake"
    )
    odd = classify(broken(ValueError("bad status line")))
    assert "not a websocket handshake" in odd.message
