"""Volume by time of day: the average cumulative volume at each minute since 04:00 ET.

Built from the previous sessions' 15-minute bars (`SymbolHistory.earlier`, up to
`SESSIONS` sessions): relative volume compares today's volume so far with what the
symbol usually trades by the same minute (engine.market.figures.rel_volume).

A bar is a bucket: its volume counts fully at its end and grows linearly inside it
(nothing says when inside the bucket the trades were). Every session shares the same
15-minute grid from 04:00 ET, so the average of the sessions is linear between grid
points too: storing the grid points (65 for 04:00-20:00) and interpolating gives the
same figure as 960 per-minute values, in 520 bytes of doubles instead of 7,680 (a bar
off the grid is exact at the grid points and linear between them).
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from datetime import date

from engine.market.trading_day import trading_day_of

__all__ = ["DAY_MINUTES", "GRID_MIN", "SESSIONS", "VolumeProfile"]

SESSIONS = 10
DAY_MINUTES = 16 * 60  # 04:00-20:00 ET
GRID_MIN = 15  # minutes between stored points (the bars' timeframe)
_NS = 1_000_000_000
_MIN_NS = 60 * _NS
_PRE_OPEN_NS = 4 * 3600 * _NS  # 04:00 ET after midnight (no DST change on a trading day)


class VolumeProfile:
    """Average cumulative volume at every `GRID_MIN` minutes since 04:00 ET."""

    __slots__ = ("cumulative", "days", "sessions")

    def __init__(self, cumulative: array[float], sessions: int, days: tuple[date, ...]) -> None:
        self.cumulative = cumulative  # DAY_MINUTES // GRID_MIN + 1 points, [0] == 0
        self.sessions = sessions  # how many sessions were averaged
        self.days = days  # their NY dates, oldest first

    @classmethod
    def from_bars(
        cls,
        times: Sequence[int],
        volumes: Sequence[int],
        sessions_wanted: int = SESSIONS,
        bar_minutes: int = GRID_MIN,
        before: date | None = None,
    ) -> VolumeProfile:
        """Average the last `sessions_wanted` NY session dates in the bars (start times in
        ns, oldest first; each `bar_minutes` long), only dates before `before` if given."""
        points = DAY_MINUTES // GRID_MIN + 1
        per_day: dict[date, list[float]] = {}
        width = bar_minutes * _MIN_NS
        for t, volume in zip(times, volumes, strict=True):
            day = trading_day_of(t)
            if before is not None and day.day >= before:
                continue
            start = t - day.start_ns - _PRE_OPEN_NS
            if start < 0 or start >= DAY_MINUTES * _MIN_NS or volume <= 0:
                continue  # outside 04:00-20:00, or nothing traded
            grid = per_day.get(day.day)
            if grid is None:
                grid = per_day[day.day] = [0.0] * points
            _spread(grid, start, width, float(volume))
        days = sorted(per_day)[-sessions_wanted:] if sessions_wanted > 0 else []
        total = [0.0] * points
        for session in days:
            deltas = per_day[session]
            running = 0.0
            for k in range(points):
                running += deltas[k]
                total[k] += running
        n = len(days)
        cumulative = array("d", [v / n for v in total] if n else total)
        return cls(cumulative, n, tuple(days))

    def expected(self, minute_of_day: int) -> float | None:
        """Average cumulative volume by the end of minute `minute_of_day` (minutes since
        04:00 ET, 0..959, clamped), interpolated linearly; None when no session loaded."""
        if not self.sessions:
            return None
        at = min(max(minute_of_day, 0), DAY_MINUTES - 1) + 1  # the minute's end
        k, within = divmod(at, GRID_MIN)
        cumulative = self.cumulative
        if within == 0:
            return cumulative[k]
        return cumulative[k] + (cumulative[k + 1] - cumulative[k]) * within / GRID_MIN

    def __len__(self) -> int:
        return self.sessions


def _spread(deltas: list[float], start_ns: int, width_ns: int, volume: float) -> None:
    """Add one bucket's volume to a session's grid as deltas of the cumulative curve.

    Grid point k (k * GRID_MIN minutes after 04:00) gets the share of the bucket
    [start, start + width) elapsed by then. Aligned buckets put it all on one point; any
    other alignment spreads it linearly over the points inside the bucket.
    """
    grid_ns = GRID_MIN * _MIN_NS
    end_ns = start_ns + width_ns
    last = len(deltas) - 1  # the last grid point (20:00): later volume is after hours' end
    # Points strictly inside the bucket get the elapsed share; later points the rest.
    k = start_ns // grid_ns + 1
    given = 0.0
    while k <= last and k * grid_ns < end_ns:
        share = volume * (k * grid_ns - start_ns) / width_ns
        deltas[k] += share - given
        given = share
        k += 1
    if k <= last:
        deltas[k] += volume - given
