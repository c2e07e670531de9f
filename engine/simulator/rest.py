"""Alpaca's REST snapshot endpoint, served from the simulator's live market state.

`GET /v2/stocks/snapshots?symbols=AAPL,MSFT&feed=iex` -> `{"AAPL": {"latestTrade": ...,
"latestQuote": ..., "minuteBar": ..., "dailyBar": ..., "prevDailyBar": ...}, ...}`;
symbols outside the universe are absent. Errors are `{"message": ...}` JSON, as Alpaca's.
"""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import parse_qs

from engine.config import DEFAULT_FEED
from engine.simulator.config import FREE_PLAN_FEEDS, Plan, SimulatorConfig
from engine.simulator.market import Market
from engine.simulator.state import BarAcc, SymbolState
from engine.simulator.wire import rfc3339

REST_FEEDS = frozenset({"iex", "sip", "delayed_sip", "boats", "overnight", "otc"})


def _bar(acc: BarAcc) -> dict[str, Any]:
    return {
        "t": rfc3339(acc.start_ns), "o": acc.o, "h": acc.h, "l": acc.l, "c": acc.c,
        "v": acc.v, "n": acc.n, "vw": acc.vwap,
    }  # fmt: skip


def snapshot(st: SymbolState) -> dict[str, Any]:
    """One symbol's snapshot, keys and shapes as Alpaca's (trade/quote without T/S)."""
    return {
        "latestTrade": {
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
        if st is not None:
            body[symbol] = snapshot(st)
    return 200, body
