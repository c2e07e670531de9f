"""Switching while running: new credentials, feed, encoding, plan, Trading API choice,
leaving the demo for Alpaca. A mixin of `gui.runtime.Runtime` (the composition root),
kept apart so each file reads as one concern: `Runtime` starts and stops everything,
`Switching` changes it in order (one change at a time: `_switching`) without ever
mixing data of two timelines or of simulated and real prices (docs/design.md).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from engine.config import (
    LIVE_REST_URL,
    LIVE_STREAM_URL,
    Credentials,
    check_url_security,
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
from gui.runtime_gateway import GatewayLink
from gui.runtime_parts import EngineParts, PlanChoice, RuntimeOptions, changes_timeline
from gui.runtime_rest import RestPolling
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

    def _start_rest(self) -> None:
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
        if config != self.client.config:
            self._reconfigure(config)
        else:
            self._sync_plan(config.feed)  # the plan may have changed alone
        self.window.statusBar().showMessage("Settings applied", 4000)

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
        self.window.status.set_session_clock(None)  # New York's real clock again
        self.budget.source = "Alpaca"
        simulator, self.simulator = self.simulator, None
        if simulator is not None:
            await simulator.stop()

    def _reconfigure(self, config: StreamConfig) -> None:
        assert self.client is not None
        assert self.window is not None
        problem = check_url_security(config.url, config.insecure)
        if problem:
            self.window.statusBar().showMessage(problem, 10000)
            return
        if changes_timeline(self.client.config.feed, config.feed):
            # delayed_sip runs 15 minutes behind (docs/protocol.md, "Endpoints"): kept
            # data would win every merge by exchange time and freeze the rows.
            self.tasks.spawn(self._change_feed(config), name="tickerdesk-change-feed")
            return
        try:
            self.client.reconfigure(config)
        except ConfigError as exc:
            self.window.statusBar().showMessage(str(exc), 10000)
            return
        self._sync_plan(config.feed)
        self.tasks.spawn(self._restart_rest(), name="tickerdesk-restart-rest")

    async def _change_feed(self, config: StreamConfig) -> None:
        """Another timeline: stop stream and REST, forget the market data (the watchlists
        stay), then connect on the new feed and ask REST for fresh snapshots."""
        assert self.client is not None
        async with self._switching:
            why = describe_change(self.client.config, config)
            await self.client.stop()  # no frame of the old feed can arrive after this
            # A chosen switch, not an outage: say why until streaming (docs/design.md).
            self.health.set_state(ConnectionState.CONNECTING, detail=why)
            await self.rest.stop()  # nor a snapshot of it
            if self.store is not None:
                self.store.reset()
            self.parts.history.clear()
            self._streamed.clear()
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
