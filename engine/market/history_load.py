"""REST history into a symbol's `SymbolHistory`: load states, gap-fill records, loaders.

The backfill (engine/net/backfill.py) fetches bars and hands them to `PriceHistory`'s
`load_intraday` / `load_daily` / `load_earlier` / `fill_gap` / `set_load`, which
delegate here (history.py stays small). Sans-I/O, like the rest of engine/market.

- Intraday minute bars merge into `bars` (`MinuteBars.merge`: no duplicate minute, the
  live minute in progress untouched) and seed the sparkline with each bar's close at its
  minute's last second, never over a bucket a live print filled (`PriceSeries.seed`).
- Daily bars go to `daily` (`DailyBars.load`).
- The previous sessions' 15-minute bars go to `earlier` and rebuild the volume profile.
- A gap fill merges like the intraday load and records a `Resync` shown on the row.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from engine.events import Bar
from engine.market.calendar import EASTERN
from engine.market.minute_bars import MINUTE_NS, SIP
from engine.market.volume_profile import SESSIONS, VolumeProfile

if TYPE_CHECKING:
    from engine.market.history import SymbolHistory

__all__ = [
    "EARLIER_BARS",
    "HistoryLoad",
    "Resync",
    "fill_gap",
    "load_daily",
    "load_earlier",
    "load_intraday",
    "set_load",
]

EARLIER_BARS = 640  # 15-minute bars: 10 sessions of 04:00-20:00 (64 a session)
_NS = 1_000_000_000
_SEED_OFFSET_NS = MINUTE_NS - _NS  # a minute's close stands at its last second


class HistoryLoad(enum.StrEnum):
    """Where a symbol's REST history stands; the value (and str()) is the words for a
    tooltip, `key` the short name."""

    PENDING = "history pending"
    LOADING = "loading history"
    LOADED = "history loaded"
    EMPTY = "no history (new listing or no trades)"
    FAILED = "history failed"

    @property
    def key(self) -> str:
        """Short name for JSON and settings: "pending", "loading", "loaded", ..."""
        return self.name.lower()

    @property
    def text(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Resync:
    """A gap in the minute bars filled from REST after a reconnect."""

    at_ns: int  # exchange time the gap was filled
    outage_s: float
    minutes: int  # minutes added
    feed: str  # "SIP", "IEX" or "SIP+IEX"

    def text(self) -> str:
        """E.g. "resynced 09:41:07 after a 38 s outage (12 minutes filled from SIP)"."""
        at = datetime.fromtimestamp(self.at_ns / _NS, UTC).astimezone(EASTERN)
        seconds = round(self.outage_s)
        outage = f"{seconds} s" if seconds < 120 else f"{seconds // 60} min {seconds % 60} s"
        if self.minutes == 0:
            filled = "no minute missing"
        else:
            unit = "minute" if self.minutes == 1 else "minutes"
            filled = f"{self.minutes} {unit} filled from {self.feed}"
        return f"resynced {at:%H:%M:%S} after a {outage} outage ({filled})"


def _seed_sparkline(history: SymbolHistory, bars: Sequence[Bar]) -> bool:
    # Only the window's worth matters; older points are dropped by seed() anyway.
    window_ns = history.prices.window * history.prices.bucket_ns + MINUTE_NS
    newest = max((bar.timestamp_ns for bar in bars), default=0)
    # A complete minute's close sits at its last second; the newest bar may be the minute
    # in progress, so its close sits at the minute's start: never a point in the future,
    # which a live print of that minute would then move the sparkline back from.
    points = [
        (
            bar.timestamp_ns
            - bar.timestamp_ns % MINUTE_NS
            + (0 if bar.timestamp_ns >= newest else _SEED_OFFSET_NS),
            bar.close,
        )
        for bar in bars
        if bar.timestamp_ns >= newest - window_ns and _usable(bar)
    ]
    changed = history.prices.seed(points)
    if changed:
        history.spark_version += 1
    return changed


def _usable(bar: Bar) -> bool:
    close = bar.close
    return close > 0 and close != float("inf")  # NaN fails `> 0`


def load_intraday(history: SymbolHistory, bars: Sequence[Bar], iex_from_ns: int | None) -> int:
    """Merge today's REST minute bars (SIP before `iex_from_ns`, IEX from it); seed the
    sparkline. Returns the minutes added."""
    added = history.bars.merge(bars, SIP, iex_from_ns)
    _seed_sparkline(history, bars)
    history.version += 1
    return added


def load_daily(history: SymbolHistory, bars: Sequence[Bar]) -> None:
    history.daily.load(bars)
    history.version += 1


def load_earlier(history: SymbolHistory, bars: Sequence[Bar]) -> None:
    """The previous sessions' 15-minute bars (older than 15 min: SIP on every plan), and
    the volume profile rebuilt from all of `earlier`."""
    earlier = history.earlier
    earlier.merge(bars, SIP)
    history.profile = VolumeProfile.from_bars(earlier.times, earlier.volume, SESSIONS)
    history.version += 1


def fill_gap(
    history: SymbolHistory,
    bars: Sequence[Bar],
    iex_from_ns: int | None,
    outage_start_ns: int,
    outage_end_ns: int,
    at_ns: int,
) -> int:
    """Merge the outage window's minute bars and record the `Resync`; minutes added."""
    added = history.bars.merge(bars, SIP, iex_from_ns)
    _seed_sparkline(history, bars)
    # Which feed the minutes came from: the bars' times, else (none came) the window's.
    stamps = [bar.timestamp_ns for bar in bars] or [outage_start_ns, outage_end_ns - 1]
    iex = iex_from_ns is not None and max(stamps) >= iex_from_ns
    sip = iex_from_ns is None or min(stamps) < iex_from_ns
    feed = "SIP+IEX" if sip and iex else ("IEX" if iex else "SIP")
    outage_s = max(0, outage_end_ns - outage_start_ns) / _NS
    history.resync = Resync(at_ns, outage_s, added, feed)
    history.version += 1
    return added


def set_load(history: SymbolHistory, state: HistoryLoad, note: str = "") -> None:
    history.load = state
    history.load_note = note
    history.version += 1
