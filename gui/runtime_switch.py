"""Switching while running: new credentials, feed, encoding, plan, Trading API choice,
leaving the demo for Alpaca. A mixin of `gui.runtime.Runtime` (the composition root),
kept apart so each file reads as one concern: `Runtime` starts and stops everything,
`Switching` changes it in order (one change at a time: `_switching`) without ever
mixing data of two timelines or of simulated and real prices (docs/design.md).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from engine.config import (
    LIVE_REST_URL,
    LIVE_STREAM_URL,
    Credentials,
    check_url_security,
    delete_credentials,
    save_credentials,
)
from engine.core.tasks import TaskSet
from engine.market.store import MarketDataStore, Source
from engine.net.health import ConnectionState, StreamHealth
from engine.net.stream import ConfigError, StreamClient, StreamConfig
from engine.net.streamconfig import describe_change
from engine.plan import SymbolBudget
from engine.protocol import Encoding
from gui.main_window import MainWindow
from gui.runtime_account import AccountLink
from gui.runtime_gate import thaw_start_heap
from gui.runtime_gateway import GatewayLink
from gui.runtime_parts import EngineParts, PlanChoice, RuntimeOptions, changes_timeline
from gui.runtime_rest import RestPolling
from gui.settings.credentials import CredentialsChoice
from gui.settings.dialog import StreamSettings
from gui.settings.persistence import AppSettings
from gui.watchlists.budget import BudgetKeeper

if TYPE_CHECKING:
    from engine.simulator import Simulator

__all__ = ["Switching"]

log = logging.getLogger("gui.runtime")


class Switching:
    """What `Runtime` changes while running (see the module docstring)."""

    # Runtime's state, set by Runtime.__init__ / start().
    options: RuntimeOptions
    settings: AppSettings
    tasks: TaskSet
    health: StreamHealth
    store: MarketDataStore | None
    parts: EngineParts
    simulator: Simulator | None
    client: StreamClient | None
    rest: RestPolling
    plans: PlanChoice
    window: MainWindow | None
    budget: SymbolBudget
    budget_keeper: BudgetKeeper | None
    account: AccountLink
    gateway: GatewayLink
    credentials: Credentials | None
    credentials_source: str
    demo: bool
    auto_demo: bool
    stream_url: str
    rest_url: str | None
    _stream_on: bool
    _switching: asyncio.Lock
    _streamed: set[str]
    _parked: Credentials | None = None  # saved key kept while "Use demo data" shows the demo
    # The newest stream config asked for while a switch is queued or running: later asks
    # replace it, so the last choice wins whatever order the switches would finish in.
    _wanted_config: StreamConfig | None = None
    _parked_source = "none"

    def _start_rest(self) -> None:
        raise NotImplementedError  # Runtime's

    async def _start_simulator(self, symbols: list[str]) -> None:
        raise NotImplementedError  # Runtime's

    def _session_clock(self) -> Callable[[], datetime] | None:
        raise NotImplementedError  # Runtime's

    async def _restart_account(self) -> None:
        raise NotImplementedError  # Runtime's

    async def apply_settings(self, values: StreamSettings) -> None:
        """Save new credentials (keyring, else session only) and reconnect if anything changed."""
        assert self.client is not None
        assert self.window is not None
        creds, account_was = values.credentials, (self.credentials, self.settings.trading_api())
        ca_was = self.options.ca_file
        if values.ca_file != ca_was:  # Settings' "Trust CA file (test servers)"
            self.settings.set_ca_file(values.ca_file)
            self.options = replace(self.options, ca_file=values.ca_file)
        if values.trading_api is not None:
            self.settings.set_trading_api(values.trading_api)
        was_demo = self.demo
        said = await self._credentials_choice(values.credentials_action)
        if values.credentials_action == CredentialsChoice.ALPACA and self._parked is not None:
            # Back from "Use demo data": the key is still saved where it was.
            self.credentials, self._parked, creds = self._parked, None, None
            self.credentials_source = self.window.credentials_source = self._parked_source
            if self.auto_demo:
                await self._leave_demo()
        elif values.credentials_action != CredentialsChoice.KEEP:
            creds = None  # forgotten, or parked while the demo shows
        if creds is not None and creds != self.credentials:
            saved = save_credentials(creds)  # local keyring IPC; no thread (see start())
            self.credentials = creds
            self.credentials_source = "keyring" if saved else "session"
            self.window.credentials_source = self.credentials_source
            self.budget.forget_learned()  # another key may have another plan
            if self.auto_demo:
                await self._leave_demo()
        config = replace(
            self.client.config, credentials=self.credentials, feed=values.feed,
            encoding=Encoding(values.encoding), url=self.stream_url, ca_file=self.options.ca_file,
        )  # fmt: skip
        self.window.stream_settings = replace(self.window.stream_settings, ca_file=values.ca_file)
        if (self.credentials, self.settings.trading_api()) != account_was or (
            self.options.ca_file != ca_was
        ):
            await self._restart_account()  # another key, or paper / live / off
        problem = None
        if config != self.client.config:
            problem = self._reconfigure(config)
        else:
            self._sync_plan(config.feed)  # the plan may have changed alone
        if self.demo and not was_demo and self._stream_on:
            self.tasks.add(self.client.start())  # stopped by _enter_demo, now on the simulator
        self.window.stream_settings = replace(
            self.window.stream_settings, credentials=self.credentials or self._parked,
            credentials_action=CredentialsChoice.KEEP, demo=self.demo,
        )  # fmt: skip
        if problem is None:  # a problem said by _reconfigure wins: never painted over
            self.window.statusBar().showMessage(said or "Settings applied", 8000)

    async def _credentials_choice(self, action: str) -> str:
        """Forget the credentials or show demo data (issue 18, #5), without a restart;
        what happened, in words."""
        assert self.window is not None
        if action == CredentialsChoice.FORGET:
            source, self.credentials, self._parked = self.credentials_source, None, None
            removed = delete_credentials()  # local keyring IPC, as save_credentials
            self.credentials_source = self.window.credentials_source = "none"
            self.budget.forget_learned()
            await self._enter_demo()
            if source == "environment":
                return (
                    "Stopped using the key from the environment: showing demo data. "
                    "Unset APCA_API_KEY_ID / APCA_API_SECRET_KEY to forget it for good."
                )
            if removed:
                return "Credentials forgotten and removed from the OS keyring: showing demo data"
            return "Credentials forgotten for this session (no OS keyring held them): demo data"
        if action == CredentialsChoice.DEMO and not self.demo:
            self._parked, self.credentials = self.credentials, None
            self._parked_source = self.credentials_source
            await self._enter_demo()
            return "Showing demo data; your key stays saved (Settings: Use Alpaca data)"
        return ""

    async def _enter_demo(self) -> None:
        """Forgotten credentials or "Use demo data": the embedded simulator, no restart.
        apply_settings then points the stream and REST at it (config below)."""
        if self.demo:
            return
        assert self.client is not None
        assert self.window is not None
        await self.client.stop()  # no frame of real data after this
        await self.rest.stop()  # nor a snapshot
        await self._start_simulator(self.window.all_symbols())
        self.demo = self.auto_demo = True
        if self.store is not None:
            # Real prices must never mix with simulated ones (docs/design.md).
            self.store.reset(default_source=Source.SIMULATOR)
        self.parts.history.clear()
        self._streamed.clear()
        self.budget.source = "the simulator"
        self.window.set_demo(True)
        self.window.status.set_session_clock(self._session_clock())

    async def _leave_demo(self) -> None:
        """Credentials arrived while showing simulated data: switch to Alpaca."""
        self.auto_demo = self.demo = False
        self.stream_url = self.options.url or LIVE_STREAM_URL
        self.rest_url = self.options.rest_url or LIVE_REST_URL
        assert self.window is not None
        if self.store is not None:
            # Simulated prices must never mix with real ones, nor win by timestamp.
            self.store.reset(default_source=Source.STREAM)
        self.parts.history.clear()  # sparklines/chart of simulated prices too
        self.window.set_demo(False)
        self._parked = None
        self.window.status.set_session_clock(None)  # New York's real clock again
        self.budget.source = "Alpaca"
        simulator, self.simulator = self.simulator, None
        if simulator is not None:
            await simulator.stop()
            thaw_start_heap()  # the simulator's graph may be frozen (gui.runtime_gate)

    def _reconfigure(self, config: StreamConfig) -> str | None:
        """Apply a stream config; the problem in words (also shown) if refused."""
        assert self.client is not None
        assert self.window is not None
        problem = check_url_security(config.url, config.insecure)
        if problem:
            self.window.statusBar().showMessage(problem, 10000)
            return problem
        if self._wanted_config is not None or changes_timeline(
            self.client.config.feed, config.feed
        ):
            # delayed_sip runs 15 minutes behind (docs/protocol.md, "Endpoints"): kept
            # data would win every merge by exchange time and freeze the rows. While such
            # a switch is queued, every later ask queues behind it (latest wins): a quick
            # sip -> delayed_sip -> iex must end on iex, never on delayed_sip.
            queued = self._wanted_config is not None
            self._wanted_config = config
            if not queued:
                self.tasks.spawn(self._change_feed(), name="tickerdesk-change-feed")
            return None
        try:
            self.client.reconfigure(config)
        except ConfigError as exc:
            self.window.statusBar().showMessage(str(exc), 10000)
            return str(exc)
        self._sync_plan(config.feed)
        self.tasks.spawn(self._restart_rest(), name="tickerdesk-restart-rest")
        return None

    async def _change_feed(self) -> None:
        """Another timeline: stop stream and REST, forget the market data (the watchlists
        stay), then connect on the newest feed asked for and ask REST for fresh snapshots."""
        assert self.client is not None
        async with self._switching:
            while self._wanted_config is not None:
                await self._switch_to(self._wanted_config)

    async def _switch_to(self, config: StreamConfig) -> None:
        assert self.client is not None
        why = describe_change(self.client.config, config)
        await self.client.stop()  # no frame of the old feed can arrive after this
        # A chosen switch, not an outage: say why until streaming (docs/design.md).
        self.health.set_state(ConnectionState.CONNECTING, detail=why)
        await self.rest.stop()  # nor a snapshot of it
        if self.store is not None:
            self.store.reset()
        self.parts.history.clear()
        self._streamed.clear()
        config = self._wanted_config or config  # the newest ask, made while we waited
        self._wanted_config = None
        try:
            self.client.reconfigure(config)
        except ConfigError as exc:  # checked in _reconfigure; kept for a changed rule
            log.warning("%s", exc)
        self._sync_plan(config.feed)
        if self._stream_on:
            self.tasks.add(self.client.start())
        await self._rest_anew()

    async def _restart_rest(self) -> None:
        async with self._switching:
            await self._rest_anew()

    async def _rest_anew(self) -> None:
        await self.rest.stop()
        self._start_rest()
        if self.rest.poller is not None and self.window is not None:
            self.rest.request(self.window.all_symbols())
            self.window.watchlist_bar.checker = self.rest.check_symbols

    def _sync_plan(self, feed: str) -> None:
        """Apply a changed plan (settings, feed default) and split the watchlists again."""
        plan = self.plans.plan(feed, self.demo)
        if plan != self.budget.plan:
            self.budget.set_plan(plan)
        if self.window is not None:  # what the Settings dialog opens with
            self.window.stream_settings = replace(
                self.window.stream_settings, feed=feed, plan=self.settings.plan(),
                plan_note=self.plans.note(self.demo),
            )  # fmt: skip
        if self.budget_keeper is not None:
            self.budget_keeper.apply()
        self.gateway.follow()  # the hub serves what the app streams now
