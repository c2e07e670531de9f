"""AccountService: the account kept current from REST and the trade_updates stream.

The stream has no replay, so after every (re)connect the whole account is read again
over REST (account, positions, open orders, recent closed orders, fills since the newest
seen) and reconciled into the `AccountBook`, which returns only fills it never saw:
`on_fill` is called once per fill, whichever path brought it first. Account, positions,
open orders and new fills are read again every 60 s (and soon after a fill). Once a day
`/v2/clock` and `/v2/calendar` are compared with the local NYSE rules
(engine.market.calendar); a difference is kept in words in `calendar_note` and logged
once. See
docs/account-and-history.md, "How Tickerdesk reads the account".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from datetime import date, timedelta

from engine.account.book import AccountBook
from engine.account.calcheck import compare_calendar, compare_clock, ny_date
from engine.account.client import TradingRest, is_paper_url
from engine.account.models import CalendarDay, Fill, MarketClock, TradeUpdate
from engine.account.stream import TradeUpdatesClient
from engine.config import Credentials
from engine.core.tasks import TaskSet, cancel_and_wait, run_to_completion
from engine.net.health import StreamHealth
from engine.net.rest import RestError
from engine.net.retry import BackoffPolicy, backoff_delays

__all__ = ["AccountService"]

log = logging.getLogger(__name__)

REFRESH_S = 60.0  # account, positions, open orders, fills (docs/account-and-history.md)
AFTER_FILL_S = 2.0  # positions again soon after a fill: the stream says only the quantity
CALENDAR_CHECK_S = 86_400.0
CALENDAR_DAYS = 14  # days ahead compared with the local rules
CLOSED_ORDERS = 100  # recent closed orders read at a reconcile
FILL_OVERLAP_NS = 1_000_000_000  # fills asked from 1 s before the newest seen: none lost
# REST failures retry 1 s doubling to 60 s; refused keys (401/403) every 5 minutes.
_REST_BACKOFF = BackoffPolicy(initial=1.0, maximum=60.0)
_REFUSED_RETRY_S = 300.0


class AccountService:
    """REST + stream + reconcile loop for one key pair; `start()`/`stop()` (TaskSet)."""

    def __init__(
        self,
        rest: TradingRest,
        stream_url: str,
        credentials: Credentials | None,
        book: AccountBook,
        health: StreamHealth,
        on_fill: Callable[[Fill], None],
        *,
        paper: bool | None = None,
        refresh_s: float = REFRESH_S,
        start_delay_s: float = 1.0,
        insecure: bool = False,
        ca_file: str | None = None,
        stream_backoff: BackoffPolicy | None = None,
        rest_backoff: BackoffPolicy = _REST_BACKOFF,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.rest = rest
        self.book = book
        self.health = health
        self._on_fill = on_fill
        # The URL decides for Alpaca's own hosts; another server (the simulator) is paper
        # unless configured otherwise.
        self.paper = is_paper_url(rest.base_url, default=True if paper is None else paper)
        self.refresh_s = refresh_s
        self._clock = clock
        self._rng = rng or random.Random()
        self._rest_backoff = rest_backoff
        self.stream = TradeUpdatesClient(
            stream_url,
            credentials,
            health,
            self._on_update,
            self._on_connected,
            start_delay_s=start_delay_s,
            backoff=stream_backoff,
            insecure=insecure,
            ca_file=ca_file,
            on_problem=book.note_problem,
            clock=clock,
            rng=self._rng,
        )
        self._tasks = TaskSet()
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._reconcile_wanted = True  # the first reconcile runs at start, stream or not
        self._notify_reconciled = False  # the first reconcile's fills are history
        self._refresh_at = 0.0
        self._calendar_at = 0.0
        self.last_error: str | None = None  # REST, in words; None after a success
        self.reconciles = 0
        self.refreshes = 0
        self.calendar_note: str | None = None
        self.server_clock: MarketClock | None = None
        self.server_calendar: list[CalendarDay] = []
        self._noted: str | None = None
        self._rest_problems_seen = rest.problems
        self._synced_connects = -1  # stream.connects when the last reconcile began

    @property
    def in_sync(self) -> bool:
        """Whether the book holds REST's picture read after the current stream connection
        was confirmed (nothing the stream may have missed is unaccounted for)."""
        return (
            self._synced_connects == self.stream.connects
            and not self._reconcile_wanted
            and self.stream.connects > 0
        )

    # --- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = self._tasks.spawn(self._run(), "tickerdesk-account")
        self.stream.start()

    async def stop(self) -> None:
        task, self._task = self._task, None
        await run_to_completion(self._stop(task), "tickerdesk-account-stop")

    async def _stop(self, task: asyncio.Task[None] | None) -> None:
        await self.stream.stop()
        if task is not None:
            await cancel_and_wait(task)
        await self._tasks.cancel_all()

    # --- stream callbacks (sync, on the loop) -------------------------------------------

    def _on_connected(self) -> None:
        # No replay on trade_updates: read everything again (docs/account-and-history.md).
        self._reconcile_wanted = True
        self._wake.set()

    def _on_update(self, update: TradeUpdate) -> None:
        fill = self.book.apply_update(update)
        if fill is not None:
            self._notify(fill)
            self._refresh_at = min(self._refresh_at, self._clock() + AFTER_FILL_S)
            self._wake.set()

    def _notify(self, fill: Fill) -> None:
        try:
            self._on_fill(fill)
        except Exception:
            log.exception("fill notification failed")

    # --- the loop -----------------------------------------------------------------------

    async def _run(self) -> None:
        delays = backoff_delays(self._rest_backoff, self._rng)
        retry_at = 0.0
        while True:
            now = self._clock()
            due = [self._refresh_at, self._calendar_at]
            if self._reconcile_wanted:
                due.append(retry_at)
            wait = max(0.0, min(due) - now)
            if wait > 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=wait)
                continue
            try:
                if self._reconcile_wanted and now >= retry_at:
                    await self._reconcile()
                elif now >= self._calendar_at:
                    await self._check_calendar()
                else:
                    await self._refresh()
            except RestError as exc:
                self.last_error = exc.message
                log.warning("account: %s", exc.message)
                delay = _REFUSED_RETRY_S if exc.status in (401, 403) else next(delays)
                retry_at = self._clock() + delay
                self._refresh_at = max(self._refresh_at, retry_at)
                self._calendar_at = max(self._calendar_at, retry_at)
            else:
                delays = backoff_delays(self._rest_backoff, self._rng)
                retry_at = 0.0

    async def reconcile(self) -> None:
        """One reconcile now, outside the loop (a one-shot reader, a benchmark); RestError
        in words if a read fails."""
        await self._reconcile()

    async def _reconcile(self) -> None:
        """REST's whole picture after a (re)connect, then the fills the book never saw."""
        self._reconcile_wanted = False  # a connect during the fetches asks again
        connects = self.stream.connects
        try:
            await self._read_account(closed=True)
        except RestError:
            self._reconcile_wanted = True
            raise
        self._synced_connects = connects
        self.reconciles += 1

    async def _refresh(self) -> None:
        """The periodic look: account, positions, open orders and fills. Fill events do
        go missing on a live stream *(reported)*: REST's activities bring them back."""
        await self._read_account(closed=False)
        self.refreshes += 1

    async def _read_account(self, *, closed: bool) -> None:
        rest = self.rest
        updates_before = self.book.updates  # stream news after this is newer than REST's
        account = await rest.account()
        positions = await rest.positions()
        orders = await rest.orders("open")
        if closed:
            orders += await rest.orders("closed", CLOSED_ORDERS)
        newest = self.book.newest_fill_ns
        fills = await rest.activities_fills(None if newest is None else newest - FILL_OVERLAP_NS)
        new = self.book.reconcile(account, positions, orders, fills, updates_before=updates_before)
        self._note_rest_problems()
        self.last_error = None
        self._refresh_at = self._clock() + self.refresh_s
        if self._notify_reconciled:
            for fill in new:
                self._notify(fill)
        # Fills before the first look are history (the recent fills list), not news.
        self._notify_reconciled = True

    async def _check_calendar(self) -> None:
        clock = await self.rest.clock()
        today = ny_date(clock.timestamp_ns)
        days = await self.rest.calendar(today, today + timedelta(days=CALENDAR_DAYS))
        self.server_clock, self.server_calendar = clock, days
        self._calendar_at = self._clock() + CALENDAR_CHECK_S
        self._set_calendar_note(clock, days, today)

    def _set_calendar_note(self, clock: MarketClock, days: list[CalendarDay], today: date) -> None:
        end = today + timedelta(days=CALENDAR_DAYS)
        notes = [n for n in (compare_clock(clock), compare_calendar(days, today, end)) if n]
        note = "; ".join(notes) if notes else None
        self.calendar_note = note
        if note is not None and note != self._noted:
            log.warning("Alpaca's market calendar differs from the local rules: %s", note)
        self._noted = note

    def _note_rest_problems(self) -> None:
        # TradingRest counts (and logs) decode problems; the book adds them to its own.
        delta = self.rest.problems - self._rest_problems_seen
        if delta > 0:
            self._rest_problems_seen = self.rest.problems
            self.book.problems += delta
            self.book.last_problem = self.rest.last_problem
