"""A year of daily bars per symbol: the 52-week range, average volume, previous closes.

Loaded from REST `1Day` bars (docs/account-and-history.md, "Historical bars"). One entry
per New York session date, oldest first, at most `MAX_DAYS` (a year of sessions is ~252),
in flat arrays: 44 bytes a session, 11,440 bytes at most.

A daily bar's `t` is the start of its day, seen as 00:00 UTC, or as 04:00 / 05:00 UTC
(midnight in New York in summer / winter): `ny_date` maps all three to the same date.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left
from collections.abc import Sequence
from datetime import UTC, date, datetime

from engine.events import Bar

__all__ = ["MAX_DAYS", "MIN_AVG_SESSIONS", "WINDOW_52W_DAYS", "DailyBars", "ny_date"]

MAX_DAYS = 260
WINDOW_52W_DAYS = 364  # 52 weeks
MIN_AVG_SESSIONS = 5  # fewer complete sessions than this: no average volume (it would lie)
_NS = 1_000_000_000
_HALF_DAY_S = 12 * 3600


def ny_date(timestamp_ns: int) -> date:
    """The New York date a daily bar's `t` stands for.

    The stamp is midnight of that date in UTC (00:00Z) or in New York (04:00Z in summer,
    05:00Z in winter). Adding 12 hours lands every one of them on the same UTC date, the
    bar's, without any time zone arithmetic: robust for any stamp within 12 hours of that
    date's UTC midnight (a NY-date conversion of 00:00Z would give the day before).
    """
    return datetime.fromtimestamp(timestamp_ns // _NS + _HALF_DAY_S, UTC).date()


class DailyBars:
    """Daily sessions in flat arrays: `days` (proleptic ordinal of the NY date), open,
    high, low, close, volume; oldest first, one entry per date."""

    __slots__ = (
        "_range",
        "close",
        "days",
        "high",
        "last_problem",
        "low",
        "open",
        "problems",
        "volume",
    )

    def __init__(self) -> None:
        self.days = array("i")
        self.open = array("d")
        self.high = array("d")
        self.low = array("d")
        self.close = array("d")
        self.volume = array("q")
        self.problems = 0  # bars skipped as unusable
        self.last_problem: str | None = None
        # The 52-week (high, low) of the last `before` asked for: table cells ask per
        # paint and the answer changes only with a load or a new day (a scan of up to
        # 260 sessions each time cost 7-14 us a cell).
        self._range: tuple[int, float | None, float | None] | None = None

    def __len__(self) -> int:
        return len(self.days)

    def load(self, bars: Sequence[Bar]) -> int:
        """Merge daily bars (any order): a date already kept, or twice in `bars`, takes the
        later bar. Unusable bars (non-finite or non-positive prices, negative volume, a
        time no date holds) are skipped and counted. Returns the bars taken."""
        rows: dict[int, tuple[float, float, float, float, int]] = {
            self.days[i]: (self.open[i], self.high[i], self.low[i], self.close[i], self.volume[i])
            for i in range(len(self.days))
        }
        taken = 0
        for bar in bars:
            values = (bar.open, bar.high, bar.low, bar.close)
            problem = None
            if not all(math.isfinite(v) and v > 0 for v in values) or bar.volume < 0:
                problem = "a non-finite, zero or negative price or a negative volume"
            else:
                try:
                    day = ny_date(bar.timestamp_ns).toordinal()
                except (OverflowError, ValueError, OSError):
                    problem = "a time outside any date"
            if problem is not None:
                self.problems += 1
                self.last_problem = f"{bar.symbol}: skipped a daily bar with {problem}"
                continue
            rows[day] = (*values, bar.volume)
            taken += 1
        ordered = sorted(rows)[-MAX_DAYS:]
        self._range = None
        self.days[:] = array("i", ordered)
        self.open[:] = array("d", [rows[d][0] for d in ordered])
        self.high[:] = array("d", [rows[d][1] for d in ordered])
        self.low[:] = array("d", [rows[d][2] for d in ordered])
        self.close[:] = array("d", [rows[d][3] for d in ordered])
        self.volume[:] = array("q", [rows[d][4] for d in ordered])
        return taken

    def _window(self, before: date) -> tuple[int, int]:
        # Sessions with before - 364 days <= date < before.
        end = before.toordinal()
        days = self.days
        return bisect_left(days, end - WINDOW_52W_DAYS), bisect_left(days, end)

    def range_52w(self, before: date) -> tuple[float | None, float | None]:
        """(highest high, lowest low) of the sessions in the 52 weeks (364 days) before
        `before` (`before` itself excluded: today's live range is combined by
        engine.market.figures); cached per `before` until the next load."""
        key = before.toordinal()
        cached = self._range
        if cached is not None and cached[0] == key:
            return cached[1], cached[2]
        lo, hi = self._window(before)
        high = max(self.high[lo:hi]) if hi > lo else None
        low = min(self.low[lo:hi]) if hi > lo else None
        self._range = (key, high, low)
        return high, low

    def high_52w(self, before: date) -> float | None:
        """Highest high of the sessions in the 52 weeks before `before` (excluded)."""
        return self.range_52w(before)[0]

    def low_52w(self, before: date) -> float | None:
        """Lowest low of the sessions in the 52 weeks before `before` (excluded)."""
        return self.range_52w(before)[1]

    def avg_volume(self, before: date, sessions: int = 30) -> float | None:
        """Mean volume of the last `sessions` sessions before `before` (today's partial
        bar excluded); None with fewer than MIN_AVG_SESSIONS of them."""
        end = bisect_left(self.days, before.toordinal())
        start = max(0, end - sessions)
        if end - start < MIN_AVG_SESSIONS:
            return None
        return sum(self.volume[start:end]) / (end - start)

    def close_before(self, day: date) -> float | None:
        """The close of the last session before `day`, None if none is kept."""
        end = bisect_left(self.days, day.toordinal())
        return self.close[end - 1] if end else None

    def last_day(self) -> date | None:
        """The newest session's date."""
        return date.fromordinal(self.days[-1]) if self.days else None
