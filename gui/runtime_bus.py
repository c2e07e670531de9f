"""The NATS bus beside the local gateway (`--bus URL`; docs/bus.md).

With an upstream of its own (Alpaca credentials, `--url` or `--demo`) the app owns the
connection and publishes it on the bus through its hub (`BusPublisher`, a hub sink);
without any (no key, no `--url`), it shows what another Tickerdesk publishes there: its
stream client is then a `BusFeed` (a StreamClient whose session reads the bus), and the
status bar says "data from the bus (owner <id>)". Nothing here imports nats unless a bus
is asked for (engine.bus.nats_bus imports it lazily).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from engine.config import Credentials
from gui.runtime_parts import RuntimeOptions
from gui.statusbar.gateway import BusView
from gui.statusbar.style import Level

if TYPE_CHECKING:
    from engine.bus.base import Bus
    from engine.bus.feed import BusFeed
    from engine.bus.publisher import BusPublisher
    from engine.gateway.hub import Hub
    from engine.market.store import MarketDataStore
    from engine.net.health import StreamHealth

__all__ = ["BusLink"]

log = logging.getLogger("gui.runtime")


class BusLink:
    """The bus connection and the app's role on it: owner (publisher) or subscriber."""

    def __init__(self, options: RuntimeOptions, env: Mapping[str, str]) -> None:
        self._options = options
        self._env = env
        self.bus: Bus | None = None
        self.publisher: BusPublisher | None = None
        self.feed: BusFeed | None = None
        self.error: str | None = None  # why the bus is not used, in words

    @property
    def asked(self) -> bool:
        return self._options.bus_url is not None

    def subscribes(self, credentials: Credentials | None) -> bool:
        """Read the stream from the bus: asked for, and no upstream of the app's own."""
        opts = self._options
        return self.asked and credentials is None and opts.url is None and not opts.demo

    def _bus(self) -> Bus:
        if self.bus is None:
            from engine.bus.nats_bus import NatsBus
            from engine.bus.options import BusOptions

            opts = self._options
            assert opts.bus_url is not None
            options = BusOptions.from_env(
                opts.bus_url, self._env, user=opts.bus_user,
                ca_file=str(opts.bus_ca) if opts.bus_ca is not None else None,
            )  # fmt: skip
            self.bus = NatsBus(options)
        return self.bus

    def feed_client(
        self, store: MarketDataStore, health: StreamHealth, feed: str, clock: Callable[[], float]
    ) -> BusFeed:
        """The subscriber's stream client (it connects the bus when started)."""
        from engine.bus.feed import BusFeed

        self.feed = BusFeed(self._bus(), store, health, feed=feed, clock=clock)
        return self.feed

    async def publish(self, hub: Hub) -> None:
        """Owner: publish the hub's stream; a failure is shown, never raised."""
        from engine.bus.base import BusError
        from engine.bus.feed import default_instance
        from engine.bus.publisher import BusPublisher

        publisher = BusPublisher(hub, self._bus(), default_instance())
        try:
            await publisher.start()
        except BusError as exc:
            self.error = str(exc)
            log.warning("bus: %s", exc)
            await publisher.stop()
            return
        self.publisher, self.error = publisher, None

    async def unpublish(self) -> None:
        publisher, self.publisher = self.publisher, None
        if publisher is not None:
            await publisher.stop()

    async def close(self) -> None:
        await self.unpublish()
        bus, self.bus = self.bus, None
        if bus is not None:
            await bus.close()

    def view(self) -> BusView | None:
        """The status bar's view; None without --bus."""
        url = self._options.bus_url
        if url is None:
            return None
        bus = self.bus
        shown = bus.url if bus is not None else url
        if self.feed is not None:
            status = self.feed.bus_status.removeprefix("bus: ").removeprefix(f"{shown} · ")
            owner = self.feed.document().get("owner")
            ok = "owner streaming" in self.feed.bus_status
            state = f"data from the bus (owner {owner})" if ok and owner else status
            return BusView(shown, state, Level.OK if ok else Level.WARN, self.feed.bus_status)
        if self.publisher is not None:
            ok = self.publisher.bus.connected
            return BusView(shown, "owner " + self.publisher.status, Level.OK if ok else Level.WARN)
        if self.error:
            return BusView(shown, self.error, Level.BAD)
        return BusView(shown, bus.status if bus is not None else "not connected", Level.WARN)
