"""The REST snapshot poller: fills day stats, covers stale rows, keeps unstreamed rows alive.

What it asks for, and when:
- **pending** symbols (`request()`: start-up, newly added symbols) at once; a symbol
  stays pending until a snapshot for it was applied or Alpaca answered that it does not
  know it (an absent entry). A failed request is retried with jittered backoff, or after
  the `Retry-After` of a 429 (docs/account-and-history.md, "Plans and limits"), so a start
  during an outage, a 5xx or a 429 still gets previous close and day stats.
- every `interval` seconds: every symbol of the **keep-alive** set whatever its
  freshness (`keep_alive()`: symbols the plan's symbol budget leaves unstreamed); the
  watched symbols whose data is STALE or EXPIRED (the stream's fallback); and those
  without a previous close (a day roll that missed its reference day leaves it unknown
  until a `prevDailyBar` says, engine.market.merge_day), except symbols Alpaca said it
  does not know. At most 100 symbols per request. Applied rows get `Source.REST` and
  their receive time, so the table shows where each figure came from and how old it is
  (docs/design.md, invariant 9).

A round never ends the loop: whatever it raises is logged, counted (`failures`) and put
in words (`last_error`), and the next round comes as scheduled. Scheduling uses the
event loop's clock; receive times and freshness use the injected clock, as the store does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from engine.core.logthrottle import LogThrottle
from engine.events import Snapshot
from engine.market.store import Freshness, MarketDataStore, Source
from engine.net.retry import BackoffPolicy, backoff_delays

if TYPE_CHECKING:  # engine.net.rest re-exports this module's poller: no import cycle
    from engine.net.rest import RestClient

__all__ = ["REST_BACKOFF", "SnapshotPoller"]

log = logging.getLogger("engine.net.rest")  # the REST warnings, as before the split

# Retries of a failed request: 1 s doubling to a minute (the free plan allows 200
# requests a minute; a 429's Retry-After overrides this).
REST_BACKOFF = BackoffPolicy(initial=1.0, factor=2.0, maximum=60.0, jitter=0.2)
_REFRESH = (Freshness.STALE, Freshness.EXPIRED)


class SnapshotPoller:
    """Fills day stats at start/add, polls stale symbols and the keep-alive set.

    The store's older-never-overwrites-newer rule means a poll can only ever add newer
    data, so polling a symbol that also streams is harmless.
    """

    def __init__(
        self,
        client: RestClient,
        store: MarketDataStore,
        *,
        interval: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
        backoff: BackoffPolicy = REST_BACKOFF,
        rng: random.Random | None = None,
    ) -> None:
        self._client = client
        self._store = store
        self._interval = interval
        self._clock = clock
        self._backoff = backoff
        self._rng = rng or random.Random()
        self._delays: Iterator[float] = backoff_delays(backoff, self._rng)
        self._pending: set[str] = set()
        self._keep: frozenset[str] = frozenset()
        self._unknown: set[str] = set()  # answered as absent: Alpaca does not know them
        self._wake = asyncio.Event()
        self._not_before = 0.0  # loop time before which no request goes out (backoff)
        self.last_error: str | None = None  # the last round's failure in words, or None
        self.retry_in: float | None = None  # seconds the last failure made us wait
        self.polls = 0  # rounds that got at least one chunk answered
        self.failures = 0  # rounds that failed (request errors and internal errors)
        self.problems = 0  # snapshots that could not be applied
        # The same failure would repeat per symbol and poll.
        self._problem_log = LogThrottle(log, topic="could not apply a snapshot")

    # --- what callers set --------------------------------------------------------------

    def request(self, symbols: Iterable[str]) -> None:
        """Ask for snapshots of `symbols` soon (start-up, new watchlist entries)."""
        asked = set(symbols)
        self._pending |= asked
        self._unknown -= asked
        self._wake.set()

    def keep_alive(self, symbols: Iterable[str]) -> None:
        """Replace the set of symbols kept alive from REST (watched but not streamed).

        They are polled every `interval` seconds whatever their freshness; new members
        are fetched at once. Symbols the store does not watch are skipped.
        """
        new = frozenset(symbols)
        added = new - self._keep
        self._keep = new
        if added:
            self.request(added)

    # --- what the status bar and the budget read ----------------------------------------

    @property
    def keep_alive_symbols(self) -> frozenset[str]:
        return self._keep

    @property
    def rest_polled(self) -> int:
        """How many watched symbols are kept alive from REST (for the status bar)."""
        store = self._store
        return sum(1 for symbol in self._keep if symbol in store)

    @property
    def pending(self) -> frozenset[str]:
        """Symbols asked for and not yet answered (retried until they are)."""
        return frozenset(self._pending)

    # --- the loop ------------------------------------------------------------------------

    async def fetch_now(self, symbols: Iterable[str]) -> dict[str, Snapshot]:
        """Fetch and apply snapshots now; returns what Alpaca answered.

        Answered chunks are applied even when another chunk fails; the failure is then
        raised (RestError) after them.
        """
        batch = await self._client.fetch(symbols)
        self._apply(batch.snapshots)
        if batch.answered:
            self.polls += 1
        if batch.error is not None:
            raise batch.error
        return batch.snapshots

    async def run(self) -> None:
        """Loop until cancelled: pending symbols at once, the periodic round every
        `interval` seconds, failed requests again after their backoff. Never ends by
        itself: a failed round is logged and counted."""
        loop = asyncio.get_running_loop()
        next_periodic = loop.time() + self._interval
        while True:
            now = loop.time()
            due = now if self._pending else next_periodic
            due = max(due, self._not_before)
            if due > now:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=due - now)
                self._wake.clear()
                continue  # re-plan: a wake may have brought pending symbols
            self._wake.clear()
            periodic = loop.time() >= next_periodic
            if periodic:
                next_periodic = loop.time() + self._interval
            try:
                await self._round(periodic)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a bug must not end the REST fallback (issue #10)
                log.exception("REST snapshot round failed")
                self._failed(f"internal error in the REST poller: {type(exc).__name__}", None)

    async def _round(self, periodic: bool) -> None:
        store = self._store
        # A symbol no longer watched needs nothing: the store would ignore its snapshot.
        self._pending = {symbol for symbol in self._pending if symbol in store}
        self._unknown = {symbol for symbol in self._unknown if symbol in store}
        wanted = set(self._pending)
        if periodic:
            now = self._clock()
            wanted.update(symbol for symbol in self._keep if symbol in store)
            wanted.update(s for s in store.symbols() if store.freshness(s, now) in _REFRESH)
            wanted.update(set(store.symbols_missing_prev_close()) - self._unknown)
        if not wanted:
            return
        batch = await self._client.fetch(wanted)
        self._apply(batch.snapshots)
        self._pending -= batch.answered  # applied, or unknown to Alpaca: done either way
        self._unknown |= batch.answered - batch.snapshots.keys()
        if batch.answered:
            self.polls += 1
        error = batch.error
        if error is None:
            self.last_error = self.retry_in = None
            self._delays = backoff_delays(self._backoff, self._rng)
            return
        # The failed chunks' pending symbols are asked again after the wait; stale and
        # keep-alive ones come with the next periodic round anyway.
        self._failed(error.message, error.retry_after)

    def _apply(self, snapshots: dict[str, Snapshot]) -> None:
        received_at = self._clock()
        store = self._store
        for symbol, snapshot in snapshots.items():
            try:
                store.apply(snapshot, received_at, Source.REST)
            except Exception as exc:  # one unusable snapshot costs only itself
                self.problems += 1
                self._problem_log.log(
                    "could not apply the snapshot of %s: %s", symbol, type(exc).__name__
                )

    def _failed(self, message: str, retry_after: float | None) -> None:
        self.failures += 1
        wait = retry_after if retry_after is not None else next(self._delays)
        self.retry_in = wait
        self._not_before = asyncio.get_running_loop().time() + wait
        self.last_error = f"{message}; retrying in {wait:.3g} s"
        log.warning("%s", self.last_error)
