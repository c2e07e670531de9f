"""NATS auth and TLS with a real nats-server (docs/bus.md, "Auth and TLS"): user and
password, token, a server certificate from a test CA; wrong credentials and a wrong CA
are refused in words, and secrets never show in a repr or a message."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from engine.bus.base import BusRefused
from engine.bus.nats_bus import BusOptions, NatsBus
from engine.net.health import ConnectionState
from tests.engine.bus.conftest import (
    NatsServer,
    make_ca,
    owner_instance,
    price,
    run,
    simulator,
    subscriber_instance,
)
from tests.waits import until

PASSWORD = "bus-pass-never-shown-7Q2"
TOKEN = "bus-token-never-shown-9Z4"


def _refused(options: BusOptions) -> str:
    async def body() -> str:
        bus = NatsBus(options)
        try:
            with pytest.raises(BusRefused) as caught:
                await bus.connect()
        finally:
            await bus.close()
        return str(caught.value)

    return run(body())


def test_user_and_password(make_nats: Callable[..., NatsServer]) -> None:
    server = make_nats("--user", "desk", "--pass", PASSWORD)
    env = {"TICKERDESK_BUS_PASSWORD": PASSWORD}
    options = BusOptions.from_env(server.url, env, user="desk")
    assert PASSWORD not in repr(options)

    async def body() -> None:
        async with (
            simulator() as sim,
            owner_instance(sim, options, ("AAPL",)) as owner,
            subscriber_instance(options, ("AAPL",), instance="sub") as sub,
        ):
            await until(lambda: price(sub.store, "AAPL") is not None, "AAPL over an authed bus")
            assert PASSWORD not in repr(owner.bus)
            assert PASSWORD not in owner.publisher.status
        # A subscriber with the wrong password fails for good, in words (no retry storm).
        wrong = BusOptions(server.url, user="desk", password="not-it")
        async with subscriber_instance(wrong, ("AAPL",), instance="wrong") as bad:
            await until(lambda: bad.health.state is ConnectionState.FAILED, "failed")
            assert bad.health.last_error == (
                f"bus: {server.url} refused the login: wrong user, password or token"
            )
            assert not bad.store.stream_connected

    run(body())
    words = _refused(BusOptions(server.url, user="desk", password="nope"))
    assert "refused the login" in words
    assert "nope" not in words
    assert "refused the login" in _refused(BusOptions(server.url))  # none at all


def test_token(make_nats: Callable[..., NatsServer]) -> None:
    server = make_nats("--auth", TOKEN)
    options = BusOptions.from_env(server.url, {"TICKERDESK_BUS_TOKEN": TOKEN})
    assert TOKEN not in repr(options)

    async def body() -> None:
        async with (
            simulator() as sim,
            owner_instance(sim, options, ("MSFT",)),
            subscriber_instance(options, ("MSFT",), instance="sub") as sub,
        ):
            await until(lambda: price(sub.store, "MSFT") is not None, "MSFT over a token bus")

    run(body())
    assert "refused the login" in _refused(BusOptions(server.url, token="wrong-token"))


def test_tls_with_a_test_ca(make_nats: Callable[..., NatsServer], tmp_path: Path) -> None:
    ca = make_ca(tmp_path / "ca", "tickerdesk")
    other = make_ca(tmp_path / "other", "somebody else")
    server = make_nats(
        "--tls", "--tlscert", str(ca.server_cert), "--tlskey", str(ca.server_key),
        scheme="tls",
    )  # fmt: skip
    options = BusOptions(server.url, ca_file=str(ca.ca_cert))
    context = options.ssl_context()
    assert context is not None
    assert context.check_hostname

    async def body() -> None:
        async with (
            simulator() as sim,
            owner_instance(sim, options, ("AAPL",)),
            subscriber_instance(options, ("AAPL",), instance="sub") as sub,
        ):
            await until(lambda: price(sub.store, "AAPL") is not None, "AAPL over TLS")
        wrong = BusOptions(server.url, ca_file=str(other.ca_cert))
        async with subscriber_instance(wrong, ("AAPL",), instance="wrong-ca") as bad:
            await until(lambda: bad.health.state is ConnectionState.FAILED, "refused")
            assert "not trusted" in (bad.health.last_error or "")

    run(body())
    words = _refused(BusOptions(server.url, ca_file=str(other.ca_cert)))
    assert words.startswith(f"TLS certificate of {server.url} not trusted: ")
    assert "certificate verify failed" in words or "unable to get local issuer" in words
    # The system's CAs do not know the test CA either: tls:// without --bus-ca is refused.
    assert "not trusted" in _refused(BusOptions(server.url))
