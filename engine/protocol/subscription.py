"""Subscriptions as values: what a watchlist wants, and the per-channel diff to send (pure).

The server's `subscription` reply states the full current set, so the client never
tracks additions itself: it diffs what it wants against what the server confirmed
(docs/protocol.md, "Handshake" step 3).
"""

from __future__ import annotations

from collections.abc import Iterable

from engine.events import Subscription

__all__ = [
    "DEFAULT_CHANNELS",
    "OPTIONAL_CHANNELS",
    "SUBSCRIBABLE_CHANNELS",
    "diff",
    "for_symbols",
    "is_empty",
    "symbol_count",
    "union",
    "without_channels",
]

# Channels a client may name (Subscription attribute names). Corrections and cancel
# errors are not among them: they follow trades automatically, so a diff ignores them.
SUBSCRIBABLE_CHANNELS: tuple[str, ...] = (
    "trades",
    "quotes",
    "bars",
    "updated_bars",
    "daily_bars",
    "statuses",
    "lulds",
)
# Channels subscribed per watched symbol. Minute bars feed charts, daily bars the day
# statistics; statuses and LULD bands mark halts.
DEFAULT_CHANNELS: tuple[str, ...] = ("trades", "quotes", "bars", "daily_bars", "statuses", "lulds")
# Dropped after error 410 (invalid subscribe action for this feed) and tried once more.
OPTIONAL_CHANNELS: frozenset[str] = frozenset({"statuses", "lulds", "daily_bars", "bars"})


def for_symbols(symbols: Iterable[str], channels: Iterable[str]) -> Subscription:
    """`symbols` on each of `channels` (unknown channel names are ignored)."""
    syms = frozenset(symbols)
    names = set(channels)
    return Subscription(
        **{ch: syms for ch in SUBSCRIBABLE_CHANNELS if ch in names and syms},
    )


def diff(wanted: Subscription, confirmed: Subscription) -> tuple[Subscription, Subscription]:
    """(to subscribe, to unsubscribe), per channel, that turn `confirmed` into `wanted`."""
    add: dict[str, frozenset[str]] = {}
    remove: dict[str, frozenset[str]] = {}
    for ch in SUBSCRIBABLE_CHANNELS:
        want: frozenset[str] = getattr(wanted, ch)
        have: frozenset[str] = getattr(confirmed, ch)
        if want != have:
            if plus := want - have:
                add[ch] = plus
            if minus := have - want:
                remove[ch] = minus
    return Subscription(**add), Subscription(**remove)


def is_empty(subscription: Subscription) -> bool:
    """True when no subscribable channel names a symbol."""
    return not any(getattr(subscription, ch) for ch in SUBSCRIBABLE_CHANNELS)


def symbol_count(subscription: Subscription) -> int:
    """Distinct symbols across the subscribable channels."""
    names: set[str] = set()
    for ch in SUBSCRIBABLE_CHANNELS:
        names.update(getattr(subscription, ch))
    return len(names)


def union(*subscriptions: Subscription) -> Subscription:
    """Every symbol any of `subscriptions` names, per channel."""
    merged: dict[str, frozenset[str]] = {}
    for ch in SUBSCRIBABLE_CHANNELS:
        names = frozenset().union(*(getattr(sub, ch) for sub in subscriptions))
        if names:
            merged[ch] = names
    return Subscription(**merged)


def without_channels(subscription: Subscription, channels: Iterable[str]) -> Subscription:
    """`subscription` with `channels` emptied (e.g. the optional ones after a 410)."""
    gone = set(channels)
    return Subscription(
        **{ch: getattr(subscription, ch) for ch in SUBSCRIBABLE_CHANNELS if ch not in gone}
    )
