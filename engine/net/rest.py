"""Alpaca's REST snapshot endpoint: previous close, day stats, and a stale-data fallback.

`GET {base}/v2/stocks/snapshots?symbols=A,B&feed=iex` answers a JSON object keyed by
symbol; symbols Alpaca does not know are simply absent. Decoding is typed (msgspec)
and per symbol (`engine.net.snapshots`): one bad entry is reported and skipped, the
rest still apply. Long symbol lists go out in chunks of 100; each answered chunk counts
even when another fails (`SnapshotBatch`). The poller that keeps the store filled is
`engine.net.poller.SnapshotPoller`, re-exported here.

httpx is imported, and the client's connection pool and TLS context made, at the first
request, not when a `RestClient` is made: start-up shows the window and the first stream
data before any REST call goes out (docs/performance.md, "Start-up, second round").
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from engine.config import DEFAULT_FEED, LIVE_REST_URL, Credentials, Feed, check_url_security
from engine.core.logthrottle import LogThrottle
from engine.events import Snapshot
from engine.net.budget import RequestBudget
from engine.net.retry import tls_failure
from engine.net.snapshots import decode_snapshots
from engine.net.tls import TlsConfigError, client_context, shared_default_context

if TYPE_CHECKING:
    import ssl

    import httpx

__all__ = [
    "RestClient",
    "RestConfig",
    "RestError",
    "SnapshotBatch",
    "SnapshotPoller",
    "decode_snapshots",
    "parse_retry_after",
]

log = logging.getLogger(__name__)

# Alpaca accepts long symbol lists, but URLs have limits: ask in chunks.
CHUNK = 100
# Longest Retry-After honoured: a server asking for more is asked again after this.
_MAX_RETRY_AFTER_S = 300.0


class RestError(Exception):
    """The snapshot request failed; `message` is for the user (never holds the secret).

    `status` is the HTTP status (None: no answer at all); `retry_after` the seconds a
    429 asked us to wait (its `Retry-After` header), if it said.
    """

    def __init__(
        self, message: str, status: int | None = None, *, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after

    @property
    def ends_batch(self) -> bool:
        """Whether further chunks would fail the same way (no answer, refused, throttled)."""
        return self.status is None or self.status in (401, 403, 429)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` value (seconds or an HTTP date), or None.

    `now` is the wall-clock time in seconds (an HTTP date is wall-clock time).
    """
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        seconds = float(text)
    else:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    return min(max(0.0, seconds), _MAX_RETRY_AFTER_S)


@dataclass(slots=True)
class SnapshotBatch:
    """What one `RestClient.fetch` got: the answered chunks' snapshots, and who failed.

    `answered` holds every symbol of an answered chunk, known to Alpaca or not (an
    unknown symbol is simply absent from `snapshots`); `failed` holds the symbols of the
    chunks that failed or were not sent after a failure that ends the batch.
    """

    snapshots: dict[str, Snapshot] = field(default_factory=dict)
    answered: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)
    error: RestError | None = None  # the last chunk's failure, if any


@dataclass(frozen=True, slots=True)
class RestConfig:
    """Where to ask for snapshots."""

    base_url: str = LIVE_REST_URL
    feed: str = DEFAULT_FEED.value
    credentials: Credentials | None = None
    insecure: bool = False
    timeout: float = 10.0
    # CAs to trust besides the system's (a test server's private CA); verification is
    # never off (engine.net.tls, docs/reliability.md "TLS").
    ca_file: str | None = None


class RestClient:
    """Async snapshot client (httpx); no blocking calls, one pooled connection.

    Every request goes through `get` and spends one call of `budget`: one per key for all
    REST calls, bars included (engine.net.bars calls `get` too; docs/account-and-history.md,
    "Plans and limits"). Without one given, a Basic-plan budget of 200 a minute.
    """

    def __init__(
        self,
        config: RestConfig,
        transport: httpx.AsyncBaseTransport | None = None,
        budget: RequestBudget | None = None,
    ):
        problem = check_url_security(config.base_url, config.insecure)
        if problem:
            raise RestError(problem)
        try:
            context = client_context(config.ca_file)
        except TlsConfigError as exc:
            raise RestError(str(exc)) from None
        self._config = config
        self._context: ssl.SSLContext | None = context  # a CA file's, checked above
        self._transport = transport
        self._client: httpx.AsyncClient | None = None  # made by the first request
        self._closed = False
        self.budget = budget if budget is not None else RequestBudget()
        self.problems = 0  # snapshot entries or parts skipped as unusable, every one
        # A format change would repeat the same warning per symbol and poll.
        self._problem_log = LogThrottle(log, topic="skipped bad snapshot data")

    @property
    def config(self) -> RestConfig:
        return self._config

    async def aclose(self) -> None:
        self._problem_log.flush(force=True)
        self._closed = True
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    def _http(self) -> httpx.AsyncClient:
        """The httpx client, made at the first request: importing httpx and building a
        verifying TLS context cost ~0.1 s, off the start-up path this way."""
        if self._client is not None:
            return self._client
        import httpx

        if self._closed:  # as httpx says for a closed client, in words
            raise RestError("REST client is closed")
        config = self._config
        headers = {"Accept": "application/json", "User-Agent": "Tickerdesk/0.1"}
        if config.credentials is not None:
            headers["APCA-API-KEY-ID"] = config.credentials.key_id
            headers["APCA-API-SECRET-KEY"] = config.credentials.secret
        # Verification is never off: a CA file's context, else the one shared default
        # context every client uses (engine.net.tls), built once, not once per client.
        context = self._context
        self._client = httpx.AsyncClient(
            base_url=config.base_url.rstrip("/"),
            headers=headers,
            timeout=config.timeout,
            transport=self._transport,
            verify=context if context is not None else shared_default_context(),
        )
        return self._client

    async def snapshots(self, symbols: Iterable[str]) -> dict[str, Snapshot]:
        """Snapshots of the symbols Alpaca knows; unknown symbols are absent.

        Raises RestError if any chunk failed (for callers that need the whole answer,
        such as the symbol check); `fetch` keeps what was answered.
        """
        batch = await self.fetch(symbols)
        if batch.error is not None:
            raise batch.error
        return batch.snapshots

    async def fetch(self, symbols: Iterable[str]) -> SnapshotBatch:
        """Ask in chunks of 100; a failed chunk costs only itself (never raises RestError).

        After a failure that would repeat (no answer, refused credentials, 429) the
        remaining chunks are not sent: they are `failed` too, to be asked again later.
        """
        batch = SnapshotBatch()
        wanted = sorted(set(symbols))
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            if batch.error is not None and batch.error.ends_batch:
                batch.failed.update(chunk)
                continue
            try:
                batch.snapshots.update(await self._fetch(chunk))
            except RestError as exc:
                batch.error = exc
                batch.failed.update(chunk)
            else:
                batch.answered.update(chunk)
        return batch

    async def get(self, path: str, params: dict[str, str], what: str) -> httpx.Response:
        """One GET through the key's budget; transport failures and 429 as RestError.

        Every REST call (snapshots, bars) comes through here, so each waits its turn in
        the one budget, and a 429 pauses every caller for its Retry-After
        (docs/account-and-history.md, "Plans and limits") before it is raised with
        `retry_after`. Other statuses are the caller's to judge.
        """
        return await self.send("GET", path, what=what, params=params)

    async def send(
        self,
        method: str,
        path: str,
        json: object = None,
        *,
        what: str,
        params: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Any request (the Trading API's PUT/POST/DELETE of watchlists, and `get`)
        through the same budget, with the same transport-error and 429 handling."""
        await self.budget.acquire()
        client = self._http()
        import httpx  # loaded by _http (a dictionary look-up from here on)

        try:
            response = await client.request(method, path, params=params, json=json)
        except httpx.TimeoutException as exc:
            raise RestError(f"{what} request timed out") from exc
        except httpx.HTTPError as exc:
            if (tls := tls_failure(exc)) is not None:  # the certificate, in words
                raise RestError(f"{what} request failed: {tls.message}") from exc
            raise RestError(f"{what} request failed: {type(exc).__name__}") from exc
        if response.status_code == 429:
            wait = parse_retry_after(response.headers.get("Retry-After"))
            self.budget.note_retry_after(wait)
            raise RestError(f"{what} request rate-limited (HTTP 429)", 429, retry_after=wait)
        return response

    async def _fetch(self, symbols: Sequence[str]) -> dict[str, Snapshot]:
        params = {"symbols": ",".join(symbols)}
        if self._config.feed in (Feed.IEX, Feed.SIP, Feed.DELAYED_SIP):
            params["feed"] = self._config.feed
        response = await self.get("/v2/stocks/snapshots", params, "snapshot")
        status = response.status_code
        if status in (401, 403):
            raise RestError(
                f"snapshot request refused (HTTP {status}): check key and secret", status
            )
        if status >= 400:
            raise RestError(f"snapshot request failed (HTTP {status})", status)
        snapshots, problems = decode_snapshots(response.content)
        for problem in problems:
            self.problems += 1
            self._problem_log.log("skipped bad snapshot data: %s", problem)
        return snapshots


# The poller builds on the client above; imported last so both live under this name.
from engine.net.poller import SnapshotPoller  # noqa: E402
