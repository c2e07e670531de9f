"""What a merge rule did to a row: `Touch`, `Outcome` and the reasons a part was refused.

Shared by the merge rules (`engine.market.merge`, `merge_day`, `merge_halts`) and read by
the store (`engine.market.store`), which counts rejections and settles receipt times.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = [
    "DAY",
    "LIVE",
    "ROW",
    "UNCHANGED",
    "Outcome",
    "RejectKind",
    "Rejection",
    "Touch",
    "invalid",
    "older",
    "unmatched",
]


class Touch(enum.Enum):
    """What a merge did to the row."""

    NONE = "none"  # nothing changed
    DAY = "day"  # only day stats / previous close changed: source and receipt time stay
    # What the row shows as live changed: source and receipt time follow, for new prices.
    LIVE = "live"
    # The store's name for LIVE from a rule that brings no prices (status, LULD band,
    # correction, cancel): the row changed, but not the age of its prices.
    ROW = "row"


class RejectKind(enum.StrEnum):
    """Why (part of) an event was not applied; the store counts each kind."""

    OUT_OF_ORDER = "out_of_order"  # older than what the field group holds
    INVALID = "invalid"  # a price or action no market sends
    UNMATCHED = "unmatched"  # a correction/cancel of a trade not kept


@dataclass(frozen=True, slots=True)
class Rejection:
    kind: RejectKind
    reason: str  # "AAPL: trade at 5 ns is older than 7 ns"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one merge did: how the row was touched, and what was rejected on the way.

    `late_print`: a trade older than the last one: it did not move the last price, but it
    is a real print that time & sales must still show (docs/design.md; the store hands it
    to observers that ask for late prints).
    """

    touch: Touch
    rejections: tuple[Rejection, ...] = ()
    late_print: bool = False

    @property
    def changed(self) -> bool:
        return self.touch is not Touch.NONE


# The common outcomes are shared constants: nothing is allocated per applied event, and
# the store's hot path recognises LIVE by identity.
LIVE = Outcome(Touch.LIVE)
ROW = Outcome(Touch.ROW)
DAY = Outcome(Touch.DAY)
UNCHANGED = Outcome(Touch.NONE)


def older(symbol: str, what: str, held_ns: int, got_ns: int, note: str = "") -> Outcome:
    """A rejection: `what` at `got_ns` is older than the `held_ns` its field group holds."""
    reason = f"{symbol}: {what} at {got_ns} ns is older than {held_ns} ns{note}"
    return Outcome(Touch.NONE, (Rejection(RejectKind.OUT_OF_ORDER, reason),))


def invalid(symbol: str, why: str) -> Outcome:
    return Outcome(Touch.NONE, (Rejection(RejectKind.INVALID, f"{symbol}: {why}"),))


def unmatched(symbol: str, what: str, trade_id: int, exchange: str) -> Outcome:
    reason = f"{symbol}: {what} of trade {trade_id} on {exchange or '?'}, which is not kept"
    return Outcome(Touch.NONE, (Rejection(RejectKind.UNMATCHED, reason),))
