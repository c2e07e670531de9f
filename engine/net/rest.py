"""Alpaca's REST snapshot endpoint: previous close, day stats, and a stale-data fallback.

`GET {base}/v2/stocks/snapshots?symbols=A,B&feed=iex` answers a JSON object keyed by
symbol; symbols Alpaca does not know are simply absent. Decoding is typed (msgspec)
and per symbol: one bad entry is reported and skipped, the rest still apply.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import httpx
import msgspec

from engine.config import DEFAULT_FEED, LIVE_REST_URL, Credentials, Feed, check_url_security
from engine.events import Bar, BarKind, Quote, Snapshot, Trade
from engine.market.store import Freshness, MarketDataStore, Source
from engine.protocol.timestamps import parse_rfc3339_ns

log = logging.getLogger(__name__)

# Alpaca accepts long symbol lists, but URLs have limits: ask in chunks.
_CHUNK = 100


class RestError(Exception):
    """The snapshot request failed; `message` is for the user (never holds the secret)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class _WireTrade(msgspec.Struct):
    t: str
    p: float
    s: int
    x: str = ""
    i: int = 0
    c: list[str] | None = None
    z: str = ""


class _WireQuote(msgspec.Struct):
    t: str
    bp: float
    bs: int
    ap: float
    as_: int = msgspec.field(name="as")
    bx: str = ""
    ax: str = ""
    c: list[str] | None = None
    z: str = ""


class _WireBar(msgspec.Struct):
    t: str
    o: float
    h: float
    low: float = msgspec.field(name="l")
    c: float
    v: int = 0
    n: int = 0
    vw: float | None = None


class _WireSnapshot(msgspec.Struct):
    latestTrade: _WireTrade | None = None
    latestQuote: _WireQuote | None = None
    minuteBar: _WireBar | None = None
    dailyBar: _WireBar | None = None
    prevDailyBar: _WireBar | None = None


_decoder = msgspec.json.Decoder(dict[str, msgspec.Raw])
_snapshot_decoder = msgspec.json.Decoder(_WireSnapshot)


def _finite(*values: float | None) -> bool:
    return all(v is None or (math.isfinite(v) and v >= 0) for v in values)


def _bar(symbol: str, kind: BarKind, wire: _WireBar | None) -> Bar | None:
    if wire is None:
        return None
    if not _finite(wire.o, wire.h, wire.low, wire.c, wire.vw):
        raise ValueError("non-finite or negative bar price")
    return Bar(
        kind=kind,
        symbol=symbol,
        open=wire.o,
        high=wire.h,
        low=wire.low,
        close=wire.c,
        volume=wire.v,
        timestamp_ns=parse_rfc3339_ns(wire.t),
        trade_count=wire.n,
        vwap=wire.vw,
    )


def _to_snapshot(symbol: str, wire: _WireSnapshot) -> Snapshot:
    trade = quote = None
    if wire.latestTrade is not None:
        wt = wire.latestTrade
        if not _finite(wt.p) or wt.s < 0:
            raise ValueError("bad latest trade price or size")
        trade = Trade(
            symbol=symbol,
            price=wt.p,
            size=wt.s,
            timestamp_ns=parse_rfc3339_ns(wt.t),
            trade_id=wt.i,
            exchange=wt.x,
            conditions=tuple(wt.c or ()),
            tape=wt.z,
        )
    if wire.latestQuote is not None:
        wq = wire.latestQuote
        if not _finite(wq.bp, wq.ap) or wq.bs < 0 or wq.as_ < 0:
            raise ValueError("bad latest quote price or size")
        quote = Quote(
            symbol=symbol,
            bid_price=wq.bp,
            bid_size=wq.bs,
            ask_price=wq.ap,
            ask_size=wq.as_,
            timestamp_ns=parse_rfc3339_ns(wq.t),
            bid_exchange=wq.bx,
            ask_exchange=wq.ax,
            conditions=tuple(wq.c or ()),
            tape=wq.z,
        )
    return Snapshot(
        symbol=symbol,
        latest_trade=trade,
        latest_quote=quote,
        minute_bar=_bar(symbol, BarKind.MINUTE, wire.minuteBar),
        daily_bar=_bar(symbol, BarKind.DAILY, wire.dailyBar),
        prev_daily_bar=_bar(symbol, BarKind.DAILY, wire.prevDailyBar),
    )


def decode_snapshots(body: bytes) -> tuple[dict[str, Snapshot], list[str]]:
    """(snapshots by symbol, reasons for entries that were skipped). Never raises."""
    try:
        raw = _decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeError) as exc:
        # UnicodeError: msgspec raises it (not DecodeError) for bad UTF-8 in an object key.
        return {}, [f"snapshot reply is not a JSON object: {exc}"]
    # Some Alpaca versions wrap the mapping as {"snapshots": {...}}.
    if set(raw) == {"snapshots"}:
        return decode_snapshots(bytes(raw["snapshots"]))
    result: dict[str, Snapshot] = {}
    problems: list[str] = []
    for symbol, entry in raw.items():
        if bytes(entry) == b"null":
            continue
        try:
            result[symbol] = _to_snapshot(symbol, _snapshot_decoder.decode(entry))
        except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
            problems.append(f"{symbol}: {exc}")
    return result, problems


@dataclass(frozen=True, slots=True)
class RestConfig:
    """Where to ask for snapshots."""

    base_url: str = LIVE_REST_URL
    feed: str = DEFAULT_FEED.value
    credentials: Credentials | None = None
    insecure: bool = False
    timeout: float = 10.0


class RestClient:
    """Async snapshot client (httpx); no blocking calls, one pooled connection."""

    def __init__(self, config: RestConfig, transport: httpx.AsyncBaseTransport | None = None):
        problem = check_url_security(config.base_url, config.insecure)
        if problem:
            raise RestError(problem)
        self._config = config
        headers = {"Accept": "application/json", "User-Agent": "Tickerdesk/0.1"}
        if config.credentials is not None:
            headers["APCA-API-KEY-ID"] = config.credentials.key_id
            headers["APCA-API-SECRET-KEY"] = config.credentials.secret
        self._client = httpx.AsyncClient(
            base_url=config.base_url.rstrip("/"),
            headers=headers,
            timeout=config.timeout,
            transport=transport,
        )
        self.problems = 0

    @property
    def config(self) -> RestConfig:
        return self._config

    async def aclose(self) -> None:
        await self._client.aclose()

    async def snapshots(self, symbols: Iterable[str]) -> dict[str, Snapshot]:
        """Snapshots of the symbols Alpaca knows; unknown symbols are absent."""
        wanted = sorted(set(symbols))
        result: dict[str, Snapshot] = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            result.update(await self._fetch(chunk))
        return result

    async def _fetch(self, symbols: Sequence[str]) -> dict[str, Snapshot]:
        params = {"symbols": ",".join(symbols)}
        if self._config.feed in (Feed.IEX, Feed.SIP, Feed.DELAYED_SIP):
            params["feed"] = self._config.feed
        try:
            response = await self._client.get("/v2/stocks/snapshots", params=params)
        except httpx.TimeoutException as exc:
            raise RestError("snapshot request timed out") from exc
        except httpx.HTTPError as exc:
            raise RestError(f"snapshot request failed: {type(exc).__name__}") from exc
        if response.status_code in (401, 403):
            raise RestError(
                f"snapshot request refused (HTTP {response.status_code}): check key and secret",
                response.status_code,
            )
        if response.status_code == 429:
            raise RestError("snapshot request rate-limited (HTTP 429)", 429)
        if response.status_code >= 400:
            raise RestError(
                f"snapshot request failed (HTTP {response.status_code})", response.status_code
            )
        snapshots, problems = decode_snapshots(response.content)
        for problem in problems:
            self.problems += 1
            log.warning("skipped bad snapshot entry: %s", problem)
        return snapshots


class SnapshotPoller:
    """Fills day stats at start/add, and polls slowly for symbols whose stream data is stale.

    The seed's rule: prefer fresh websocket data, fall back to REST. The store's
    older-never-overwrites-newer rule means a poll can only ever add newer data.
    """

    def __init__(
        self,
        client: RestClient,
        store: MarketDataStore,
        *,
        interval: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._store = store
        self._interval = interval
        self._clock = clock
        self._pending: set[str] = set()
        self._wake = asyncio.Event()
        self.last_error: str | None = None
        self.polls = 0

    def request(self, symbols: Iterable[str]) -> None:
        """Ask for snapshots of `symbols` soon (new watchlist entries)."""
        self._pending.update(symbols)
        self._wake.set()

    async def fetch_now(self, symbols: Iterable[str]) -> dict[str, Snapshot]:
        """Fetch and apply snapshots now; returns what Alpaca answered."""
        snapshots = await self._client.snapshots(symbols)
        received_at = self._clock()
        for snapshot in snapshots.values():
            self._store.apply(snapshot, received_at, Source.REST)
        self.polls += 1
        return snapshots

    async def run(self) -> None:
        """Loop until cancelled: pending symbols at once, stale ones every `interval`."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._interval)
            self._wake.clear()
            wanted = set(self._pending)
            self._pending.clear()
            now = self._clock()
            for symbol in self._store.symbols():
                if self._store.freshness(symbol, now) in (Freshness.STALE, Freshness.EXPIRED):
                    wanted.add(symbol)
            if not wanted:
                continue
            try:
                await self.fetch_now(wanted)
                self.last_error = None
            except RestError as exc:
                self.last_error = exc.message
                log.warning("%s", exc.message)
