"""The TTL market-data store: one mutable snapshot per symbol, freshness, change sets.

Contract: `apply()` merges one event into its symbol's snapshot and records the symbol
as changed; readers pull `drain_changes()` / `sweep()` and read `get()`; nothing is
pushed. Memory is bounded by the number of symbols, never by the message rate.

What an event does to a snapshot is decided by the pure rules in `engine.market.merge`
(the snapshot model is `engine.market.snapshot`, TTLs and freshness classes are
`engine.market.freshness`). The store owns what the rules do not: which symbols are
watched, the receive time and source of each row (from the injected monotonic clock),
the stream's connectivity epoch, counters, observers and the change set.

The model names are re-exported here, where the rest of the app has always imported them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from engine.events import Event, Quote, Snapshot, Trade
from engine.market.freshness import DEFAULT_TTLS, STREAM_LIKE, TtlPolicy, classify
from engine.market.merge import LIVE, MergeRule, Outcome, RejectKind, Touch
from engine.market.snapshot import Freshness, Source, SymbolSnapshot
from engine.market.store_rules import (
    ALWAYS_OBSERVED,
    FLOAT_MAX,
    LATE_PRINTS_ATTR,
    STREAM_TYPES,
    observes_late_prints,
    store_rules,
)

__all__ = [
    "DEFAULT_TTLS",
    "Freshness",
    "MarketDataStore",
    "Observer",
    "Source",
    "SymbolSnapshot",
    "TtlPolicy",
    "observes_late_prints",
]

Observer = Callable[[Any, SymbolSnapshot], None]
_STREAM_TYPES, _ALWAYS_OBSERVED, _FLOAT_MAX = STREAM_TYPES, ALWAYS_OBSERVED, FLOAT_MAX
_UNTOUCHED, _LIVE_TOUCH = Touch.NONE, Touch.LIVE


class MarketDataStore:
    """Symbol snapshots merged from events, with per-source TTL freshness and change sets."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        ttls: Mapping[Source, TtlPolicy] = DEFAULT_TTLS,
        default_source: Source = Source.STREAM,
    ) -> None:
        missing = [source.value for source in Source if source not in ttls]
        if missing:
            raise ValueError(f"ttls has no policy for source(s): {', '.join(missing)}")
        self._clock = clock
        self._ttls: dict[Source, TtlPolicy] = dict(ttls)
        self._default_source = default_source
        self._snaps: dict[str, SymbolSnapshot] = {}
        self._changed: set[str] = set()
        self._accept_all = False
        self._observers: tuple[Observer, ...] = ()
        self._late_observers: tuple[Observer, ...] = ()
        self._connected = True
        self._epoch = 0  # bumped on every connectivity change: older stream data saw a gap
        self.ignored_unwatched = 0
        self.rejected_out_of_order = 0
        self.rejected_invalid = 0
        self.unmatched_corrections = 0
        self.applied = 0
        self.last_rejection: str | None = None
        self._rules: dict[type, MergeRule] = store_rules()

    # --- watchlist ---------------------------------------------------------------------

    def watch(self, symbols: Iterable[str]) -> None:
        """Create empty snapshots for new symbols (upper-cased) and mark them changed."""
        for raw in symbols:
            symbol = raw.strip().upper()
            if symbol and symbol not in self._snaps:
                self._snaps[symbol] = SymbolSnapshot(symbol, source=self._default_source)
                self._changed.add(symbol)

    def reset(self, default_source: Source | None = None) -> None:
        """Forget every value but keep the watchlist (e.g. leaving simulated data for real)."""
        if default_source is not None:
            self._default_source = default_source
        for symbol in list(self._snaps):
            self._snaps[symbol] = SymbolSnapshot(symbol, source=self._default_source)
            self._changed.add(symbol)

    def unwatch(self, symbols: Iterable[str]) -> None:
        """Drop the symbols' snapshots (memory stays bounded) and mark them changed."""
        for raw in symbols:
            symbol = raw.strip().upper()
            if self._snaps.pop(symbol, None) is not None:
                self._changed.add(symbol)

    def set_accept_all(self, accept: bool) -> None:
        """Accept events for unwatched symbols (wildcard subscriptions) instead of ignoring."""
        self._accept_all = accept

    def get(self, symbol: str) -> SymbolSnapshot | None:
        """The live snapshot of `symbol` (exact upper-case key), or None if not watched."""
        return self._snaps.get(symbol)

    def symbols(self) -> list[str]:
        """Watched symbols in watch order."""
        return list(self._snaps)

    def __len__(self) -> int:
        return len(self._snaps)

    def __contains__(self, symbol: object) -> bool:
        return symbol in self._snaps

    # --- applying events ---------------------------------------------------------------

    def apply(
        self, event: Event, received_at: float | None = None, source: Source | None = None
    ) -> bool:
        """Merge one event; True if it changed a snapshot. Non-market events return False."""
        merge = self._rules.get(type(event))
        if merge is None:
            return False
        ev: Any = event
        snap = self._snaps.get(ev.symbol)
        if snap is None:
            if not self._accept_all:
                self.ignored_unwatched += 1
                return False
            snap = self._snaps[ev.symbol] = SymbolSnapshot(ev.symbol, source=self._default_source)
        if source is None:
            # Snapshots only ever come from the REST endpoint (engine.net.rest builds them).
            source = Source.REST if type(event) is Snapshot else self._default_source
        now = self._clock() if received_at is None else received_at
        outcome = merge(snap, ev)
        if outcome is LIVE:  # nearly every trade and quote: skip the general settling
            changed = self._touch(snap, now, source, True)
        else:
            changed = self._settle(snap, outcome, now, source)
        if self._observers and (changed or type(event) in _ALWAYS_OBSERVED):
            for observer in self._observers:
                observer(ev, snap)
        elif outcome.late_print:
            for observer in self._late_observers:
                observer(ev, snap)
        return changed

    def apply_stream(self, events: list[Event], start: int, received_at: float) -> tuple[int, int]:
        """Apply stream market events from `events[start]` on, stopping at the first other
        event; returns (its index, or len(events); latency timestamp).

        The latency timestamp is the newest exchange time (ns) of a TRADE or QUOTE in the
        run, watched symbol or not, 0 if the run has none: only prints and quotes are
        stamped when they happen. A bar's `t` is its start (a daily bar's is midnight New
        York), and statuses, LULD bands, corrections and cancels say nothing about how far
        behind the stream is (docs/protocol.md, "Market-state facts").

        Same effect as `apply(event, received_at)` per event: the stream client's hot
        path, one call per frame instead of one per message (profiled: ~15% of apply).
        The LIVE outcome of a trade or quote (nearly every event) is settled inline, as
        `_touch` would, so an applied print costs one function call: its merge rule.
        """
        rules = self._rules.get
        snaps = self._snaps
        observers = self._observers
        source = self._default_source
        epoch = self._epoch
        mark_changed = self._changed.add
        market = _STREAM_TYPES
        always = _ALWAYS_OBSERVED
        trade_t, quote_t = Trade, Quote
        fmax = _FLOAT_MAX
        newest = 0
        applied = 0  # added to self.applied once per call (finally): one write per frame
        try:
            for index in range(start, len(events)):
                ev: Any = events[index]
                kind = type(ev)
                if kind is quote_t:
                    ts = ev.timestamp_ns
                    if ts > newest:
                        newest = ts
                    snap = snaps.get(ev.symbol)
                    if snap is not None:
                        # merge.merge_quote's plain case inlined (issue 16: one call less
                        # per quote): newer or equal, both sides finite and >= 0, no day
                        # roll due. Anything else takes the rule itself, below.
                        held = snap.quote_ns
                        bid, ask = ev.bid_price, ev.ask_price
                        if (
                            (held is None or ts >= held)
                            and ts < snap._mark
                            and 0.0 <= bid <= fmax
                            and 0.0 <= ask <= fmax
                        ):
                            snap.bid_price = bid
                            snap.bid_size = ev.bid_size
                            snap.ask_price = ask
                            snap.ask_size = ev.ask_size
                            snap.quote_ns = ts
                            snap.source = source
                            snap.received_at = received_at
                            snap._epoch = epoch
                            snap.updates += 1
                            applied += 1
                            mark_changed(snap.symbol)
                            for observer in observers:
                                observer(ev, snap)
                            continue
                elif kind is trade_t:
                    ts = ev.timestamp_ns
                    if ts > newest:
                        newest = ts
                elif kind not in market:
                    return index, newest
                merge = rules(kind)
                if merge is None:
                    continue  # market data the store does not keep (imbalances)
                snap = snaps.get(ev.symbol)
                if snap is None:
                    if not self._accept_all:
                        self.ignored_unwatched += 1
                        continue
                    snap = snaps[ev.symbol] = SymbolSnapshot(ev.symbol, source=source)
                outcome = merge(snap, ev)
                if outcome is LIVE:  # _touch(snap, received_at, source, live=True), inlined
                    snap.source = source
                    snap.received_at = received_at
                    snap._epoch = epoch
                    snap.updates += 1
                    applied += 1
                    mark_changed(snap.symbol)
                    changed = True
                else:
                    changed = self._settle(snap, outcome, received_at, source)
                if observers and (changed or kind in always):
                    for observer in observers:
                        observer(ev, snap)
                elif outcome.late_print:
                    for observer in self._late_observers:
                        observer(ev, snap)
            return len(events), newest
        finally:
            self.applied += applied

    def add_observer(self, observer: Observer) -> None:
        """Call `observer(event, snapshot)` after every event that changed a snapshot, and
        after every bar, correction and cancel of a watched symbol (charts need those).

        For cheap per-event consumers (alerts, sparkline and time-and-sales buffers):
        they run on the hot path, so they must be O(1) and must not raise. An observer
        marked with `observes_late_prints` also gets late prints that changed nothing.
        """
        self._observers = (*self._observers, observer)
        if getattr(observer, LATE_PRINTS_ATTR, False):
            self._late_observers = (*self._late_observers, observer)

    def remove_observer(self, observer: Observer) -> None:
        # ==, not `is`: every `obj.method` access makes a new bound method, equal to the
        # one added but never identical to it.
        self._observers = tuple(o for o in self._observers if o != observer)
        self._late_observers = tuple(o for o in self._late_observers if o != observer)

    def apply_many(
        self,
        events: Iterable[Event],
        received_at: float | None = None,
        source: Source | None = None,
    ) -> int:
        """Apply a batch (one frame) with one receive time; returns how many changed data."""
        now = self._clock() if received_at is None else received_at
        apply = self.apply
        return sum(1 for event in events if apply(event, now, source))

    def _settle(self, snap: SymbolSnapshot, outcome: Outcome, now: float, source: Source) -> bool:
        """Count what `outcome` rejected and touch the row if it changed; True if it did."""
        for rejection in outcome.rejections:
            if rejection.kind is RejectKind.UNMATCHED:
                self.unmatched_corrections += 1
                continue
            if rejection.kind is RejectKind.OUT_OF_ORDER:
                self.rejected_out_of_order += 1
            else:
                self.rejected_invalid += 1
            self.last_rejection = rejection.reason
        touch = outcome.touch
        if touch is _UNTOUCHED:
            return False
        return self._touch(snap, now, source, touch is _LIVE_TOUCH)

    def _touch(self, snap: SymbolSnapshot, now: float, source: Source, live: bool) -> bool:
        # Receipt time and source follow new prices only (`live`), or fill a row that has
        # none. A status, LULD band, bar, correction or cancel changes the row but not the
        # age of its prices: after a gap it must not make minutes-old prices look fresh
        # (docs/design.md, invariant 4; merge: module docstring).
        if live or snap.received_at is None:
            snap.source = source
            snap.received_at = now
            snap._epoch = self._epoch
        snap.updates += 1
        self.applied += 1
        self._changed.add(snap.symbol)
        return True

    def symbols_missing_prev_close(self) -> list[str]:
        """Rows with data but no previous close (e.g. after a day roll whose reference day
        was never seen): the REST poller asks for their snapshots (engine.net.poller)."""
        return [
            symbol
            for symbol, snap in self._snaps.items()
            if snap.received_at is not None and snap.prev_close is None
        ]

    # --- freshness ---------------------------------------------------------------------

    def freshness(self, symbol: str, now: float | None = None) -> Freshness:
        """Freshness class of `symbol` (EMPTY if unknown or without data)."""
        snap = self._snaps.get(symbol)
        if snap is None:
            return Freshness.EMPTY
        now = self._clock() if now is None else now
        return classify(snap, now, self._ttls, self._connected, self._epoch)

    def age(self, symbol: str, now: float | None = None) -> float | None:
        """Seconds since the symbol's last applied update, or None without data."""
        snap = self._snaps.get(symbol)
        if snap is None or snap.received_at is None:
            return None
        now = self._clock() if now is None else now
        return max(0.0, now - snap.received_at)

    def set_stream_connected(self, connected: bool) -> None:
        """Record the stream link state; marks every stream-sourced symbol changed."""
        if connected == self._connected:
            return
        self._connected = connected
        self._epoch += 1
        for symbol, snap in self._snaps.items():
            if snap.source in STREAM_LIKE and snap.received_at is not None:
                self._changed.add(symbol)

    @property
    def stream_connected(self) -> bool:
        """Whether the store currently believes the stream link is up."""
        return self._connected

    # --- change tracking ---------------------------------------------------------------

    def mark_changed(self, symbols: Iterable[str]) -> None:
        """Mark watched symbols changed so the next flush refreshes their rows (their
        history arrived: engine.net.backfill); unwatched ones are ignored. No counters
        move and no snapshot changes: the data itself did not."""
        snaps, changed = self._snaps, self._changed
        for symbol in symbols:
            if symbol in snaps:
                changed.add(symbol)

    def drain_changes(self) -> set[str]:
        """Symbols changed (or watched/unwatched) since the last drain; empties the set."""
        changed, self._changed = self._changed, set()
        return changed

    def sweep(self, now: float | None = None) -> set[str]:
        """Symbols whose freshness class changed since the last sweep; O(symbols), ~1 Hz."""
        now = self._clock() if now is None else now
        moved: set[str] = set()
        ttls, connected, epoch = self._ttls, self._connected, self._epoch
        for symbol, snap in self._snaps.items():
            current = classify(snap, now, ttls, connected, epoch)
            if current is not snap._swept:
                snap._swept = current
                moved.add(symbol)
        self._changed |= moved
        return moved
