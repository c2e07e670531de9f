"""What the store (`engine.market.store`) needs to know about event types and observers.

Kept apart so that the store module stays under the size limit (docs/architecture.md):
which events a stream frame carries as market data, which bring prices (and so move a
row's receipt time), which observers always see, the merge rule per type as the store
applies it, and the mark for observers of late prints.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from engine.events import MARKET_EVENT_TYPES, Bar, CancelError, Correction, Quote, Snapshot, Trade
from engine.market.merge import LIVE, MERGE_RULES, MergeRule, Outcome
from engine.market.outcome import ROW
from engine.market.snapshot import SymbolSnapshot

__all__ = [
    "ALWAYS_OBSERVED",
    "FLOAT_MAX",
    "LATE_PRINTS_ATTR",
    "PRICE_TYPES",
    "STREAM_TYPES",
    "observes_late_prints",
    "store_rules",
]

# Event types a stream frame carries as market data (events.MARKET_EVENT_TYPES, as a set).
STREAM_TYPES: frozenset[type] = frozenset(MARKET_EVENT_TYPES)
# Observers (charts, time and sales) need these even when the snapshot's own fields did
# not change: a minute bar inside the day's range, a correction of an older print.
ALWAYS_OBSERVED: frozenset[type] = frozenset({Bar, Correction, CancelError})
# Events that bring prices: only these move a row's receipt time and source. A status,
# LULD band, bar, correction or cancel changes the row, not the age of its prices: after
# a gap it must not make minutes-old prices look fresh (docs/design.md, invariant 4).
PRICE_TYPES: frozenset[type] = frozenset({Trade, Quote, Snapshot})
LATE_PRINTS_ATTR = "_observes_late_prints"
# `0.0 <= x <= FLOAT_MAX` is False for NaN, negatives and inf: finite and >= 0 (merge.py).
FLOAT_MAX = sys.float_info.max


def observes_late_prints[F: Callable[..., Any]](observer: F) -> F:
    """Mark an observer that also wants late prints that changed nothing on the row.

    A trade older than the last one does not move the last price, so plain observers
    (alerts, the table) never see it; a tape (time and sales) must still show it.
    """
    setattr(observer, LATE_PRINTS_ATTR, True)
    return observer


def _row_only(rule: MergeRule) -> MergeRule:
    """The rule, with LIVE relabelled ROW: the event brings no prices (see PRICE_TYPES)."""

    def apply_rule(snap: SymbolSnapshot, event: Any) -> Outcome:
        outcome = rule(snap, event)
        return ROW if outcome is LIVE else outcome

    return apply_rule


def store_rules() -> dict[type, MergeRule]:
    """The merge rule per event type as the store applies it (a dict: .get is fast);
    rules of events without prices touch the row as ROW."""
    return {
        kind: rule if kind in PRICE_TYPES else _row_only(rule) for kind, rule in MERGE_RULES.items()
    }
