"""Who wants which symbol on which channel: ref counts across gateway clients (sans-I/O).

Every holder (a gateway client, a bus subscriber) adds and removes symbols per channel;
the registry keeps a count per (channel, symbol), and the **union** of all holders is what
goes upstream over the one connection (docs/gateway.md, "Fan-out and conflation"). A
symbol nobody holds any more leaves the union, so it is unsubscribed upstream. The plan's
limits apply to the union as Alpaca applies them to one connection (docs/protocol.md,
"Symbol limits"): 405 when trades+quotes would name more distinct symbols than the limit,
410 for a trades/quotes wildcard on the free plan (the simulator's rules,
engine/simulator/handler.py).
"""

from __future__ import annotations

from engine.events import Subscription
from engine.protocol.subscription import SUBSCRIBABLE_CHANNELS

__all__ = ["GUI", "LIMITED_CHANNELS", "SubscriptionRegistry", "channel_attr"]

GUI = "gui"  # the app's own holder name

# The channels a symbol limit counts (docs/protocol.md, "Symbol limits").
LIMITED_CHANNELS: tuple[str, ...] = ("trades", "quotes")

# Alpaca's channel keys -> Subscription attribute names (both accepted by `holders`).
_WIRE_TO_ATTR = {"updatedBars": "updated_bars", "dailyBars": "daily_bars"}


def channel_attr(channel: str) -> str:
    """`updatedBars` -> `updated_bars`; attribute names pass through unchanged."""
    return _WIRE_TO_ATTR.get(channel, channel)


def _symbols(sub: Subscription, channel: str) -> frozenset[str]:
    symbols: frozenset[str] = getattr(sub, channel)
    return symbols


class SubscriptionRegistry:
    """Per-holder subscriptions and per-(channel, symbol) ref counts; no I/O, no clock."""

    def __init__(self, limit: int | None, *, free_plan: bool) -> None:
        self.limit = limit
        self.free_plan = free_plan
        self._held: dict[str, dict[str, set[str]]] = {}
        self._counts: dict[str, dict[str, int]] = {ch: {} for ch in SUBSCRIBABLE_CHANNELS}

    # --- decisions ------------------------------------------------------------------

    def check(self, holder: str, add: Subscription, base: Subscription) -> int | None:
        """None if `holder` may add `add` on top of `base` and every holder; else 405/410."""
        del holder  # every holder counts alike: the limit is on the union
        if self.free_plan and any("*" in _symbols(add, ch) for ch in LIMITED_CHANNELS):
            return 410
        if self.limit is None:
            return None
        new: set[str] = set()
        for ch in LIMITED_CHANNELS:
            new.update(_symbols(add, ch))
        new.discard("*")
        # As the simulator counts one connection: everything held plus the request, even
        # when the request itself adds nothing on trades/quotes.
        return 405 if len(self._limited_names(base) | new) > self.limit else None

    def over_limit(self, base: Subscription) -> bool:
        """True when base + every holder already exceed the limit (e.g. after a plan change)."""
        return self.limit is not None and len(self._limited_names(base)) > self.limit

    def _limited_names(self, base: Subscription) -> set[str]:
        names: set[str] = set()
        for ch in LIMITED_CHANNELS:
            names.update(_symbols(base, ch))
            names.update(self._counts[ch])
        names.discard("*")
        return names

    # --- changes --------------------------------------------------------------------

    def add(self, holder: str, sub: Subscription) -> bool:
        """Hold `sub` for `holder`; True if the union changed."""
        held = self._held.setdefault(holder, {})
        changed = False
        for ch in SUBSCRIBABLE_CHANNELS:
            wanted = _symbols(sub, ch)
            if not wanted:
                continue
            mine = held.setdefault(ch, set())
            counts = self._counts[ch]
            for symbol in wanted - mine:
                mine.add(symbol)
                count = counts.get(symbol, 0) + 1
                counts[symbol] = count
                changed = changed or count == 1
        return changed

    def remove(self, holder: str, sub: Subscription) -> bool:
        """Release `sub` for `holder` (what it does not hold is ignored); True if the union
        changed, i.e. some symbol is no longer held by anyone."""
        held = self._held.get(holder)
        if held is None:
            return False
        changed = False
        for ch in SUBSCRIBABLE_CHANNELS:
            mine = held.get(ch)
            gone = _symbols(sub, ch)
            if not mine or not gone:
                continue
            counts = self._counts[ch]
            for symbol in gone & mine:
                mine.discard(symbol)
                count = counts[symbol] - 1
                if count:
                    counts[symbol] = count
                else:
                    del counts[symbol]
                    changed = True
            if not mine:
                del held[ch]
        if not held:
            del self._held[holder]
        return changed

    def drop(self, holder: str) -> bool:
        """Forget `holder` entirely; True if the union changed."""
        if holder not in self._held:
            return False
        return self.remove(holder, self.held(holder))

    # --- reading --------------------------------------------------------------------

    def held(self, holder: str) -> Subscription:
        """What `holder` holds now (corrections/cancel errors are not tracked: they follow
        trades upstream by themselves)."""
        held = self._held.get(holder, {})
        return Subscription(**{ch: frozenset(symbols) for ch, symbols in held.items()})

    def union(self) -> Subscription:
        """Every holder's subscriptions together: what must be streamed upstream."""
        return Subscription(
            **{ch: frozenset(counts) for ch, counts in self._counts.items() if counts}
        )

    def holders(self, channel: str, symbol: str) -> int:
        """How many holders hold `symbol` on `channel` (attribute or Alpaca channel name)."""
        counts = self._counts.get(channel_attr(channel))
        return counts.get(symbol, 0) if counts is not None else 0

    def holder_names(self) -> list[str]:
        return list(self._held)

    def union_symbols(self) -> frozenset[str]:
        """Every symbol (or `*`) some holder holds on some channel."""
        names: set[str] = set()
        for counts in self._counts.values():
            names.update(counts)
        return frozenset(names)
