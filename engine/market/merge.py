"""The merge rules: how one event changes one symbol's snapshot, as plain functions.

Each rule is `merge_x(snap, event) -> Outcome`: it writes the event into `snap` (and
nothing else: no store, no clock, no counters) and says what happened. `Outcome.touch`
tells the store whether the row changed and whether what it shows as live changed
(then `source`/`received_at` follow; see `MarketDataStore._touch`); `Outcome.rejections`
say why (part of) an event was not applied. `MERGE_RULES` maps event types to rules.

Merge rules (per field group: trade, quote, status, LULD, day stats, previous close):
- A message older (by exchange time) than what the group holds is rejected and counted;
  an equal timestamp is applied (several prints share a nanosecond, and a REST snapshot
  repeating what the stream sent confirms it is still current).
- A trade never clears the quote, a quote never moves the last price.
- Day stats: a daily bar (stream `d` or REST `dailyBar`) of the same or a later day
  replaces open/high/low/volume/VWAP. Between daily bars a stream trade of that day
  extends high/low and adds its size to volume, and a minute bar (`b`, or `u`, which
  Alpaca sends for a minute bar revised by late trades) extends high/low (its volume is
  already counted trade by trade). Without a daily bar there is no baseline, so trades
  and minute bars leave day stats empty rather than show a partial day as the day.
  Same-day daily bars are ordered by arrival, not volume: trades added since a bar
  would make every next bar look older.
- Corrections fix the last (or the one kept previous) trade they name; a cancel or error
  (`x`, action `C` or `E`) of the last trade reverts to the previous one, or sets
  `last_cancelled` when none is kept. Volume is adjusted for the last trade only; the
  next daily bar settles the rest (high/low cannot be un-extended).
- `source`/`received_at` follow the last update to what the row shows as live (trade,
  quote, status, LULD, corrections, cancels: `Touch.LIVE`). An update that only fills day
  stats (`Touch.DAY`; e.g. a REST snapshot whose trade and quote are older than the
  stream's) leaves them alone, so a symbol is REST-sourced only when REST data is shown.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from engine.events import (
    Bar,
    BarKind,
    CancelError,
    Correction,
    Luld,
    Quote,
    Snapshot,
    Trade,
    TradingStatus,
)
from engine.market.snapshot import SymbolSnapshot

__all__ = [
    "DAY",
    "LIVE",
    "MERGE_RULES",
    "UNCHANGED",
    "MergeRule",
    "Outcome",
    "RejectKind",
    "Rejection",
    "Touch",
    "merge_bar",
    "merge_cancel",
    "merge_correction",
    "merge_daily_bar",
    "merge_luld",
    "merge_minute_bar",
    "merge_quote",
    "merge_rest_snapshot",
    "merge_status",
    "merge_trade",
]

DAY_NS = 86_400 * 1_000_000_000
_NEW_YORK = ZoneInfo("America/New_York")


class Touch(enum.Enum):
    """What a merge did to the row."""

    NONE = "none"  # nothing changed
    DAY = "day"  # only day stats / previous close changed: source and receipt time stay
    LIVE = "live"  # what the row shows as live changed: source and receipt time follow


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
    """What one merge did: how the row was touched, and what was rejected on the way."""

    touch: Touch
    rejections: tuple[Rejection, ...] = ()

    @property
    def changed(self) -> bool:
        return self.touch is not Touch.NONE


# The common outcomes are shared constants: nothing is allocated per applied event, and
# the store's hot path recognises LIVE by identity.
LIVE = Outcome(Touch.LIVE)
DAY = Outcome(Touch.DAY)
UNCHANGED = Outcome(Touch.NONE)


def _older(snap: SymbolSnapshot, what: str, held_ns: int, got_ns: int) -> Outcome:
    reason = f"{snap.symbol}: {what} at {got_ns} ns is older than {held_ns} ns"
    return Outcome(Touch.NONE, (Rejection(RejectKind.OUT_OF_ORDER, reason),))


def _invalid(symbol: str, why: str) -> Outcome:
    return Outcome(Touch.NONE, (Rejection(RejectKind.INVALID, f"{symbol}: {why}"),))


def _unmatched(symbol: str, what: str, trade_id: int) -> Outcome:
    reason = f"{symbol}: {what} of trade {trade_id}, which is not kept"
    return Outcome(Touch.NONE, (Rejection(RejectKind.UNMATCHED, reason),))


def _ny_date(timestamp_ns: int) -> date:
    """The New York calendar date of an exchange timestamp."""
    return datetime.fromtimestamp(timestamp_ns // 1_000_000_000, _NEW_YORK).date()


# --- trades and quotes ---------------------------------------------------------------


def merge_trade(snap: SymbolSnapshot, ev: Trade, count_volume: bool = True) -> Outcome:
    """A print: last price/size/exchange/id and tick; with `count_volume`, a print of the
    daily bar's day also extends high/low and adds to volume. Never touches the quote."""
    held = snap.last_trade_ns
    if held is not None and ev.timestamp_ns < held:
        return _older(snap, "trade", held, ev.timestamp_ns)
    price = ev.price
    if not (price > 0.0 and math.isfinite(price)) or ev.size < 0:
        return _invalid(ev.symbol, f"trade with price {price!r} size {ev.size}")
    last = snap.last_price
    if last is not None and not snap.last_cancelled:
        if price != last:
            snap.tick = 1 if price > last else -1
        if held is not None and (ev.trade_id != snap.last_trade_id or ev.timestamp_ns != held):
            snap._prev_trade = (
                last,
                snap.last_size or 0,
                snap.last_exchange or "",
                held,
                snap.last_trade_id or 0,
            )
    else:
        snap.tick = 0
    snap.last_price = price
    snap.last_size = ev.size
    snap.last_exchange = ev.exchange
    snap.last_trade_ns = ev.timestamp_ns
    snap.last_trade_id = ev.trade_id
    snap.last_cancelled = False
    day = snap._day_ns
    counted = count_volume and day is not None and day <= ev.timestamp_ns < day + DAY_NS
    snap._last_counted = counted
    if counted:
        snap.volume = (snap.volume or 0) + ev.size
        if snap.high is None or price > snap.high:
            snap.high = price
        if snap.low is None or price < snap.low:
            snap.low = price
    return LIVE


def merge_quote(snap: SymbolSnapshot, ev: Quote) -> Outcome:
    """Bid and ask with sizes. Never moves the last price."""
    held = snap.quote_ns
    if held is not None and ev.timestamp_ns < held:
        return _older(snap, "quote", held, ev.timestamp_ns)
    bid, ask = ev.bid_price, ev.ask_price
    # 0 is Alpaca's empty side (e.g. no IEX bid); NaN/inf/negative would poison spread.
    if not (bid >= 0.0 and ask >= 0.0 and math.isfinite(bid) and math.isfinite(ask)):
        return _invalid(ev.symbol, f"quote with bid {bid!r} ask {ask!r}")
    snap.bid_price = bid
    snap.bid_size = ev.bid_size
    snap.ask_price = ask
    snap.ask_size = ev.ask_size
    snap.quote_ns = ev.timestamp_ns
    return LIVE


# --- bars ----------------------------------------------------------------------------


def merge_bar(snap: SymbolSnapshot, ev: Bar) -> Outcome:
    """A stream bar: daily bars replace the day stats, minute bars extend them."""
    if ev.kind is BarKind.DAILY:
        return merge_daily_bar(snap, ev)
    return merge_minute_bar(snap, ev)


def merge_daily_bar(snap: SymbolSnapshot, bar: Bar) -> Outcome:
    """Open/high/low/volume/VWAP from a daily bar of the same or a later day."""
    held = snap._day_ns
    if held is not None and bar.timestamp_ns < held:
        return _older(snap, "daily bar", held, bar.timestamp_ns)
    snap.open = bar.open
    snap.high = bar.high
    snap.low = bar.low
    snap.volume = bar.volume
    snap.vwap = bar.vwap
    snap._day_ns = bar.timestamp_ns
    snap._last_counted = False  # the bar now owns the volume count
    return DAY


def merge_minute_bar(snap: SymbolSnapshot, bar: Bar) -> Outcome:
    """Extend the day's high/low (volume is counted trade by trade); needs a daily bar."""
    day = snap._day_ns
    if day is None or not day <= bar.timestamp_ns < day + DAY_NS:
        return UNCHANGED  # no baseline for this bar's day: see module docstring
    changed = False
    if snap.high is None or bar.high > snap.high:
        snap.high = bar.high
        changed = True
    if snap.low is None or bar.low < snap.low:
        snap.low = bar.low
        changed = True
    return DAY if changed else UNCHANGED


# --- status and LULD -------------------------------------------------------------------


def merge_status(snap: SymbolSnapshot, ev: TradingStatus) -> Outcome:
    """Status code and message; halt codes halt, resume codes end a halt."""
    held = snap._status_ns
    if held is not None and ev.timestamp_ns < held:
        return _older(snap, "status", held, ev.timestamp_ns)
    snap._status_ns = ev.timestamp_ns
    snap.status_code = ev.status_code
    snap.status_message = ev.status_message
    if ev.is_halt:
        snap.halted = True
        snap.halt_reason = ev.reason_message or ev.status_message
    elif ev.is_resume:
        snap.halted = False
        snap.halt_reason = None
    # Other codes (CTA `F` LULD, `E` short-sale restriction, ...) leave a halt as is.
    return LIVE


def merge_luld(snap: SymbolSnapshot, ev: Luld) -> Outcome:
    """The limit up / limit down band."""
    held = snap._luld_ns
    if held is not None and ev.timestamp_ns < held:
        return _older(snap, "LULD band", held, ev.timestamp_ns)
    snap._luld_ns = ev.timestamp_ns
    snap.luld_up = ev.limit_up
    snap.luld_down = ev.limit_down
    return LIVE


# --- corrections and cancels -------------------------------------------------------------


def merge_correction(snap: SymbolSnapshot, ev: Correction) -> Outcome:
    """Fix the last trade (price, size, id, tick, counted volume) or the kept previous one."""
    prev = snap._prev_trade
    if snap.last_trade_id == ev.original_id and snap.last_price is not None:
        snap.last_price = ev.corrected_price
        snap.last_size = ev.corrected_size
        snap.last_trade_id = ev.corrected_id
        if snap._last_counted and snap.volume is not None:
            snap.volume = max(0, snap.volume + ev.corrected_size - ev.original_size)
        # Only the previous trade's price is kept, so the tick is known only if it differs.
        if prev is None or prev[0] == ev.corrected_price:
            snap.tick = 0
        else:
            snap.tick = 1 if ev.corrected_price > prev[0] else -1
    elif prev is not None and prev[4] == ev.original_id:
        snap._prev_trade = (
            ev.corrected_price,
            ev.corrected_size,
            prev[2],
            prev[3],
            ev.corrected_id,
        )
    else:
        return _unmatched(ev.symbol, "correction", ev.original_id)
    return LIVE


def merge_cancel(snap: SymbolSnapshot, ev: CancelError) -> Outcome:
    """Void a print (`C` cancel, `E` error): the last one reverts to the kept previous trade
    (or sets `last_cancelled`), the kept previous one is forgotten."""
    if ev.action not in ("C", "E"):  # Alpaca: C = cancel, E = error; both void the print
        return _invalid(ev.symbol, f"cancel/error with unknown action {ev.action!r}")
    prev = snap._prev_trade
    if snap.last_trade_id == ev.trade_id and snap.last_price is not None:
        if snap._last_counted and snap.volume is not None:
            snap.volume = max(0, snap.volume - (snap.last_size or 0))
        snap._last_counted = False
        snap.tick = 0
        if prev is None:
            snap.last_cancelled = True
        else:
            (
                snap.last_price,
                snap.last_size,
                snap.last_exchange,
                snap.last_trade_ns,
                snap.last_trade_id,
            ) = prev
            snap._prev_trade = None
    elif prev is not None and prev[4] == ev.trade_id:
        snap._prev_trade = None  # never revert to a voided print later
    else:
        return _unmatched(ev.symbol, "cancel/error", ev.trade_id)
    return LIVE


# --- REST snapshot ---------------------------------------------------------------------


def merge_rest_snapshot(snap: SymbolSnapshot, ev: Snapshot) -> Outcome:
    """A REST snapshot: latest trade and quote (by the same rules as the stream's), day
    stats from its daily bar and the previous close from its previous daily bar."""
    rejections: list[Rejection] = []
    live = False
    if ev.latest_trade is not None:
        # count_volume=False: the snapshot's daily bar already includes its latest trade.
        outcome = merge_trade(snap, ev.latest_trade, count_volume=False)
        live = outcome is LIVE
        rejections += outcome.rejections
    if ev.latest_quote is not None:
        outcome = merge_quote(snap, ev.latest_quote)
        live = outcome is LIVE or live
        rejections += outcome.rejections
    daily, prev_bar = ev.daily_bar, ev.prev_daily_bar
    if (
        daily is not None
        and ev.latest_trade is not None
        and _ny_date(ev.latest_trade.timestamp_ns) > _ny_date(daily.timestamp_ns)
    ):
        # Before today's first regular bar Alpaca's dailyBar is still the last
        # session's: then it, not prevDailyBar, is the previous close, and it holds
        # no statistics of today.
        prev_bar, daily = daily, None
    day = False
    if daily is not None:
        outcome = merge_daily_bar(snap, daily)
        day = outcome.changed
        rejections += outcome.rejections
    if prev_bar is not None:
        held = snap._prev_close_ns
        if held is not None and prev_bar.timestamp_ns < held:
            rejections += _older(snap, "previous daily bar", held, prev_bar.timestamp_ns).rejections
        else:
            snap.prev_close = prev_bar.close
            snap._prev_close_ns = prev_bar.timestamp_ns
            day = True
    outcome = LIVE if live else DAY if day else UNCHANGED
    return Outcome(outcome.touch, tuple(rejections)) if rejections else outcome


MergeRule = Callable[[SymbolSnapshot, Any], Outcome]
# Every event type the store keeps, and its rule (an Imbalance is market data it ignores).
MERGE_RULES: Mapping[type, MergeRule] = MappingProxyType(
    {
        Trade: merge_trade,
        Quote: merge_quote,
        Bar: merge_bar,
        TradingStatus: merge_status,
        Luld: merge_luld,
        Correction: merge_correction,
        CancelError: merge_cancel,
        Snapshot: merge_rest_snapshot,
    }
)
