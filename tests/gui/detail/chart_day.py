"""A symbol with a whole session loaded: the chart tests' and bench_chart.py's data."""

from __future__ import annotations

import math
from datetime import date, datetime, time

from engine.events import Bar, BarKind, Luld, Quote, Snapshot, Trade
from engine.market.calendar import EASTERN
from engine.market.history import MINUTE_NS, NS, PriceHistory
from engine.market.store import MarketDataStore

DAY = date(2025, 6, 13)  # a Friday; the earlier sessions are Jun 11 and 12
EARLIER_DAYS = (date(2025, 6, 11), date(2025, 6, 12))


def at(day: date, hh: int, mm: int) -> int:
    return int(datetime.combine(day, time(hh, mm), EASTERN).timestamp()) * NS


def price(minute: int) -> float:
    return 100 + 3 * math.sin(minute / 60) + (minute % 7) * 0.05


def minute_bars(day: date, count: int = 960, step: int = 1) -> list[Bar]:
    bars = []
    for m in range(0, count * step, step):
        o, c = price(m), price(m + step)
        bars.append(Bar(BarKind.MINUTE, "AAPL", o, max(o, c) + 0.1, min(o, c) - 0.1, c,
                        1_000 + (m * 37) % 900, at(day, 4, 0) + m * MINUTE_NS))  # fmt: skip
    return bars


def loaded_history(iex_minutes: int = 15, minutes: int = 960) -> PriceHistory:
    """AAPL: `minutes` one-minute bars of DAY from 04:00 (the last `iex_minutes` from IEX)
    and 15-minute bars of two earlier sessions."""
    history = PriceHistory()
    bars = minute_bars(DAY, minutes)
    iex_from = bars[-iex_minutes].timestamp_ns if iex_minutes else None
    history.load_intraday("AAPL", bars, iex_from)
    history.load_earlier("AAPL", [b for d in EARLIER_DAYS for b in minute_bars(d, 64, 15)])
    return history


def store_with_levels(history: PriceHistory) -> MarketDataStore:
    """A store whose AAPL snapshot has every level the chart labels (bid/ask, H/L, VWAP,
    previous close, LULD) close together, the hard case for label overlap."""
    store = MarketDataStore()
    store.watch(["AAPL"])
    store.add_observer(history.on_event)
    now = at(DAY, 19, 59)
    daily = Bar(BarKind.DAILY, "AAPL", 100, 103.2, 96.9, 100.1, 500_000, at(DAY, 0, 0),
                vwap=100.05)  # fmt: skip
    prev = Bar(BarKind.DAILY, "AAPL", 99, 100, 98, 99.9, 400_000, at(EARLIER_DAYS[1], 0, 0))
    trade = Trade("AAPL", 100.1, 100, now, 1, "V")
    quote = Quote("AAPL", 100.09, 3, 100.11, 2, now)
    store.apply(Snapshot("AAPL", trade, quote, None, daily, prev))
    store.apply(Quote("AAPL", 100.08, 3, 100.12, 2, now + NS))
    store.apply(Luld("AAPL", 105.0, 95.0, "B", now + 2 * NS))
    return store
