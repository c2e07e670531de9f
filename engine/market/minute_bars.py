"""Intraday minute bars for the chart: folded from prints, replaced by the stream's bars.

A print folds into its minute's bar at once; when the stream's own `b` (or revised `u`)
bar of that minute arrives it replaces the folded one. Kept in flat arrays, 48 bytes a
bar, at most `max_bars` (the oldest go first).
"""

from __future__ import annotations

from array import array

from engine.events import Bar

__all__ = ["MINUTE_NS", "MinuteBars"]

MINUTE_NS = 60 * 1_000_000_000
_REVISION_REACH = 16  # how many recent minutes a revision or a late print may still change


class MinuteBars:
    """Minute bars in flat arrays: time (ns), open, high, low, close, volume."""

    __slots__ = ("close", "high", "low", "max_bars", "open", "times", "volume")

    def __init__(self, max_bars: int) -> None:
        self.max_bars = max_bars
        self.times = array("q")
        self.open = array("d")
        self.high = array("d")
        self.low = array("d")
        self.close = array("d")
        self.volume = array("q")

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
                    return True
            return False
        times.append(ts)
        self.open.append(bar.open)
        self.high.append(bar.high)
        self.low.append(bar.low)
        self.close.append(bar.close)
        self.volume.append(bar.volume)
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

    def _trim(self) -> None:
        if len(self.times) > self.max_bars:  # once a minute at most: O(max_bars) is fine
            for column in (self.times, self.open, self.high, self.low, self.close, self.volume):
                del column[0]
