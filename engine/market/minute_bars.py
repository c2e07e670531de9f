"""Intraday minute bars for the chart: folded from prints, replaced by the stream's bars,
merged with REST history (start-up backfill and gap fill).

A print folds into its minute's bar at once; when the stream's own `b` (or revised `u`)
bar of that minute arrives it replaces the folded one. REST bars (`merge`) fill missing
minutes and replace kept ones, except the newest kept minute while it is LIVE: the
minute in progress belongs to the stream. Each bar knows its source (`source`: LIVE,
SIP or IEX; docs/design.md, invariant 9: every figure knows its source). Kept in flat
arrays, 49 bytes a bar, at most `max_bars` (the oldest go first).
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Sequence

from engine.events import Bar

__all__ = ["IEX", "LIVE", "MINUTE_NS", "SIP", "SOURCE_NAMES", "MinuteBars"]

# `MinuteBars.source` values: where a kept bar came from.
LIVE = 0  # the stream: its own `b`/`u` bar, or folded from its prints
SIP = 1  # REST history from the SIP feed (every US exchange)
IEX = 2  # REST history from IEX only (Basic plan: the last 15 minutes; partial volume)
SOURCE_NAMES = {LIVE: "live", SIP: "SIP", IEX: "IEX"}

MINUTE_NS = 60 * 1_000_000_000
_REVISION_REACH = 16  # how many recent minutes a revision or a late print may still change


class MinuteBars:
    """Minute bars in flat arrays: time (ns), open, high, low, close, volume, source."""

    __slots__ = (
        "close",
        "high",
        "last_problem",
        "low",
        "max_bars",
        "open",
        "problems",
        "source",
        "times",
        "volume",
    )

    def __init__(self, max_bars: int) -> None:
        self.max_bars = max_bars
        self.times = array("q")
        self.open = array("d")
        self.high = array("d")
        self.low = array("d")
        self.close = array("d")
        self.volume = array("q")
        self.source = array("b")
        self.problems = 0  # REST bars skipped as unusable (non-finite, zero or negative)
        self.last_problem: str | None = None

    def __len__(self) -> int:
        return len(self.times)

    def add(self, bar: Bar) -> bool:
        """Append a newer bar, or replace the same minute (`u` revisions, or the bar
        folded from prints); older than every kept bar: False."""
        times = self.times
        ts = bar.timestamp_ns
        if times and ts <= times[-1]:
            # A revision is of a recent minute: search backwards a few bars only.
            for i in range(len(times) - 1, max(-1, len(times) - _REVISION_REACH), -1):
                if times[i] == ts:
                    self.open[i], self.high[i], self.low[i] = bar.open, bar.high, bar.low
                    self.close[i], self.volume[i] = bar.close, bar.volume
                    self.source[i] = LIVE
                    return True
            return False
        times.append(ts)
        self.open.append(bar.open)
        self.high.append(bar.high)
        self.low.append(bar.low)
        self.close.append(bar.close)
        self.volume.append(bar.volume)
        self.source.append(LIVE)
        self._trim()
        return True

    def add_trade(self, timestamp_ns: int, price: float, size: int) -> None:
        """Fold a print into its minute's bar (the stream's own bar replaces it later)."""
        minute = timestamp_ns - timestamp_ns % MINUTE_NS
        times = self.times
        if times and minute == times[-1]:
            # Fast path, nearly every print: the newest minute (array reads box a value
            # each, so the general search below costs ~3x this; profiled per trade).
            if price > self.high[-1]:
                self.high[-1] = price
            if price < self.low[-1]:
                self.low[-1] = price
            self.close[-1] = price
            self.volume[-1] += size
            return
        if not times or minute > times[-1]:
            times.append(minute)
            for column in (self.open, self.high, self.low, self.close):
                column.append(price)
            self.volume.append(size)
            self.source.append(LIVE)  # here only: a new minute, never the fast path above
            self._trim()
            return
        i = len(times) - 1
        while i > 0 and times[i] > minute and len(times) - i < _REVISION_REACH:
            i -= 1
        if times[i] != minute:
            return  # a late print for a minute no longer kept: nothing to fold into
        if price > self.high[i]:
            self.high[i] = price
        if price < self.low[i]:
            self.low[i] = price
        if i == len(times) - 1:
            self.close[i] = price
        self.volume[i] += size

    def add_late_trade(self, timestamp_ns: int, price: float, size: int) -> None:
        """Fold a late print (older than the symbol's last) into its minute's bar: high,
        low and volume, never the close (the last print of the minute stays its close)."""
        minute = timestamp_ns - timestamp_ns % MINUTE_NS
        times = self.times
        i = len(times) - 1
        while i > 0 and times[i] > minute and len(times) - i < _REVISION_REACH:
            i -= 1
        if i < 0 or times[i] != minute:
            return  # a minute no longer (or not yet) kept: nothing to fold into
        if price > self.high[i]:
            self.high[i] = price
        if price < self.low[i]:
            self.low[i] = price
        self.volume[i] += size

    def merge(self, bars: Sequence[Bar], source: int, iex_from_ns: int | None = None) -> int:
        """Merge REST bars (oldest first; older than, between or after the kept ones).

        Bars at or after `iex_from_ns` are marked IEX, the others `source`. A REST bar
        fills a missing minute and replaces a kept bar of the same minute, except the
        newest kept minute while it is LIVE (the minute in progress, folded from prints,
        is the stream's; its own bar replaces it when the minute ends). Never a duplicate
        minute; at most `max_bars` kept (the oldest go). Unusable bars are skipped and
        counted (`problems`). Returns the number of minutes added (not replaced), of
        those still kept. O(kept + new).
        """
        incoming: dict[int, tuple[float, float, float, float, int, int]] = {}
        for bar in bars:
            values = (bar.open, bar.high, bar.low, bar.close)
            if not all(math.isfinite(v) and v > 0 for v in values) or bar.volume < 0:
                self.problems += 1
                self.last_problem = (
                    f"{bar.symbol}: skipped a REST bar with a non-finite, zero or negative "
                    f"price or a negative volume (t={bar.timestamp_ns})"
                )
                continue
            # Floor to the minute: a stamp with seconds must still meet the live minute.
            minute = bar.timestamp_ns - bar.timestamp_ns % MINUTE_NS
            src = IEX if iex_from_ns is not None and minute >= iex_from_ns else source
            incoming[minute] = (*values, bar.volume, src)  # a later duplicate replaces
        if not incoming:
            return 0
        new_times = sorted(incoming) if not _ascending(incoming) else list(incoming)
        times = self.times
        kept = len(times)
        protected = times[-1] if kept and self.source[-1] == LIVE else None
        # One pass over both sorted runs: (time, row or kept index, is new).
        rows: list[tuple[int, int, tuple[float, float, float, float, int, int] | None]] = []
        i = j = 0
        while i < kept or j < len(new_times):
            if j == len(new_times) or (i < kept and times[i] < new_times[j]):
                rows.append((times[i], i, None))
                i += 1
            elif i == kept or new_times[j] < times[i]:
                rows.append((new_times[j], -1, incoming[new_times[j]]))
                j += 1
            else:  # the same minute: REST replaces, unless it is the live minute in progress
                t = times[i]
                rows.append((t, i, None) if t == protected else (t, i, incoming[t]))
                i += 1
                j += 1
        if len(rows) > self.max_bars:
            del rows[: len(rows) - self.max_bars]
        return self._rebuild(rows)

    def _rebuild(
        self, rows: list[tuple[int, int, tuple[float, float, float, float, int, int] | None]]
    ) -> int:
        # Fresh columns assigned in place (slice assignment): readers holding the arrays
        # keep seeing the current bars.
        t_, o_, h_, l_, c_, v_ = (
            array("q"),
            array("d"),
            array("d"),
            array("d"),
            array("d"),
            array("q"),
        )
        s_ = array("b")
        old = (self.open, self.high, self.low, self.close, self.volume, self.source)
        added = 0
        for t, index, row in rows:
            t_.append(t)
            if row is None:
                o, h, lo, c, v, s = (column[index] for column in old)
            else:
                o, h, lo, c, v, s = row
                if index < 0:
                    added += 1
            o_.append(o)
            h_.append(h)
            l_.append(lo)
            c_.append(c)
            v_.append(int(v))
            s_.append(int(s))
        self.times[:] = t_
        self.open[:] = o_
        self.high[:] = h_
        self.low[:] = l_
        self.close[:] = c_
        self.volume[:] = v_
        self.source[:] = s_
        return added

    def day_slice(self, start_ns: int, end_ns: int) -> tuple[int, int]:
        """Index range [lo, hi) of the bars with start_ns <= time < end_ns (bisect)."""
        times = self.times
        return bisect_left(times, start_ns), bisect_left(times, end_ns)

    def _trim(self) -> None:
        if len(self.times) > self.max_bars:  # once a minute at most: O(max_bars) is fine
            for column in (
                self.times,
                self.open,
                self.high,
                self.low,
                self.close,
                self.volume,
                self.source,
            ):
                del column[0]


def _ascending(keys: Iterable[int]) -> bool:
    """Whether the dict's keys were inserted in increasing order (REST pages usually are)."""
    previous = None
    for key in keys:
        if previous is not None and key <= previous:
            return False
        previous = key
    return True
