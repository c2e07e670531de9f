"""`/v2/watchlists`: server-side watchlists of a simulated account
(docs/account-and-history.md, "Watchlists (server side)").

GET/POST `/v2/watchlists`; GET/PUT/POST/DELETE `/v2/watchlists/{id}`; DELETE
`/v2/watchlists/{id}/{symbol}`; the same on `/v2/watchlists:by_name?name=...` (and
`/v2/watchlists:by_name/{symbol}?name=...`). PUT replaces the whole list (name and
symbols); a symbol outside the universe is refused with 422 "asset not found". Bounded:
`MAX_LISTS` lists of at most `MAX_SYMBOLS` symbols per account.
"""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import parse_qs, unquote

from engine.simulator.trading.assets import AssetBook
from engine.simulator.trading.fmt import Reply, error, new_id, ts, unprocessable

MAX_LISTS = 200
MAX_SYMBOLS = 1_000
MAX_NAME = 64
BY_NAME = ":by_name"


@dataclasses.dataclass(slots=True)
class SimWatchlist:
    id: str
    name: str
    symbols: list[str]
    created_ns: int
    updated_ns: int


class WatchlistBook:
    def __init__(self, account_id: str, assets: AssetBook) -> None:
        self._account_id = account_id
        self._assets = assets
        self.lists: dict[str, SimWatchlist] = {}

    def create(self, name: str, symbols: list[str], now: int) -> SimWatchlist:
        wl = SimWatchlist(new_id(), name, list(dict.fromkeys(symbols)), now, now)
        self.lists[wl.id] = wl
        return wl

    def to_json(self, wl: SimWatchlist, *, assets: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": wl.id, "account_id": self._account_id, "name": wl.name,
            "created_at": ts(wl.created_ns), "updated_at": ts(wl.updated_ns),
        }  # fmt: skip
        if assets:
            out["assets"] = [a for s in wl.symbols if (a := self._assets.get(s)) is not None]
        return out

    def by_name(self, name: str) -> SimWatchlist | None:
        return next((w for w in self.lists.values() if w.name == name), None)

    # --- requests -------------------------------------------------------------------

    def handle(self, method: str, rest: str, query: str, body: Any, now: int) -> Reply:
        """`rest` is what follows `/v2/watchlists` (`""`, `/{id}`, `/{id}/{symbol}`,
        `:by_name`, `:by_name/{symbol}`)."""
        if rest in ("", "/"):
            if method == "GET":
                return 200, [self.to_json(w, assets=False) for w in self.lists.values()], []
            if method == "POST":
                return self._create(body, now)
            return error(405, "method not allowed")
        if rest.startswith(BY_NAME):
            name = parse_qs(query).get("name", [""])[-1]
            wl = self.by_name(name)
            symbol = unquote(rest[len(BY_NAME) :].strip("/"))
        else:
            wid, _, symbol = rest.strip("/").partition("/")
            wl = self.lists.get(unquote(wid))
            symbol = unquote(symbol)
        if wl is None:
            return 404, {"code": 40410000, "message": "watchlist not found"}, []
        return self._one(method, wl, symbol, body, now)

    def _one(self, method: str, wl: SimWatchlist, symbol: str, body: Any, now: int) -> Reply:
        if symbol:
            if method != "DELETE":
                return error(405, "method not allowed")
            if symbol not in wl.symbols:
                return 404, {"code": 40410000, "message": "symbol not found in watchlist"}, []
            wl.symbols.remove(symbol)
            wl.updated_ns = now
            return 200, self.to_json(wl), []
        if method == "GET":
            return 200, self.to_json(wl), []
        if method == "DELETE":
            del self.lists[wl.id]
            return 204, None, []
        if method == "PUT":
            return self._replace(wl, body, now)
        if method == "POST":
            return self._add(wl, body, now)
        return error(405, "method not allowed")

    def _create(self, body: Any, now: int) -> Reply:
        try:
            name, symbols = self._checked(body, need_name=True)
        except Refused as exc:
            return exc.reply
        if self.by_name(name) is not None:
            return unprocessable("watchlist name must be unique")
        if len(self.lists) >= MAX_LISTS:
            return unprocessable(f"at most {MAX_LISTS} watchlists")
        return 200, self.to_json(self.create(name, symbols, now)), []

    def _replace(self, wl: SimWatchlist, body: Any, now: int) -> Reply:
        try:
            name, symbols = self._checked(body, need_name=False)
        except Refused as exc:
            return exc.reply
        other = self.by_name(name) if name else None
        if other is not None and other is not wl:
            return unprocessable("watchlist name must be unique")
        wl.name = name or wl.name
        wl.symbols = list(dict.fromkeys(symbols))
        wl.updated_ns = now
        return 200, self.to_json(wl), []

    def _add(self, wl: SimWatchlist, body: Any, now: int) -> Reply:
        symbol = body.get("symbol") if isinstance(body, dict) else None
        if not isinstance(symbol, str) or not symbol:
            return unprocessable("symbol is required")
        if not self._assets.exists(symbol.upper()):
            return unprocessable("asset not found")
        if symbol.upper() not in wl.symbols:
            if len(wl.symbols) >= MAX_SYMBOLS:
                return unprocessable(f"at most {MAX_SYMBOLS} symbols in a watchlist")
            wl.symbols.append(symbol.upper())
        wl.updated_ns = now
        return 200, self.to_json(wl), []

    def _checked(self, body: Any, *, need_name: bool) -> tuple[str, list[str]]:
        """(name, symbols) of a create/replace body; Refused with the 4xx answer."""
        if not isinstance(body, dict):
            raise Refused(error(400, "request body format is invalid", 40010000))
        name = body.get("name") or ""
        if not isinstance(name, str) or len(name) > MAX_NAME or (need_name and not name):
            raise Refused(unprocessable(f"name is required (at most {MAX_NAME} characters)"))
        raw = body.get("symbols") or []
        if not isinstance(raw, list) or not all(isinstance(s, str) for s in raw):
            raise Refused(unprocessable("symbols must be a list of strings"))
        if len(raw) > MAX_SYMBOLS:
            raise Refused(unprocessable(f"at most {MAX_SYMBOLS} symbols in a watchlist"))
        symbols = [s.upper() for s in raw]
        if any(not self._assets.exists(s) for s in symbols):
            raise Refused(unprocessable("asset not found"))
        return name, symbols


class Refused(Exception):
    def __init__(self, reply: Reply) -> None:
        super().__init__(reply[1])
        self.reply = reply
