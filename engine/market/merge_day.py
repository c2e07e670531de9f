"""Merge rules of the trading day: the day roll, daily bars, minute bars and late prints.

The day of an event is the New York date of its exchange timestamp
(`engine.market.trading_day`), never the local date. A symbol's current day is the
newest day of its price data (trade, quote, minute or daily bar, or a REST snapshot
whose trade, quote or daily bar is of a new day). When data of a newer day arrives, the
day rolls (`enter_day`):
- previous close := the close of the day that just ended when it is the new day's
  reference day (`calendar.previous_trading_day`): its daily bar's close if one is
  held, else its last regular-session (09:30-16:00 ET) print, else unknown until a REST
  `prevDailyBar` says (`engine.net.rest` fetches it). Rolling over a day without a
  session (a weekend day with data) keeps the reference; a missed reference day leaves
  it unknown rather than wrong.
- open/high/low/volume/VWAP start empty until the new day's first daily bar (stream `d`
  or REST `dailyBar`): a partial day is never shown as the day.
A REST snapshot's `prevDailyBar` and `dailyBar` always win for their own days
(`engine.market.merge.merge_rest_snapshot`).
"""

from __future__ import annotations

from engine.events import Bar, Trade
from engine.market.outcome import DAY, UNCHANGED, Outcome, Touch, older
from engine.market.snapshot import SymbolSnapshot
from engine.market.trading_day import TradingDay, trading_day_of

__all__ = ["enter_day", "late_trade", "merge_daily_bar", "merge_minute_bar", "merge_prev_bar"]


def enter_day(snap: SymbolSnapshot, timestamp_ns: int) -> TradingDay:
    """The symbol's current day after data at `timestamp_ns`: a newer day's data rolls the
    day (module docstring), the first data after the regular close notes the day's last
    regular-session print (the roll's fallback close).

    Cheap to call on the hot path only behind `timestamp_ns >= snap._mark`, inline: one
    comparison per event, and a date is computed only when a symbol's day changes.
    """
    day = snap._day
    if day is not None and timestamp_ns < snap._mark:
        return day
    if day is None or timestamp_ns >= day.end_ns:
        new = trading_day_of(timestamp_ns)
        snap._day = new
        if day is not None and new is not day:  # `is`: a clamped, impossible time rolls nothing
            _roll(snap, day, new)
        day = new
        if timestamp_ns < day.close_ns:
            snap._mark = day.close_ns
            return day
    # At or after this day's regular close (or on a day without one): the last print held
    # is the session's last if it was inside it.
    held = snap.last_trade_ns
    if held is not None and day.open_ns <= held < day.close_ns and not snap.last_cancelled:
        snap._regular_price = snap.last_price
    snap._mark = day.end_ns
    return day


def _roll(snap: SymbolSnapshot, old: TradingDay, new: TradingDay) -> None:
    at: int | None = old.start_ns  # a previous-day bar older than this is stale
    close: float | None = None
    if old.day == new.prev_date:  # the day that ended is the new day's reference day
        last_ns = snap.last_trade_ns
        if snap._day_ns is not None and snap._day_close is not None:
            close, at = snap._day_close, snap._day_ns
        elif last_ns is not None and old.open_ns <= last_ns < old.close_ns:
            close = None if snap.last_cancelled else snap.last_price
        if close is None:
            close = snap._regular_price
    elif not old.is_trading and old.prev_date == new.prev_date:
        close, at = snap.prev_close, snap._prev_close_ns  # same reference day: keep it
    snap.prev_close = close
    snap._prev_close_ns = at
    snap.open = snap.high = snap.low = snap.vwap = None
    snap.volume = None
    snap._day_ns = snap._day_close = snap._regular_price = None
    snap._last_counted = False


# --- bars ----------------------------------------------------------------------------


def merge_daily_bar(snap: SymbolSnapshot, bar: Bar) -> Outcome:
    """Open/high/low/volume/VWAP from a daily bar of the current day (or of a new day,
    which rolls the day first); a past day's bar is rejected."""
    ts = bar.timestamp_ns
    day = enter_day(snap, ts)
    if ts < day.start_ns:
        return older(snap.symbol, "daily bar", day.start_ns, ts, " (of a past day)")
    held = snap._day_ns
    if held is not None and ts < held:
        return older(snap.symbol, "daily bar", held, ts)
    snap.open = bar.open
    snap.high = bar.high
    snap.low = bar.low
    snap.volume = bar.volume
    snap.vwap = bar.vwap
    snap._day_ns = ts
    snap._day_close = bar.close
    snap._last_counted = False  # the bar now owns the volume count
    return DAY


def merge_minute_bar(snap: SymbolSnapshot, bar: Bar) -> Outcome:
    """Extend the day's high/low (volume is counted trade by trade); needs the day's daily
    bar as a baseline. A bar of a new day rolls the day."""
    ts = bar.timestamp_ns
    before = snap._day
    day = enter_day(snap, ts)
    rolled = before is not None and day is not before
    if snap._day_ns is None or ts < day.start_ns:
        return DAY if rolled else UNCHANGED  # no baseline for this bar's day
    changed = rolled
    if snap.high is None or bar.high > snap.high:
        snap.high = bar.high
        changed = True
    if snap.low is None or bar.low < snap.low:
        snap.low = bar.low
        changed = True
    return DAY if changed else UNCHANGED


def merge_prev_bar(snap: SymbolSnapshot, bar: Bar) -> Outcome:
    """A REST previous-day bar (`prevDailyBar`, or a `dailyBar` of a day before the
    current one): the previous close, unless an older day's than the one held."""
    held = snap._prev_close_ns
    if held is not None and bar.timestamp_ns < held:
        return older(snap.symbol, "previous daily bar", held, bar.timestamp_ns)
    snap.prev_close = bar.close
    snap._prev_close_ns = bar.timestamp_ns
    return DAY


# --- late prints ---------------------------------------------------------------------

_LATE_NOTE = " (a late print: counted in the day, not the last price)"


def late_trade(snap: SymbolSnapshot, ev: Trade, held_ns: int, count_volume: bool) -> Outcome:
    """A valid print older than the last trade: the last price/time stay, but the print
    still adds to the day's volume/high/low when those are counted trade by trade (a daily
    bar of its day is held; merge module docstring), and observers asking for late prints
    put it on the tape (`Outcome.late_print`)."""
    ts = ev.timestamp_ns
    day_ns = snap._day_ns  # the current day's daily bar: a roll drops it (see merge_trade)
    if count_volume and day_ns is not None and ts >= day_ns:
        snap.volume = (snap.volume or 0) + ev.size
        price = ev.price
        if snap.high is None or price > snap.high:
            snap.high = price
        if snap.low is None or price < snap.low:
            snap.low = price
        touch = Touch.DAY
    else:
        touch = Touch.NONE
    rejections = older(snap.symbol, "trade", held_ns, ts, _LATE_NOTE).rejections
    return Outcome(touch, rejections, late_print=True)
