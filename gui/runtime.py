"""The composition root's state: store, health, stream, REST, simulator and window.

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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from engine.alerts.book import AlertBook
from engine.config import (
    DEFAULT_SYMBOLS,
    LIVE_REST_URL,
    LIVE_STREAM_URL,
    Credentials,
    resolve_credentials,
    save_credentials,
)
from engine.core.tasks import TaskSet
from engine.events import Subscription
from engine.market.history import PriceHistory
from engine.market.store import MarketDataStore, Source
from engine.net.health import StreamHealth
from engine.net.rest import RestClient, RestConfig, SnapshotPoller
from engine.net.retry import BackoffPolicy
from engine.net.stream import ConfigError, StreamClient, StreamConfig
from engine.protocol import Encoding
from gui.main_window import MainWindow
from gui.settings.dialog import StreamSettings
from gui.settings.persistence import AppSettings
from gui.settings.probe import probe_stream

if TYPE_CHECKING:
    from engine.simulator import Simulator

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EngineParts:
    """Engine objects the window shows besides the store: made here, never by a widget."""

    history: PriceHistory  # sparklines and the detail chart
    alerts: AlertBook


def engine_parts(settings: AppSettings) -> EngineParts:
    """A fresh price history and the alert book loaded from beside the settings file."""
    alerts = AlertBook()
    for problem in alerts.load(settings.alerts_path()):
        log.warning("alerts: %s", problem)
    return EngineParts(PriceHistory(), alerts)


@dataclass(frozen=True)
class RuntimeOptions:
    """Command-line choices; None means "use the saved setting / default"."""

    demo: bool = False
    feed: str | None = None
    symbols: list[str] | None = None
    msgpack: bool = False
    url: str | None = None
    rest_url: str | None = None
    insecure: bool = False
    settings_path: Path | None = None
    flush_ms: int | None = None
    env: Mapping[str, str] | None = None  # None = os.environ
    use_keyring: bool = True
    show_window: bool = True
    simulator_rate: float = 50.0
    # Reconnect pacing and keepalive (seconds); None = StreamConfig's defaults. Fault and
    # soak tests shorten them so a recovery takes seconds, not the production 30 s.
    backoff: BackoffPolicy | None = None
    ping_s: float | None = None


class Runtime:
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
        self.health = StreamHealth(clock=clock)
        self.store: MarketDataStore | None = None
        self.parts = engine_parts(self.settings)
        self.simulator: Simulator | None = None
        self.client: StreamClient | None = None
        self.rest: RestClient | None = None
        self.poller: SnapshotPoller | None = None
        self._poller_task: asyncio.Task[None] | None = None
        self.window: MainWindow | None = None
        self.credentials: Credentials | None = None
        self.credentials_source = "none"
        self.demo = False
        self.auto_demo = False  # demo only because no credentials: new ones switch to live
        self.stream_url = LIVE_STREAM_URL
        self.rest_url: str | None = LIVE_REST_URL
        self._streamed: set[str] = set()  # symbols seen with stream data (smoke test)

    # --- start --------------------------------------------------------------------

    async def start(self) -> None:
        opts = self.options
        if not opts.demo:
            env = os.environ if opts.env is None else opts.env
            # Synchronous on purpose: nothing is on screen yet, and a worker thread would
            # let Python's GC destroy Qt objects off the GUI thread ("Timers cannot be
            # stopped from another thread", seen in tests). Keyring reads are local IPC.
            self.credentials, self.credentials_source = resolve_credentials(
                dict(env), opts.use_keyring
            )
        self.demo = opts.demo or (self.credentials is None and opts.url is None)
        self.auto_demo = self.demo and not opts.demo
        feed = opts.feed or self.settings.feed()
        if opts.feed:
            self.settings.set_feed(opts.feed)
        encoding = Encoding.MSGPACK if opts.msgpack else Encoding(self.settings.encoding())
        flush_ms = opts.flush_ms or self.settings.flush_ms()
        self.store = MarketDataStore(
            clock=self.clock, default_source=Source.SIMULATOR if self.demo else Source.STREAM
        )
        symbols = opts.symbols or self.settings.all_watchlist_symbols() or list(DEFAULT_SYMBOLS)
        if self.demo:
            await self._start_simulator(symbols)
        else:
            self.stream_url = opts.url or LIVE_STREAM_URL
            self.rest_url = opts.rest_url or (None if opts.url else LIVE_REST_URL)
        config = StreamConfig(
            url=self.stream_url,
            feed=feed,
            encoding=encoding,
            credentials=self.credentials,
            insecure=opts.insecure,
        )
        if opts.backoff is not None:
            config = replace(config, backoff=opts.backoff)
        if opts.ping_s is not None:
            config = replace(config, ping_interval=opts.ping_s, ping_timeout=opts.ping_s)
        self.client = StreamClient(config, self.store, self.health, clock=self.clock)
        self._start_rest()
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
            checker=self._check_symbols if self.rest is not None else None,
            probe=self.probe,
            # Connection details show the subscription as the server confirmed it.
            subscription=self._confirmed_subscription,
            flush_ms=flush_ms,
            feed=feed,
            stream_settings=StreamSettings(self.credentials, feed, str(encoding), flush_ms),
            credentials_source=self.credentials_source,
        )
        if opts.symbols is not None:
            self.window.model.set_symbols(opts.symbols)
        self._connect_window(self.window)
        if self.settings.last_error:  # corrupt / read-only settings: say so, keep running
            self.window.statusBar().showMessage(self.settings.last_error, 15000)
        self.client.set_symbols(self.window.all_symbols())  # every tab streams (one connection)
        if self.poller is not None:
            self.poller.request(self.window.all_symbols())
        self.tasks.add(self.client.start())
        if opts.show_window:
            self.window.show()

    async def _start_simulator(self, symbols: list[str]) -> None:
        from engine.simulator import Simulator, SimulatorConfig

        base = SimulatorConfig()
        # The saved watchlist joins the simulated universe so REST knows it too.
        universe = tuple(dict.fromkeys([*base.symbols, *symbols]))
        self.simulator = Simulator(
            SimulatorConfig(port=0, symbols=universe, rate=self.options.simulator_rate)
        )
        await self.simulator.start()
        self.stream_url = self.simulator.ws_url
        self.rest_url = self.simulator.rest_url

    def _start_rest(self) -> None:
        """(Re)create the REST client and its poller for the current feed and credentials."""
        if self.rest_url is None or self.client is None or self.store is None:
            return
        config = self.client.config
        try:
            self.rest = RestClient(
                RestConfig(self.rest_url, config.feed, self.credentials, config.insecure)
            )
        except Exception as exc:
            log.warning("no REST snapshots: %s", exc)
            return
        self.poller = SnapshotPoller(self.rest, self.store, clock=self.clock)
        self._poller_task = self.tasks.spawn(self.poller.run(), name="tickerdesk-rest-poller")

    async def _stop_rest(self) -> None:
        task, self._poller_task = self._poller_task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        rest, self.rest, self.poller = self.rest, None, None
        if rest is not None:
            await rest.aclose()

    def _connect_window(self, window: MainWindow) -> None:
        window.quit_requested.connect(self.stop_event.set)
        window.watchlist_changed.connect(self._on_watchlist_changed)
        window.connect_requested.connect(self._on_connect_requested)
        window.feed_chosen.connect(self._on_feed_chosen)
        window.settings_applied.connect(self._on_settings_applied)

    def _confirmed_subscription(self) -> Subscription:
        return self.client.subscription if self.client is not None else Subscription()

    # --- window intents -------------------------------------------------------------

    def _on_watchlist_changed(self, symbols: list[str]) -> None:
        if self.client is None:
            return
        added = set(symbols) - self.client.symbols
        self.client.set_symbols(symbols)
        if added and self.poller is not None:
            self.poller.request(added)

    def _on_connect_requested(self, on: bool) -> None:
        if self.client is None:
            return
        if on:
            self.tasks.add(self.client.start())
        else:
            self.tasks.spawn(self.client.stop(), name="tickerdesk-disconnect")

    def _on_feed_chosen(self, feed: str) -> None:
        if self.client is not None and feed != self.client.config.feed:
            self._reconfigure(replace(self.client.config, feed=feed))

    def _on_settings_applied(self, values: StreamSettings) -> None:
        self.tasks.spawn(self.apply_settings(values), name="tickerdesk-apply-settings")

    async def apply_settings(self, values: StreamSettings) -> None:
        """Save new credentials (keyring, else session only) and reconnect if anything changed."""
        assert self.client is not None
        assert self.window is not None
        creds = values.credentials
        if creds is not None and creds != self.credentials:
            saved = save_credentials(creds)  # local keyring IPC; no thread (see start())
            self.credentials = creds
            self.credentials_source = "keyring" if saved else "session"
            self.window.credentials_source = self.credentials_source
            if self.auto_demo:
                await self._leave_demo()
        config = replace(
            self.client.config,
            credentials=self.credentials,
            feed=values.feed,
            encoding=Encoding(values.encoding),
            url=self.stream_url,
        )
        if config != self.client.config:
            self._reconfigure(config)
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
        simulator, self.simulator = self.simulator, None
        if simulator is not None:
            await simulator.stop()

    def _reconfigure(self, config: StreamConfig) -> None:
        assert self.client is not None
        assert self.window is not None
        try:
            self.client.reconfigure(config)
        except ConfigError as exc:
            self.window.statusBar().showMessage(str(exc), 10000)
            return
        self.tasks.spawn(self._restart_rest(), name="tickerdesk-restart-rest")

    async def _restart_rest(self) -> None:
        await self._stop_rest()
        self._start_rest()
        if self.poller is not None and self.window is not None:
            self.poller.request(self.window.all_symbols())
            self.window.watchlist_bar.checker = self._check_symbols

    async def _check_symbols(self, symbols: list[str]) -> set[str]:
        if self.rest is None:
            return set(symbols)
        return set(await self.rest.snapshots(symbols))

    async def probe(self, creds: Credentials | None, feed: str, encoding: str) -> tuple[bool, str]:
        """Test-connection button: auth against the configured endpoint with these values."""
        assert self.client is not None
        url = LIVE_STREAM_URL if self.auto_demo and creds is not None else self.stream_url
        config = replace(
            self.client.config,
            url=url,
            feed=feed,
            encoding=Encoding(encoding),
            credentials=creds or self.credentials,
        )
        return await probe_stream(config, self.clock)

    # --- queries ----------------------------------------------------------------------

    def window_symbols(self) -> list[str]:
        return self.window.all_symbols() if self.window is not None else []

    def symbols_without_data(self) -> list[str]:
        """Watchlist symbols the stream itself has not delivered a trade or quote for yet.

        REST snapshots fill prices too, so a symbol counts only once a stream update
        was seen on it (the store marks live updates with the stream's source).
        """
        if self.store is None:
            return self.window_symbols()
        missing = []
        for symbol in self.window_symbols():
            if symbol in self._streamed:
                continue
            snap = self.store.get(symbol)
            if snap is not None and snap.updates > 0 and snap.source is not Source.REST:
                self._streamed.add(symbol)
            else:
                missing.append(symbol)
        return missing

    # --- shutdown ---------------------------------------------------------------------

    async def close(self) -> None:
        """Stop everything in dependency order; safe to call after a partial start."""
        window = self.window
        if window is not None:
            window.shutdown()
        if self.client is not None:
            await self.client.stop()
        await self._stop_rest()
        await self.tasks.cancel_all()
        if self.simulator is not None:
            await self.simulator.stop()
            self.simulator = None
        if window is not None:
            window.close()
            window.deleteLater()
        self.settings.sync()
