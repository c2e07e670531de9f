"""TradingRest: the read-only Trading API over the key's one REST budget.

Every call goes through a `RestClient` (engine.net.rest) built for the Trading API's
base URL but holding the same `RequestBudget` as the market-data REST client: Alpaca
counts one limit per key (docs/account-and-history.md, "Plans and limits"), and a 429
(with its Retry-After) pauses every caller. Tickerdesk never places, changes or cancels
orders; the only writes are the user's own server-side watchlists.

Failures are `RestError`s in words; a 403 says the key pair has no Trading API access.
Answers are decoded by `engine.account.decode`: a bad item is skipped, counted here
(`problems`, `last_problem`) and logged throttled.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import msgspec

from engine.account import decode
from engine.account.models import (
    Account,
    Asset,
    CalendarDay,
    Fill,
    MarketClock,
    Order,
    Position,
    ServerWatchlist,
)
from engine.core.logthrottle import LogThrottle
from engine.net.rest import RestClient, RestError
from engine.protocol.timestamps import format_rfc3339_ns

if TYPE_CHECKING:
    import httpx  # annotations only: RestClient imports it at the first request

__all__ = [
    "LIVE_TRADING_URL",
    "PAPER_TRADING_URL",
    "TradingRest",
    "is_paper_url",
    "key_opens_live",
    "trading_url_for",
]

log = logging.getLogger(__name__)

PAPER_TRADING_URL = "https://paper-api.alpaca.markets"
LIVE_TRADING_URL = "https://api.alpaca.markets"
ACTIVITY_PAGE = 100  # Alpaca's page_size maximum for activities
MAX_ACTIVITY_PAGES = 10  # a reconcile never spends more than this on fills
MAX_ORDERS = 500  # Alpaca's limit maximum for /v2/orders
_MESSAGE_SHOWN = 200  # characters of a server's error message quoted


def is_paper_url(base_url: str, default: bool = True) -> bool:
    """Paper or live from the Trading API base URL; `default` for any other server
    (the simulator is paper unless configured otherwise)."""
    host = (urlsplit(base_url).hostname or "").lower()
    if host == "paper-api.alpaca.markets":
        return True
    if host == "api.alpaca.markets":
        return False
    return default


def key_opens_live(key_id: str | None) -> bool:
    """A key pair works on one endpoint only: live key ids start with "AK", paper ones
    with "PK" (docs/account-and-history.md, "Paper or live (how the app shows the
    account)"). Anything else, and no key (a demo account), reads as paper: the safe
    side, never real money."""
    return bool(key_id) and str(key_id).strip().upper().startswith("AK")


def trading_url_for(key_id: str | None) -> str:
    """The Trading API base URL the key opens."""
    return LIVE_TRADING_URL if key_opens_live(key_id) else PAPER_TRADING_URL


def _server_message(response: httpx.Response) -> str:
    """The `message` of an Alpaca error body ({"code": ..., "message": ...}), shortened."""
    try:
        body = msgspec.json.decode(response.content)
    except msgspec.DecodeError:
        return ""
    text = body.get("message") if isinstance(body, dict) else None
    return text[:_MESSAGE_SHOWN] if isinstance(text, str) else ""


def refusal(what: str, response: httpx.Response) -> RestError:
    """A failed answer in words (never holding a header, so never the secret)."""
    status = response.status_code
    message = _server_message(response)
    detail = f": {message}" if message else ""
    if status == 403:
        return RestError(
            f"this key pair has no access to the Trading API (HTTP 403): "
            f"{message or 'forbidden'} ({what})",
            status,
        )
    if status == 401:
        return RestError(
            f"the Trading API refused the key pair (HTTP 401){detail}: check key and secret",
            status,
        )
    return RestError(f"{what} request failed (HTTP {status}){detail}", status)


class TradingRest:
    """The Trading API calls Tickerdesk makes, decoded to `engine.account.models`."""

    def __init__(self, rest: RestClient) -> None:
        self._rest = rest
        self.problems = 0  # items skipped or fields unreadable, every one
        self.last_problem: str | None = None
        self._problem_log = LogThrottle(log, topic="skipped bad Trading API data")

    @property
    def base_url(self) -> str:
        return self._rest.config.base_url

    @property
    def paper(self) -> bool:
        return is_paper_url(self.base_url)

    async def aclose(self) -> None:
        self._problem_log.flush(force=True)
        await self._rest.aclose()

    # --- reading ------------------------------------------------------------------------

    async def account(self) -> Account:
        data = await self._call("GET", "/v2/account", "account")
        account, problems = decode.decode_account(data)
        self._note(problems)
        if account is None:
            raise RestError(f"account answer unusable: {'; '.join(problems)}", 200)
        return account

    async def positions(self) -> list[Position]:
        data = await self._call("GET", "/v2/positions", "positions")
        return self._decoded(decode.decode_positions(data))

    async def orders(
        self, status: str = "open", limit: int = MAX_ORDERS, *, nested: bool = True
    ) -> list[Order]:
        """Orders by `status` (open, closed, all), newest first, legs nested in their parent."""
        params = {
            "status": status,
            "limit": str(max(1, min(limit, MAX_ORDERS))),
            "nested": "true" if nested else "false",
            "direction": "desc",
        }
        data = await self._call("GET", "/v2/orders", f"{status} orders", params=params)
        return self._decoded(decode.decode_orders(data))

    async def activities_fills(
        self, after_ns: int | None, *, max_pages: int = MAX_ACTIVITY_PAGES
    ) -> list[Fill]:
        """FILL activities after `after_ns` (all recent ones if None), oldest first; pages
        of 100 followed up to `max_pages` (docs/account-and-history.md)."""
        params = {"activity_types": "FILL", "direction": "asc", "page_size": str(ACTIVITY_PAGE)}
        if after_ns is not None:
            params["after"] = format_rfc3339_ns(after_ns)
        out: list[Fill] = []
        for _ in range(max_pages):
            data = await self._call(
                "GET", "/v2/account/activities", "fill activities", params=params
            )
            page, raw_count, last_id = self._activity_page(data)
            out.extend(page)
            if raw_count < ACTIVITY_PAGE or not last_id:
                break
            params = {**params, "page_token": last_id}
        return out

    def _activity_page(self, data: bytes) -> tuple[list[Fill], int, str]:
        fills = self._decoded(decode.decode_activities(data))
        try:
            raw = msgspec.json.decode(data)
        except msgspec.DecodeError:
            return fills, 0, ""
        if not isinstance(raw, list) or not raw:
            return fills, 0, ""
        last = raw[-1]
        last_id = last.get("id") if isinstance(last, dict) else None
        return fills, len(raw), last_id if isinstance(last_id, str) else ""

    async def clock(self) -> MarketClock:
        data = await self._call("GET", "/v2/clock", "clock")
        clock, problems = decode.decode_clock(data)
        self._note(problems)
        if clock is None:
            raise RestError(f"clock answer unusable: {'; '.join(problems)}", 200)
        return clock

    async def calendar(self, start: date, end: date) -> list[CalendarDay]:
        params = {"start": start.isoformat(), "end": end.isoformat()}
        data = await self._call("GET", "/v2/calendar", "calendar", params=params)
        return self._decoded(decode.decode_calendar(data))

    async def assets(self) -> list[Asset]:
        """Active US equities (about 10,000-12,000: fetch rarely and cache)."""
        params = {"status": "active", "asset_class": "us_equity"}
        data = await self._call("GET", "/v2/assets", "assets", params=params)
        return self._decoded(decode.decode_assets(data))

    # --- server-side watchlists (the only writes) -----------------------------------------

    async def watchlists(self) -> list[ServerWatchlist]:
        data = await self._call("GET", "/v2/watchlists", "watchlists")
        return self._decoded(decode.decode_watchlists(data))

    async def watchlist(self, watchlist_id: str) -> ServerWatchlist:
        data = await self._call("GET", _wl_path(watchlist_id), "watchlist")
        return self._one_watchlist(data)

    async def put_watchlist(
        self, watchlist_id: str, name: str, symbols: Iterable[str]
    ) -> ServerWatchlist:
        """Replace the whole list (PUT): no edit is lost to a stale copy."""
        body = {"name": name, "symbols": list(symbols)}
        data = await self._call("PUT", _wl_path(watchlist_id), "watchlist update", json=body)
        return self._one_watchlist(data)

    async def create_watchlist(self, name: str, symbols: Iterable[str]) -> ServerWatchlist:
        body = {"name": name, "symbols": list(symbols)}
        data = await self._call("POST", "/v2/watchlists", "watchlist creation", json=body)
        return self._one_watchlist(data)

    async def add_to_watchlist(self, watchlist_id: str, symbol: str) -> ServerWatchlist:
        """Add one symbol; a 422 "asset not found" (reported for valid symbols too:
        docs/account-and-history.md) is the caller's cue to PUT the whole list."""
        body = {"symbol": symbol}
        data = await self._call("POST", _wl_path(watchlist_id), "watchlist add", json=body)
        return self._one_watchlist(data)

    async def remove_from_watchlist(self, watchlist_id: str, symbol: str) -> ServerWatchlist:
        path = f"{_wl_path(watchlist_id)}/{quote(symbol, safe='')}"
        data = await self._call("DELETE", path, "watchlist removal")
        return self._one_watchlist(data)

    async def delete_watchlist(self, watchlist_id: str) -> None:
        await self._call("DELETE", _wl_path(watchlist_id), "watchlist deletion")

    # --- plumbing -----------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        what: str,
        *,
        params: dict[str, str] | None = None,
        json: Any = None,
    ) -> bytes:
        response = await self._rest.send(method, path, json, what=what, params=params)
        if response.status_code >= 400:
            raise refusal(what, response)
        return response.content

    def _one_watchlist(self, data: bytes) -> ServerWatchlist:
        watchlist, problems = decode.decode_watchlist(data)
        self._note(problems)
        if watchlist is None:
            raise RestError(f"watchlist answer unusable: {'; '.join(problems)}", 200)
        return watchlist

    def _decoded[T](self, result: tuple[list[T], list[str]]) -> list[T]:
        items, problems = result
        self._note(problems)
        return items

    def _note(self, problems: list[str]) -> None:
        for problem in problems:
            self.problems += 1
            self.last_problem = problem
            self._problem_log.log("skipped bad Trading API data: %s", problem)


def _wl_path(watchlist_id: str) -> str:
    return f"/v2/watchlists/{quote(watchlist_id, safe='')}"
