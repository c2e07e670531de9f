"""What the composition root (gui.runtime) is given and makes besides the window.

`RuntimeOptions` are the command line's choices; `engine_parts` makes the engine objects
the window shows besides the store (price history, alert book), for the app and for
tests' windows alike. The REST side (snapshots and history) is `gui.runtime_rest`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from engine.alerts.book import AlertBook
from engine.config import Credentials, Feed
from engine.demo import DemoOptions
from engine.market.history import PriceHistory
from engine.market.store import MarketDataStore, Source
from engine.net.retry import BackoffPolicy
from engine.net.stream import StreamConfig
from engine.plan import PlanLimit, default_plan
from engine.protocol import Encoding
from gui.settings.persistence import AppSettings
from gui.settings.probe import probe_stream

if TYPE_CHECKING:
    from engine.simulator import Simulator

__all__ = [
    "REST_POLL_S",
    "EngineParts",
    "PlanChoice",
    "RuntimeOptions",
    "changes_timeline",
    "engine_parts",
    "probe_with",
    "simulated_clock",
    "start_simulator",
    "without_data",
]

log = logging.getLogger("gui.runtime")

REST_POLL_S = 15.0  # keep-alive and stale-data polling (200 REST calls a minute on Basic)


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
    # `--ca-file`, else Settings' "Trust CA file (test servers)": CAs trusted besides the
    # system's, verification always on (engine.net.tls, docs/reliability.md "TLS").
    ca_file: str | None = None
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
    # The market-data plan (None = saved, else by feed); in a demo, the plan the built-in
    # simulator enforces (None = no limit). Its clock: `demo.start_ns`, `demo.speed`.
    plan: PlanLimit | None = None
    demo_clock: DemoOptions = field(default_factory=DemoOptions)
    rest_poll_s: float = REST_POLL_S
    # The app's own process (gui.app) freezes the heap it built once the first live row
    # is painted: the cycle collector then never walks the window, the store and their
    # Qt wrappers again (gui.runtime_gate.freeze_start_heap; docs/performance.md). Off
    # in tests, where one process runs many apps.
    freeze_start_heap: bool = False
    # Sharing the connection (gui.runtime_gateway, docs/gateway.md): `--gateway PORT` turns
    # the local gateway on for this run (0 = any free port; None = the saved setting);
    # `--bus URL` publishes to NATS, or subscribes through it without a key or --url.
    gateway_port: int | None = None
    gateway_host: str = "127.0.0.1"
    bus_url: str | None = None
    bus_user: str | None = None
    bus_ca: Path | None = None

    def stream_config(
        self, url: str, feed: str, encoding: Encoding, credentials: Credentials | None
    ) -> StreamConfig:
        """The stream client's configuration from these options."""
        config = StreamConfig(
            url=url, feed=feed, encoding=encoding, credentials=credentials,
            insecure=self.insecure, ca_file=self.ca_file,
        )  # fmt: skip
        if self.backoff is not None:
            config = replace(config, backoff=self.backoff)
        if self.ping_s is not None:
            config = replace(config, ping_interval=self.ping_s, ping_timeout=self.ping_s)
        return config


@dataclass(frozen=True, slots=True)
class PlanChoice:
    """Which plan the symbol budget follows: in a demo the simulator's (`--plan`, else
    none), otherwise the saved one, else the feed's default (engine.plan.default_plan)."""

    settings: AppSettings
    options: RuntimeOptions

    def demo(self) -> DemoOptions:
        """How the built-in simulator runs: its clock and the plan it enforces."""
        return replace(self.options.demo_clock, plan=self.options.plan)

    def plan(self, feed: str, demo: bool) -> PlanLimit:
        if demo:
            return self.demo().budget_plan()
        return self.settings.plan() or default_plan(feed)

    def note(self, demo: bool) -> str:
        """What the demo enforces instead of the saved plan, for the Settings dialog."""
        if not demo:
            return ""
        limit = self.demo().budget_plan().limit
        if limit is None:
            return "Demo: the built-in simulator has no symbol limit."
        return f"Demo: the built-in simulator allows {limit} symbols."


async def start_simulator(demo: DemoOptions, symbols: Iterable[str], rate: float) -> Simulator:
    """The built-in simulator, started, with `symbols` in its universe (so REST knows them)."""
    from engine.simulator import Simulator, SimulatorConfig

    universe = tuple(dict.fromkeys([*SimulatorConfig().symbols, *symbols]))
    simulator = Simulator(demo.simulator_config(port=0, symbols=universe, rate=rate))
    await simulator.start()
    return simulator


def simulated_clock(now_ns: Callable[[], int]) -> Callable[[], datetime]:
    """A simulator's clock (`Simulator.now_ns`) as the status bar's market-session clock."""
    return lambda: datetime.fromtimestamp(now_ns() / 1e9, UTC)


async def probe_with(
    config: StreamConfig, url: str, feed: str, encoding: str, creds: Credentials | None,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[bool, str]:  # fmt: skip
    """The Settings dialog's Test connection: one handshake with these values."""
    probe = replace(config, url=url, feed=feed, encoding=Encoding(encoding), credentials=creds)
    return await probe_stream(probe, clock)


def without_data(
    store: MarketDataStore, symbols: Iterable[str], polled: Iterable[str], seen: set[str]
) -> list[str]:
    """The `symbols` without data yet: a stream update for streamed ones (a REST snapshot
    is no proof the stream works), any update for the ones the symbol budget leaves to
    REST (`polled`). `seen` caches the symbols found with data."""
    rest_only = set(polled)
    missing = []
    for symbol in symbols:
        if symbol in seen:
            continue
        snap = store.get(symbol)
        live = snap is not None and (symbol in rest_only or snap.source is not Source.REST)
        if live and snap is not None and snap.updates > 0:
            seen.add(symbol)
        else:
            missing.append(symbol)
    return missing


# Feeds on one timeline (docs/protocol.md, "Endpoints"): iex and sip are both real time;
# delayed_sip runs 15 minutes behind; the test feed is a market of its own (FAKEPACA).
_TIMELINES: dict[str, str] = {
    Feed.IEX: "real time",
    Feed.SIP: "real time",
    Feed.DELAYED_SIP: "delayed",
}


def changes_timeline(old: str, new: str) -> bool:
    """Whether switching feed from `old` to `new` moves the data's timeline. Kept rows
    would then win every merge by exchange time (older data never overwrites newer) and
    freeze; between iex and sip they stay, shown stale until the new feed refreshes them."""
    return _TIMELINES.get(old, old) != _TIMELINES.get(new, new)
