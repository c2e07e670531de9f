"""`tickerdesk-watch --bus URL`: share the Alpaca connection over NATS (docs/bus.md).

With Alpaca credentials, `--url` or `--demo` the watch owns the upstream: a `Hub` taps its
stream client and a `BusPublisher` publishes every event and serves other instances'
subscribe requests. With none of them it owns no upstream and reads the owner's stream
through the bus (`BusFeed` in place of the websocket client). Either way its `--json`
document gains a "bus" section. The bus password or token come from the environment
(TICKERDESK_BUS_PASSWORD / TICKERDESK_BUS_TOKEN), never from the command line.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from engine.bus.base import BusError
from engine.bus.feed import BusFeed, default_instance
from engine.bus.nats_bus import PASSWORD_ENV, TOKEN_ENV, BusOptions, NatsBus
from engine.bus.publisher import BusPublisher
from engine.gateway.hub import Hub
from engine.market.store import MarketDataStore
from engine.net.health import StreamHealth
from engine.net.stream import StreamClient
from engine.plan import MarketDataPlan, PlanLimit, SymbolBudget

__all__ = ["BusError", "WatchBus", "add_bus_arguments"]


def add_bus_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "bus", f"share one Alpaca connection over NATS (password in {PASSWORD_ENV}, "
        f"token in {TOKEN_ENV}; docs/bus.md)",
    )  # fmt: skip
    group.add_argument(
        "--bus",
        metavar="URL",
        help="nats://HOST:4222 or tls://HOST:4222; with Alpaca credentials, --url or --demo "
        "this instance publishes its stream, otherwise it subscribes through the bus",
    )
    group.add_argument("--bus-user", metavar="NAME", help="NATS user (password from the env)")
    group.add_argument("--bus-ca", metavar="FILE", help="CA certificate that signed the server's")
    group.add_argument("--bus-cert", metavar="FILE", help="client certificate (mutual TLS)")
    group.add_argument("--bus-key", metavar="FILE", help="client certificate's key")


class WatchBus:
    """The watch's bus role: owner (publisher) or subscriber (feed), and its bus."""

    def __init__(self, options: BusOptions, *, subscriber: bool) -> None:
        self.options = options
        self.subscriber = subscriber
        self.bus = NatsBus(options)  # ValueError in words for unusable options
        self.publisher: BusPublisher | None = None
        self.feed: BusFeed | None = None
        self.hub: Hub | None = None
        self.instance = default_instance()

    @classmethod
    def from_args(
        cls,
        args: argparse.Namespace,
        env: Mapping[str, str],
        *,
        owns_upstream: bool,
        name: str = "tickerdesk-watch",
    ) -> WatchBus | None:
        """None without --bus; ValueError (in words) for bad bus options."""
        if args.bus is None:
            if any((args.bus_user, args.bus_ca, args.bus_cert, args.bus_key)):
                raise ValueError("--bus-user, --bus-ca, --bus-cert and --bus-key need --bus")
            return None
        options = BusOptions.from_env(
            args.bus, env, user=args.bus_user, ca_file=args.bus_ca, cert_file=args.bus_cert,
            key_file=args.bus_key, name=name, insecure=args.insecure,
        )  # fmt: skip
        return cls(options, subscriber=not owns_upstream)

    def budget(self) -> SymbolBudget:
        """A subscriber streams every symbol it asks for; the owner enforces its plan."""
        return SymbolBudget(PlanLimit(MarketDataPlan.ALGO_TRADER_PLUS), "the bus owner")

    def make_feed(self, store: MarketDataStore, health: StreamHealth, feed: str) -> BusFeed:
        self.feed = BusFeed(self.bus, store, health, feed=feed, instance=self.instance)
        return self.feed

    async def start_owner(
        self, client: StreamClient, store: MarketDataStore, feed: str, plan: PlanLimit
    ) -> None:
        """Publish `client`'s stream; BusDown / BusRefused (in words) when NATS says no."""
        limit = plan.limit
        self.hub = Hub(client, store, limit=limit, free_plan=limit is not None, feed=feed)
        self.hub.start()
        await self.publish(self.hub)

    async def publish(self, hub: Hub) -> None:
        """Publish `hub`'s stream (a hub that may serve the local gateway too: one hub
        per upstream, or two would overwrite each other's extra subscription)."""
        self.publisher = BusPublisher(hub, self.bus, self.instance)
        await self.publisher.start()

    def describe(self) -> str:
        role = "subscribing through" if self.subscriber else "publishing on"
        return f"bus: {role} {self.bus.url} as {self.instance}"

    def document(self) -> dict[str, object]:
        if self.feed is not None:
            return self.feed.document()
        if self.publisher is not None:
            return self.publisher.document()
        return {"role": "owner" if not self.subscriber else "subscriber",
                "url": self.bus.url, "connected": False, "status": self.bus.status}  # fmt: skip

    async def stop(self, client: StreamClient) -> None:
        """Subscriber: release the lease first (so the client stops here); owner: say
        "stopped" to subscribers and drop their leases; then close the bus."""
        if self.feed is not None:
            await client.stop()
        if self.publisher is not None:
            await self.publisher.stop()
        if self.hub is not None:
            self.hub.stop()
        await self.bus.close()
