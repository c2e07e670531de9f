"""The REST side of the composition root: snapshots, history backfill and gap fill.

`RestPolling` owns, for one feed and key at a time, the REST client, its snapshot poller
and the history backfill (`engine.net.backfill.Backfill`), all spending one request
budget (Basic: 200 calls a minute; docs/account-and-history.md, "Plans and limits").
While it runs, an `OutageWatch` turns a reconnect of the stream into a gap fill of the
minutes the chart missed (docs/account-and-history.md, "Historical bars").

At launch the poller and the backfill exist at once (the status bar counts the history
to load) but send their first request only when the start-up gate opens
(gui.runtime_gate: the first live row painted, or a 1 s cap).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable

from engine.config import Credentials
from engine.core.tasks import TaskSet, cancel_and_wait
from engine.market.history import PriceHistory
from engine.market.store import MarketDataStore
from engine.net.backfill import Backfill, BackfillProgress
from engine.net.backfill_plan import sip_recent_allowed
from engine.net.bars import BarsClient
from engine.net.budget import RequestBudget
from engine.net.health import StreamHealth
from engine.net.outage import OutageWatch, fill_gaps
from engine.net.rest import RestClient, RestConfig, SnapshotPoller
from engine.plan import PlanLimit
from gui.runtime_gate import FirstData

__all__ = ["RestPolling"]

log = logging.getLogger("gui.runtime")


class RestPolling:
    """The REST snapshot client, its poller and the history backfill (previous close,
    day stats, stale rows, the symbols the budget leaves unstreamed, and the bars behind
    charts, sparklines and the history columns), for one feed and key at a time."""

    def __init__(
        self, tasks: TaskSet, interval: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._tasks = tasks
        self._interval = interval
        self._clock = clock
        self.rest: RestClient | None = None
        self.poller: SnapshotPoller | None = None
        self.backfill: Backfill | None = None
        self.budget: RequestBudget | None = None
        self._budget_plan: PlanLimit | None = None
        self._task: asyncio.Task[None] | None = None
        self._watch_task: asyncio.Task[None] | None = None
        self._backfill_task: asyncio.Task[None] | None = None  # its gated start

    def start(
        self,
        url: str | None,
        feed: str,
        credentials: Credentials | None,
        insecure: bool,
        store: MarketDataStore,
        plan: PlanLimit | None = None,
        history: PriceHistory | None = None,
        exchange_now_ns: Callable[[], int] = time.time_ns,
        health: StreamHealth | None = None,
        ca_file: str | None = None,
        gate: FirstData | None = None,
    ) -> SnapshotPoller | None:
        """A client, a running poller and (given a history) a running backfill for `url`
        (None: no REST here); the poller.

        Every REST call of the key goes through one budget at the plan's rate, kept across
        restarts of the client for the same plan so a restart cannot reset the count.
        With a `gate` not yet open, the poller and the backfill start when it opens."""
        if url is None:
            return None
        if plan is not None and (self.budget is None or plan != self._budget_plan):
            self.budget, self._budget_plan = RequestBudget.for_plan(plan), plan
        try:
            config = RestConfig(url, feed, credentials, insecure, ca_file=ca_file)
            self.rest = RestClient(config, budget=self.budget)
        except Exception as exc:
            log.warning("no REST snapshots: %s", exc)
            return None
        poller = SnapshotPoller(self.rest, store, interval=self._interval, clock=self._clock)
        self.poller = poller
        self._task = self._tasks.spawn(_after(gate, poller.run), name="tickerdesk-rest-poller")
        if history is not None:
            self.backfill = Backfill(
                BarsClient(self.rest), history, store, exchange_now_ns,
                sip_recent=sip_recent_allowed(plan, feed),
            )  # fmt: skip
            if gate is None:
                self.backfill.start()
            else:
                self._backfill_task = gate.start_when_open(
                    self.backfill.start, self._tasks, "tickerdesk-backfill-gate"
                )
            if health is not None:
                gaps = fill_gaps(OutageWatch(health, exchange_now_ns), self.backfill)
                self._watch_task = self._tasks.spawn(gaps, name="tickerdesk-outage-watch")
        return self.poller

    async def stop(self) -> None:
        """Cancel the poller and the backfill (a request in flight is dropped, never
        applied) and close the client."""
        for task in (self._task, self._watch_task, self._backfill_task):
            if task is not None:
                await cancel_and_wait(task)  # a cancel of the caller still propagates
        self._task = self._watch_task = self._backfill_task = None
        backfill, self.backfill = self.backfill, None
        if backfill is not None:
            await backfill.stop()
        rest, self.rest, self.poller = self.rest, None, None
        if rest is not None:
            await rest.aclose()

    def request(self, symbols: Iterable[str]) -> None:
        """Snapshots and history for `symbols` (new in the watchlist, or all at a start)."""
        wanted = list(symbols)
        if not wanted:
            return
        if self.poller is not None:
            self.poller.request(wanted)
        if self.backfill is not None:
            self.backfill.request(wanted)

    def forget(self, symbols: Iterable[str]) -> None:
        """Symbols gone from every watchlist: no history fetched for them any more."""
        if self.backfill is not None:
            self.backfill.forget(symbols)

    def progress(self) -> BackfillProgress | None:
        """The backfill's progress for the status bar; None without REST history."""
        return self.backfill.progress if self.backfill is not None else None

    async def check_symbols(self, symbols: list[str]) -> set[str]:
        """The symbols Alpaca knows (the add-symbols bar's check); all of them without REST."""
        if self.rest is None:
            return set(symbols)
        return set(await self.rest.snapshots(symbols))


async def _after(gate: FirstData | None, run: Callable[[], Awaitable[None]]) -> None:
    """`run()` once `gate` is open (at once without one)."""
    if gate is not None:
        await gate.wait()
    await run()
