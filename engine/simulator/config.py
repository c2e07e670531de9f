"""Simulator settings. Frozen: change a running simulator through its FaultInjector."""

from __future__ import annotations

import dataclasses
import enum
import ipaddress
import math

from engine.config import Feed
from engine.simulator.universe import DEFAULT_SYMBOLS


class Plan(enum.StrEnum):
    """Alpaca market data plan the configured key is treated as having.

    free (Alpaca's Basic): feeds iex, delayed_sip and test only (others -> 409 at auth);
    at most 30 distinct symbols across trades+quotes per connection (-> 405, nothing
    changes); wildcard `*` on trades/quotes -> 410; 200 REST calls a minute per key
    (-> HTTP 429 with Retry-After); recent SIP data over REST -> HTTP 403.
    unlimited: every feed, no symbol limit, wildcards allowed, 10,000 REST calls a minute.
    (docs/account-and-history.md, "Plans and limits")
    """

    FREE = "free"
    UNLIMITED = "unlimited"


FREE_PLAN_FEEDS: frozenset[str] = frozenset({Feed.IEX, Feed.DELAYED_SIP, Feed.TEST})
FREE_PLAN_SYMBOL_LIMIT = 30
REST_CALLS_PER_MINUTE = {Plan.FREE: 200, Plan.UNLIMITED: 10_000}


@dataclasses.dataclass(frozen=True, slots=True)
class SimulatorConfig:
    """Everything a Simulator needs; defaults give a quiet, always-on local market."""

    host: str = "127.0.0.1"
    port: int = 0  # 0 = any free port
    seed: int | None = None  # None = random seed (reported in Simulator.seed)
    rate: float = 200.0  # data messages per second across active symbols
    key: str | None = None  # None = accept any non-empty credentials
    secret: str | None = dataclasses.field(default=None, repr=False)
    batch_max: int = 50  # data messages per frame at most
    symbols: tuple[str, ...] = DEFAULT_SYMBOLS
    plan: Plan = Plan.UNLIMITED
    symbol_limit: int | None = None  # None = the plan's limit (30 free, none unlimited)
    auth_timeout: float = 10.0  # seconds to authenticate before error 404
    tick_interval: float = 0.02  # seconds between generation ticks
    test_rate: float = 0.3  # FAKEPACA messages/s (2/3 quotes: a quote about every 5 s)
    quote_fraction: float = 0.7  # share of steps that produce a quote (rest: trades)
    halt_probability: float = 2e-5  # per step, for the stepped symbol
    halt_steps: tuple[int, int] = (2_000, 10_000)  # halt length in market steps
    correction_probability: float = 5e-4  # per trade
    cancel_probability: float = 3e-4  # per trade
    slow_client_limit: int = 8 * 1024 * 1024  # unsent bytes before error 407
    dead_slot_hold: float = 0.0  # seconds a slot stays held after a drop without close
    start_ns: int | None = None  # simulated clock start (None = wall clock)
    # Simulated seconds per real second (engine.simulator.clock). The message rate stays
    # per real second, so a fast day costs no more CPU than a slow one.
    speed: float = 1.0
    # False: the always-on market (trades around the clock, every day). True: the real
    # trading day from engine.market.calendar: pre-market, regular, after-hours, closed
    # nights, weekends and holidays (docs/simulator.md). FAKEPACA is always on either way.
    day: bool = False
    extended_fraction: float = 0.15  # share of `rate` in pre-market and after-hours
    delayed_sip_s: float = 900.0  # /v2/delayed_sip runs this many simulated seconds late
    delay_buffer_max: int = 200_000  # messages held for delayed_sip at most (oldest dropped)
    rest_limit: int | None = None  # REST calls a minute per key; None = the plan's
    # > 0: a symbol asked for over REST generates data for this many real seconds though
    # no stream subscribes it (rows kept alive by snapshot polling then move). 0 = off.
    rest_keeps_active_s: float = 0.0
    ping_interval: float | None = 20.0
    ping_timeout: float | None = 20.0
    close_timeout: float = 5.0
    compression: bool = True  # permessage-deflate offered, as Alpaca does
    max_universe: int = 10_000  # cap on symbols added by subscriptions (bounded memory)
    # New listings (docs/simulator.md, "New listings"): symbols listed at the simulator's
    # start (they join the universe then): no daily bar before today, no minute bar, trade
    # or snapshot bar from before their first print. `tickerdesk-sim --new-listing`.
    new_listings: tuple[str, ...] = ()
    allow_non_loopback: bool = False
    # Trading API (docs/simulator.md, "Trading API and trade_updates"): keys whose
    # trading requests answer 403 and whose trade_updates auth fails (a data-only key).
    trading_forbidden_keys: tuple[str, ...] = dataclasses.field(default=(), repr=False)
    fill_slice_qty: float = 100.0  # shares per fill at most: a larger order fills in parts
    fill_interval_s: float = 1.0  # simulated seconds between the parts of one order
    # TLS (docs/reliability.md, "TLS"): with a PEM certificate chain and its key the one
    # port serves wss:// and https:// only (`tickerdesk-sim --tls-cert/--tls-key`).
    tls_cert: str | None = None
    tls_key: str | None = dataclasses.field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.rate < 0 or self.test_rate < 0:
            raise ValueError("rate must be >= 0")
        if not (math.isfinite(self.speed) and self.speed > 0):
            raise ValueError("speed must be a positive number")
        if not 0.0 <= self.extended_fraction <= 1.0:
            raise ValueError("extended_fraction must be within [0, 1]")
        if self.delayed_sip_s < 0 or self.delay_buffer_max < 1:
            raise ValueError("delayed_sip_s must be >= 0 and delay_buffer_max >= 1")
        if self.rest_limit is not None and self.rest_limit < 1:
            raise ValueError("rest_limit must be >= 1")
        if not (self.fill_slice_qty > 0 and self.fill_interval_s >= 0):
            raise ValueError("fill_slice_qty must be > 0 and fill_interval_s >= 0")
        if self.batch_max < 1:
            raise ValueError("batch_max must be >= 1")
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("a TLS certificate and its key must be given together")
        if (self.key is None) != (self.secret is None):
            raise ValueError("key and secret must be given together")
        if not self.allow_non_loopback and not is_loopback(self.host):
            raise ValueError(f"refusing to bind non-loopback host {self.host!r}")

    @property
    def effective_symbol_limit(self) -> int | None:
        if self.symbol_limit is not None:
            return self.symbol_limit
        return FREE_PLAN_SYMBOL_LIMIT if self.plan is Plan.FREE else None

    @property
    def effective_rest_limit(self) -> int:
        """REST calls a minute per key: `rest_limit`, or the plan's (200 free, 10,000)."""
        return self.rest_limit if self.rest_limit is not None else REST_CALLS_PER_MINUTE[self.plan]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
