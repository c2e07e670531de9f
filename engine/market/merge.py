"""The merge rules: how one event changes one symbol's snapshot, as plain functions.

Each rule is `merge_x(snap, event) -> Outcome`: it writes the event into `snap` (and
nothing else: no store, no clock, no counters) and says what happened. `Outcome.touch`
tells the store whether the row changed and whether what it shows as live changed
(see `MarketDataStore._touch`); `Outcome.rejections` say why (part of) an event was not
applied. `MERGE_RULES` maps event types to rules. The rules of the trading day (day
roll, bars, late prints) are in `engine.market.merge_day`, those of halts in
`engine.market.merge_halts`; the outcome types in `engine.market.outcome`.

Merge rules (per field group: trade, quote, status, LULD, day stats, previous close):
- A message older (by exchange time) than what the group holds is rejected and counted;
  an equal timestamp is applied (several prints share a nanosecond, and a REST snapshot
  repeating what the stream sent confirms it is still current). A trade older than the
  last one is a late print: it does not move the last price/time, but it still counts
  in the day's volume/high/low and goes on the tape (`merge_day.late_trade`).
- A trade never clears the quote, a quote never moves the last price.
- The trading day is the New York date of the exchange time; data of a new day rolls
  the previous close and empties the day stats (`merge_day`, its docstring).
- Day stats: a daily bar (stream `d` or REST `dailyBar`) of the current or a later day
  replaces open/high/low/volume/VWAP. Between daily bars a stream trade of that day
  extends high/low and adds its size to volume, and a minute bar (`b`, or `u`, which
  Alpaca sends for a minute bar revised by late trades) extends high/low (its volume is
  already counted trade by trade). Without a daily bar there is no baseline, so trades
  and minute bars leave day stats empty rather than show a partial day as the day.
  Same-day daily bars are ordered by arrival, not volume: trades added since a bar
  would make every next bar look older.
- Corrections fix the last (or the one kept previous) trade they name; a cancel or error
  (`x`, action `C` or `E`) of the last trade reverts to the previous one, or sets
  `last_cancelled` when none is kept. A print is named by trade id AND exchange: SIP
  trade ids are unique per venue only (docs/protocol.md, "Market-state facts"). Volume
  is adjusted for the last trade only; the next daily bar settles the rest (high/low
  cannot be un-extended).
- Halts: `merge_halts` (a `Q` keeps the halt; a print after the halt ends it).
- `Touch.LIVE`: what the row shows as live changed (trade, quote, status, LULD,
  corrections, cancels); `Touch.DAY`: only day stats / previous close. The store moves
  a row's `received_at`/`source` only for new prices (a trade or quote, stream or
  REST): freshness is the age of the prices shown, never of the last status or bar
  (docs/design.md, invariant 4). So a symbol is REST-sourced only when REST prices show.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

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
from engine.market.merge_day import (
    enter_day,
    late_trade,
    merge_daily_bar,
    merge_minute_bar,
    merge_prev_bar,
)
from engine.market.merge_halts import (
    REST_TRADE_EVIDENCE,
    STREAM_TRADE_EVIDENCE,
    merge_luld,
    merge_status,
    resume_on_trade,
)
from engine.market.outcome import (
    DAY,
    LIVE,
    UNCHANGED,
    Outcome,
    Rejection,
    RejectKind,
    Touch,
    invalid,
    older,
    unmatched,
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

# The largest finite float: `0.0 <= x <= _FLOAT_MAX` is False for NaN, -x and +inf, the
# same test as `x >= 0 and math.isfinite(x)` with no call (per message: issue 16).
_FLOAT_MAX = sys.float_info.max


# --- trades and quotes ---------------------------------------------------------------


def merge_trade(
    snap: SymbolSnapshot,
    ev: Trade,
    count_volume: bool = True,
    evidence: str = STREAM_TRADE_EVIDENCE,
) -> Outcome:
    """A print: last price/size/exchange/id and tick; with `count_volume`, a print of the
    daily bar's day also extends high/low and adds to volume. Never touches the quote.
    An older print is a late one (`merge_day.late_trade`); a newer day's rolls the day;
    a print after a halt's status ends the halt (`merge_halts.resume_on_trade`, which
    says in `evidence` where the print came from)."""
    price = ev.price
    if not (0.0 < price <= _FLOAT_MAX) or ev.size < 0:
        return invalid(ev.symbol, f"trade with price {price!r} size {ev.size}")
    ts = ev.timestamp_ns
    held = snap.last_trade_ns
    if held is not None and ts < held:
        return late_trade(snap, ev, held, count_volume)
    if ts >= snap._mark:  # a new day, or the regular close passed (merge_day)
        enter_day(snap, ts)
    if snap.halted:
        resume_on_trade(snap, ev, evidence)
    last = snap.last_price
    if last is not None and not snap.last_cancelled:
        if price != last:
            snap.tick = 1 if price > last else -1
        if held is not None and (ev.trade_id != snap.last_trade_id or ts != held):
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
    snap.last_trade_ns = ts
    snap.last_trade_id = ev.trade_id
    snap.last_cancelled = False
    # The current day's daily bar is the baseline (a roll drops it); a print from before
    # it (e.g. REST's latest trade of an earlier day) is not the day's.
    day_ns = snap._day_ns
    counted = count_volume and day_ns is not None and ts >= day_ns
    snap._last_counted = counted
    if counted:
        snap.volume = (snap.volume or 0) + ev.size
        if snap.high is None or price > snap.high:
            snap.high = price
        if snap.low is None or price < snap.low:
            snap.low = price
    return LIVE


def merge_quote(snap: SymbolSnapshot, ev: Quote) -> Outcome:
    """Bid and ask with sizes. Never moves the last price. A newer day's rolls the day."""
    ts = ev.timestamp_ns
    held = snap.quote_ns
    if held is not None and ts < held:
        return older(snap.symbol, "quote", held, ts)
    bid, ask = ev.bid_price, ev.ask_price
    # 0 is Alpaca's empty side (e.g. no IEX bid); NaN/inf/negative would poison spread.
    if not (0.0 <= bid <= _FLOAT_MAX and 0.0 <= ask <= _FLOAT_MAX):
        return invalid(ev.symbol, f"quote with bid {bid!r} ask {ask!r}")
    if ts >= snap._mark:  # a new day, or the regular close passed (merge_day)
        enter_day(snap, ts)
    snap.bid_price = bid
    snap.bid_size = ev.bid_size
    snap.ask_price = ask
    snap.ask_size = ev.ask_size
    snap.quote_ns = ts
    return LIVE


# --- bars ----------------------------------------------------------------------------


def merge_bar(snap: SymbolSnapshot, ev: Bar) -> Outcome:
    """A stream bar: daily bars replace the day stats, minute bars extend them."""
    if ev.kind is BarKind.DAILY:
        return merge_daily_bar(snap, ev)
    return merge_minute_bar(snap, ev)


# --- corrections and cancels -------------------------------------------------------------


def merge_correction(snap: SymbolSnapshot, ev: Correction) -> Outcome:
    """Fix the last trade (price, size, id, tick, counted volume) or the kept previous one,
    named by original id and exchange."""
    prev = snap._prev_trade
    if (
        snap.last_trade_id == ev.original_id
        and snap.last_exchange == ev.exchange
        and snap.last_price is not None
    ):
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
    elif prev is not None and prev[4] == ev.original_id and prev[2] == ev.exchange:
        snap._prev_trade = (
            ev.corrected_price,
            ev.corrected_size,
            prev[2],
            prev[3],
            ev.corrected_id,
        )
    else:
        return unmatched(ev.symbol, "correction", ev.original_id, ev.exchange)
    return LIVE


def merge_cancel(snap: SymbolSnapshot, ev: CancelError) -> Outcome:
    """Void a print (`C` cancel, `E` error), named by trade id and exchange: the last one
    reverts to the kept previous trade (or sets `last_cancelled`), the kept previous one is
    forgotten."""
    if ev.action not in ("C", "E"):  # Alpaca: C = cancel, E = error; both void the print
        return invalid(ev.symbol, f"cancel/error with unknown action {ev.action!r}")
    prev = snap._prev_trade
    if (
        snap.last_trade_id == ev.trade_id
        and snap.last_exchange == ev.exchange
        and snap.last_price is not None
    ):
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
    elif prev is not None and prev[4] == ev.trade_id and prev[2] == ev.exchange:
        snap._prev_trade = None  # never revert to a voided print later
    else:
        return unmatched(ev.symbol, "cancel/error", ev.trade_id, ev.exchange)
    return LIVE


# --- REST snapshot ---------------------------------------------------------------------


def merge_rest_snapshot(snap: SymbolSnapshot, ev: Snapshot) -> Outcome:
    """A REST snapshot: latest trade and quote (by the same rules as the stream's), day
    stats from its daily bar and the previous close from its previous daily bar. Its
    trade, quote or daily bar of a new day rolls the day first (`merge_day`)."""
    rejections: list[Rejection] = []
    live = False
    if ev.latest_trade is not None:
        # count_volume=False: the snapshot's daily bar already includes its latest trade.
        outcome = merge_trade(snap, ev.latest_trade, False, REST_TRADE_EVIDENCE)
        live = outcome is LIVE
        rejections += outcome.rejections
    if ev.latest_quote is not None:
        outcome = merge_quote(snap, ev.latest_quote)
        live = outcome is LIVE or live
        rejections += outcome.rejections
    daily, prev_bar = ev.daily_bar, ev.prev_daily_bar
    day = snap._day
    if daily is not None and day is not None and daily.timestamp_ns < day.start_ns:
        # Before today's first regular bar Alpaca's dailyBar is still the last
        # session's: then it, not prevDailyBar, is the previous close, and it holds
        # no statistics of today.
        prev_bar, daily = daily, None
    changed = False
    if daily is not None:
        outcome = merge_daily_bar(snap, daily)
        changed = outcome.changed
        rejections += outcome.rejections
    if prev_bar is not None:
        outcome = merge_prev_bar(snap, prev_bar)
        changed = outcome.changed or changed
        rejections += outcome.rejections
    outcome = LIVE if live else DAY if changed else UNCHANGED
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
