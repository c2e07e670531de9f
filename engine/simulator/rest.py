"""Alpaca's REST snapshot endpoint, served from the simulator's live market state.

`GET /v2/stocks/snapshots?symbols=AAPL,MSFT&feed=iex` -> `{"AAPL": {"latestTrade": ...,
"latestQuote": ..., "minuteBar": ..., "dailyBar": ..., "prevDailyBar": ...}, ...}`;
a well-formed symbol asked for joins the universe (the simulator makes a market for any
well-formed ticker, as the stream and the bars route do: engine.simulator.universe), so
the demo's symbol check accepts COIN like AAPL; the unlisted block (ZZZ...), invalid names
and names over the universe's cap are absent. Errors are `{"message": ...}` JSON, as Alpaca's.

`SnapshotRoute` answers one request: auth, the plan's rate limit per key (HTTP 429 with
Retry-After, engine.simulator.ratelimit), then the snapshots. With
`SimulatorConfig.rest_keeps_active_s` > 0, a symbol asked for over REST keeps trading for
that many real seconds although no stream subscribes it (a symbol beyond the plan's
stream limit, kept alive by snapshot polling, then moves like a real one).
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs

from engine.config import DEFAULT_FEED
from engine.simulator.config import FREE_PLAN_FEEDS, Plan, SimulatorConfig
from engine.simulator.host import SimulatorStats
from engine.simulator.market import Market
from engine.simulator.ratelimit import RateLimiter
from engine.simulator.state import BarAcc, SymbolState
from engine.simulator.universe import is_listable
from engine.simulator.wire import rfc3339

REST_FEEDS = frozenset({"iex", "sip", "delayed_sip", "boats", "overnight", "otc"})


def _bar(acc: BarAcc) -> dict[str, Any] | None:
    if not acc.priced:  # a new listing's placeholder before its first print: null
        return None
    return {
        "t": rfc3339(acc.start_ns), "o": acc.o, "h": acc.h, "l": acc.l, "c": acc.c,
        "v": acc.v, "n": acc.n, "vw": acc.vwap,
    }  # fmt: skip


def snapshot(st: SymbolState) -> dict[str, Any]:
    """One symbol's snapshot, keys and shapes as Alpaca's (trade/quote without T/S).

    `dailyBar` is the latest daily bar with a price: before the day's first regular-
    session trade still the last session's (docs/simulator.md, "The day boundary").
    A new listing has null for what it has not printed yet ("New listings").
    """
    unprinted = st.listed_ns is not None and st.last_ns < st.listed_ns
    return {
        "latestTrade": None if unprinted else {
            "t": rfc3339(st.last_ns), "x": st.last_x, "p": st.last_price, "s": st.last_size,
            "c": list(st.last_cond), "i": st.last_id, "z": st.tape,
        },
        "latestQuote": {
            "t": rfc3339(st.quote_ns), "ax": st.ask_x, "ap": st.ask, "as": st.ask_size,
            "bx": st.bid_x, "bp": st.bid, "bs": st.bid_size, "c": ["R"], "z": st.tape,
        },
        "minuteBar": _bar(st.last_bar),
        "dailyBar": _bar(st.daily),
        "prevDailyBar": _bar(st.prev_daily),
    }  # fmt: skip


def check_auth(config: SimulatorConfig, headers: Any, refuse: bool) -> tuple[int, str] | None:
    """None if the request may proceed, else (HTTP status, message) like Alpaca's."""
    if config.key is None or config.secret is None:
        return (403, "forbidden.") if refuse else None
    key = headers.get("APCA-API-KEY-ID")
    secret = headers.get("APCA-API-SECRET-KEY")
    if not key or not secret:
        return (401, "unauthorized.")
    good = hmac.compare_digest(key.encode(), config.key.encode()) and hmac.compare_digest(
        secret.encode(), config.secret.encode()
    )
    if refuse or not good:
        return (403, "forbidden.")
    return None


def snapshots(config: SimulatorConfig, market: Market, query: str) -> tuple[int, dict[str, Any]]:
    """(status, JSON body) for a snapshots query string."""
    params = parse_qs(query)
    raw = ",".join(params.get("symbols", []))
    symbols = [s.strip() for s in raw.split(",") if s.strip()]
    if not symbols:
        return 400, {"message": "symbols is required"}
    feed = params.get("feed", [DEFAULT_FEED.value])[-1]
    if feed not in REST_FEEDS:
        return 400, {"message": f"invalid feed: {feed}"}
    if config.plan is Plan.FREE and feed not in FREE_PLAN_FEEDS:
        return 403, {"message": "subscription does not permit querying recent SIP data"}
    body: dict[str, Any] = {}
    for symbol in symbols:
        st = market.state(symbol)
        if st is None and is_listable(symbol) and market.add_symbol(symbol):
            st = market.state(symbol)  # joins now, as a subscription would
        if st is not None:
            body[symbol] = snapshot(st)
    return 200, body


Reply = tuple[int, dict[str, Any], list[tuple[str, str]]]  # status, JSON body, headers


class SnapshotRoute:
    """`GET /v2/stocks/snapshots`: auth, rate limit, snapshots; remembers REST-only symbols."""

    def __init__(
        self, config: SimulatorConfig, market: Market, stats: SimulatorStats,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:  # fmt: skip
        self._config = config
        self._market = market
        self._stats = stats
        self._clock = clock
        self.limiter = RateLimiter(config.effective_rest_limit, clock=clock)
        self._watched: dict[str, float] = {}  # symbol -> monotonic expiry; <= universe size

    def handle(self, headers: Mapping[str, str], query: str, refuse_auth: bool) -> Reply:
        self._stats.rest_requests += 1
        refused = check_auth(self._config, headers, refuse_auth)
        if refused is not None:
            return refused[0], {"message": refused[1]}, []
        # Per key, after auth (docs/account-and-history.md, "Plans and limits").
        decision = self.limiter.check(headers.get("APCA-API-KEY-ID", ""))
        limits = decision.headers(time.time())
        if not decision.allowed:
            self._stats.rest_rate_limited += 1
            return 429, {"message": "too many requests."}, limits
        status, body = snapshots(self._config, self._market, query)
        if status == 200 and self._config.rest_keeps_active_s > 0:
            until = self._clock() + self._config.rest_keeps_active_s
            self._watched.update(dict.fromkeys(body, until))
        return status, body, limits

    def watched(self) -> set[str]:
        """Symbols asked for over REST lately (all of them stay in the universe)."""
        now = self._clock()
        for symbol in [s for s, until in self._watched.items() if until <= now]:
            del self._watched[symbol]
        return set(self._watched)
