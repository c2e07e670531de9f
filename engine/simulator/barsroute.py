"""`GET /v2/stocks/bars`: Alpaca's historical bars, served from the simulator's market.

Query and answer as docs/account-and-history.md ("Historical bars"): `symbols`,
`timeframe` (NMin 1-59, NHour 1-23, 1Day), `start`/`end` (RFC 3339; default: the start
of today in New York, and now), `limit` (1-10,000, default 1,000, counted across all
symbols), `feed`, `adjustment`, `sort` (asc), `page_token`. Symbols come in sorted order,
each one's bars oldest first; a page stops after `limit` bars and `next_page_token`
names the next bar. Bars before a symbol's start come from engine.simulator.history,
bars after it from what the live market published (history.LiveBars), so the two join.

Feed rules (docs/simulator.md, "Historical bars"): on Plan.FREE, `feed=sip` with an
`end` later than now - 15 min is refused with 403, as Alpaca does; without `end` it
ends 15 minutes ago. `delayed_sip` always ends 15 minutes ago. Every feed serves the
same market (the live stream does too). The REST rate limit is the snapshots' one:
one budget per key for all REST calls.

Work per request is bounded by `limit`: bars are generated as the page is filled, and
the page is built cooperatively (`bars_page` yields to the event loop whenever it has held
it for SLICE_S), so a 10,000-bar page never stalls the loop it shares: the demo runs the
simulator on the app's own loop (docs/simulator.md, "Bounds and cost").
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple
from urllib.parse import parse_qs

from engine.simulator import history
from engine.simulator.config import Plan, SimulatorConfig
from engine.simulator.day import day_start_ns
from engine.simulator.history import Anchor, HBar, LiveBars
from engine.simulator.host import SimulatorStats
from engine.simulator.market import Market
from engine.simulator.ratelimit import RateLimiter
from engine.simulator.rest import REST_FEEDS, Reply, check_auth
from engine.simulator.wire import NS_PER_S, rfc3339

MAX_LIMIT = 10_000
DEFAULT_LIMIT = 1_000
RECENT_SIP_NS = 15 * 60 * NS_PER_S  # Basic: no SIP data from the last 15 minutes
RECENT_SIP = "subscription does not permit querying recent SIP data"
ADJUSTMENTS = frozenset({"raw", "split", "dividend", "all"})
SLICE_S = 0.002  # longest stretch a page build holds the loop before yielding (seconds)
_TIMEFRAME = re.compile(r"^(\d{1,2})(Min|T|Hour|H|Day|D)$")
# The symbols of a page share their bar times: each time is formatted once (bounded).
_time_text = functools.lru_cache(maxsize=16_384)(rfc3339)


class BarsQuery(NamedTuple):
    symbols: list[str]
    minutes: int  # bar length in minutes; 0 = daily bars
    start_ns: int
    end_ns: int
    limit: int
    after: tuple[str, int] | None  # page token: the symbol and bar time to resume at


class BadQuery(Exception):
    """A query Alpaca would refuse: its status and message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _one(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    return values[-1] if values else None


def parse_time(text: str, name: str) -> int:
    """RFC 3339 (or a bare date, taken as 00:00 UTC) in Unix ns; BadQuery otherwise."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise BadQuery(400, f"invalid {name}: {text!r} is not RFC 3339") from None
    if when.tzinfo is None:
        if len(text) > 10:
            raise BadQuery(400, f"invalid {name}: {text!r} has no UTC offset")
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp()) * NS_PER_S + when.microsecond * 1000


def parse_timeframe(text: str) -> int:
    match = _TIMEFRAME.match(text)
    if match is not None:
        amount, unit = int(match.group(1)), match.group(2)
        if unit in ("Min", "T") and 1 <= amount <= 59:
            return amount
        if unit in ("Hour", "H") and 1 <= amount <= 23:
            return amount * 60
        if unit in ("Day", "D") and amount == 1:
            return 0
    raise BadQuery(400, f"invalid timeframe: {text!r} (the simulator serves NMin, NHour, 1Day)")


def parse_query(config: SimulatorConfig, query: str, now_ns: int) -> BarsQuery:
    """The request's parameters, checked; BadQuery (400/403) for what Alpaca refuses."""
    params = parse_qs(query)
    raw = ",".join(params.get("symbols", []))
    symbols = sorted({s.strip() for s in raw.split(",") if s.strip()})
    if not symbols:
        raise BadQuery(400, "symbols is required")
    minutes = parse_timeframe(_one(params, "timeframe") or "")
    free = config.plan is Plan.FREE
    feed = _one(params, "feed") or ("iex" if free else "sip")
    if feed not in REST_FEEDS:
        raise BadQuery(400, f"invalid feed: {feed!r}")
    adjustment = _one(params, "adjustment") or "raw"
    if adjustment not in ADJUSTMENTS:
        raise BadQuery(400, f"invalid adjustment: {adjustment!r}")
    sort = _one(params, "sort") or "asc"
    if sort != "asc":
        raise BadQuery(400, f"invalid sort: {sort!r} (the simulator serves asc only)")
    text = _one(params, "limit")
    try:
        limit = int(text) if text is not None else DEFAULT_LIMIT
    except ValueError:
        raise BadQuery(400, f"invalid limit: {text!r}") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise BadQuery(400, f"invalid limit: {limit} (1 to {MAX_LIMIT})")
    start_text, end_text = _one(params, "start"), _one(params, "end")
    end = parse_time(end_text, "end") if end_text else now_ns
    recent = now_ns - RECENT_SIP_NS
    if free and feed not in ("iex", "delayed_sip"):
        if end_text is None:
            end = recent  # Basic: SIP up to 15 minutes ago
        elif end > recent:
            raise BadQuery(403, RECENT_SIP)
    if feed == "delayed_sip":
        end = min(end, recent)
    end = min(end, now_ns)
    start = parse_time(start_text, "start") if start_text else day_start_ns(history.et_date(now_ns))
    if start > end and end_text is not None:
        raise BadQuery(400, "end should not be before start")
    return BarsQuery(symbols, minutes, start, end, limit, _decode_token(_one(params, "page_token")))


def _encode_token(symbol: str, t_ns: int) -> str:
    return base64.urlsafe_b64encode(f"{symbol}|{t_ns}".encode()).decode()


def _decode_token(token: str | None) -> tuple[str, int] | None:
    if not token:
        return None
    try:
        symbol, _, t = base64.urlsafe_b64decode(token.encode()).decode().partition("|")
        return symbol, int(t)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadQuery(400, "invalid page_token") from None


def _aggregate(bars: Iterable[HBar], minutes: int) -> Iterator[HBar]:
    """N-minute bars from minute bars, in buckets aligned to the hour (and the epoch)."""
    size = minutes * 60 * NS_PER_S
    acc: list[HBar] = []
    for bar in bars:
        if acc and bar.t - bar.t % size != acc[0].t - acc[0].t % size:
            yield _merge(acc, size)
            acc = []
        acc.append(bar)
    if acc:
        yield _merge(acc, size)


def _merge(bars: list[HBar], size: int) -> HBar:
    v = sum(b.v for b in bars)
    vw = sum(b.vw * b.v for b in bars) / v if v else bars[-1].c
    t = bars[0].t - bars[0].t % size
    hi, lo = max(b.h for b in bars), min(b.l for b in bars)
    return HBar(t, bars[0].o, hi, lo, bars[-1].c, v, sum(b.n for b in bars), round(vw, 4))


class BarSource:
    """One symbol's bars over a window: history before its start, live bars after.

    A new listing (SymbolState.listed_ns; docs/simulator.md, "New listings") has no
    history: only what the live market published since it was listed.
    """

    def __init__(self, market: Market, live: LiveBars, seed: int, real_day: bool) -> None:
        self._market = market
        self._live = live
        self._seed = seed
        self._real_day = real_day

    def bars(self, symbol: str, minutes: int, start: int, end: int) -> Iterator[HBar]:
        made = self._market.made_ns(symbol)
        if made is None:
            return iter(())
        st = self._market.state(symbol)
        listed = st is not None and st.listed_ns is not None
        anchor = None if listed else Anchor(symbol, self._seed, made, self._real_day)
        if minutes == 0:
            return self._days(symbol, anchor, start, end)
        if minutes == 1:  # minute bars are served as they are: no buckets to build
            return self._minutes(symbol, anchor, start, end)
        lo = start - start % (minutes * 60 * NS_PER_S)  # whole buckets
        return (
            b
            for b in _aggregate(self._minutes(symbol, anchor, lo, end), minutes)
            if start <= b.t < end
        )

    def _minutes(self, symbol: str, anchor: Anchor | None, start: int, end: int) -> Iterator[HBar]:
        after = -1  # live bars after the history's last bar (all of a new listing's)
        if anchor is not None:
            yield from history.iter_minutes(anchor, start, end)
            after = anchor.last_bar.t
        for bar in self._live.minutes(symbol):
            if bar.t > after and start <= bar.t < end:
                yield bar

    def _days(self, symbol: str, anchor: Anchor | None, start: int, end: int) -> Iterator[HBar]:
        days = {} if anchor is None else {b.t: b for b in history.iter_days(anchor, start, end)}
        days.update(self._live.days(symbol))
        st = self._market.state(symbol)
        if st is not None:  # the live day so far, as the snapshot's dailyBar says
            for acc in (st.prev_daily, st.daily):
                if acc.priced:  # a new listing's placeholder before its first print: none
                    days[acc.start_ns] = history.hbar(acc)
        return (days[t] for t in sorted(days) if start <= t < end)


async def bars_page(
    source: BarSource, q: BarsQuery, slice_s: float = SLICE_S,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, Any]:  # fmt: skip
    """One page: at most `limit` bars across the symbols, and the token of the next.

    Cooperative: between symbols, and after every bar once `slice_s` has passed since
    the last yield, it yields to the loop (`asyncio.sleep(0)`), so the longest stall is
    one indivisible step of the generator (one symbol-day of minutes, or one symbol's
    walk of daily bars: a few ms) instead of the whole page (docs/design.md: nothing
    blocks the loop).
    The bars and the paging token are the same as without yielding.
    """
    out: dict[str, list[dict[str, Any]]] = {}
    left = q.limit
    due = clock() + slice_s
    for symbol in q.symbols:
        if out:  # between symbols, always (each costs a walk of its history)
            await asyncio.sleep(0)
            due = clock() + slice_s
        start = q.start_ns
        if q.after is not None:
            if symbol < q.after[0]:
                continue
            if symbol == q.after[0]:
                start = max(start, q.after[1])
        for bar in source.bars(symbol, q.minutes, start, q.end_ns):
            if left == 0:
                return {"bars": out, "next_page_token": _encode_token(symbol, bar.t)}
            out.setdefault(symbol, []).append(
                {"t": _time_text(bar.t), "o": bar.o, "h": bar.h, "l": bar.l, "c": bar.c,
                 "v": bar.v, "n": bar.n, "vw": bar.vw}
            )  # fmt: skip
            left -= 1
            if clock() >= due:
                await asyncio.sleep(0)
                due = clock() + slice_s
    return {"bars": out, "next_page_token": None}


class BarsRoute:
    """`GET /v2/stocks/bars`: auth, the shared rate limit, then one page of bars."""

    def __init__(
        self, config: SimulatorConfig, market: Market, live: LiveBars, seed: int,
        stats: SimulatorStats, limiter: RateLimiter, now_ns: Callable[[], int],
    ) -> None:  # fmt: skip
        self._config = config
        self._market = market
        self._stats = stats
        self._limiter = limiter
        self._now_ns = now_ns
        self._source = BarSource(market, live, seed, config.day)

    async def handle(self, headers: Mapping[str, str], query: str, refuse_auth: bool) -> Reply:
        self._stats.rest_requests += 1
        refused = check_auth(self._config, headers, refuse_auth)
        if refused is not None:
            return refused[0], {"message": refused[1]}, []
        decision = self._limiter.check(headers.get("APCA-API-KEY-ID", ""))
        limits = decision.headers(time.time())
        if not decision.allowed:
            self._stats.rest_rate_limited += 1
            return 429, {"message": "too many requests."}, limits
        try:
            q = parse_query(self._config, query, self._now_ns())
        except BadQuery as exc:
            self._stats.rest_bad_requests += 1
            return exc.status, {"message": str(exc)}, limits
        for symbol in q.symbols:  # a symbol asked for joins the universe (capped), as
            self._market.add_symbol(symbol)  # a subscription would: its start is now
        return 200, await bars_page(self._source, q), limits
