"""The figures traders read next to Last and Change %, from the snapshot and its history.

Pure functions of a `SymbolSnapshot` (the store's row) and the symbol's `SymbolHistory`
(REST history merged with the stream; engine.market.history_load), cheap enough to call
per table cell (a dict get, a cached day lookup, a bisect; `rel_volume` sums at most
960 ints). Each returns None when it does not know: a missing input, a zero divisor, or
history not loaded where a partial history would lie. Feeds (docs/design.md, invariant
9): the snapshot's fields come from the stream (or REST snapshots when polled); minute
bars are the stream's (LIVE) or REST's (SIP, IEX for the last 15 minutes on Basic,
`MinuteBars.source`); daily and 15-minute bars are REST SIP.

Times of day are New York time (engine.market.calendar): pre-market 04:00-09:30,
regular 09:30-16:00 (13:00 on an early close), after-hours until 20:00 (17:00).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from engine.market.calendar import day_start, to_ns
from engine.market.history_load import HistoryLoad
from engine.market.minute_bars import MINUTE_NS
from engine.market.snapshot import SymbolSnapshot
from engine.market.trading_day import TradingDay, trading_day_of
from engine.market.volume_profile import DAY_MINUTES

if TYPE_CHECKING:
    from engine.market.history import SymbolHistory

__all__ = [
    "AVG_VOLUME_SESSIONS",
    "Figures",
    "afterhours_change_pct",
    "avg_volume",
    "day_range_position",
    "figures",
    "gap_pct",
    "high_52w",
    "history_minutes",
    "low_52w",
    "premarket_change_pct",
    "range_52w_position",
    "rel_volume",
    "session_day",
]

AVG_VOLUME_SESSIONS = 30
# 04:00 and 20:00 ET from the day's midnight: trading days have no DST change (those
# happen at 02:00 on Sundays), so the offsets are exact.
_PRE_OPEN_NS = 4 * 3600 * 1_000_000_000
_AFTER_SPAN_NS = 4 * 3600 * 1_000_000_000  # the close to the end of after-hours
_NOON_NS = 12 * 3600 * 1_000_000_000


def _pct(value: float | None, reference: float | None) -> float | None:
    if value is None or reference is None or reference <= 0:
        return None
    return (value - reference) / reference * 100.0


def _position(last: float | None, low: float | None, high: float | None) -> float | None:
    if last is None or low is None or high is None or high <= low:
        return None
    return min(1.0, max(0.0, (last - low) / (high - low)))


def _day(snap: SymbolSnapshot, hist: SymbolHistory | None) -> TradingDay | None:
    newest = snap.last_trade_ns
    if hist is not None and hist.bars.times:
        bar_ns = hist.bars.times[-1]
        newest = bar_ns if newest is None or bar_ns > newest else newest
    return None if newest is None else trading_day_of(newest)


def session_day(snap: SymbolSnapshot, hist: SymbolHistory | None) -> date | None:
    """The New York date the figures refer to: that of the newest minute bar or last
    trade, whichever is newer (so the last session while the market is closed)."""
    day = _day(snap, hist)
    return None if day is None else day.day


def _prev_close(snap: SymbolSnapshot, hist: SymbolHistory | None, day: TradingDay) -> float | None:
    if snap.prev_close is not None:
        return snap.prev_close
    return None if hist is None else hist.daily.close_before(day.day)


def _last_close(hist: SymbolHistory | None, start_ns: int, end_ns: int) -> float | None:
    if hist is None:
        return None
    lo, hi = hist.bars.day_slice(start_ns, end_ns)
    return hist.bars.close[hi - 1] if hi > lo else None


def gap_pct(snap: SymbolSnapshot) -> float | None:
    """Gap %: (open - previous close) / previous close x 100, the snapshot's regular-
    session open (stream daily bar or REST snapshot) against its previous close."""
    return _pct(snap.open, snap.prev_close)


def premarket_change_pct(snap: SymbolSnapshot, hist: SymbolHistory | None) -> float | None:
    """Pre-market change %: the session day's last pre-market price (04:00-09:30 ET) vs
    the previous close. The last price while the last print is still pre-market, else
    the close of the last minute bar in the pre-market (stream or REST bars)."""
    day = _day(snap, hist)
    if day is None or not day.is_trading:
        return None
    pre_ns, open_ns = day.start_ns + _PRE_OPEN_NS, day.open_ns
    last_ns = snap.last_trade_ns
    if last_ns is not None and pre_ns <= last_ns < open_ns and snap.last_price is not None:
        price: float | None = snap.last_price
    else:
        price = _last_close(hist, pre_ns, open_ns)
    return _pct(price, _prev_close(snap, hist, day))


def afterhours_change_pct(snap: SymbolSnapshot, hist: SymbolHistory | None) -> float | None:
    """After-hours change %: once the session day has prints at or after its close
    (16:00 ET, 13:00 on an early close), the last price vs the regular close: the close
    of the day's last minute bar of the regular session, else the last regular-session
    print the snapshot kept. None before the close."""
    day = _day(snap, hist)
    if day is None or not day.is_trading:
        return None
    close_ns = day.close_ns
    post_ns = close_ns + _AFTER_SPAN_NS
    last_ns = snap.last_trade_ns
    if last_ns is not None and close_ns <= last_ns < post_ns and snap.last_price is not None:
        price: float | None = snap.last_price
    else:
        price = _last_close(hist, close_ns, post_ns)
    if price is None:
        return None
    regular = _last_close(hist, day.open_ns, close_ns)
    if regular is None:
        regular = snap._regular_price
    return _pct(price, regular)


def _range_52w(
    snap: SymbolSnapshot, hist: SymbolHistory | None
) -> tuple[float | None, float | None]:
    day = _day(snap, hist)
    if hist is None or day is None:
        return None, None
    high, low = hist.daily.range_52w(day.day)
    if high is not None and snap.high is not None:
        high = max(high, snap.high)
    if low is not None and snap.low is not None:
        low = min(low, snap.low)
    return high, low


def high_52w(snap: SymbolSnapshot, hist: SymbolHistory | None) -> float | None:
    """52-week high: the highest daily high (REST 1Day bars, SIP) of the sessions in the
    364 days before the session day, and today's high (snapshot) if higher. None
    without daily history (today alone is not 52 weeks)."""
    return _range_52w(snap, hist)[0]


def low_52w(snap: SymbolSnapshot, hist: SymbolHistory | None) -> float | None:
    """52-week low: as `high_52w`, with the lowest daily low and today's low."""
    return _range_52w(snap, hist)[1]


def range_52w_position(snap: SymbolSnapshot, hist: SymbolHistory | None) -> float | None:
    """Where Last sits in the 52-week range: (last - low) / (high - low), clamped to
    0..1; None when unknown or the range is empty (high == low)."""
    high, low = _range_52w(snap, hist)
    return _position(snap.last_price, low, high)


def avg_volume(hist: SymbolHistory | None, before: date | None = None) -> float | None:
    """Average daily volume: mean of the last 30 complete sessions' volumes (REST 1Day
    bars, SIP) before `before` (default: the newest minute bar's day, so today's partial
    bar is left out); None with fewer than 5 sessions."""
    if hist is None:
        return None
    if before is None:
        times = hist.bars.times
        before = trading_day_of(times[-1]).day if times else date.max
    return hist.daily.avg_volume(before, AVG_VOLUME_SESSIONS)


def rel_volume(snap: SymbolSnapshot, hist: SymbolHistory | None, now_ns: int) -> float | None:
    """Relative volume for the time of day: the session day's volume so far (the sum of
    its minute bars since 04:00 ET, stream and REST; IEX-only bars count IEX volume
    only) / the average cumulative volume by the same minute over the previous sessions
    (engine.market.volume_profile, from REST 15-minute SIP bars). Only once the history
    is loaded (a partial day would lie); after 20:00 ET, or with the market closed, the
    whole day against whole days."""
    if hist is None or hist.load is not HistoryLoad.LOADED or hist.profile is None:
        return None
    day = _day(snap, hist)
    if day is None:
        return None
    pre_ns = day.start_ns + _PRE_OPEN_NS
    minute = (now_ns - pre_ns) // MINUTE_NS
    if minute < 0:
        return None
    expected = hist.profile.expected(min(minute, DAY_MINUTES - 1))
    if expected is None or expected <= 0:
        return None
    bars = hist.bars
    lo, hi = bars.day_slice(pre_ns, pre_ns + DAY_MINUTES * MINUTE_NS)
    return sum(bars.volume[lo:hi]) / expected


def day_range_position(snap: SymbolSnapshot) -> float | None:
    """Where Last sits in the day's range: (last - low) / (high - low), clamped to 0..1
    (snapshot: stream or REST); None when unknown or high == low."""
    return _position(snap.last_price, snap.low, snap.high)


def history_minutes(hist: SymbolHistory | None, day: date | None = None) -> int:
    """Minute bars held for `day` (default: the newest bar's New York day)."""
    if hist is None or not hist.bars.times:
        return 0
    bars = hist.bars
    newest = trading_day_of(bars.times[-1])
    if day is not None and day != newest.day:
        # Rare (the last trade is newer than every bar): that day's bounds from its noon.
        newest = trading_day_of(to_ns(day_start(day)) + _NOON_NS)
    lo, hi = bars.day_slice(newest.start_ns, newest.end_ns)
    return hi - lo


@dataclass(frozen=True, slots=True)
class Figures:
    """Every figure of one symbol (JSON keys of `tickerdesk-watch --json`)."""

    open: float | None
    prev_close: float | None
    vwap: float | None
    gap_pct: float | None
    premarket_change_pct: float | None
    afterhours_change_pct: float | None
    high_52w: float | None
    low_52w: float | None
    range_52w_position: float | None
    avg_volume: float | None
    rel_volume: float | None
    day_range_position: float | None
    history_minutes: int
    history: str  # HistoryLoad key: "pending", "loading", "loaded", "empty", "failed"
    resynced: str | None  # Resync.text() of the last gap fill

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def figures(snap: SymbolSnapshot, hist: SymbolHistory | None, now_ns: int) -> Figures:
    """All the figures at once (see each function)."""
    day = session_day(snap, hist)
    high, low = _range_52w(snap, hist)
    return Figures(
        open=snap.open,
        prev_close=snap.prev_close,
        vwap=snap.vwap,
        gap_pct=gap_pct(snap),
        premarket_change_pct=premarket_change_pct(snap, hist),
        afterhours_change_pct=afterhours_change_pct(snap, hist),
        high_52w=high,
        low_52w=low,
        range_52w_position=_position(snap.last_price, low, high),
        avg_volume=avg_volume(hist, day),
        rel_volume=rel_volume(snap, hist, now_ns),
        day_range_position=day_range_position(snap),
        history_minutes=history_minutes(hist, day),
        history=HistoryLoad.PENDING.key if hist is None else hist.load.key,
        resynced=None if hist is None or hist.resync is None else hist.resync.text(),
    )
