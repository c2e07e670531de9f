"""Helpers shared by the history tests: New York times and hand-built REST bars."""

from __future__ import annotations

from datetime import date, datetime, time

from engine.events import Bar, BarKind
from engine.market.calendar import EASTERN, to_ns

NS = 1_000_000_000
MIN = 60 * NS
DAY = date(2024, 3, 12)  # a Tuesday, daylight time (EDT, UTC-4)
WINTER_DAY = date(2024, 1, 9)  # a Tuesday, standard time (EST, UTC-5)


def et(day: date, hh: int, mm: int, ss: int = 0) -> int:
    """Unix ns of `hh:mm:ss` New York time on `day`."""
    return to_ns(datetime.combine(day, time(hh, mm, ss), EASTERN))


def bar(
    t_ns: int,
    close: float = 100.0,
    volume: int = 100,
    *,
    high: float | None = None,
    low: float | None = None,
    open_: float | None = None,
    kind: BarKind = BarKind.MINUTE,
    symbol: str = "AAPL",
) -> Bar:
    o = close if open_ is None else open_
    h = max(o, close) if high is None else high
    lo = min(o, close) if low is None else low
    return Bar(kind, symbol, o, h, lo, close, volume, t_ns)


def minutes(start_ns: int, count: int, close: float = 100.0, volume: int = 100) -> list[Bar]:
    """`count` consecutive minute bars from `start_ns`, closes rising by 0.01."""
    return [bar(start_ns + i * MIN, close + i / 100, volume) for i in range(count)]
