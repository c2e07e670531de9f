"""engine.net.tls and the TLS words of engine.net.retry (docs/reliability.md, "TLS"):
verification is always on, a CA file is trusted only when named, and every TLS failure
is said in words with a retry decision that is never a hot loop. Wire-level cases run
against the simulator over 127.0.0.1 (tests/reliability/test_tls.py has the rest)."""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import fields, replace
from pathlib import Path

import httpx
import pytest

from engine.account.stream import TradeUpdatesClient
from engine.config import Credentials
from engine.market.store import MarketDataStore
from engine.net.health import ConnectionState, StreamHealth
from engine.net.rest import RestClient, RestConfig, RestError
from engine.net.retry import (
    CERT_EXPIRED,
    CERT_UNTRUSTED,
    CERT_WRONG_HOST,
    BackoffPolicy,
    RetryDecision,
    classify,
    tls_failure,
)
from engine.net.stream import ConfigError, StreamClient, StreamConfig
from engine.net.streamconfig import describe_change
from engine.net.tls import TlsConfigError, client_context, websocket_tls
from engine.simulator import SimulatorConfig
from tests.reliability.tls_certs import CertSet, make_certs


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> CertSet:
    return make_certs(tmp_path_factory.mktemp("tls"))


def _verify_error(code: int, message: str) -> ssl.SSLCertVerificationError:
    error = ssl.SSLCertVerificationError(1, f"[SSL: CERTIFICATE_VERIFY_FAILED] {message}")
    error.verify_code = code
    error.verify_message = message
    return error


# --- the context ---------------------------------------------------------------------


def test_no_ca_file_means_the_library_default() -> None:
    assert client_context(None) is None
    assert client_context("") is None


def test_a_ca_file_gives_a_verifying_context(certs: CertSet) -> None:
    context = client_context(str(certs.ca))
    assert context is not None
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname
    names = [str(c["subject"]) for c in context.get_ca_certs()]
    assert any("Tickerdesk test CA" in name for name in names)


@pytest.mark.parametrize(
    ("content", "words"),
    [(None, "CA file not found"), (b"not a certificate\n", "CA file holds no PEM certificate")],
)
def test_an_unusable_ca_file_is_refused_in_words(
    tmp_path: Path, content: bytes | None, words: str
) -> None:
    path = tmp_path / "ca.pem"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(TlsConfigError, match=words):
        client_context(str(path))
    # ...and so by every client that takes one, before any connection.
    config = StreamConfig(url="wss://127.0.0.1:1", credentials=None, ca_file=str(path))
    with pytest.raises(ConfigError, match=words):
        StreamClient(config, MarketDataStore(), StreamHealth())
    with pytest.raises(RestError, match=words):
        RestClient(RestConfig("https://127.0.0.1:1", ca_file=str(path)))
    with pytest.raises(ValueError, match=words):
        TradeUpdatesClient(
            "wss://127.0.0.1:1/stream", None, StreamHealth(), lambda _u: None, lambda: None,
            ca_file=str(path),
        )  # fmt: skip


def test_a_ca_file_is_in_a_folder_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(TlsConfigError, match="folder"):
        client_context(str(tmp_path))


def test_websocket_ssl_argument_never_turns_tls_off(certs: CertSet) -> None:
    context = client_context(str(certs.ca))
    assert websocket_tls(context, "wss://h/v2/iex") is context
    assert websocket_tls(None, "wss://h/v2/iex") is True  # websockets' verifying default
    assert websocket_tls(context, "ws://127.0.0.1:1/v2/iex") is None  # no TLS asked


def test_no_setting_disables_verification() -> None:
    """The only TLS settings are CA files: nothing named like verify/insecure-TLS."""
    for cls in (StreamConfig, RestConfig):
        names = {f.name for f in fields(cls)}
        assert "ca_file" in names
        assert not {n for n in names if "verify" in n or "ssl" in n or "tls" in n}


def test_a_ca_file_change_is_a_described_reconnect() -> None:
    old = StreamConfig()
    assert describe_change(old, replace(old, ca_file="/x/ca.pem")) == "new trusted CA file"
    assert describe_change(replace(old, ca_file="/x/ca.pem"), old) == "system CAs only"


# --- the words ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "message", "words", "decision"),
    [
        (10, "certificate has expired", CERT_EXPIRED, RetryDecision.RETRY_SLOWLY),
        (62, "Hostname mismatch, certificate is not valid for 'x'.", CERT_WRONG_HOST,
         RetryDecision.GIVE_UP),
        (64, "IP address mismatch, certificate is not valid for '127.0.0.1'.", CERT_WRONG_HOST,
         RetryDecision.GIVE_UP),
        (18, "self-signed certificate", CERT_UNTRUSTED, RetryDecision.GIVE_UP),
        (19, "self-signed certificate in certificate chain", CERT_UNTRUSTED,
         RetryDecision.GIVE_UP),
        (20, "unable to get local issuer certificate", CERT_UNTRUSTED, RetryDecision.GIVE_UP),
        (9, "certificate is not yet valid", "not yet valid", RetryDecision.RETRY_SLOWLY),
    ],
)  # fmt: skip
def test_certificate_failures_in_words(
    code: int, message: str, words: str, decision: RetryDecision
) -> None:
    failure = classify(_verify_error(code, message))
    assert words in failure.message
    assert failure.decision is decision
    assert failure.decision is not RetryDecision.RETRY  # never at connection pace


def test_the_words_are_found_behind_httpx() -> None:
    """httpx wraps the ssl error (ConnectError from it): the words still come through."""
    try:
        try:
            raise _verify_error(10, "certificate has expired")
        except ssl.SSLError as inner:
            raise httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED]") from inner
    except httpx.ConnectError as outer:
        failure = tls_failure(outer)
    assert failure is not None
    assert CERT_EXPIRED in failure.message
    assert tls_failure(httpx.ConnectError("refused")) is None


def test_a_tls_drop_stays_a_drop() -> None:
    failure = classify(ssl.SSLEOFError(8, "EOF occurred in violation of protocol"))
    assert failure.decision is RetryDecision.RETRY
    assert "dropped" in failure.message


def test_wss_to_a_plain_server_says_it_does_not_speak_tls() -> None:
    """wss:// to a port that answers in plain HTTP: said in words, retried slowly."""

    async def plain(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    async def scenario() -> None:
        server = await asyncio.start_server(plain, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        health = StreamHealth()
        backoff = BackoffPolicy(initial=0.02, factor=1.0, maximum=0.02, slow=30.0)
        config = StreamConfig(
            url=f"wss://127.0.0.1:{port}", credentials=Credentials("k", "s"), backoff=backoff
        )
        client = StreamClient(config, MarketDataStore(), health)
        client.start()
        try:
            for _ in range(1500):
                if health.last_error:
                    break
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.5)
            assert "does not speak TLS" in (health.last_error or ""), health.last_error
            assert health.state is ConnectionState.RECONNECTING
            assert health.reconnects == 0
        finally:
            await client.stop()
            server.close()
            await server.wait_closed()

    asyncio.run(asyncio.wait_for(scenario(), 30))


def test_simulator_takes_a_certificate_with_its_key_only() -> None:
    with pytest.raises(ValueError, match="together"):
        SimulatorConfig(tls_cert="/x/cert.pem")
    assert (
        "tls_key"
        not in repr(SimulatorConfig(tls_cert="/x/c.pem", tls_key="/x/k.pem")).split("tls_cert")[1]
    )
