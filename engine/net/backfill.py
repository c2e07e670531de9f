"""History backfill: the session day's minute bars, a year of daily bars and the previous
sessions' 15-minute bars for every watched symbol, and the gap fill after an outage.

One worker task (owned by a TaskSet) takes the wanted symbols 100 at a time (one request
per page names up to 100 symbols: engine.net.bars) and asks, per batch, for the windows of
engine.net.backfill_plan: intraday 1Min (the Basic-safe SIP-then-IEX recipe of
`BarsClient.fetch_intraday`), 15Min of the previous `sessions` sessions, 1Day of ~370
days. Every page spends one call of the key's single RequestBudget, shared with the
snapshots (docs/account-and-history.md, "Plans and limits"), so a 500-symbol backfill on
Basic takes as long as its calls at 200 a minute, and never more than the server allows.

Per symbol the history state goes PENDING (queued) -> LOADING -> LOADED, or EMPTY (no bar
at all in any window: a new listing, or no trades), or FAILED (the reason in words; the
batch is retried after a jittered backoff, engine.net.retry). The writes of one symbol
(`PriceHistory.load_intraday/load_daily/load_earlier` and `set_load(LOADED)`) happen
without an await between them, so a stop (cancellation) at any point leaves each symbol
either wholly loaded or back to PENDING: never half-loaded and marked LOADED. The loop
gets a turn between symbols (`asyncio.sleep(0)`) and inside big pages (the bars client
decodes a 10,000-bar page in slices). Symbols forgotten while their batch is in flight are
dropped from its results.

Gap fill (`gap`): after a reconnect, one fetch of [outage start floored to the minute,
now) for every LOADED symbol, merged by `PriceHistory.fill_gap` (no duplicate minute, the
stream's minute in progress kept) and marked with a Resync. Several gaps before the fetch
coalesce into one window. A new session day (the app left open overnight) loads every
symbol again.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import TYPE_CHECKING

from engine.core.logthrottle import LogThrottle
from engine.core.tasks import TaskSet
from engine.market.history_load import HistoryLoad
from engine.net.backfill_fetch import Fetched, fetch_batch, fetch_gap, reason
from engine.net.backfill_plan import BackfillProgress, feed_note, session_day
from engine.net.bars import BATCH, BarsClient, IntradayBars
from engine.net.retry import BackoffPolicy, backoff_delays

if TYPE_CHECKING:
    from engine.market.history import PriceHistory
    from engine.market.store import MarketDataStore

__all__ = ["MAX_SYMBOLS", "RETRY_POLICY", "Backfill", "BackfillProgress"]

log = logging.getLogger(__name__)

MAX_SYMBOLS = 10_000  # symbols tracked at most (the queue is a subset): bounded memory
# A failed batch waits 5 s, 10 s, ... up to 5 minutes (jittered) before it is asked again.
RETRY_POLICY = BackoffPolicy(initial=5.0, factor=2.0, maximum=300.0, jitter=0.3)
_DONE = (HistoryLoad.LOADED, HistoryLoad.EMPTY)
DAY_CHECK_S = 60.0  # how often an idle backfill looks whether a new session day began


class Backfill:
    """Loads history for wanted symbols in batches; see the module docstring."""

    def __init__(
        self,
        bars: BarsClient,
        history: PriceHistory,
        store: MarketDataStore,
        now_ns: Callable[[], int],
        sip_recent: bool,
        sessions: int = 10,
        on_progress: Callable[[BackfillProgress], None] | None = None,
        *,
        batch: int = BATCH,
        max_symbols: int = MAX_SYMBOLS,
        retry: BackoffPolicy = RETRY_POLICY,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        day_check_s: float = DAY_CHECK_S,
    ) -> None:
        if not 1 <= batch <= BATCH or max_symbols < 1 or sessions < 0:
            raise ValueError("batch must be 1..100, max_symbols >= 1, sessions >= 0")
        self._bars = bars
        self._history = history
        self._store = store
        self._now_ns = now_ns
        self._sip_recent = sip_recent
        self._sessions = sessions
        self._on_progress = on_progress
        self._batch = batch
        self._max_symbols = max_symbols
        self._retry = retry
        self._rng = rng
        self._clock = clock
        self._state: dict[str, HistoryLoad] = {}  # every wanted symbol (bounded)
        self._queue: dict[str, None] = {}  # PENDING, in request order (a set, coalesced)
        self._inflight: set[str] = set()  # LOADING in the current batch, not forgotten
        self._due: dict[str, float] = {}  # FAILED: clock time of the next try
        self._gap: tuple[int, int] | None = None  # outage window still to fill
        self._day: date | None = None  # the session day history was last loaded for
        self._day_check_s = day_check_s
        self._gap_due = 0.0
        self._delays: Iterator[float] | None = None  # backoff over failures in a row
        self._wake = asyncio.Event()
        self._tasks = TaskSet()
        self._problem_log = LogThrottle(log, topic="history backfill failed")
        self.calls = 0  # pages this backfill asked for (retries after 429 included)
        self.failures = 0  # batches and gap fills that failed, every one
        self.refused = 0  # symbols not tracked because max_symbols was reached
        self.gaps_filled = 0
        self.last_error: str | None = None
        self.progress = BackfillProgress()

    # --- what the app calls ----------------------------------------------------------

    def request(self, symbols: Iterable[str]) -> None:
        """Queue symbols for a backfill (those already wanted are left as they are; a
        FAILED one is asked again at once)."""
        added: list[str] = []
        for symbol in symbols:
            state = self._state.get(symbol)
            if state is not None and state is not HistoryLoad.FAILED:
                continue
            if state is None and len(self._state) >= self._max_symbols:
                self.refused += 1
                self._problem_log.log(
                    "history backfill: %s not loaded, %d symbols tracked already",
                    symbol, self._max_symbols,
                )  # fmt: skip
                continue
            self._due.pop(symbol, None)
            self._state[symbol] = HistoryLoad.PENDING
            self._queue[symbol] = None
            self._history.set_load(symbol, HistoryLoad.PENDING)
            added.append(symbol)
        if added:
            self._store.mark_changed(added)
            self._publish()
            self._wake.set()

    def forget(self, symbols: Iterable[str]) -> None:
        """Stop wanting symbols (removed from the watchlist); results in flight for them
        are dropped."""
        removed = False
        for symbol in symbols:
            if self._state.pop(symbol, None) is not None:
                removed = True
            self._queue.pop(symbol, None)
            self._due.pop(symbol, None)
            self._inflight.discard(symbol)
        if removed:
            self._publish()

    def gap(self, outage_start_ns: int, outage_end_ns: int) -> None:
        """The stream was out from `outage_start_ns` to `outage_end_ns` (exchange time):
        fill the minute bars of the LOADED symbols from the outage start to now."""
        if outage_end_ns < outage_start_ns:
            outage_start_ns, outage_end_ns = outage_end_ns, outage_start_ns
        if self._gap is not None:  # coalesce: one window covering every outage
            outage_start_ns = min(outage_start_ns, self._gap[0])
            outage_end_ns = max(outage_end_ns, self._gap[1])
        self._gap = (outage_start_ns, outage_end_ns)
        self._publish()
        self._wake.set()

    def start(self) -> None:
        """Start the worker (idempotent)."""
        if not len(self._tasks):
            self._tasks.spawn(self._run(), name="tickerdesk-history-backfill")

    async def stop(self) -> None:
        """Cancel the worker and wait for it; a batch in flight goes back to PENDING (at
        the queue's front) and its finished symbols stay LOADED."""
        await self._tasks.cancel_all()
        self._problem_log.flush(force=True)
        self._publish()

    @property
    def running(self) -> bool:
        return bool(len(self._tasks))

    def state(self, symbol: str) -> HistoryLoad | None:
        return self._state.get(symbol)

    # --- the worker -------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            now = self._clock()
            self._roll_day()
            if self._gap is not None and self._gap_due <= now:
                await self._fill_gap()
                continue
            self._requeue_due(now)
            batch = self._take_batch()
            if batch:
                await self._load(batch)
                continue
            self._publish()
            try:
                async with asyncio.timeout(self._next_due_in()):
                    await self._wake.wait()
            except TimeoutError:
                pass

    def _roll_day(self) -> None:
        # A new session day with the app still open: load every symbol again, since its
        # daily bars, previous sessions and volume profile all lack the day that ended.
        day = session_day(self._now_ns())
        if self._day is not None and day != self._day:
            for symbol in [s for s, state in self._state.items() if state in _DONE]:
                self._state[symbol] = HistoryLoad.PENDING
                self._queue[symbol] = None
            self._publish()
        self._day = day

    def _requeue_due(self, now: float) -> None:
        for symbol in [s for s, at in self._due.items() if at <= now]:
            del self._due[symbol]
            if self._state.get(symbol) is HistoryLoad.FAILED:
                self._queue[symbol] = None

    def _next_due_in(self) -> float | None:
        times = list(self._due.values())
        if self._gap is not None:
            times.append(self._gap_due)
        return max(0.0, min([*times, self._clock() + self._day_check_s]) - self._clock())

    def _take_batch(self) -> list[str]:
        batch: list[str] = []
        while self._queue and len(batch) < self._batch:
            symbol = next(iter(self._queue))
            del self._queue[symbol]
            if symbol in self._state:
                batch.append(symbol)
        return batch

    async def _load(self, batch: list[str]) -> None:
        self._inflight = set(batch)
        for symbol in batch:
            self._state[symbol] = HistoryLoad.LOADING
            self._history.set_load(symbol, HistoryLoad.LOADING)
        self._store.mark_changed(batch)
        self._publish()
        try:
            fetched = await self._fetch(batch)
            if isinstance(fetched, str):
                self._fail(batch, fetched)
            else:
                await self._write(batch, fetched)
                self._delays = None  # a success ends the run of failures
        except asyncio.CancelledError:
            self._back_to_pending()
            raise
        finally:
            self._inflight = set()
            self._publish()

    async def _fetch(self, batch: list[str]) -> Fetched | str:
        """The batch's bars, or what went wrong in words."""
        before = self._bars.requests
        try:
            return await fetch_batch(
                self._bars, batch, self._now_ns(), self._sessions, self._sip_recent
            )
        except Exception as exc:  # RestError in words; anything else must not kill us
            return reason(exc)
        finally:
            self.calls += self._bars.requests - before

    async def _write(self, batch: list[str], got: Fetched) -> None:
        written: list[str] = []
        history = self._history
        for symbol in batch:
            if symbol not in self._inflight:
                continue  # forgotten while in flight: its bars are dropped
            day = got.intraday.get(symbol)
            rows_e, rows_d = got.earlier.get(symbol, []), got.daily.get(symbol, [])
            # No await from here to set_load: the symbol is written whole or not at all.
            try:
                if day is not None and day.bars:
                    history.load_intraday(symbol, day.bars, day.iex_from_ns)
                if rows_d:
                    history.load_daily(symbol, rows_d)
                if rows_e:
                    history.load_earlier(symbol, rows_e)
            except Exception as exc:  # bad data must not end the backfill of the rest
                self._fail([symbol], f"history data unusable: {type(exc).__name__}: {exc}")
                continue
            if (day is not None and day.bars) or rows_d or rows_e:
                first = day.bars[0].timestamp_ns if day is not None and day.bars else None
                note = feed_note(day.iex_from_ns if day is not None else None, first)
                self._state[symbol] = HistoryLoad.LOADED
                history.set_load(symbol, HistoryLoad.LOADED, note)
            else:
                self._state[symbol] = HistoryLoad.EMPTY
                history.set_load(symbol, HistoryLoad.EMPTY, "no bars at all")
            self._inflight.discard(symbol)
            written.append(symbol)
            await asyncio.sleep(0)  # a turn for the loop between symbols
        if written:
            self._store.mark_changed(written)

    def _fail(self, symbols: list[str], why: str) -> None:
        self.failures += 1
        self.last_error = why
        self._problem_log.log("history backfill failed: %s", why)
        due = self._clock() + self._next_delay()
        failed: list[str] = []
        for symbol in symbols:
            if symbol not in self._inflight:
                continue
            self._inflight.discard(symbol)
            self._state[symbol] = HistoryLoad.FAILED
            self._due[symbol] = due
            self._history.set_load(symbol, HistoryLoad.FAILED, why)
            failed.append(symbol)
        if failed:
            self._store.mark_changed(failed)

    def _next_delay(self) -> float:
        if self._delays is None:  # the first failure after a success starts a new run
            self._delays = backoff_delays(self._retry, self._rng)
        return next(self._delays)

    def _back_to_pending(self) -> None:
        """Cancelled mid-batch: what is not written is PENDING again, first in line."""
        rest = [s for s in self._inflight if s in self._state]
        for symbol in rest:
            self._state[symbol] = HistoryLoad.PENDING
            self._history.set_load(symbol, HistoryLoad.PENDING)
        self._queue = {**dict.fromkeys(sorted(rest)), **self._queue}
        if rest:
            self._store.mark_changed(rest)

    async def _fill_gap(self) -> None:
        assert self._gap is not None
        start_ns, end_ns = self._gap
        self._gap = None
        symbols = sorted(s for s, st in self._state.items() if st is HistoryLoad.LOADED)
        if not symbols:
            return  # nothing loaded yet: the backfill itself covers up to its own now
        before = self._bars.requests
        now = self._now_ns()
        try:
            got = await fetch_gap(self._bars, symbols, start_ns, now, self._sip_recent)
        except asyncio.CancelledError:
            self.gap(start_ns, end_ns)  # still to do, by whoever runs next
            raise
        except Exception as exc:
            self.failures += 1
            self.last_error = reason(exc)
            self._problem_log.log("history gap fill failed: %s", self.last_error)
            self._gap_due = self._clock() + self._next_delay()
            self.gap(start_ns, end_ns)
            return
        finally:
            self.calls += self._bars.requests - before
        self._delays = None
        self._gap_due = 0.0
        filled: list[str] = []
        try:
            for symbol in symbols:
                if self._state.get(symbol) is not HistoryLoad.LOADED:
                    continue  # forgotten (or asked again) while the fetch was in flight
                day = got.get(symbol, IntradayBars())
                try:
                    self._history.fill_gap(symbol, day.bars, day.iex_from_ns, start_ns, end_ns, now)
                except Exception as exc:
                    self.failures += 1
                    self._problem_log.log("history gap fill of %s failed: %r", symbol, exc)
                    continue
                filled.append(symbol)
                await asyncio.sleep(0)  # a turn for the loop between symbols
        except asyncio.CancelledError:
            if len(filled) < len(symbols):
                self.gap(start_ns, end_ns)  # merging again is harmless: no duplicate minute
            raise
        finally:
            if filled:
                self._store.mark_changed(filled)
        self.gaps_filled += 1
        self._publish()

    def _publish(self) -> None:
        done = failed = 0
        for state in self._state.values():
            if state in _DONE:
                done += 1
            elif state is HistoryLoad.FAILED:
                failed += 1
        active = bool(self._queue or self._inflight or self._gap is not None)
        progress = BackfillProgress(done, len(self._state), failed, self.calls, active)
        if progress != self.progress:
            self.progress = progress
            if self._on_progress is not None:
                self._on_progress(progress)
