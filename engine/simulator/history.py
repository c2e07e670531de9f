"""Bars before the simulator's start, generated on demand and anchored at its live state.

The history of `GET /v2/stocks/bars` (engine.simulator.barsroute; docs/simulator.md,
"Historical bars") is a deterministic function of (seed, symbol, the instant the symbol's
starting state was made), walked *backwards* from that starting state
(engine.simulator.state.initial_state), so the last bar before the start joins the live
stream without a jump:

- daily bars: the latest two are the state's own `dailyBar` and `prevDailyBar`; older
  ones come from a seeded random walk back from them (mild reversion to the listing's
  base price), one per trading day (engine.market.calendar) in the real day, one per
  calendar day in the always-on market;
- minute bars of a day: Brownian bridges through the day's anchor prices (previous
  after-hours end -> open at 09:30 -> close -> after-hours end), only for minutes that
  had trades (thin in the extended sessions), regular minutes inside the day's low and
  high and touching both, volumes summing to the day's volume. The day that holds the
  state's last minute bar stops at it, and that bar is the state's `minuteBar` itself.

Memory: a day's minutes (at most 1,440) and one walk of daily targets per symbol at a
time; nothing is kept between requests.
"""

from __future__ import annotations

import functools
import itertools
import math
import random
from collections import deque
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

from engine.market.calendar import EASTERN, day_hours, previous_trading_day, to_ns
from engine.simulator.day import Layout, initial_layout
from engine.simulator.day import day_start_ns as _day_start_ns
from engine.simulator.state import MINUTE_NS, BarAcc, SymbolState, initial_state
from engine.simulator.universe import listing
from engine.simulator.wire import DailyBar, Message, MinuteBar, UpdatedBar

MAX_HISTORY_DAYS = 2_000  # trading days back from the start (about 8 years); older: none
DAILY_SIGMA = 0.014  # open-to-close log return
GAP_SIGMA = 0.006  # close-to-next-open
REVERSION = 0.03  # per day, towards the listing's base price
REGULAR_SIGMA = 0.0007  # per minute: ~1.4% a day over 390 minutes
EXTENDED_SIGMA = 0.0003
REGULAR_TRADES = 0.97  # chance a regular minute has trades
EXTENDED_TRADES = 0.35  # thin pre-market and after-hours (docs/simulator.md, "Phases")


# Calendar answers are pure functions of a date and asked again for every symbol of a
# request: memoised (bounded; ~2,000 trading days back is the deepest walk) they cost a
# dict lookup instead of a calendar scan.
_prev_trading_day = functools.lru_cache(maxsize=8192)(previous_trading_day)
day_start_ns = functools.lru_cache(maxsize=8192)(_day_start_ns)


class HBar(NamedTuple):
    """One bar as served: start (Unix ns) and Alpaca's o, h, l, c, v, n, vw."""

    t: int
    o: float
    h: float
    l: float  # noqa: E741 - Alpaca's key
    c: float
    v: int
    n: int
    vw: float


def hbar(acc: BarAcc) -> HBar:
    return HBar(acc.start_ns, acc.o, acc.h, acc.l, acc.c, acc.v, acc.n, round(acc.vwap, 4))


class Hours(NamedTuple):
    pre: int
    open: int
    close: int
    post: int


@functools.lru_cache(maxsize=4096)  # pure in (day, real_day); asked once per symbol-day
def hours_of(day: date, real_day: bool) -> Hours | None:
    """The day's session bounds in ns; the always-on market trades all day, every day."""
    if not real_day:
        start = day_start_ns(day)
        end = day_start_ns(day + timedelta(days=1))
        return Hours(start, start, end, end)
    h = day_hours(day)
    if h is None:
        return None
    return Hours(to_ns(h.pre_open), to_ns(h.open), to_ns(h.close), to_ns(h.post_close))


def et_date(ns: int) -> date:
    return datetime.fromtimestamp(ns // 1_000_000_000, UTC).astimezone(EASTERN).date()


class Anchor:
    """A symbol's starting state and where it sits in the calendar."""

    def __init__(self, symbol: str, seed: int, made_ns: int, real_day: bool) -> None:
        layout: Layout | None = initial_layout(made_ns) if real_day else None
        self.state: SymbolState = initial_state(symbol, seed, made_ns, layout)
        self.symbol = symbol
        self.seed = seed
        self.made_ns = made_ns
        self.real_day = real_day
        self.latest_day = et_date(self.state.daily.start_ns)
        self.prev_day = et_date(self.state.prev_daily.start_ns)
        self.last_bar = hbar(self.state.last_bar)
        self.tail_day = et_date(self.last_bar.t)  # the day cut at the last minute bar
        if real_day and hours_of(self.tail_day, True) is None:
            self.tail_day = self.latest_day  # cannot happen with initial_layout; be safe

    def previous_day(self, day: date) -> date:
        return _prev_trading_day(day) if self.real_day else day - timedelta(days=1)

    def rng(self, *parts: object) -> random.Random:
        return random.Random("/".join(map(str, (self.seed, self.symbol, self.made_ns, *parts))))

    def daily(self, oldest: date) -> dict[date, HBar]:
        """Daily targets from the latest day back to `oldest` (bounded by MAX_HISTORY_DAYS)."""
        out = {self.latest_day: hbar(self.state.daily)}
        if self.prev_day < self.latest_day:
            out[self.prev_day] = hbar(self.state.prev_daily)
        lst = listing(self.symbol)
        base, adv = lst.base, lst.adv
        r = self.rng("daily")
        gauss, randint, exp, log = r.gauss, r.randint, math.exp, math.log  # hot loop
        previous = self.previous_day
        newer_open = self.state.prev_daily.o
        day = self.prev_day
        for _ in range(MAX_HISTORY_DAYS):
            day = previous(day)
            if day < oldest:
                break
            c = newer_open * exp(-gauss(0.0, GAP_SIGMA))
            ret = gauss(0.0, DAILY_SIGMA) + REVERSION * log(c / base)
            o = c * exp(-ret)
            h = max(o, c) * (1 + abs(gauss(0.0, 0.006)))
            lo = min(o, c) * (1 - abs(gauss(0.0, 0.006)))
            v = int(adv * exp(gauss(0.0, 0.25)))
            n = max(1, v // randint(80, 200))
            o, c, h, lo = round(o, 2), round(c, 2), round(h, 2), round(lo, 2)
            out[day] = HBar(day_start_ns(day), o, h, lo, c, v, n, round((h + lo + c) / 3, 4))
            newer_open = o
        return out

    def after_hours_end(self, day: date, close: float) -> float:
        return close * math.exp(self.rng(day, "ah").gauss(0.0, 0.002))

    def minutes(self, day: date, targets: dict[date, HBar]) -> list[HBar]:
        """The day's minute bars (only minutes with trades), in time order."""
        hours = hours_of(day, self.real_day)
        if hours is None or day > self.tail_day:
            return []
        prev = targets.get(self.previous_day(day))
        target = targets.get(day)
        r = self.rng(day, "m")
        tail = day == self.tail_day
        if target is None:  # the pre-market of a day whose bar has no price yet
            if prev is None or not tail:
                return []  # beyond MAX_HISTORY_DAYS
            p0 = self.after_hours_end(self.previous_day(day), prev.c)
            return self._bridge(r, hours, [(hours.pre, p0)], None, tail)
        p0 = self.after_hours_end(self.previous_day(day), prev.c) if prev else target.o
        points = [(hours.open, target.o), (hours.close, target.c)]
        if hours.pre < hours.open:  # the always-on market has no extended sessions
            points.insert(0, (hours.pre, p0))
        if hours.post > hours.close:
            points.append((hours.post, self.after_hours_end(day, target.c)))
        return self._bridge(r, hours, points, target, tail)

    def _bridge(
        self, r: random.Random, hours: Hours, points: list[tuple[int, float]],
        target: HBar | None, tail: bool,
    ) -> list[HBar]:  # fmt: skip
        end = hours.post
        if tail:  # stop at the state's last minute bar, which then joins it exactly
            last = self.last_bar
            end = last.t
            points = [p for p in points if p[0] < end]
            if not points:  # the last bar came before this day's first session
                return [last]
            points.append((end, last.o))
        path = _path(r, points, hours)
        bars: list[HBar] = []
        weights: list[float] = []
        random_, gauss, exp = r.random, r.gauss, math.exp  # the hot loop: once a minute
        t_open, t_close = hours.open, hours.close
        sessions = t_open != t_close
        t = points[0][0] - MINUTE_NS
        for i in range(len(path) - 1):
            t += MINUTE_NS
            regular = t_open <= t < t_close
            forced = sessions and t in (t_open, t_close)
            if not forced and random_() >= (REGULAR_TRADES if regular else EXTENDED_TRADES):
                continue
            o, c = path[i], path[i + 1]
            wig = REGULAR_SIGMA if regular else EXTENDED_SIGMA
            h = max(o, c) * (1 + abs(gauss(0.0, wig)))
            lo = min(o, c) * (1 - abs(gauss(0.0, wig)))
            if regular and target is not None:
                o, c = min(max(o, target.l), target.h), min(max(c, target.l), target.h)
                h, lo = min(max(h, o, c), target.h), max(min(lo, o, c), target.l)
            bars.append(HBar(t, round(o, 2), round(h, 2), round(lo, 2), round(c, 2), 0, 0, 0.0))
            # The minute's share of the day's volume: U-shaped in the regular session.
            noise = exp(gauss(0.0, 0.5))
            if regular:
                since, until = (t - t_open) / MINUTE_NS, (t_close - t) / MINUTE_NS
                extra = 5.0 if t == t_open else 0.0
                noise *= 1.0 + extra + 2.0 * exp(-since / 30) + 1.5 * exp(-until / 30)
            else:
                noise *= 0.05
            weights.append(noise)
        if target is not None:
            bars = _touch(bars, hours, target)
        if tail:
            volume = None if target is None else max(0, target.v - self.last_bar.v)
        else:
            volume = None if target is None else target.v
        bars = _volumes(r, bars, weights, volume, listing(self.symbol).adv)
        if tail:
            bars.append(self.last_bar)
        return bars


def _path(r: random.Random, points: list[tuple[int, float]], hours: Hours) -> list[float]:
    """Prices at each minute boundary from the first point to the last, bridging points."""
    path: list[float] = [points[0][1]]
    for (ta, pa), (tb, pb) in itertools.pairwise(points):
        n = (tb - ta) // MINUTE_NS
        if n <= 0:
            continue
        sigma = REGULAR_SIGMA if hours.open <= ta < hours.close else EXTENDED_SIGMA
        gauss, exp = r.gauss, math.exp
        walk = [0.0]
        w = 0.0
        for _ in range(n):
            w += gauss(0.0, sigma)
            walk.append(w)
        drift = math.log(pb / pa)
        end = walk[n]
        path.extend(pa * exp(drift * (i / n) + walk[i] - (i / n) * end) for i in range(1, n + 1))
    return path


def _touch(bars: list[HBar], hours: Hours, target: HBar) -> list[HBar]:
    """The regular minutes reach the day's high and low, as a real day's do."""
    regular = [i for i, b in enumerate(bars) if hours.open <= b.t < hours.close]
    if not regular:
        return bars
    hi = max(regular, key=lambda i: bars[i].h)
    bars[hi] = bars[hi]._replace(h=target.h)
    lo = min(regular, key=lambda i: bars[i].l)
    bars[lo] = bars[lo]._replace(l=target.l)
    return bars


def _volumes(
    r: random.Random, bars: list[HBar], weights: list[float], volume: int | None, adv: int
) -> list[HBar]:
    """Split `volume` by weight (or scale by the listing's volume), with counts and VWAP."""
    if not bars:
        return bars
    total = sum(weights)
    if volume is None:
        volume = int(adv * total / 600.0)  # ~600: a full regular day's weight
    shares = [max(1, int(volume * w / total)) for w in weights]
    big = max(range(len(shares)), key=shares.__getitem__)
    shares[big] = max(1, shares[big] + volume - sum(shares))
    size = r.randint(80, 200)
    return [  # HBar(...) rather than _replace: this runs once per minute of history
        HBar(t, o, h, lo, c, v, max(1, v // size), round((h + lo + c) / 3, 4))
        for (t, o, h, lo, c, _, _, _), v in zip(bars, shares, strict=True)
    ]


def iter_minutes(anchor: Anchor, start_ns: int, end_ns: int) -> Iterator[HBar]:
    """The minute bars in [start_ns, end_ns), day by day, generated as they are read."""
    first, last = et_date(start_ns), min(et_date(end_ns), anchor.tail_day)
    if first > last:
        return
    targets = anchor.daily(anchor.previous_day(first))
    day = max(first, min(targets))
    while day <= last:
        for bar in anchor.minutes(day, targets):
            if start_ns <= bar.t < end_ns:
                yield bar
        day += timedelta(days=1)


def iter_days(anchor: Anchor, start_ns: int, end_ns: int) -> Iterator[HBar]:
    """The daily bars stamped in [start_ns, end_ns), oldest first."""
    targets = anchor.daily(et_date(start_ns))
    for day in sorted(targets):
        bar = targets[day]
        if start_ns <= bar.t < end_ns:
            yield bar


MAX_LIVE_MINUTES = 240  # live minute bars kept per symbol (4 simulated hours)
MAX_LIVE_DAYS = 32  # live daily bars kept per symbol


class LiveBars:
    """The bars the live market has published since the start, for the bars endpoint.

    Bounded: at most MAX_LIVE_MINUTES minute bars and MAX_LIVE_DAYS daily bars per symbol
    that traded (the universe is capped); older live minutes are not served.
    """

    def __init__(self) -> None:
        self._minutes: dict[str, deque[HBar]] = {}
        self._days: dict[str, dict[int, HBar]] = {}

    def record(self, messages: Iterable[Message]) -> None:
        for m in messages:
            if isinstance(m, MinuteBar | UpdatedBar):
                bar = HBar(m.t.ns, m.o, m.h, m.l, m.c, m.v, m.n, round(m.vw, 4))
                q = self._minutes.get(m.S)
                if q is None:
                    q = self._minutes[m.S] = deque(maxlen=MAX_LIVE_MINUTES)
                if q and q[-1].t == bar.t:
                    q[-1] = bar  # a correction (`u`) of the last bar
                elif not q or q[-1].t < bar.t:
                    q.append(bar)
            elif isinstance(m, DailyBar):
                days = self._days.setdefault(m.S, {})
                days[m.t.ns] = HBar(m.t.ns, m.o, m.h, m.l, m.c, m.v, m.n, round(m.vw, 4))
                if len(days) > MAX_LIVE_DAYS:
                    del days[min(days)]

    def minutes(self, symbol: str) -> list[HBar]:
        return list(self._minutes.get(symbol, ()))

    def days(self, symbol: str) -> dict[int, HBar]:
        return dict(self._days.get(symbol, {}))
