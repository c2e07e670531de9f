"""The hub: one upstream StreamClient shared by gateway clients and bus publishers.

The hub taps the stream client (every frame, after the store applied it) and hands the
frame's market events to its sinks (the gateway server, a bus publisher). Holders ask it
for subscriptions; it ref-counts them (engine.gateway.registry), checks the plan's limits
on the union with the app's own symbols, and keeps the union upstream as the client's
extra subscription (docs/gateway.md, "Fan-out and conflation"; docs/design.md,
invariant 7: one owner per upstream connection). It also remembers the newest trade and
quote per wanted symbol, so a new subscriber gets them at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from engine.core.logthrottle import LogThrottle
from engine.events import (
    Bar,
    CancelError,
    Correction,
    Event,
    Imbalance,
    Luld,
    Quote,
    Subscription,
    Trade,
    TradingStatus,
)
from engine.gateway.registry import SubscriptionRegistry
from engine.market.store import MarketDataStore
from engine.net.health import StreamHealth
from engine.net.stream import StreamClient
from engine.protocol.subscription import for_symbols

__all__ = ["Hub", "HubCounters", "Sink"]

log = logging.getLogger(__name__)

# The events sinks receive: market data only (no control, no decode errors, no Snapshot).
_MARKET_TYPES: frozenset[type] = frozenset(
    {Trade, Quote, Bar, TradingStatus, Luld, Correction, CancelError, Imbalance}
)
# Bound on the latest-trade/quote cache (a wildcard subscriber would otherwise let every
# symbol of the feed in; docs/design.md: every history is bounded).
_CACHE_MAX = 20_000


class Sink(Protocol):
    def deliver(self, events: Sequence[Event], received_at: float) -> None:
        """One upstream frame's market events, in order (called on the loop's thread)."""


@dataclass(slots=True)
class HubCounters:
    frames: int = 0  # upstream frames seen by the tap
    events: int = 0  # market events handed to sinks
    sink_errors: int = 0  # deliveries that raised (logged, throttled; the others go on)


class Hub:
    """Shares one StreamClient: registry of holders, the upstream union, the sinks."""

    def __init__(
        self,
        client: StreamClient,
        store: MarketDataStore,
        *,
        limit: int | None,
        free_plan: bool,
        feed: str,
        health: StreamHealth | None = None,
    ) -> None:
        self.client = client
        self.store = store
        self.feed = feed
        self.registry = SubscriptionRegistry(limit, free_plan=free_plan)
        self.counters = HubCounters()
        self._health: StreamHealth = health if health is not None else client.health
        self._sinks: tuple[Sink, ...] = ()
        self._listeners: tuple[Callable[[Subscription], None], ...] = ()
        self._started = False
        self._latest: dict[str, list[Trade | Quote | None]] = {}  # symbol -> [trade, quote]
        self._gui_symbols: frozenset[str] = client.symbols
        self._cached: frozenset[str] = frozenset()  # symbols whose latest is worth keeping
        self._cache_all = False  # a wildcard holder on trades or quotes
        self._sink_log = LogThrottle(log, topic="gateway sink failed")
        self._refresh_cached()

    # --- lifecycle ------------------------------------------------------------------

    def start(self) -> None:
        """Tap the stream client (idempotent)."""
        if not self._started:
            self._started = True
            self.client.add_tap(self._on_frame)

    def stop(self) -> None:
        if self._started:
            self._started = False
            self.client.remove_tap(self._on_frame)

    def attach(self, sink: Sink) -> None:
        if sink not in self._sinks:
            self._sinks = (*self._sinks, sink)

    def detach(self, sink: Sink) -> None:
        self._sinks = tuple(s for s in self._sinks if s is not sink)

    # --- holders --------------------------------------------------------------------

    def base(self) -> Subscription:
        """The app's own subscription (its watched symbols on its channels)."""
        return for_symbols(self.client.symbols, self.client.channels)

    def request(self, holder: str, sub: Subscription) -> int | None:
        """Hold `sub` for `holder`: None when accepted, else Alpaca's code (405, 410) and
        nothing changes (docs/protocol.md, "Handshake" step 5)."""
        code = self.registry.check(holder, sub, self.base())
        if code is not None:
            return code
        if self.registry.add(holder, sub):
            self._push()
        return None

    def release(self, holder: str, sub: Subscription) -> None:
        if self.registry.remove(holder, sub):
            self._push()

    def drop(self, holder: str) -> None:
        if self.registry.drop(holder):
            self._push()

    def set_limit(self, limit: int | None, *, free_plan: bool) -> None:
        """A plan change: later requests are checked against the new limit."""
        self.registry.limit = limit
        self.registry.free_plan = free_plan

    def add_listener(self, listener: Callable[[Subscription], None]) -> None:
        """Told the union after every change (the app's symbol budget gives the
        watchlists what is left: engine.plan.SymbolBudget.set_shared)."""
        self._listeners = (*self._listeners, listener)

    def _push(self) -> None:
        union = self.registry.union()
        self.client.set_extra_subscription(union)
        self._refresh_cached()
        for listener in self._listeners:
            listener(union)

    # --- latest trade and quote -------------------------------------------------------

    def latest(self, symbol: str) -> tuple[Trade | None, Quote | None]:
        """The newest trade and quote of `symbol` seen upstream; else from the store."""
        entry = self._latest.get(symbol)
        trade = entry[0] if entry is not None else None
        quote = entry[1] if entry is not None else None
        if trade is not None and quote is not None:
            return trade, quote  # type: ignore[return-value]  # slot 0 trades, slot 1 quotes
        snap = self.store.get(symbol)
        if snap is not None:
            if trade is None and snap.last_price is not None and snap.last_trade_ns is not None:
                trade = Trade(
                    symbol, snap.last_price, snap.last_size or 0, snap.last_trade_ns,
                    snap.last_trade_id or 0, snap.last_exchange or "",
                )  # fmt: skip
            if (
                quote is None
                and snap.quote_ns is not None
                and snap.bid_price is not None
                and snap.ask_price is not None
            ):
                quote = Quote(
                    symbol, snap.bid_price, snap.bid_size or 0, snap.ask_price,
                    snap.ask_size or 0, snap.quote_ns,
                )  # fmt: skip
        return trade, quote  # type: ignore[return-value]

    def _refresh_cached(self) -> None:
        """Keep the cache to what someone wants: the union plus the app's own symbols."""
        self._gui_symbols = gui = self.client.symbols
        union = self.registry.union()
        self._cache_all = "*" in union.trades or "*" in union.quotes
        self._cached = self.registry.union_symbols() | gui
        if not self._cache_all:
            cached = self._cached
            for symbol in [s for s in self._latest if s not in cached]:
                del self._latest[symbol]

    # --- the tap ----------------------------------------------------------------------

    @property
    def upstream_state(self) -> str:
        """The upstream's StreamHealth state value ("streaming", "reconnecting", ...)."""
        return self._health.state.value

    def _on_frame(self, events: list[Event], received_at: float) -> None:
        counters = self.counters
        counters.frames += 1
        market_types = _MARKET_TYPES
        market = [e for e in events if type(e) in market_types]
        if not market:
            return
        counters.events += len(market)
        if self.client.symbols is not self._gui_symbols:
            self._refresh_cached()  # the app changed its watchlist
        self._remember(market)
        for sink in self._sinks:
            try:
                sink.deliver(market, received_at)
            except Exception as exc:  # one sink's fault never starves the others
                counters.sink_errors += 1
                self._sink_log.log("gateway sink failed: %s: %s", type(exc).__name__, exc)

    def _remember(self, market: list[Event]) -> None:
        latest = self._latest
        cached = self._cached
        for event in market:
            kind = type(event)
            if kind is Trade:
                slot = 0
            elif kind is Quote:
                slot = 1
            else:
                continue
            symbol: str = event.symbol  # type: ignore[union-attr,assignment]
            entry = latest.get(symbol)
            if entry is None:
                if symbol not in cached and not (self._cache_all and len(latest) < _CACHE_MAX):
                    continue
                entry = latest[symbol] = [None, None]
            old = entry[slot]
            # A late report is a real print but not the newest (docs/protocol.md,
            # "Market-state facts"): the newest exchange time wins.
            if old is None or event.timestamp_ns >= old.timestamp_ns:  # type: ignore[union-attr]
                entry[slot] = event  # type: ignore[assignment]
