"""Alpaca's historical bars, `GET /v2/stocks/bars` (docs/account-and-history.md,
"Historical bars"): batched symbols, every page, one shared request budget.

`limit` counts bars across all symbols of a request; a page ends with
`next_page_token`, followed until it is null. Symbols go out 100 a request (URLs have
limits). Every page spends one call of the key's `RequestBudget` (shared with the
snapshots); a 429 pauses the budget for its `Retry-After` and the same page is asked
again. Decoding is typed (msgspec) and per bar: a bad bar is skipped and counted with a
problem in words, never raised.

`fetch_intraday` is the Basic-plan recipe: SIP minute bars up to now - 15 min (Alpaca
refuses more recent SIP with 403 on Basic), then IEX for the last 15 minutes, marked as
IEX (docs/design.md, invariant 9: every figure knows its source).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import msgspec

from engine.core.logthrottle import LogThrottle
from engine.events import Bar, BarKind
from engine.net.rest import RestClient, RestError
from engine.protocol.timestamps import format_rfc3339_ns, parse_rfc3339_ns

if TYPE_CHECKING:
    import httpx  # annotations only: RestClient imports it at the first request

__all__ = [
    "BATCH",
    "RECENT_SIP_NS",
    "BarsClient",
    "IntradayBars",
    "decode_bars_page",
    "decode_bars_page_async",
]

log = logging.getLogger(__name__)

BATCH = 100  # symbols per request
MAX_LIMIT = 10_000  # bars a page at most (Alpaca's `limit`)
MAX_429_RETRIES = 5  # the same page after this many 429s in a row: give up in words
NS_PER_S = 1_000_000_000
NS_PER_MIN = 60 * NS_PER_S
RECENT_SIP_NS = 15 * NS_PER_MIN  # Basic: no SIP bars from the last 15 minutes
_INF = math.inf
YIELD_EVERY = 500  # bars decoded between turns given to the event loop (~0.5 ms)


class _WireBar(msgspec.Struct):
    t: str
    o: float
    h: float
    low: float = msgspec.field(name="l")
    c: float = 0.0
    v: int = 0
    n: int = 0
    vw: float | None = None


class _WirePage(msgspec.Struct):
    bars: dict[str, list[msgspec.Raw]] | None = None
    next_page_token: str | None = None


class _WireMessage(msgspec.Struct):
    message: str = ""


_page_decoder = msgspec.json.Decoder(_WirePage)
_bar_decoder = msgspec.json.Decoder(_WireBar)
_message_decoder = msgspec.json.Decoder(_WireMessage)


def _bar(symbol: str, kind: BarKind, raw: msgspec.Raw) -> Bar:
    """One bar; ValueError (or msgspec's errors) in words when it is unusable."""
    wire = _bar_decoder.decode(raw)
    # Chained comparisons: False for NaN and infinity too, and ~3x cheaper than
    # all(isfinite(...)) over a tuple (a 10,000-bar page is decoded per bar).
    if not (0.0 < wire.o < _INF and 0.0 < wire.h < _INF and 0.0 < wire.low < _INF
            and 0.0 < wire.c < _INF):  # fmt: skip
        raise ValueError("non-finite, zero or negative price")
    if wire.vw is not None and not 0.0 <= wire.vw < _INF:
        raise ValueError("bad vwap")
    if wire.low > wire.h or wire.v < 0 or wire.n < 0:
        raise ValueError("low above high, or negative volume or trade count")
    ns = parse_rfc3339_ns(wire.t)
    if ns <= 0:
        raise ValueError(f"no valid time ({wire.t[:40]})")
    return Bar(kind, symbol, wire.o, wire.h, wire.low, wire.c, wire.v, ns, wire.n, wire.vw)


def _parse_page(body: bytes) -> tuple[_WirePage | None, list[str]]:
    try:
        return _page_decoder.decode(body), []
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeError) as exc:
        return None, [f"bars reply is not the expected JSON object: {exc}"]


def _decode_rows(
    page: _WirePage, kind: BarKind, out: dict[str, list[Bar]], problems: list[str]
) -> Iterator[None]:
    """Decode every bar into `out`; yields (a point to give the loop a turn) between
    symbols and inside a long one, every YIELD_EVERY bars."""
    since = 0
    for symbol, rows in (page.bars or {}).items():
        kept = out.setdefault(symbol, [])
        for index, raw in enumerate(rows):
            try:
                kept.append(_bar(symbol, kind, raw))
            except (msgspec.DecodeError, msgspec.ValidationError, ValueError, OverflowError) as exc:
                problems.append(f"{symbol} bar {index}: {exc}")
            since += 1
            if since >= YIELD_EVERY:
                since = 0
                yield
        if since >= YIELD_EVERY // 2:  # between symbols, once a slice's worth is done
            since = 0
            yield


def decode_bars_page(
    body: bytes, kind: BarKind
) -> tuple[dict[str, list[Bar]], str | None, list[str]]:
    """(bars by symbol, next page token, problems in words). Never raises."""
    page, problems = _parse_page(body)
    if page is None:
        return {}, None, problems
    out: dict[str, list[Bar]] = {}
    for _ in _decode_rows(page, kind, out, problems):
        pass
    return out, page.next_page_token, problems


async def decode_bars_page_async(
    body: bytes, kind: BarKind
) -> tuple[dict[str, list[Bar]], str | None, list[str]]:
    """`decode_bars_page`, giving the event loop a turn every YIELD_EVERY bars: a full
    10,000-bar page takes ~11 ms to decode on the 2-core test machine (measured, see
    tests/benchmarks/bench_backfill.py), too long for one slice (docs/design.md: nothing
    blocks the event loop)."""
    page, problems = _parse_page(body)
    if page is None:
        return {}, None, problems
    out: dict[str, list[Bar]] = {}
    for _ in _decode_rows(page, kind, out, problems):
        await asyncio.sleep(0)
    return out, page.next_page_token, problems


def bar_kind(timeframe: str) -> BarKind:
    """DAILY for `1Day`/`1D`, MINUTE for minute and hour bars (N-minute included)."""
    return BarKind.DAILY if timeframe.endswith(("Day", "D")) else BarKind.MINUTE


@dataclass(slots=True)
class IntradayBars:
    """One symbol's minute bars, oldest first; those at or after `iex_from_ns` are IEX
    (None: all from the feed asked for, SIP)."""

    bars: list[Bar] = field(default_factory=list)
    iex_from_ns: int | None = None

    def feed_of(self, bar: Bar) -> str:
        if self.iex_from_ns is not None and bar.timestamp_ns >= self.iex_from_ns:
            return "iex"
        return "sip"

    @property
    def iex_count(self) -> int:
        return sum(1 for b in self.bars if self.feed_of(b) == "iex")


class BarsClient:
    """Historical bars over a RestClient's connection, credentials and budget."""

    def __init__(self, rest: RestClient, page_limit: int = MAX_LIMIT) -> None:
        if not 1 <= page_limit <= MAX_LIMIT:
            raise ValueError(f"page_limit must be 1 to {MAX_LIMIT}")
        self._rest = rest
        self.page_limit = page_limit  # bars a page, across its symbols (Alpaca's `limit`)
        self.problems = 0  # bars (or pages) skipped as unusable, every one
        self.requests = 0  # pages asked for, retries included
        self._problem_log = LogThrottle(log, topic="skipped bad bar data")

    async def fetch_bars(
        self,
        symbols: Iterable[str],
        timeframe: str,
        start_ns: int,
        end_ns: int,
        feed: str,
        limit: int | None = None,
    ) -> dict[str, list[Bar]]:
        """Every bar of the window per symbol, oldest first (symbols without bars absent).

        Raises RestError (in words) on a failure other than a 429."""
        wanted = sorted(set(symbols))
        kind = bar_kind(timeframe)
        out: dict[str, list[Bar]] = {}
        for first in range(0, len(wanted), BATCH):
            params = {
                "symbols": ",".join(wanted[first : first + BATCH]),
                "timeframe": timeframe,
                "start": format_rfc3339_ns(start_ns),
                "end": format_rfc3339_ns(end_ns),
                "limit": str(self.page_limit if limit is None else limit),
                "feed": feed,
                "adjustment": "raw",
            }
            token: str | None = None
            while True:
                page = dict(params, page_token=token) if token else params
                bars, token = await self._page(page, kind)
                for symbol, rows in bars.items():
                    out.setdefault(symbol, []).extend(rows)
                if token is None:
                    break
        return {s: rows for s, rows in out.items() if rows}

    async def _page(
        self, params: dict[str, str], kind: BarKind
    ) -> tuple[dict[str, list[Bar]], str | None]:
        for _ in range(MAX_429_RETRIES + 1):
            self.requests += 1
            try:
                response = await self._rest.get("/v2/stocks/bars", params, "bars")
            except RestError as exc:
                if exc.status == 429:
                    # The budget already pauses every caller for the Retry-After
                    # (RestClient.get); this page is asked again after it.
                    continue
                raise
            status = response.status_code
            if status in (401, 403):
                raise RestError(
                    f"bars request refused (HTTP {status}): {_message(response)}", status
                )
            if status >= 400:
                raise RestError(
                    f"bars request failed (HTTP {status}): {_message(response)}", status
                )
            bars, token, problems = await decode_bars_page_async(response.content, kind)
            for problem in problems:
                self.problems += 1
                self._problem_log.log("skipped bad bar data: %s", problem)
            return bars, token
        raise RestError(
            f"bars request rate-limited (HTTP 429) {MAX_429_RETRIES + 1} times in a row", 429
        )

    async def fetch_intraday(
        self,
        symbols: Iterable[str],
        start_ns: int,
        now_ns: int,
        sip_allowed_recent: bool,
        *,
        end_ns: int | None = None,
    ) -> dict[str, IntradayBars]:
        """1-minute bars from `start_ns` to `end_ns` (default: now): SIP throughout when
        the plan allows recent SIP or the window ends 15 minutes or more before now, else
        SIP up to the minute at or before now - 15 min and IEX after it, marked."""
        wanted = sorted(set(symbols))
        end = now_ns if end_ns is None else min(end_ns, now_ns)
        if sip_allowed_recent or end <= now_ns - RECENT_SIP_NS:
            sip = await self.fetch_bars(wanted, "1Min", start_ns, end, "sip")
            return {s: IntradayBars(rows) for s, rows in sip.items()}
        split = now_ns - RECENT_SIP_NS
        split -= split % NS_PER_MIN  # a whole minute: no bar half from each feed
        split = max(split, start_ns)
        sip = (
            await self.fetch_bars(wanted, "1Min", start_ns, split, "sip")
            if split > start_ns
            else {}
        )
        iex = await self.fetch_bars(wanted, "1Min", split, end, "iex")
        out: dict[str, IntradayBars] = {}
        for symbol in wanted:
            # Alpaca's `end` may include a bar at `split`: each feed keeps its side only.
            older = [b for b in sip.get(symbol, ()) if b.timestamp_ns < split]
            recent = [b for b in iex.get(symbol, ()) if b.timestamp_ns >= split]
            if older or recent:
                out[symbol] = IntradayBars(older + recent, split)
        return out

    def flush(self) -> None:
        self._problem_log.flush(force=True)


def _message(response: httpx.Response) -> str:
    """The server's `message`, shortened (it never holds the secret), or the reason."""
    try:
        text = _message_decoder.decode(response.content).message
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeError):
        text = ""
    return (text or response.reason_phrase or "no reason given")[:200]
