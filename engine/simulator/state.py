"""Per-symbol market state and its deterministic starting point (seed + symbol name)."""

from __future__ import annotations

import dataclasses
import math
import random
from collections import deque
from datetime import datetime, timedelta, timezone, tzinfo
from typing import NamedTuple

from engine.simulator.day import Layout
from engine.simulator.universe import listing
from engine.simulator.wire import NS_PER_S

MINUTE_NS = 60 * NS_PER_S
DAY_NS = 24 * 3600 * NS_PER_S
TICK = 0.01  # every universe price is above $1: penny tick (Reg NMS rule 612)

try:  # daily bars start at midnight New York time, as Alpaca's do
    from zoneinfo import ZoneInfo

    _ET: tzinfo = ZoneInfo("America/New_York")
except Exception:  # no tz database on this machine: standard time is close enough
    _ET = timezone(timedelta(hours=-5))

# SIP venues with rough market shares; D (FINRA TRF, off-exchange) prints but never quotes.
TRADE_VENUES = ("D", "Q", "N", "P", "Z", "K", "V", "J", "Y", "X", "H", "U")
TRADE_VENUE_WEIGHTS = (35, 15, 10, 8, 6, 5, 3, 2, 2, 2, 2, 2)
QUOTE_VENUES = TRADE_VENUES[1:]
QUOTE_VENUE_WEIGHTS = TRADE_VENUE_WEIGHTS[1:]


def day_start_ns(ns: int) -> int:
    """Midnight (New York) of the day containing `ns`, in UTC ns."""
    dt = datetime.fromtimestamp(ns // NS_PER_S, tz=_ET)
    return int(dt.replace(hour=0, minute=0, second=0).timestamp()) * NS_PER_S


def minute_start_ns(ns: int) -> int:
    return ns - ns % MINUTE_NS


@dataclasses.dataclass(slots=True)
class BarAcc:
    """An open/high/low/close/volume accumulator with a notional sum for the VWAP."""

    start_ns: int
    o: float
    h: float
    l: float  # noqa: E741 - Alpaca's key
    c: float
    v: int = 0
    n: int = 0
    notional: float = 0.0
    # False while only trades that set no price (Form T) went in: o/h/l/c are then
    # placeholders and the bar is not published (docs/simulator.md, "Daily bars").
    priced: bool = True

    def add(self, price: float, size: int, *, sets_price: bool = True) -> None:
        if sets_price:
            if not self.priced:
                self.o = self.h = self.l = self.c = price
                self.priced = True
            if price > self.h:
                self.h = price
            if price < self.l:
                self.l = price
            self.c = price
        self.v += size
        self.n += 1
        self.notional += price * size

    @property
    def vwap(self) -> float:
        return round(self.notional / self.v, 4) if self.v > 0 else self.c


class RecentTrade(NamedTuple):
    i: int
    p: float
    s: int
    x: str
    c: list[str]
    minute_ns: int


@dataclasses.dataclass(slots=True)
class SymbolState:
    """Current market for one symbol; REST snapshots read it, the stream changes it."""

    symbol: str
    base: float
    tape: str
    mid: float
    bid: float
    ask: float
    bid_size: int
    ask_size: int
    bid_x: str
    ask_x: str
    quote_ns: int
    last_price: float
    last_size: int
    last_x: str
    last_id: int
    last_cond: list[str]
    last_ns: int
    last_bar: BarAcc  # last completed minute bar
    daily: BarAcc  # the latest daily bar with a price (REST `dailyBar`)
    prev_daily: BarAcc  # the one before it (REST `prevDailyBar`)
    # The bar trades go into: the always-on market's `daily` itself; in the real day the
    # current trading day's, from its first trade on (None before), which becomes `daily`
    # with the day's first regular-session trade (engine.simulator.bars).
    today: BarAcc | None
    minute: BarAcc | None = None  # the minute in progress
    luld_ref: float = 0.0  # 0 = bands not yet published
    recent: deque[RecentTrade] = dataclasses.field(default_factory=lambda: deque(maxlen=8))
    # A new listing (docs/simulator.md, "New listings"): when it was listed; it has no
    # trade, minute bar or daily bar from before (None: an established symbol).
    listed_ns: int | None = None


def initial_state(symbol: str, seed: int, now_ns: int, layout: Layout | None = None) -> SymbolState:
    """A plausible starting state, deterministic in (seed, symbol), independent of others.

    Without a layout (the always-on market): mid-session, today's bar at New York
    midnight, yesterday's a day before. With one (the real day, engine.simulator.day):
    the latest daily bar and the one before in trading days, and last trade and quote
    times no later than the last session that traded.
    """
    lst = listing(symbol)
    r = random.Random(f"{seed}/{symbol}")
    base = lst.base
    prev_close = round(base * math.exp(r.gauss(0.0, 0.012)), 2)
    day_open = round(prev_close * math.exp(r.gauss(0.0, 0.005)), 2)
    mid = base * math.exp(r.gauss(0.0, 0.004))
    spread = TICK * r.choice((1, 1, 2))
    bid = round(math.floor((mid - spread / 2) / TICK) * TICK, 2)
    ask = round(bid + spread, 2)
    last = bid if r.random() < 0.5 else ask
    day0 = day_start_ns(now_ns)
    prev0 = day0 - DAY_NS
    last_ns = now_ns
    if layout is not None:
        day0, prev0, last_ns = layout.daily_start_ns, layout.prev_start_ns, layout.last_ns

    def bar(start: int, o: float, c: float, volume: int, wiggle: float) -> BarAcc:
        h = round(max(o, c) * (1 + r.uniform(0.0, wiggle)), 2)
        lo = round(min(o, c) * (1 - r.uniform(0.0, wiggle)), 2)
        n = max(1, volume // r.randint(80, 200))
        vwap = (h + lo + c) / 3
        return BarAcc(start, o, h, lo, c, volume, n, vwap * volume)

    minute_v = 100 * r.randint(1, 200)
    done = 0.5 if layout is not None and layout.complete else 0.0  # a finished day: more
    state = SymbolState(
        symbol=symbol,
        base=base,
        tape=lst.tape,
        mid=mid,
        bid=bid,
        ask=ask,
        bid_size=r.randint(1, 12),
        ask_size=r.randint(1, 12),
        bid_x=r.choices(QUOTE_VENUES, QUOTE_VENUE_WEIGHTS)[0],
        ask_x=r.choices(QUOTE_VENUES, QUOTE_VENUE_WEIGHTS)[0],
        quote_ns=last_ns - r.randint(1, 3000) * 1_000_000,
        last_price=last,
        last_size=100,
        last_x=r.choices(TRADE_VENUES, TRADE_VENUE_WEIGHTS)[0],
        last_id=r.randint(1, 999_999),
        last_cond=["@", "T"] if layout is not None and layout.last_extended else ["@"],
        last_ns=last_ns - r.randint(1, 5000) * 1_000_000,
        last_bar=bar(minute_start_ns(last_ns) - MINUTE_NS, round(mid, 2), last, minute_v, 0.001),
        daily=bar(day0, day_open, last, int(lst.adv * min(1.0, r.uniform(0.3, 0.8) + done)), 0.008),
        prev_daily=bar(
            prev0,
            round(prev_close * math.exp(r.gauss(0.0, 0.008)), 2),
            prev_close,
            int(lst.adv * r.uniform(0.7, 1.3)),
            0.01,
        ),
        today=None,
    )
    if layout is None or layout.live:
        state.today = state.daily  # trades go into it (engine.simulator.bars)
    return state


def make_new_listing(state: SymbolState, listed_ns: int) -> None:
    """Turn a starting state into a new listing's: no print and no bar before `listed_ns`.

    The bars that a starting state carries from before (the last minute bar, the last
    sessions' daily bars) become unpriced placeholders (`priced=False`, no volume): the
    first trade prices them (engine.simulator.bars.add_trade), and until then the
    snapshot leaves them out (engine.simulator.rest) and the bars endpoint serves none
    (engine.simulator.barsroute). Quotes may exist before the first print.
    """
    p = state.last_price
    state.listed_ns = listed_ns
    state.last_bar = BarAcc(state.last_bar.start_ns, p, p, p, p, priced=False)
    state.prev_daily = BarAcc(state.prev_daily.start_ns, p, p, p, p, priced=False)
    blank = BarAcc(state.daily.start_ns, p, p, p, p, priced=False)
    if state.today is state.daily:  # the day in progress: trades go into the blank bar
        state.today = blank
    state.daily = blank
