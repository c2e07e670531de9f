"""Reconnect policy as pure functions: jittered capped backoff and failure classification.

Nothing here touches a socket or a clock, so it is tested without a network
(the shape follows websockets' own `client.backoff()` / `process_exception()`).
"""

from __future__ import annotations

import enum
import random
import ssl
from collections.abc import Iterator
from dataclasses import dataclass

from websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidStatus,
    InvalidURI,
)

from engine.events import ServerError
from engine.protocol import ErrorAction, ErrorPolicy, classify_error


class RetryDecision(enum.StrEnum):
    """What the reconnect loop does after a failure."""

    RETRY = "retry"
    RETRY_SLOWLY = "retry_slowly"
    GIVE_UP = "give_up"


@dataclass(frozen=True, slots=True)
class BackoffPolicy:
    """Delays between reconnect attempts, in seconds."""

    initial: float = 0.5
    factor: float = 2.0
    maximum: float = 30.0
    jitter: float = 0.3
    # 406: the account's one connection is held elsewhere; a slot left by a dead
    # connection lingers ~90 s at Alpaca, and fast retries can earn HTTP 429.
    slow: float = 30.0
    # A session that streamed this long counts as healthy and resets the backoff.
    healthy_after: float = 30.0


def backoff_delays(policy: BackoffPolicy, rng: random.Random | None = None) -> Iterator[float]:
    """Endless jittered exponential delays: initial, initial*factor, ... capped at maximum."""
    rng = rng or random.Random()
    delay = policy.initial
    while True:
        spread = 1.0 - policy.jitter + 2.0 * policy.jitter * rng.random()
        yield min(policy.maximum, delay * spread)
        delay = min(policy.maximum, delay * policy.factor)


def slow_delay(policy: BackoffPolicy, rng: random.Random | None = None) -> float:
    """One jittered delay for RETRY_SLOWLY failures."""
    rng = rng or random.Random()
    return policy.slow * (1.0 - policy.jitter + 2.0 * policy.jitter * rng.random())


class SessionEnded(Exception):
    """The server sent an error that ends the session (402, 404, 406, 407, 409, ...)."""

    def __init__(self, error: ServerError) -> None:
        self.error = error
        self.policy: ErrorPolicy = classify_error(error.code)
        super().__init__(f"Alpaca error {error.code}: {self.policy.explanation}")


@dataclass(frozen=True, slots=True)
class Failure:
    """A classified failure: what to do and what to tell the user."""

    decision: RetryDecision
    message: str


_ACTION_TO_DECISION: dict[ErrorAction, RetryDecision] = {
    ErrorAction.GIVE_UP: RetryDecision.GIVE_UP,
    ErrorAction.RETRY_SLOWLY: RetryDecision.RETRY_SLOWLY,
    ErrorAction.RETRY: RetryDecision.RETRY,
    ErrorAction.REAUTHENTICATE: RetryDecision.RETRY,
    ErrorAction.REPORT: RetryDecision.RETRY,
    ErrorAction.IGNORE: RetryDecision.RETRY,
}


def classify(exc: BaseException) -> Failure:
    """Sort a connection failure into retry / retry slowly / give up, with words."""
    if isinstance(exc, SessionEnded):
        decision = _ACTION_TO_DECISION[exc.policy.action]
        return Failure(decision, f"{exc.policy.explanation} (error {exc.error.code})")
    if isinstance(exc, InvalidStatus):
        status = exc.response.status_code
        if status == 429:
            return Failure(
                RetryDecision.RETRY_SLOWLY,
                "server refused the connection: too many requests (HTTP 429); waiting",
            )
        if status in (401, 403):
            return Failure(
                RetryDecision.GIVE_UP,
                f"server refused the websocket upgrade (HTTP {status}): check key and feed",
            )
        if status == 404:
            return Failure(
                RetryDecision.GIVE_UP, "no such stream endpoint (HTTP 404): check URL and feed"
            )
        return Failure(RetryDecision.RETRY, f"websocket upgrade failed (HTTP {status})")
    if isinstance(exc, InvalidURI):
        return Failure(RetryDecision.GIVE_UP, f"invalid stream URL: {exc.uri}")
    if isinstance(exc, ConnectionClosed):
        code = exc.rcvd.code if exc.rcvd is not None else None
        if exc.rcvd is None and exc.sent is not None and exc.sent.code == 1011:
            return Failure(RetryDecision.RETRY, "no answer to keepalive ping: peer unresponsive")
        if code is None:
            return Failure(RetryDecision.RETRY, "connection dropped without a close frame")
        reason = f": {exc.rcvd.reason}" if exc.rcvd is not None and exc.rcvd.reason else ""
        return Failure(RetryDecision.RETRY, f"server closed the connection (code {code}{reason})")
    if (tls := tls_failure(exc)) is not None:  # after ConnectionClosed: a drop stays a drop
        return tls
    if isinstance(exc, TimeoutError):
        return Failure(RetryDecision.RETRY, "connection attempt timed out")
    if isinstance(exc, ConnectionRefusedError):
        return Failure(RetryDecision.RETRY, "connection refused: server not reachable")
    if isinstance(exc, InvalidHandshake):
        return Failure(RetryDecision.RETRY, f"websocket handshake failed: {_handshake_words(exc)}")
    if isinstance(exc, OSError):
        detail = exc.strerror or type(exc).__name__
        return Failure(RetryDecision.RETRY, f"network error: {detail}")
    return Failure(RetryDecision.RETRY, f"unexpected error: {type(exc).__name__}")


# OpenSSL's X509_V_ERR_* codes (ssl.SSLCertVerificationError.verify_code) sorted by what
# the user can do about them (docs/reliability.md, "TLS").
_EXPIRED = frozenset({10})  # CERT_HAS_EXPIRED
_NOT_YET_VALID = frozenset({9})  # CERT_NOT_YET_VALID (a clock off, or a brand-new cert)
_WRONG_HOST = frozenset({62, 63, 64})  # HOSTNAME / EMAIL / IP_ADDRESS_MISMATCH
# DEPTH_ZERO_SELF_SIGNED_CERT, SELF_SIGNED_CERT_IN_CHAIN, UNABLE_TO_GET_ISSUER_CERT(_LOCALLY),
# UNABLE_TO_VERIFY_LEAF_SIGNATURE: a CA this client does not trust.
_UNTRUSTED = frozenset({2, 18, 19, 20, 21})

CERT_EXPIRED = "certificate expired"
CERT_WRONG_HOST = "certificate is for another host"
CERT_UNTRUSTED = "certificate not trusted (self-signed or unknown CA): set a CA file"


def _ssl_error_in(exc: BaseException) -> ssl.SSLError | None:
    """The ssl error behind `exc` (itself, or its cause/context chain: httpx wraps it)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def tls_failure(exc: BaseException) -> Failure | None:
    """A TLS failure in words, or None when `exc` is no TLS failure.

    A certificate the client cannot trust is never retried at connection pace: the same
    certificate comes back on every attempt. One that needs a settings change (another
    host's, an untrusted CA's) gives up until the settings change; an expired or not yet
    valid one is retried slowly (the server's operator may renew it meanwhile).
    """
    error = _ssl_error_in(exc)
    if error is None:
        return None
    if isinstance(error, ssl.SSLCertVerificationError):
        code = getattr(error, "verify_code", None)
        detail = str(getattr(error, "verify_message", "") or error.reason or "").strip()
        lowered = detail.lower()
        if code in _EXPIRED or "expired" in lowered:
            return Failure(
                RetryDecision.RETRY_SLOWLY,
                f"TLS {CERT_EXPIRED}: the server's certificate is past its end date; "
                "retrying slowly",
            )
        if code in _NOT_YET_VALID or "not yet valid" in lowered:
            return Failure(
                RetryDecision.RETRY_SLOWLY,
                "TLS certificate not yet valid (check this computer's clock); retrying slowly",
            )
        if code in _WRONG_HOST or "mismatch" in lowered:
            return Failure(
                RetryDecision.GIVE_UP,
                f"TLS {CERT_WRONG_HOST} ({detail or 'name mismatch'}): check the URL",
            )
        if code in _UNTRUSTED or "self-signed" in lowered or "issuer" in lowered:
            return Failure(
                RetryDecision.GIVE_UP, f"TLS {CERT_UNTRUSTED} ({detail or 'unknown issuer'})"
            )
        return Failure(RetryDecision.GIVE_UP, f"TLS certificate rejected: {detail or 'unknown'}")
    if isinstance(error, ssl.SSLEOFError | ssl.SSLZeroReturnError):
        # The peer went away mid-TLS: a dropped connection like any other.
        return Failure(RetryDecision.RETRY, "connection dropped during TLS")
    reason = error.reason or type(error).__name__
    if "WRONG_VERSION_NUMBER" in str(reason).upper():
        reason = "the server does not speak TLS on this port (wrong version number)"
    return Failure(RetryDecision.RETRY_SLOWLY, f"TLS handshake failed: {reason}; retrying slowly")


def _handshake_words(exc: InvalidHandshake) -> str:
    """Why a handshake broke, in words: the connection reset or closed half-way (a
    network fault between us and the server), or an answer that is not a websocket's."""
    cause = exc.__cause__
    if isinstance(cause, ConnectionResetError):
        return "the connection was reset during the handshake"
    if isinstance(cause, EOFError | ConnectionError):
        return "the server closed the connection during the handshake"
    return f"the server's answer is not a websocket handshake ({type(exc).__name__})"
