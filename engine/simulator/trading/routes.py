"""The Trading API's REST routes on the simulator's REST base URL.

`TradingRoutes.handle(method, path, query, headers, body)` answers one request: auth
(401 without or with wrong credentials, 403 with `refuse_auth` or for a key without
trading permission: `SimulatorConfig.trading_forbidden_keys`, `FaultInjector.
forbid_trading`), the per-key REST limit shared with market data (429 + Retry-After,
engine.simulator.ratelimit), then the endpoint (docs/account-and-history.md, "Trading
API (account)"). Bodies are JSON; numbers in answers are strings, as Alpaca's.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote

import msgspec

from engine.simulator.host import SimulatorStats
from engine.simulator.ratelimit import RateLimiter
from engine.simulator.trading import clockcal
from engine.simulator.trading.account import SimAccount
from engine.simulator.trading.engine import TradingEngine
from engine.simulator.trading.fmt import NOT_FOUND, Reply, error
from engine.simulator.trading.orders import SimOrder, order_json

PREFIXES = ("/v2/account", "/v2/positions", "/v2/orders", "/v2/clock", "/v2/calendar",
            "/v2/assets", "/v2/watchlists")  # fmt: skip
MAX_BODY = 64 * 1024
UNAUTHORIZED: Reply = (401, {"code": 40110000, "message": "request is not authorized"}, [])
FORBIDDEN: Reply = (403, {"code": 40310000, "message": "forbidden."}, [])


def is_trading_path(path: str) -> bool:
    return any(path == p or path.startswith((p + "/", p + ":", p + "?")) for p in PREFIXES)


class TradingRoutes:
    def __init__(self, engine: TradingEngine, limiter: RateLimiter, stats: SimulatorStats) -> None:
        self.engine = engine
        self._limiter = limiter
        self._stats = stats

    def authorize(self, headers: Mapping[str, str], refuse: bool) -> str | Reply:
        """The key, or the 401/403 answer (also used by the trade_updates stream)."""
        key = headers.get("APCA-API-KEY-ID") or ""
        secret = headers.get("APCA-API-SECRET-KEY") or ""
        if refuse:
            return FORBIDDEN
        if not self.key_ok(key, secret):
            return UNAUTHORIZED
        if key in self.engine.forbidden:
            return FORBIDDEN
        return key

    def key_ok(self, key: str, secret: str) -> bool:
        cfg = self.engine.config
        if not key or not secret:
            return False
        if cfg.key is None or cfg.secret is None:
            return True
        return hmac.compare_digest(key.encode(), cfg.key.encode()) and hmac.compare_digest(
            secret.encode(), cfg.secret.encode()
        )

    def handle(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes,
        refuse: bool,
    ) -> Reply:  # fmt: skip
        self._stats.rest_requests += 1
        who = self.authorize(headers, refuse)
        if not isinstance(who, str):
            return who
        decision = self._limiter.check(who)
        limits = decision.headers(time.time())
        if not decision.allowed:
            self._stats.rest_rate_limited += 1
            return 429, {"message": "too many requests."}, limits
        parsed: Any = None
        if body:
            try:
                parsed = msgspec.json.decode(body)
            except msgspec.DecodeError:
                return 400, {"code": 40010000, "message": "request body format is invalid"}, limits
        status, out, extra = self._route(method, path, query, who, parsed)
        return status, out, [*limits, *extra]

    def _route(self, method: str, path: str, query: str, key: str, body: Any) -> Reply:
        eng = self.engine
        now = eng.now_ns()
        acct = eng.account(key)
        params = {k: v[-1] for k, v in parse_qs(query).items()}
        if path.startswith("/v2/watchlists"):
            return eng.watchlists[key].handle(method, path[len("/v2/watchlists") :], query,
                                              body, now)  # fmt: skip
        if method == "GET" and path == "/v2/clock":
            return 200, clockcal.clock_json(now), []
        if method == "GET" and path == "/v2/calendar":
            return clockcal.calendar_reply(query, now)
        if method == "GET" and (path == "/v2/assets" or path.startswith("/v2/assets/")):
            return eng.assets.handle(path[len("/v2/assets/") :], query)
        if method == "GET" and path == "/v2/account":
            return 200, acct.account_json(eng.prices), []
        if path == "/v2/positions" and method == "GET":
            return 200, [acct.position_json(p, eng.prices) for p in
                         sorted(acct.positions.values(), key=lambda p: p.symbol)], []  # fmt: skip
        if path.startswith("/v2/positions/") and method == "GET":
            pos = acct.positions.get(unquote(path[len("/v2/positions/") :]).upper())
            if pos is None:
                return 404, {"code": 40410000, "message": "position does not exist"}, []
            return 200, acct.position_json(pos, eng.prices), []
        if path.startswith("/v2/account/activities"):
            return self._activities(acct, path, params)
        if path == "/v2/orders":
            if method == "POST":
                return eng.place(key, body)
            if method == "DELETE":
                return eng.cancel_all(key)
            if method == "GET":
                return self._orders(acct, params)
        if path == "/v2/orders:by_client_order_id" and method == "GET":
            cid = params.get("client_order_id", "")
            found = next((o for o in acct.all_orders() if o.client_order_id == cid), None)
            return (200, order_json(found), []) if found else _order_not_found()
        if path.startswith("/v2/orders/"):
            order_id = unquote(path[len("/v2/orders/") :])
            if method == "DELETE":
                return eng.cancel(key, order_id)
            if method == "GET":
                found = acct.find(order_id)
                if found is None:
                    return _order_not_found()
                return 200, order_json(found, nested=_flag(params.get("nested"))), []
            if method == "PATCH":
                return error(422, "replacing orders is not supported by the simulator", 40010001)
        return NOT_FOUND

    def _orders(self, acct: SimAccount, params: dict[str, str]) -> Reply:
        status = params.get("status", "open")
        if status not in ("open", "closed", "all"):
            return error(422, f"invalid status: {status}", 40010001)
        try:
            limit = int(params.get("limit", "50"))
            after, until = _time(params.get("after")), _time(params.get("until"))
        except ValueError as exc:
            return error(422, f"invalid query: {exc}", 40010001)
        limit = max(1, min(limit, 500))
        nested = _flag(params.get("nested"))
        symbols = {s for s in params.get("symbols", "").split(",") if s}
        side = params.get("side")
        tops = acct.all_orders()
        orders: list[SimOrder] = tops if nested else [x for o in tops for x in (o, *o.legs)]
        picked = [
            o for o in orders
            if (status == "all" or (status == "open") == o.is_open)
            and (not symbols or o.symbol in symbols) and (side is None or o.side == side)
            and (after is None or o.created_ns > after) and (until is None or o.created_ns < until)
        ]  # fmt: skip
        picked.sort(key=lambda o: o.created_ns, reverse=params.get("direction", "desc") == "desc")
        return 200, [order_json(o, nested=nested) for o in picked[:limit]], []

    def _activities(self, acct: SimAccount, path: str, params: dict[str, str]) -> Reply:
        kinds = path[len("/v2/account/activities") :].strip("/") or params.get(
            "activity_types", "FILL"
        )
        if "FILL" not in kinds.split(","):
            return 200, [], []  # no other activity happens in the simulator
        try:
            after, until = _time(params.get("after")), _time(params.get("until"))
            size = max(1, min(int(params.get("page_size", "100")), 100))
        except ValueError as exc:
            return error(422, f"invalid query: {exc}", 40010001)
        desc = params.get("direction", "desc") == "desc"
        fills = [f for f in acct.fills if (after is None or f.time_ns > after)
                 and (until is None or f.time_ns < until)]  # fmt: skip
        fills.sort(key=lambda f: (f.time_ns, f.execution_id), reverse=desc)
        token = params.get("page_token")
        if token:
            ids = [f.activity_id for f in fills]
            fills = fills[ids.index(token) + 1 :] if token in ids else []
        return 200, [acct.activity_json(f) for f in fills[:size]], []


def _flag(value: str | None) -> bool:
    """`true` (alpaca-py sends Python's `True`)."""
    return value is not None and value.lower() in ("true", "1")


def _order_not_found() -> Reply:
    return 404, {"code": 40410000, "message": "order not found"}, []


def _time(text: str | None) -> int | None:
    """RFC 3339 (or a date) to Unix ns."""
    if not text:
        return None
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # a time without offset: UTC
    return int(parsed.timestamp() * 1_000_000) * 1_000
