"""Fill notifications through the alerts' route (gui/alerts/notify.py: tray, else banner).

AccountService hands every new fill to `FillNotifier.add` (its `on_fill`); the
notifier shows each fill once, by its execution id (`engine.account.models.
fill_identity`: a stream fill and the REST activity of the same execution share it).
The book already never returns a fill twice; this bounded guard is a second line
(docs/account-and-history.md, "Account stream: trade_updates": no replay, so a
fill can reach us twice, from the stream and from the reconcile). Fills are queued
and shown on the panels' tick (`flush`), so a reconcile that finds many at once gives
one summary instead of a burst.

Fills found by the first reconcile after start-up are history, not news: the service
does not hand them over (engine/account/service.py); they are listed, not notified.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from engine.account.models import fill_identity
from gui.account.figures import fill_message

if TYPE_CHECKING:
    from engine.account.models import Fill
    from gui.alerts.notify import Notifier

SEEN_KEYS = 10_000
QUEUE_MAX = 1_000
NOTIFY_AT_ONCE = 3  # more fills in one flush are summarised in one notification


class FillNotifier:
    """Queues new fills and shows each once through the alerts' Notifier."""

    def __init__(self, notifier: Notifier | None, paper: bool) -> None:
        self.notifier = notifier
        self.paper = paper
        self.shown = 0  # fills notified (a summary counts each fill in it)
        self.dropped = 0  # fills dropped from a full queue (counted, never silent)
        self.duplicates = 0
        self._seen: set[str] = set()
        self._order: deque[str] = deque()
        self._queue: deque[Fill] = deque()

    def add(self, fill: Fill) -> None:
        """AccountService's `on_fill`: remember the fill; shown on the next `flush`."""
        key = fill_identity(fill.key)  # a stream fill and its REST activity share it
        if key in self._seen:
            self.duplicates += 1
            return
        self._seen.add(key)
        self._order.append(key)
        if len(self._order) > SEEN_KEYS:
            self._seen.discard(self._order.popleft())
        if len(self._queue) >= QUEUE_MAX:
            self.dropped += 1
            return
        self._queue.append(fill)

    def flush(self) -> int:
        """Show the queued fills (one summary for many); returns how many were shown."""
        if not self._queue:
            return 0
        fills = list(self._queue)
        self._queue.clear()
        self.shown += len(fills)
        if self.notifier is None:
            return len(fills)
        if len(fills) > NOTIFY_AT_ONCE:
            symbols = ", ".join(dict.fromkeys(f.symbol for f in fills))
            suffix = " (paper)" if self.paper else ""
            self.notifier.notify(f"{len(fills)} fills{suffix}", symbols)
            return len(fills)
        for fill in fills:
            self.notifier.notify(*fill_message(fill, self.paper))
        return len(fills)
