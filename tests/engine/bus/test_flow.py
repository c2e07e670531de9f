"""The bus with real components: nats-server, the simulator upstream, an owner
(Hub + BusPublisher) and subscriber instances (BusFeed with their own store and health).

docs/bus.md: a late joiner's snapshot, remote subscribe requests within the plan's limit
(405 beyond it), and leases that expire when a subscriber goes away.
"""

from __future__ import annotations

import json

from engine.bus.nats_bus import BusOptions
from engine.bus.subjects import SubscribeRequest, decode_reply, encode_request, subscribe_subject
from engine.net.health import ConnectionState
from tests.engine.bus.conftest import (
    NatsServer,
    owner_instance,
    price,
    run,
    simulator,
    subscriber_instance,
)
from tests.waits import until


def test_two_subscribers_show_the_owners_rows(nats_server: NatsServer) -> None:
    options = BusOptions(nats_server.url)

    async def body() -> None:
        async with (
            simulator() as sim,
            owner_instance(sim, options, ("AAPL", "MSFT")) as owner,
            subscriber_instance(options, ("AAPL", "MSFT"), instance="sub-a") as a,
            subscriber_instance(options, ("AAPL", "MSFT"), instance="sub-b") as b,
        ):
            for sub in (a, b):
                store = sub.store
                await until(
                    lambda store=store: all(price(store, s) for s in ("AAPL", "MSFT")),  # type: ignore[misc]
                    "both subscribers have prices for both symbols",
                )
                assert sub.health.state is ConnectionState.STREAMING
                assert sub.store.stream_connected
                assert sub.health.endpoint == f"{nats_server.url} (bus)"
                assert sub.feed.stats.messages > 0
            await until(lambda: owner.publisher.stats.published > 50, "published")
            # The owner's one upstream connection carried everything.
            assert len([s for s in sim.session_info() if s.authenticated]) == 1
            assert owner.publisher.stats.dropped_full == 0
            await until(lambda: a.feed.document()["owner"] == "owner-1", "heartbeat heard")
            assert b.feed.bus_status == f"bus: {nats_server.url} · owner streaming"

    run(body())


def test_a_late_joiner_gets_the_snapshot_at_once(nats_server: NatsServer) -> None:
    options = BusOptions(nats_server.url)

    async def body() -> None:
        async with simulator() as sim, owner_instance(sim, options, ("AAPL",)) as owner:
            await until(
                lambda: owner.publisher.stats.published > 20 and bool(price(owner.store, "AAPL")),
                "the owner published AAPL",
            )
            # No live data from now on: whatever the joiner shows came from the snapshot.
            owner.hub.detach(owner.publisher)
            await until(lambda: not owner.publisher._queue, "the queue drained")
            async with subscriber_instance(options, ("AAPL",), instance="late") as late:
                await until(lambda: late.health.state is ConnectionState.STREAMING, "stream")
                assert price(late.store, "AAPL") is not None
                assert late.feed.stats.messages == 0
                assert late.feed.stats.snapshot_messages >= 2  # a trade and a quote at least
                snap = late.store.get("AAPL")
                assert snap is not None
                assert snap.bid_price is not None

    run(body())


def test_a_remote_subscriber_asks_for_a_symbol_the_owner_does_not_watch(
    nats_server: NatsServer,
) -> None:
    options = BusOptions(nats_server.url)

    async def body() -> None:
        async with (
            simulator() as sim,
            owner_instance(sim, options, ("AAPL",), limit=3) as owner,
            subscriber_instance(options, ("AAPL", "TSLA"), instance="remote") as remote,
        ):
            await until(lambda: price(remote.store, "TSLA") is not None, "TSLA via the owner")
            assert "TSLA" in owner.client.extra_subscription.trades
            assert "TSLA" not in owner.client.symbols  # not the owner's own row
            assert owner.hub.registry.holders("trades", "TSLA") == 1
            # Beyond the plan's limit (3 symbols in the union): 405, in Alpaca's words.
            async with subscriber_instance(
                options, ("AAPL", "NVDA", "AMD", "INTC"), instance="greedy"
            ) as greedy:
                await until(lambda: greedy.feed.refused is not None, "refused")
                assert greedy.feed.refused is not None
                assert "symbol limit exceeded (error 405)" in greedy.feed.refused
                assert greedy.health.last_error == greedy.feed.refused
                assert "NVDA" not in owner.client.extra_subscription.trades
                # AAPL is the owner's own: it still flows to the refused subscriber.
                await until(lambda: price(greedy.store, "AAPL") is not None, "AAPL anyway")
            ask = SubscribeRequest("direct", ("NVDA", "AMD", "INTC"), ("trades", "quotes"))
            reply = await remote.bus.request(subscribe_subject("iex"), encode_request(ask), 2.0)
            assert json.loads(reply) == {"error": 405, "msg": "symbol limit exceeded"}
            assert decode_reply(reply) == (405, "symbol limit exceeded")
            bad = await remote.bus.request(subscribe_subject("iex"), b"{nope", 2.0)
            code, words = decode_reply(bad)
            assert code == 400
            assert "not JSON" in words
            assert owner.publisher.stats.bad_requests == 1

    run(body())


def test_the_lease_expires_when_a_subscriber_goes_away(nats_server: NatsServer) -> None:
    options = BusOptions(nats_server.url)

    async def body() -> None:
        async with (
            simulator() as sim,
            owner_instance(sim, options, ("AAPL",), lease_s=1.0) as owner,
        ):
            async with subscriber_instance(options, ("AAPL", "TSLA"), instance="gone") as gone:
                await until(lambda: price(gone.store, "TSLA") is not None, "TSLA streaming")
                assert "TSLA" in owner.client.extra_subscription.quotes
                # Gone without a word: its NATS connection closes, no release is sent.
                await gone.bus.close()
                await until(
                    lambda: "TSLA" not in owner.client.extra_subscription.quotes,
                    "the owner dropped the silent subscriber's symbols",
                )
                assert owner.publisher.stats.leases_expired == 1
                assert "gone" not in owner.publisher.leases
                await until(
                    lambda: "TSLA" not in owner.client.subscription.trades,
                    "unsubscribed upstream",
                )
            # A subscriber that stops politely releases at once (no expiry needed).
            async with subscriber_instance(options, ("MSFT",), instance="polite") as polite:
                await until(lambda: price(polite.store, "MSFT") is not None, "MSFT streaming")
            await until(lambda: "MSFT" not in owner.client.extra_subscription.trades, "released")
            assert owner.publisher.stats.leases_expired == 1

    run(body())
