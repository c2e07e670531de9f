"""`tickerdesk-watch`'s history: the app's backfill and gap fill, without a GUI.

A `PriceHistory` observes the store (stream and REST snapshots), and an
engine.net.backfill.Backfill loads each symbol's session day of minute bars, a year of
daily bars and the previous sessions' 15-minute bars into it, over the same RestClient,
and so the same RequestBudget, as the snapshots (one budget per key:
docs/account-and-history.md, "Plans and limits"). After a reconnect an OutageWatch turns
the outage into a gap fill, as in the app. `--no-history` skips all of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from engine.core.tasks import TaskSet
from engine.market.history import PriceHistory
from engine.market.store import MarketDataStore
from engine.net.backfill import Backfill
from engine.net.backfill_plan import sip_recent_allowed
from engine.net.bars import BarsClient
from engine.net.health import StreamHealth
from engine.net.outage import OutageWatch, fill_gaps
from engine.net.rest import RestClient
from engine.plan import PlanLimit

__all__ = ["WatchHistory"]


class WatchHistory:
    """The price history, its backfill and the gap fill of one `tickerdesk-watch` run."""

    def __init__(
        self,
        rest: RestClient,
        store: MarketDataStore,
        health: StreamHealth,
        plan: PlanLimit,
        feed: str,
        exchange_now_ns: Callable[[], int],
    ) -> None:
        self.history = PriceHistory()
        store.add_observer(self.history.on_event)
        self.backfill = Backfill(
            BarsClient(rest), self.history, store, exchange_now_ns,
            sip_recent=sip_recent_allowed(plan, feed),
        )  # fmt: skip
        self._outages = OutageWatch(health, exchange_now_ns)
        self._tasks = TaskSet()

    def start(self, symbols: Iterable[str]) -> None:
        self.backfill.request(symbols)
        self.backfill.start()
        gaps = fill_gaps(self._outages, self.backfill)
        self._tasks.spawn(gaps, name="tickerdesk-watch-outages")

    async def stop(self) -> None:
        """Cancel the gap-fill watch and the backfill (a batch in flight is dropped)."""
        await self._tasks.cancel_all()
        await self.backfill.stop()

    def document(self) -> dict[str, Any]:
        """The `history` object of the `--json` document: the backfill's progress."""
        p = self.backfill.progress
        return {
            "done": p.done,
            "total": p.total,
            "failed": p.failed,
            "calls": p.calls,
            "active": p.active,
            "text": p.text(),
            "last_error": self.backfill.last_error,
        }
