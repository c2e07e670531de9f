"""Faults with real components (docs/bus.md, "Health and staleness"): the owner going away
and coming back, and NATS itself restarted. Subscribers show stale (health not
streaming, store not connected, the reason in words), then recover on their own."""

from __future__ import annotations

from engine.bus.nats_bus import BusOptions
from engine.net.health import ConnectionState
from tests.engine.bus.conftest import (
    NatsServer,
    Subscriber,
    owner_instance,
    price,
    run,
    simulator,
    subscriber_instance,
)
from tests.waits import until


def _stale(sub: Subscriber) -> bool:
    return sub.health.state is not ConnectionState.STREAMING and not sub.store.stream_connected


def _live(sub: Subscriber) -> bool:
    return sub.health.state is ConnectionState.STREAMING and sub.store.stream_connected


def test_the_publisher_restarted(nats_server: NatsServer) -> None:
    options = BusOptions(nats_server.url)

    async def body() -> None:
        async with (
            simulator() as sim,
            subscriber_instance(options, ("AAPL", "TSLA"), instance="sub-a") as a,
            subscriber_instance(options, ("AAPL",), instance="sub-b") as b,
        ):
            # No owner yet: said in words, never "streaming".
            await until(lambda: a.health.last_error is not None, "no owner said")
            assert "owner" in (a.health.last_error or "")
            assert _stale(a)
            async with owner_instance(sim, options, ("AAPL",), instance="owner-1") as owner:
                await until(lambda: _live(a) and _live(b), "streaming from owner-1")
                await until(lambda: price(a.store, "TSLA") is not None, "TSLA via owner-1")
                await until(lambda: a.feed.bus_status.endswith("owner streaming"), "heartbeat")
                # The owner crashes: its bus drops without a goodbye, the heartbeats stop.
                await owner.publisher._tasks.cancel_all()
                owner.hub.detach(owner.publisher)
                await owner.bus.close()
                await until(lambda: _stale(a) and _stale(b), "subscribers stale")
                assert "owner silent for" in (a.health.last_error or "")
                assert a.feed.bus_status.startswith("bus: owner silent")
            async with owner_instance(sim, options, ("MSFT",), instance="owner-2") as owner2:
                await until(lambda: _live(a) and _live(b), "recovered with owner-2")
                # owner-2 learnt the subscribers' wishes from their renewed leases.
                await until(lambda: "TSLA" in owner2.client.extra_subscription.trades, "lease")
                before = a.feed.stats.messages
                await until(lambda: a.feed.stats.messages > before + 10, "live data again")
                assert a.feed.document()["owner"] == "owner-2"
            # A clean stop says so at once ("stopped"), without waiting for the silence.
            await until(lambda: _stale(a), "stale after owner-2 stopped")
            assert "owner" in (a.health.last_error or "")

    run(body())


def test_nats_itself_restarted(nats_server: NatsServer) -> None:
    options = BusOptions(nats_server.url)

    async def body() -> None:
        async with (
            simulator() as sim,
            owner_instance(sim, options, ("AAPL", "MSFT")) as owner,
            subscriber_instance(options, ("AAPL", "TSLA"), instance="sub-a") as a,
            subscriber_instance(options, ("MSFT",), instance="sub-b") as b,
        ):
            await until(lambda: _live(a) and _live(b), "streaming")
            await until(lambda: price(a.store, "TSLA") is not None, "TSLA")
            generation = owner.bus.generation
            nats_server.stop()
            await until(lambda: _stale(a) and _stale(b), "subscribers stale")
            assert "NATS disconnected" in (a.health.last_error or "")
            assert not owner.bus.connected
            assert "disconnected" in owner.publisher.status
            # The owner's own upstream is untouched by the bus's outage.
            assert owner.health.state is ConnectionState.STREAMING
            nats_server.start()  # same port, empty memory: the snapshot stream is gone
            await until(lambda: owner.bus.connected, "owner reconnected", 30)
            await until(lambda: _live(a) and _live(b), "both subscribers recovered", 30)
            assert owner.bus.generation == generation + 1
            before = (a.feed.stats.messages, b.feed.stats.messages)
            await until(
                lambda: a.feed.stats.messages > before[0] and b.feed.stats.messages > before[1],
                "live data again on both",
            )
            assert "TSLA" in owner.client.extra_subscription.trades
            # The owner re-created the snapshot stream: a joiner now gets one at once.
            async with subscriber_instance(options, ("AAPL",), instance="after") as late:
                await until(lambda: late.feed.stats.snapshot_messages > 0, "snapshot")
                await until(lambda: price(late.store, "AAPL") is not None, "AAPL")

    run(body())
