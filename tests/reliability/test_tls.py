"""TLS end to end (issue 17, item 4): the simulator serves wss:// and https:// with a
certificate from a test CA; the client trusts that CA only through its explicit CA-file
setting, never by turning verification off (docs/reliability.md, "TLS").

- the stream, the snapshot REST, the Trading API and trade_updates work over TLS with
  the setting, and the CLIs (`tickerdesk-sim --tls-cert/--tls-key`, `tickerdesk-watch
  --ca-file`) do too;
- the fault matrix's drop and restart cases recover over TLS (the real app, offscreen);
- an expired certificate, one for another host, a self-signed one (and the test CA's
  without the setting) are refused, said in words in StreamHealth.last_error and the
  REST errors, and never retried in a hot loop.

Certificates are made here with `cryptography` (tests/reliability/tls_certs.py).
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import signal
import sys
import time
import warnings
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from engine.account.stream import TradeUpdatesClient
from engine.config import Credentials
from engine.market.store import MarketDataStore
from engine.net.health import ConnectionState, StreamHealth
from engine.net.rest import RestClient, RestConfig, RestError
from engine.net.retry import CERT_EXPIRED, CERT_UNTRUSTED, CERT_WRONG_HOST, BackoffPolicy
from engine.net.stream import StreamClient, StreamConfig
from engine.simulator import Simulator, SimulatorConfig
from engine.watch_account import WatchAccount
from tests.reliability.fault_harness import (
    FAULTS_BY_NAME,
    SECRET,
    FaultApp,
    TlsFiles,
    TracebackCatcher,
    check_before_during_after,
    run_fault,
)
from tests.reliability.tls_certs import CertSet, ServerCert, make_certs

CREDS = Credentials("PKTLSTEST", "tls-test-secret-4d1e")
CREDENTIAL_VARS = {"APCA_API_KEY_ID", "APCA_API_SECRET_KEY", "ALPACA_API_KEY", "ALPACA_API_SECRET"}
OUTAGE_S = 2.0
OFFSCREEN_SHOW = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
# Quick retries: a refused certificate retried at this pace would be a hot loop.
HOT = BackoffPolicy(initial=0.02, factor=1.0, maximum=0.02, jitter=0.0, slow=30.0)
QUIET_S = 0.6  # how long a refused client is watched for further attempts


@pytest.fixture(autouse=True)
def _collect_known_httpcore_leaks() -> Iterator[None]:
    """httpcore does not close a socket whose request was cancelled mid TLS handshake
    (docs/reliability.md, "TLS", known and left alone): collect such sockets here, inside
    this module, so their ResourceWarning is neither lost in a later test's name nor
    turned into that test's failure. Anything else still fails as usual."""
    yield
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> CertSet:
    return make_certs(tmp_path_factory.mktemp("tls"))


def run(coro: Awaitable[None]) -> None:
    async def guarded() -> None:
        await asyncio.wait_for(coro, timeout=60)

    asyncio.run(guarded())


async def until(predicate: Callable[[], bool], what: str, limit: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not predicate():
        if loop.time() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


def tls_sim(server: ServerCert) -> Simulator:
    return Simulator(
        SimulatorConfig(seed=17, rate=300.0, tls_cert=str(server.cert), tls_key=str(server.key))
    )


def stream_client(
    sim: Simulator, ca_file: Path | None, health: StreamHealth, backoff: BackoffPolicy = HOT
) -> StreamClient:
    config = StreamConfig(
        url=sim.ws_url, credentials=CREDS, ca_file=str(ca_file) if ca_file else None,
        backoff=backoff,
    )  # fmt: skip
    client = StreamClient(config, MarketDataStore(), health)
    client.set_symbols(["AAPL", "MSFT"])
    return client


# --- working over TLS with the setting -------------------------------------------------


def test_the_simulator_serves_wss_and_https_with_a_certificate(certs: CertSet) -> None:
    async def scenario() -> None:
        async with tls_sim(certs.good) as sim:
            assert sim.tls
            assert sim.ws_url.startswith("wss://127.0.0.1:")
            assert sim.rest_url.startswith("https://127.0.0.1:")
        async with Simulator(SimulatorConfig(seed=1)) as plain:
            assert not plain.tls
            assert plain.ws_url.startswith("ws://")

    run(scenario())


def test_stream_over_tls_with_the_ca_setting(certs: CertSet) -> None:
    async def scenario() -> None:
        async with tls_sim(certs.good) as sim:
            health = StreamHealth()
            client = stream_client(sim, certs.ca, health)
            store = client._store
            client.start()
            try:
                await until(lambda: health.state is ConnectionState.STREAMING, "streaming")
                await until(
                    lambda: all(
                        (s := store.get(sym)) is not None and s.updates > 0
                        for sym in ("AAPL", "MSFT")
                    ),
                    "data over wss",
                )
                assert health.last_error is None
                assert health.endpoint.startswith("wss://")
                assert not health.insecure
            finally:
                await client.stop()

    run(scenario())


def test_rest_snapshots_over_tls_with_the_ca_setting(certs: CertSet) -> None:
    async def scenario() -> None:
        async with tls_sim(certs.good) as sim:
            rest = RestClient(RestConfig(sim.rest_url, "iex", CREDS, ca_file=str(certs.ca)))
            try:
                snaps = await rest.snapshots(["AAPL", "MSFT"])
            finally:
                await rest.aclose()
            assert set(snaps) == {"AAPL", "MSFT"}

    run(scenario())


def test_trading_rest_and_trade_updates_over_tls_with_the_ca_setting(certs: CertSet) -> None:
    async def scenario() -> None:
        async with tls_sim(certs.good) as sim:
            account = WatchAccount(
                sim.rest_url, None, None, MarketDataStore(), demo=True,
                stream_url=f"{sim.ws_url}/stream", ca_file=str(certs.ca),
            )  # fmt: skip
            account.service.stream.start_delay_s = 0.0
            account.start()
            try:
                await until(
                    lambda: account.health.state is ConnectionState.STREAMING,
                    "trade_updates streaming over wss",
                )
                await until(lambda: account.book.account is not None, "the account over https")
                assert account.health.last_error is None
                assert account.service.last_error is None
            finally:
                await account.stop()

    run(scenario())


# --- refused, in words, never in a hot loop ----------------------------------------------

REFUSALS = [
    # (server certificate, trust the test CA?, words, retried slowly rather than given up)
    pytest.param("expired", True, CERT_EXPIRED, True, id="expired"),
    pytest.param("wrong_host", True, CERT_WRONG_HOST, False, id="wrong-host"),
    pytest.param("self_signed", False, CERT_UNTRUSTED, False, id="self-signed-no-setting"),
    pytest.param("self_signed", True, CERT_UNTRUSTED, False, id="self-signed-with-test-ca"),
    pytest.param("good", False, CERT_UNTRUSTED, False, id="test-ca-without-setting"),
]


@pytest.mark.parametrize(("which", "trust_ca", "words", "slowly"), REFUSALS)
def test_stream_refuses_a_bad_certificate_in_words(
    certs: CertSet, which: str, trust_ca: bool, words: str, slowly: bool
) -> None:
    async def scenario() -> None:
        async with tls_sim(getattr(certs, which)) as sim:
            health = StreamHealth()
            client = stream_client(sim, certs.ca if trust_ca else None, health)
            client.start()
            try:
                await until(lambda: health.last_error is not None, "the refusal")
                await asyncio.sleep(QUIET_S)  # a hot loop would reconnect ~30 times here
                assert words in (health.last_error or ""), health.last_error
                assert health.reconnects == 0, "retried at connection pace"
                assert sim.stats.connections == 0  # no websocket session ever opened
                if slowly:
                    assert health.state is ConnectionState.RECONNECTING
                    assert health.next_retry_at is not None
                    assert health.next_retry_at - time.monotonic() > 5.0  # slow: ~30 s
                else:
                    assert health.state is ConnectionState.FAILED
            finally:
                await client.stop()

    run(scenario())


@pytest.mark.parametrize(("which", "trust_ca", "words", "slowly"), REFUSALS)
def test_rest_refuses_a_bad_certificate_in_words(
    certs: CertSet, which: str, trust_ca: bool, words: str, slowly: bool
) -> None:
    async def scenario() -> None:
        async with tls_sim(getattr(certs, which)) as sim:
            ca = str(certs.ca) if trust_ca else None
            rest = RestClient(RestConfig(sim.rest_url, "iex", CREDS, ca_file=ca))
            try:
                with pytest.raises(RestError) as caught:
                    await rest.snapshots(["AAPL"])
            finally:
                await rest.aclose()
            assert words in caught.value.message, caught.value.message
            assert caught.value.status is None
            assert CREDS.secret not in caught.value.message

    run(scenario())


def test_trade_updates_refuse_another_hosts_certificate_in_words(certs: CertSet) -> None:
    async def scenario() -> None:
        async with tls_sim(certs.wrong_host) as sim:
            health = StreamHealth()
            client = TradeUpdatesClient(
                f"{sim.ws_url}/stream", CREDS, health, lambda _u: None, lambda: None,
                start_delay_s=0.0, backoff=HOT, ca_file=str(certs.ca),
            )  # fmt: skip
            client.start()
            try:
                await until(lambda: health.state is ConnectionState.FAILED, "the refusal")
                await asyncio.sleep(QUIET_S)
                assert CERT_WRONG_HOST in (health.last_error or "")
                assert health.reconnects == 0
            finally:
                await client.stop()

    run(scenario())


# --- the fault matrix's drop and restart over TLS (the real app) -------------------------


@pytest.fixture
def tracebacks() -> Iterator[TracebackCatcher]:
    catcher = TracebackCatcher()
    root = logging.getLogger()
    root.addHandler(catcher)
    try:
        yield catcher
    finally:
        root.removeHandler(catcher)


@OFFSCREEN_SHOW
@pytest.mark.parametrize("name", ["drop (no close frame)", "server restart, same port"])
def test_fault_over_tls(
    name: str,
    certs: CertSet,
    qloop: asyncio.AbstractEventLoop,
    tmp_path: Path,
    tracebacks: TracebackCatcher,
) -> None:
    fault = FAULTS_BY_NAME[name]
    app = FaultApp(tmp_path / "fault.ini", tls=TlsFiles(certs.good.cert, certs.good.key, certs.ca))

    async def scenario() -> None:
        session = await app.start()
        assert app.sim is not None
        assert session.client is not None
        assert session.client.config.endpoint.startswith("wss://")
        assert session.client.config.ca_file == str(certs.ca)
        assert session.rest.rest is not None
        assert session.rest.rest.config.ca_file == str(certs.ca)  # snapshots over https
        try:
            result = await run_fault(app, fault, OUTAGE_S)
        finally:
            await app.close()
        # The same before/during/after as over plain ws (tests/reliability/fault_harness.py).
        reconnects = app.session.health.reconnects if app.session else -1
        check_before_during_after(result, fault, reconnects)
        shown = [*result.seen_errors, *result.seen_connection]
        assert not any("certificate" in text.lower() for text in shown), shown

    qloop.run_until_complete(scenario())
    assert tracebacks.describe() == []
    assert SECRET not in (tmp_path / "fault.ini").read_text()


# --- the command lines ---------------------------------------------------------------------


def test_sim_and_watch_command_lines_over_tls(certs: CertSet) -> None:
    """`tickerdesk-sim --tls-cert --tls-key` prints wss/https URLs; `tickerdesk-watch
    --ca-file` streams from it; without --ca-file it is refused in words."""
    env = {k: v for k, v in os.environ.items() if k not in CREDENTIAL_VARS}

    async def watch(*args: str) -> tuple[int, str, str]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "engine.watch", *args, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await proc.communicate()
        return proc.returncode or 0, out.decode(), err.decode()

    async def scenario() -> None:
        sim = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "engine.simulator", "--port", "0", "--rate", "300",
            "--tls-cert", str(certs.good.cert), "--tls-key", str(certs.good.key), env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            assert sim.stdout is not None
            ws_url = (await sim.stdout.readline()).decode().strip()
            rest_url = (await sim.stdout.readline()).decode().strip()
            assert ws_url.startswith("wss://127.0.0.1:"), ws_url
            assert rest_url.startswith("https://127.0.0.1:"), rest_url
            where = ("--url", ws_url, "--rest-url", rest_url, "--no-history", "--json")
            code, out, err = await watch(
                "AAPL", *where, "--seconds", "2.5", "--ca-file", str(certs.ca)
            )
            assert code == 0, err
            doc = json.loads(out)
            assert doc["health"]["state"] == "streaming"
            assert doc["health"]["last_error"] is None
            assert doc["symbols"]["AAPL"]["bid"] is not None
            code, out, err = await watch("AAPL", *where, "--seconds", "1.5")
            doc = json.loads(out)
            assert doc["health"]["state"] == "failed"
            assert CERT_UNTRUSTED in doc["health"]["last_error"]
        finally:
            sim.send_signal(signal.SIGTERM)
            await sim.communicate()

    run(scenario())


def test_sim_refuses_unusable_certificate_files_in_words(certs: CertSet, tmp_path: Path) -> None:
    from engine.simulator.cli import main

    missing = tmp_path / "missing.pem"
    assert main(["--tls-cert", str(missing), "--tls-key", str(certs.good.key)]) == 2
    assert main(["--tls-cert", str(certs.good.cert)]) == 2  # no key
    mismatched = ["--tls-cert", str(certs.good.cert), "--tls-key", str(certs.expired.key)]
    assert main(mismatched) == 2
