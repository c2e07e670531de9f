"""Sharing the app's one Alpaca connection: the local gateway and the NATS bus.

`GatewayLink` is the composition root's part for it, as `AccountLink` is for the account:
it makes, for the running upstream (the app's `StreamClient`, store, feed and plan limit),
the engine's `Hub` and `GatewayServer` (docs/gateway.md), and with `--bus` the bus
publisher (docs/bus.md); it shows them in the status bar and in the Settings dialog's
"Share connection" page, and applies that page without a restart.

The hub follows the upstream: after a feed change, or leaving the demo for Alpaca, the
old hub is stopped at once (no frame of the new upstream reaches clients of the old
path) and clients of the old path are closed with the reason in words; they reconnect
to the path of the new feed. In the demo the gateway serves the simulator's data, and
both the status bar and the page say so.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import deque
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from engine.config import Credentials
from engine.core.tasks import TaskSet
from engine.events import Subscription
from engine.gateway import credentials as local_keys
from engine.gateway.credentials import LocalCredentials
from engine.plan import MarketDataPlan, SymbolBudget
from gui.runtime_bus import BusLink
from gui.runtime_parts import RuntimeOptions
from gui.settings.gateway_page import GatewayPage, GatewayPageState
from gui.settings.persistence import AppSettings
from gui.statusbar.gateway import BusIndicator, BusView, GatewayIndicator, GatewayView, clients_text

if TYPE_CHECKING:
    from engine.gateway.hub import Hub
    from engine.gateway.server import GatewayServer
    from engine.market.store import MarketDataStore
    from engine.net.health import StreamHealth
    from engine.net.stream import StreamClient, StreamConfig
    from gui.main_window import MainWindow
    from gui.watchlists.budget import BudgetKeeper

__all__ = ["GatewayLink", "Upstream"]

log = logging.getLogger("gui.runtime")

PAGE_TITLE = "Share connection"
_NOTES = 3  # recent "clients closed because ..." notes kept for the tooltip


class Upstream(Protocol):
    """What the composition root (gui.runtime.Runtime) offers the sharing part."""

    options: RuntimeOptions
    settings: AppSettings
    tasks: TaskSet
    client: StreamClient | None
    store: MarketDataStore | None
    budget: SymbolBudget
    budget_keeper: BudgetKeeper | None
    demo: bool
    credentials: Credentials | None
    window: MainWindow | None


class GatewayLink:
    """The hub over the app's upstream, the gateway server on it, their status and page."""

    def __init__(self, up: Upstream) -> None:
        self._up = up
        opts = up.options
        saved_on, saved_port = up.settings.gateway()
        self.forced = opts.gateway_port is not None  # --gateway PORT: on for this run
        self.enabled = self.forced or saved_on
        self.port = opts.gateway_port if opts.gateway_port is not None else saved_port
        self.host = opts.gateway_host
        self.hub: Hub | None = None
        self.server: GatewayServer | None = None
        self._served: tuple[str, bool] | None = None  # (feed, simulated) of the hub
        self.error: str | None = None  # why the gateway is not serving, in words
        self.notes: deque[str] = deque(maxlen=_NOTES)
        self._local: LocalCredentials | None = None
        self._where = ""
        self._lock = asyncio.Lock()  # one start, stop or restart at a time, in order
        self.indicator = GatewayIndicator(self.view)
        self.bus_indicator = BusIndicator(self.bus_view)
        self.page: GatewayPage | None = None  # the last one shown (tests, screenshots)
        self.bus = BusLink(opts, self._env())  # --bus: publish, or read the owner's stream

    # --- wiring -----------------------------------------------------------------------

    def attach(self, window: MainWindow) -> None:
        """Status indicators, and the page added to every Settings dialog the window opens
        (after the window's own slot made it: Qt calls slots in connection order)."""
        window.status.add(self.indicator)
        window.status.add(self.bus_indicator)
        window.settings_action.triggered.connect(self._extend_settings)

    def stream_client(
        self, config: StreamConfig, store: MarketDataStore, health: StreamHealth,
        clock: Callable[[], float],
    ) -> StreamClient:  # fmt: skip
        """The app's upstream: Alpaca's stream (or --url's), or with `--bus` and no
        upstream of its own, the owner's stream read from the bus (BusFeed)."""
        if self.bus.subscribes(self._up.credentials):
            return self.bus.feed_client(store, health, config.feed, clock)
        from engine.net.stream import StreamClient

        return StreamClient(config, store, health, clock=clock)

    async def start(self) -> None:
        """Serve if the switch (or --gateway) says so, publish with --bus; a failure is
        shown, never raised."""
        async with self._lock:
            if self.enabled:
                await self._serve()
            await self._publish()

    async def _publish(self) -> None:
        if self.bus.asked and self.bus.feed is None and self.bus.publisher is None:
            hub = self._ensure_hub()
            if hub is not None:
                await self.bus.publish(hub)

    async def stop(self) -> None:
        """Shutdown: clients closed, hub off the upstream."""
        async with self._lock:
            await self._stop_server("Tickerdesk is closing")
            await self.bus.close()
            self._drop_hub()

    async def apply(self, enabled: bool, port: int) -> None:
        """The page's values on OK: saved, then started, stopped or moved at once."""
        self._up.settings.set_gateway(enabled, port)
        async with self._lock:
            serving = self.server is not None
            if enabled == serving and port == self.bound_port():
                return
            await self._stop_server(f"the gateway moved to port {port}" if enabled else "")
            self.enabled, self.port, self.forced, self.error = enabled, port, False, None
            if enabled:
                await self._serve()
            elif self.bus.publisher is None:
                self._drop_hub()

    def follow(self) -> None:
        """The upstream changed (feed, plan, demo or not): called after every switch
        (gui.runtime_switch `_sync_plan`)."""
        hub, client = self.hub, self._up.client
        if hub is None or client is None:
            return
        served = (client.config.feed, self._up.demo)
        if served == self._served:
            plan = self._up.budget.plan
            hub.set_limit(plan.limit, free_plan=plan.plan is MarketDataPlan.BASIC)
            return
        # Stop the tap now, synchronously: no frame of the new upstream reaches clients
        # that asked on the old path (docs/gateway.md, "Protocol served").
        old_feed, was_simulated = self._served or (served[0], served[1])
        self._drop_hub()
        if served[0] != old_feed:
            why = f"the app switched feed from {old_feed} to {served[0]}: use /v2/{served[0]}"
        elif was_simulated:
            why = "the app left the demo's simulated data for Alpaca"
        else:
            why = "the app's upstream changed"
        self._up.tasks.spawn(self._restart(why), name="tickerdesk-gateway-follow")

    async def _restart(self, why: str) -> None:
        async with self._lock:
            serving, publishing = self.server is not None, self.bus.publisher is not None
            if self.server is not None:
                count = self.server.clients
                await self._stop_server(why)
                self.notes.append(f"{clients_text(count)} closed: {why}")
                log.info("gateway: %s closed: %s", clients_text(count), why)
            await self.bus.unpublish()  # its subjects name the old feed
            self._drop_hub()
            if serving:
                await self._serve()
            if publishing:
                await self._publish()

    # --- the hub and the server ---------------------------------------------------------

    def _ensure_hub(self) -> Hub | None:
        if self.hub is not None:
            return self.hub
        up = self._up
        if up.client is None or up.store is None:
            return None
        from engine.gateway.hub import Hub

        plan = up.budget.plan
        feed = up.client.config.feed
        hub = Hub(
            up.client, up.store, limit=plan.limit,
            free_plan=plan.plan is MarketDataPlan.BASIC, feed=feed,
        )  # fmt: skip
        hub.add_listener(self._share_budget)
        hub.start()
        self.hub, self._served = hub, (feed, up.demo)
        return hub

    def _share_budget(self, union: Subscription) -> None:
        """Other programs' symbols spend the plan's limit too: the watchlists stream
        what is left (engine.plan.SymbolBudget.set_shared; docs/gateway.md)."""
        keeper = self._up.budget_keeper
        if self._up.budget.set_shared(union.trades | union.quotes) and keeper is not None:
            keeper.apply()

    def _drop_hub(self) -> None:
        hub, self.hub = self.hub, None
        if hub is None:
            return
        hub.stop()
        if self._up.client is not None:  # nobody else's symbols upstream any more
            self._up.client.set_extra_subscription(Subscription())
        self._share_budget(Subscription())

    async def _serve(self) -> None:
        hub = self._ensure_hub()
        local = self.local_credentials()
        if hub is None or local is None:
            self.error = self.error or "the app has no upstream yet"
            return
        from engine.gateway.server import GatewayConfig, GatewayServer

        server = GatewayServer(hub, local, GatewayConfig(host=self.host, port=self.port))
        try:
            await server.start()
        except OSError as exc:  # port in use, address not here, ...: say it, keep running
            self.error = f"cannot listen on {self.host}:{self.port}: {exc.strerror or exc}"
            log.warning("gateway: %s", self.error)
            if self.bus.publisher is None:
                self._drop_hub()
            return
        self.server, self.error = server, None
        log.info("gateway serving %s (local key %s)", self.url(), local.key_id)

    async def _stop_server(self, why: str) -> None:
        server, self.server = self.server, None
        if server is None:
            return
        # The close reason tells clients why (docs/gateway.md, "Protocol served").
        await server.stop(reason=why)

    # --- local credentials ------------------------------------------------------------

    def _credentials_path(self) -> Path | None:
        """Beside an explicit --settings file (a test's, a second profile's), else the
        default (engine.gateway.credentials.default_path), shared with tickerdesk-gateway."""
        if self._up.options.settings_path is None:
            return None
        return self._up.settings.path.with_name(local_keys.FILE_NAME)

    def _env(self) -> Mapping[str, str]:
        env = self._up.options.env
        return os.environ if env is None else env

    def local_credentials(self) -> LocalCredentials | None:
        """The clients' key pair (loaded or made once); None with the reason in `error`."""
        if self._local is None:
            try:
                self._local, self._where = local_keys.resolve(
                    self._env(), self._credentials_path(), alpaca=self._up.credentials
                )
            except (OSError, ValueError) as exc:
                self.error = str(exc)
                log.warning("gateway: %s", exc)
        return self._local

    def _regenerate(self) -> GatewayPageState:
        """Settings' "New credentials": a new pair on file; clients of the old are closed."""
        try:
            self._local = local_keys.regenerate(self._credentials_path())
        except OSError as exc:
            self.error = f"cannot store new credentials: {exc.strerror or exc}"
        else:
            path = self._credentials_path() or local_keys.default_path()
            self._where = f"stored in {path} (mode 0600, new)"
            self._up.tasks.spawn(
                self._restart("the local credentials were renewed"), name="tickerdesk-gateway-keys"
            )
        return self.page_state()

    # --- what the user sees -------------------------------------------------------------

    def bound_port(self) -> int:
        return self.server.port if self.server is not None else self.port

    def url(self) -> str:
        feed = self._served[0] if self._served else self._feed()
        return f"ws://{self.host}:{self.bound_port()}/v2/{feed}"

    def _feed(self) -> str:
        client = self._up.client
        return client.config.feed if client is not None else "iex"

    def view(self) -> GatewayView | None:
        """The status bar's view; None while the gateway is off."""
        if not self.enabled:
            return None
        server = self.server
        if server is None:
            return GatewayView(self.url(), error=self.error, notes=tuple(self.notes))
        report: list[dict[str, Any]] = list(server.client_report())
        return GatewayView(
            self.url(), server.clients, report, server.stats.slow_closed,
            simulated=self._up.demo, notes=tuple(self.notes),
        )  # fmt: skip

    def bus_view(self) -> BusView | None:
        return self.bus.view()

    def page_state(self) -> GatewayPageState:
        local = self.local_credentials()
        if not self.enabled:
            status = "Off: other programs cannot connect."
        elif self.server is None:
            status = f"Not serving: {self.error}" if self.error else "Starting …"
        else:
            status = f"Serving {clients_text(self.server.clients)} over this app's connection."
            if self._up.demo:
                status += " Demo: it serves the built-in simulator's data, not real prices."
        note = "Turned on for this run by --gateway." if self.forced else ""
        return GatewayPageState(
            enabled=self.enabled, port=self.bound_port(), host=self.host, feed=self._feed(),
            key_id=local.key_id if local else "", secret=local.secret if local else "",
            where=f"Local credentials {self._where}." if local else (self.error or ""),
            status=status, note=note,
        )  # fmt: skip

    def _extend_settings(self) -> None:
        window = self._up.window
        dialog = window.settings_dialog if window is not None else None
        if dialog is None or dialog.findChild(GatewayPage) is not None:
            return  # no dialog, or the one open has the page already
        state = self.page_state()
        # Credentials from the environment are the user's to change, not the page's.
        renew = self._regenerate if self._where.startswith("stored in") else None
        page = GatewayPage(state, renew, dialog)
        dialog.add_page(PAGE_TITLE, page)
        self.page = page
        opened = page.values()
        dialog.applied.connect(lambda _values: self._on_page_applied(page, opened))

    def _on_page_applied(self, page: GatewayPage, opened: tuple[bool, int]) -> None:
        values = page.values()
        if values == opened:
            return  # nothing changed: --gateway's run-only choice is not saved
        enabled, port = values
        self._up.tasks.spawn(self.apply(enabled, port), name="tickerdesk-gateway-apply")
