"""What the detail chart draws, as plain lists: candles on a "session minute" axis (Qt-free).

The x axis counts minutes of extended-hours trading, session after session: each New York
trading day with data gets a slot of 960 minutes (04:00-20:00 ET, docs/protocol.md), and
slots sit side by side, so nights, weekends and holidays take no room and a 15-minute bar
of an earlier session is as wide as fifteen 1-minute bars of today. Today's minute bars
(`SymbolHistory.bars`) are grouped into 1, 5 or 15-minute candles; previous sessions come
from `SymbolHistory.earlier` (15-minute bars, docs/account-and-history.md) and stay at
their own 15-minute resolution whatever the timeframe: at 1 and 5 minutes the chart pans
back into them seamlessly, only coarser. A day held only in `bars` (the app ran through
the night) is charted from those.

`build_series` costs O(bars) (~1 ms for a full day plus ten earlier sessions);
`SeriesCache` keeps one result per (history, version, timeframe), so repaints without new
data reuse it.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date

from engine.market.history import MINUTE_NS, MinuteBars, SymbolHistory
from engine.market.minute_bars import IEX
from engine.market.trading_day import trading_day_of

__all__ = [
    "IEX_SOURCE",
    "SESSION_MINUTES",
    "Series",
    "SeriesCache",
    "Slot",
    "build_series",
]

SESSION_MINUTES = 960  # 04:00-20:00 ET
PRE_MARKET_MINUTES = 330  # 04:00-09:30 ET
EARLIER_MINUTES = 15  # SymbolHistory.earlier holds 15-minute bars (spec13 / volume_profile)
IEX_SOURCE = IEX  # MinuteBars.source of a REST bar from IEX


@dataclass(frozen=True, slots=True)
class Slot:
    """One session on the axis: `x0` is its 04:00 ET, in axis minutes."""

    day: date
    x0: float
    start_ns: int  # 04:00 ET of that day
    open_min: float  # regular open, minutes after 04:00 (330), or 0 on a non-trading day
    close_min: float  # regular close (720; 540 on an early close), or 0
    end_ns: int  # the next New York midnight


@dataclass(slots=True)
class Series:
    """Candles in time order (parallel lists) and the sessions they sit in."""

    minutes: int
    slots: list[Slot] = field(default_factory=list)
    x: list[float] = field(default_factory=list)  # candle start, axis minutes
    width: list[float] = field(default_factory=list)  # candle span, minutes
    t: list[int] = field(default_factory=list)  # candle start, exchange ns
    open: list[float] = field(default_factory=list)
    high: list[float] = field(default_factory=list)
    low: list[float] = field(default_factory=list)
    close: list[float] = field(default_factory=list)
    volume: list[int] = field(default_factory=list)
    iex: list[bool] = field(default_factory=list)  # any bar in it came from IEX (REST)
    today: int = 0  # index of the first candle of the newest session
    iex_from_ns: int | None = None  # first IEX minute of the newest session
    starts: list[int] = field(default_factory=list)  # slot start_ns, for bisect

    def __len__(self) -> int:
        return len(self.x)

    def axis_of(self, ns: float) -> float:
        """Exchange time -> axis minutes (a time between sessions sticks to the nearer edge)."""
        slots = self.slots
        if not slots:
            return 0.0
        i = bisect_right(self.starts, ns) - 1
        if i < 0:
            return slots[0].x0
        slot = slots[i]
        if ns >= slot.end_ns:
            return slot.x0 + SESSION_MINUTES
        return slot.x0 + min(SESSION_MINUTES, max(0.0, (ns - slot.start_ns) / MINUTE_NS))

    def ns_of(self, x: float) -> int | None:
        """Axis minutes -> exchange time (None off every session)."""
        index = int(x // SESSION_MINUTES)
        if not 0 <= index < len(self.slots):
            return None
        slot = self.slots[index]
        return slot.start_ns + int((x - slot.x0) * MINUTE_NS)

    def at(self, x: float) -> int | None:
        """Index of the candle covering axis position `x`, if any."""
        i = bisect_right(self.x, x) - 1
        if i >= 0 and x < self.x[i] + self.width[i]:
            return i
        return None


def _slot(day: date, index: int) -> Slot:
    td = trading_day_of(_noon_ns(day))
    if td.open_ns:
        start = td.open_ns - PRE_MARKET_MINUTES * MINUTE_NS  # DST-proof: from the open
        open_min, close_min = float(PRE_MARKET_MINUTES), (td.close_ns - start) / MINUTE_NS
    else:
        start, open_min, close_min = td.start_ns + 240 * MINUTE_NS, 0.0, 0.0
    return Slot(day, float(index * SESSION_MINUTES), start, open_min, close_min, td.end_ns)


def _noon_ns(day: date) -> int:
    return (day.toordinal() - date(1970, 1, 1).toordinal()) * 86_400 * 10**9 + 16 * 3600 * 10**9


def _days(bars: MinuteBars) -> dict[date, tuple[int, int]]:
    """NY date -> index range of `bars` (bars are in time order)."""
    found: dict[date, tuple[int, int]] = {}
    times = bars.times
    i, n = 0, len(times)
    while i < n:
        td = trading_day_of(times[i])
        j = bisect_right(times, td.end_ns - 1, i)
        found[td.day] = (i, j)
        i = j
    return found


def build_series(history: SymbolHistory, minutes: int, newest_ns: int = 0) -> Series:
    """Candles of `minutes` (1, 5 or 15) for every session held; see the module docstring."""
    series = Series(minutes)
    bars = history.bars
    earlier = history.earlier
    today_days = _days(bars)
    earlier_days = _days(earlier)
    newest_day = trading_day_of(newest_ns).day if newest_ns else None
    days = sorted({*today_days, *earlier_days, *([newest_day] if newest_day else [])})
    newest = days[-1] if days else None
    for index, day in enumerate(days):
        slot = _slot(day, index)
        series.slots.append(slot)
        series.starts.append(slot.start_ns)
        if day == newest:
            series.today = len(series.x)
        if day in today_days and (day == newest or day not in earlier_days):
            lo, hi = today_days[day]
            _group(series, slot, bars, lo, hi, minutes, day == newest)
        elif day in earlier_days:
            lo, hi = earlier_days[day]
            _group(series, slot, earlier, lo, hi, max(minutes, EARLIER_MINUTES), False)
    return series


def _group(
    s: Series, slot: Slot, bars: MinuteBars, lo: int, hi: int, minutes: int, newest: bool
) -> None:
    times, opens, highs, lows = bars.times, bars.open, bars.high, bars.low
    closes, volumes = bars.close, bars.volume
    source = bars.source  # LIVE / SIP / IEX per bar
    bucket_ns = minutes * MINUTE_NS
    key = None
    for i in range(lo, hi):
        t = times[i]
        offset = max(0, min(t - slot.start_ns, (SESSION_MINUTES - 1) * MINUTE_NS))
        k = offset // bucket_ns
        iex = source[i] == IEX_SOURCE
        if iex and newest and s.iex_from_ns is None:
            s.iex_from_ns = t
        if k != key:
            key = k
            s.x.append(slot.x0 + k * minutes)
            s.width.append(float(minutes))
            s.t.append(slot.start_ns + k * bucket_ns)
            s.open.append(opens[i])
            s.high.append(highs[i])
            s.low.append(lows[i])
            s.close.append(closes[i])
            s.volume.append(volumes[i])
            s.iex.append(iex)
            continue
        if highs[i] > s.high[-1]:
            s.high[-1] = highs[i]
        if lows[i] < s.low[-1]:
            s.low[-1] = lows[i]
        s.close[-1] = closes[i]
        s.volume[-1] += volumes[i]
        s.iex[-1] = s.iex[-1] or iex


class SeriesCache:
    """The last series built per timeframe, reused while the history's version holds."""

    def __init__(self) -> None:
        self._key: tuple[int, int, int, int] | None = None
        self._series: Series | None = None
        self.builds = 0  # for tests and benchmarks

    def get(self, history: SymbolHistory, minutes: int, newest_ns: int) -> Series:
        key = (id(history), history.version, minutes, newest_ns // MINUTE_NS)
        if key != self._key or self._series is None:
            self._series = build_series(history, minutes, newest_ns)
            self._key = key
            self.builds += 1
        return self._series
