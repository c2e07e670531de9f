"""The composition root's state: store, health, stream, REST, account, simulator, window.

`Runtime.start()` creates every engine object (store, health, stream and REST clients,
and through `engine_parts` the price history and the alert book the window shows), builds
the window with them and wires it, all on the running (qasync) loop; `Runtime.close()`
tears it down in order and awaits every task it started. `gui.app` drives it from the
main coroutine; tests drive it on a fresh loop per test (and `make_window` uses
`engine_parts` too).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from engine.config import (
    DEFAULT_SYMBOLS,
    LIVE_REST_URL,
    LIVE_STREAM_URL,
    Credentials,
    resolve_credentials,
)
from engine.core.tasks import TaskSet
from engine.events import Subscription
from engine.market.store import MarketDataStore, Source
from engine.net.health import StreamHealth
from engine.net.stream import StreamClient
from engine.plan import SymbolBudget
from engine.protocol import Encoding
from gui import startup_trace
from gui.main_window import MainWindow
from gui.runtime_account import AccountLink, endpoint
from gui.runtime_gate import FirstData, freeze_start_heap
from gui.runtime_gateway import GatewayLink
from gui.runtime_parts import (
    EngineParts,
    PlanChoice,
    RuntimeOptions,
    engine_parts,
    probe_with,
    simulated_clock,
    start_simulator,
    without_data,
)
from gui.runtime_rest import RestPolling
from gui.runtime_switch import Switching
from gui.settings.dialog import StreamSettings
from gui.settings.persistence import AppSettings
from gui.watchlists.budget import BudgetKeeper, watchlist_owned

if TYPE_CHECKING:
    from engine.simulator import Simulator

__all__ = ["EngineParts", "Runtime", "RuntimeOptions", "engine_parts"]

log = logging.getLogger(__name__)


class Runtime(Switching):
    """Everything one running app owns; no globals."""

    def __init__(
        self,
        options: RuntimeOptions,
        stop: asyncio.Event,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.options = options
        self.stop_event = stop
        self.clock = clock
        self.tasks = TaskSet()
        self.settings = AppSettings(options.settings_path)
        if options.ca_file is None and (saved_ca := self.settings.ca_file()):
            self.options = options = replace(options, ca_file=saved_ca)  # Settings' CA file
        self.health = StreamHealth(clock=clock)
        self.store: MarketDataStore | None = None
        self.parts = engine_parts(self.settings)
        self.simulator: Simulator | None = None
        self.client: StreamClient | None = None
        self.rest = RestPolling(self.tasks, options.rest_poll_s, clock)
        self.plans = PlanChoice(self.settings, options)
        self.window: MainWindow | None = None
        self.budget = SymbolBudget()
        self.budget_keeper: BudgetKeeper | None = None
        self.account = AccountLink(clock)  # the user's Alpaca account, read-only
        # REST and the account send their first request after the first live row
        # painted (or a 1 s cap): the first frame has the loop to itself (gui.runtime_gate).
        self.first_data = FirstData()
        self._union: set[str] = set()
        self._stream_on = True  # the user's Connect toggle
        self._switching = asyncio.Lock()  # one feed or REST change at a time, in order
        self.credentials: Credentials | None = None
        self.credentials_source = "none"
        self.demo = False
        self.auto_demo = False  # demo only because no credentials: new ones switch to live
        self.stream_url = LIVE_STREAM_URL
        self.rest_url: str | None = LIVE_REST_URL
        self._streamed: set[str] = set()  # symbols seen with stream data (smoke test)
        self.gateway = GatewayLink(self)  # other programs on this connection (docs/gateway.md)

    # --- start --------------------------------------------------------------------

    async def start(self) -> None:
        startup_trace.mark("start")
        opts = self.options
        if not opts.demo:
            env = os.environ if opts.env is None else opts.env
            # Synchronous on purpose: nothing is on screen yet, and a worker thread would
            # let Python's GC destroy Qt objects off the GUI thread ("Timers cannot be
            # stopped from another thread", seen in tests). Keyring reads are local IPC.
            self.credentials, self.credentials_source = resolve_credentials(
                dict(env), opts.use_keyring
            )
        from_bus = self.gateway.bus.subscribes(self.credentials)  # --bus, no upstream
        self.demo = opts.demo or (self.credentials is None and opts.url is None and not from_bus)
        self.auto_demo = self.demo and not opts.demo
        feed = opts.feed or self.settings.feed()
        if opts.feed:
            self.settings.set_feed(opts.feed)
        if opts.plan is not None and not self.demo:
            self.settings.set_plan(opts.plan)
        encoding = Encoding.MSGPACK if opts.msgpack else Encoding(self.settings.encoding())
        flush_ms = opts.flush_ms or self.settings.flush_ms()
        self.store = MarketDataStore(
            clock=self.clock, default_source=Source.SIMULATOR if self.demo else Source.STREAM
        )
        symbols = opts.symbols or self.settings.all_watchlist_symbols() or list(DEFAULT_SYMBOLS)
        if self.demo:
            await self._start_simulator(symbols)
            startup_trace.mark("simulator")
        else:
            self.stream_url = opts.url or LIVE_STREAM_URL
            self.rest_url = opts.rest_url or (None if opts.url or from_bus else LIVE_REST_URL)
        config = opts.stream_config(self.stream_url, feed, encoding, self.credentials)
        plan = self.plans.plan(feed, self.demo)
        self.budget = SymbolBudget(plan, "the simulator" if self.demo else "Alpaca")
        # Under a symbol budget the client streams part of the watched symbols; watching
        # the store stays with the watchlists (gui.watchlists.budget).
        store_view = watchlist_owned(self.store)
        self.client = self.gateway.stream_client(config, store_view, self.health, self.clock)
        self._start_rest()
        settings_shown = StreamSettings(
            self.credentials, feed, str(encoding), flush_ms, plan=self.settings.plan(),
            plan_note=self.plans.note(self.demo), ca_file=opts.ca_file,
        )  # fmt: skip
        self.window = MainWindow(
            self.store,
            self.health,
            self.settings,
            self.tasks,
            history=self.parts.history,
            alerts=self.parts.alerts,
            symbols=symbols,
            clock=self.clock,
            demo=self.demo,
            checker=self.rest.check_symbols if self.rest.rest is not None else None,
            probe=self.probe,
            # Connection details show the subscription as the server confirmed it.
            subscription=self._confirmed_subscription,
            flush_ms=flush_ms,
            feed=feed,
            stream_settings=settings_shown,
            credentials_source=self.credentials_source,
            budget=self.budget,
            poll_interval_s=opts.rest_poll_s,
            session_clock=self._session_clock(),
        )
        startup_trace.mark("window built")
        self.first_data.watch(self.window.model, self.window.table.viewport(), self._has_data)
        if opts.freeze_start_heap:
            self.tasks.spawn(freeze_start_heap(self.first_data), name="tickerdesk-gc-freeze")
        if opts.symbols is not None:
            self.window.model.set_symbols(opts.symbols)
        self._connect_window(self.window)
        if self.settings.last_error:  # corrupt / read-only settings: say so, keep running
            self.window.statusBar().showMessage(self.settings.last_error, 15000)
        self._union = set(self.window.all_symbols())
        # Every tab shares the one connection: the budget streams the visible tab first.
        client = self.client
        self.budget_keeper = BudgetKeeper(
            self.window.watchlists.lists, self.budget,
            stream=client.set_symbols, refusal=lambda: client.refusal,
            confirmed=self._confirmed_subscription, parent=self.window,
        )  # fmt: skip
        self.budget_keeper.set_poller(self.rest.poller)
        self.budget_keeper.apply()
        self.rest.request(self.window.all_symbols())
        self.tasks.add(self.client.start())
        startup_trace.mark("rest+stream started")
        self.account.attach(self.window)
        self._start_account()
        startup_trace.mark("account")
        self.gateway.attach(self.window)
        await self.gateway.start()
        if opts.show_window:
            self.window.show()
        startup_trace.mark("shown")

    async def _start_simulator(self, symbols: list[str]) -> None:
        rate = self.options.simulator_rate
        self.simulator = await start_simulator(self.plans.demo(), symbols, rate)
        self.stream_url = self.simulator.ws_url
        self.rest_url = self.simulator.rest_url

    def _start_rest(self) -> None:
        """(Re)create the REST client and its poller for the current feed and credentials."""
        if self.client is None or self.store is None:
            return
        config = self.client.config
        poller = self.rest.start(
            self.rest_url, config.feed, self.credentials, config.insecure, self.store,
            self.budget.plan, self.parts.history, self.exchange_ns, self.health,
            ca_file=config.ca_file, gate=self.first_data,
        )  # fmt: skip
        if self.budget_keeper is not None:
            self.budget_keeper.set_poller(poller)
        if self.window is not None:
            self.window.status.history.set_source(self.rest.progress)

    def _start_account(self) -> None:
        assert self.window is not None
        assert self.store is not None
        where = endpoint(
            self.settings, self.credentials, self.simulator, self.rest_url, self.stream_url
        )
        self.account.start(
            where,
            self.rest.budget,
            self.store,
            self.window,
            self.options.insecure,
            self.exchange_ns,
            ca_file=self.options.ca_file,
            gate=self.first_data,
        )

    async def _restart_account(self) -> None:
        await self.account.stop(self.window)
        self._start_account()

    def _connect_window(self, window: MainWindow) -> None:
        window.quit_requested.connect(self.stop_event.set)
        window.watchlist_changed.connect(self._on_watchlist_changed)
        window.connect_requested.connect(self._on_connect_requested)
        window.feed_chosen.connect(self._on_feed_chosen)
        window.settings_applied.connect(self._on_settings_applied)
        window.status.history.set_source(self.rest.progress)
        window.model.set_exchange_clock(self.exchange_ns)

    def exchange_ns(self) -> int:
        """Exchange time now: the demo simulator's clock, else the wall clock."""
        return self.simulator.now_ns() if self.simulator is not None else time.time_ns()

    def _confirmed_subscription(self) -> Subscription:
        return self.client.subscription if self.client is not None else Subscription()

    def _on_watchlist_changed(self, symbols: list[str]) -> None:
        # The budget keeper follows the priority order (stream or REST); here snapshots
        # and history of new symbols, and no history for the gone (docs/design.md).
        added, removed = set(symbols) - self._union, self._union - set(symbols)
        self._union = set(symbols)
        self.rest.request(added)
        self.rest.forget(removed)

    def _on_connect_requested(self, on: bool) -> None:
        if self.client is None:
            return
        self._stream_on = on
        if on:
            self.tasks.add(self.client.start())
        else:
            self.tasks.spawn(self.client.stop(), name="tickerdesk-disconnect")

    def _on_feed_chosen(self, feed: str) -> None:
        if self.client is not None and feed != self.client.config.feed:
            self._reconfigure(replace(self.client.config, feed=feed))

    def _on_settings_applied(self, values: StreamSettings) -> None:
        self.tasks.spawn(self.apply_settings(values), name="tickerdesk-apply-settings")

    def _session_clock(self) -> Callable[[], datetime] | None:
        """The simulated clock of a demo day (`--demo-at`, `--demo-speed`), else None."""
        if self.simulator is None or not self.plans.demo().day:
            return None
        return simulated_clock(self.simulator.now_ns)

    async def probe(self, creds: Credentials | None, feed: str, encoding: str) -> tuple[bool, str]:
        """Test-connection button: auth against the configured endpoint with these values."""
        assert self.client is not None
        url = LIVE_STREAM_URL if self.auto_demo and creds is not None else self.stream_url
        creds = creds or self.credentials
        return await probe_with(self.client.config, url, feed, encoding, creds, self.clock)

    def _has_data(self) -> bool:
        """Whether a shown symbol has stream data (the start-up gate's test; REST has
        sent nothing yet while it waits)."""
        store, window = self.store, self.window
        if store is None or window is None:
            return False
        return any((snap := store.get(s)) is not None and snap.updates > 0
                   for s in window.model.symbols())  # fmt: skip

    def window_symbols(self) -> list[str]:
        return self.window.all_symbols() if self.window is not None else []

    def symbols_without_data(self) -> list[str]:
        """Watchlist symbols without data yet (the smoke test waits for none)."""
        if self.store is None:
            return self.window_symbols()
        polled = self.budget.last.polled
        return without_data(self.store, self.window_symbols(), polled, self._streamed)

    # --- shutdown ---------------------------------------------------------------------

    async def close(self) -> None:
        """Stop everything in dependency order; safe to call after a partial start."""
        window = self.window
        self.first_data.close()
        if self.budget_keeper is not None:
            self.budget_keeper.stop()
        await self.account.stop(window)
        if window is not None:
            window.shutdown()
        await self.gateway.stop()  # its clients first, then the upstream they share
        if self.client is not None:
            await self.client.stop()
        await self.rest.stop()
        await self.tasks.cancel_all()
        if self.simulator is not None:
            await self.simulator.stop()
            self.simulator = None
        if window is not None:
            window.close()
            window.deleteLater()
        self.settings.sync()
