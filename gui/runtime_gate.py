"""The start-up gate: REST and account requests wait for the first live row (or a cap).

At launch the window, the account panels and the history indicator appear at once, but
their first requests (snapshots, the history backfill, the account's REST reads, its
trade_updates stream, the watchlist sync, the asset list) wait until the table has
painted its first row of stream data, or `FIRST_DATA_CAP_S` has passed, whichever comes
first. On one thread (docs/design.md) every request, and in the demo its simulator's
answer too, runs on the loop the first stream frame needs: the backfill of a whole day
of bars alone took the first row from ~0.3 s to ~0.45 s after `Runtime.start()`
(docs/performance.md, "Start-up, second round"). The cap keeps a stream that never
comes (a wrong key, Connect off, an outage at launch) from holding REST back: REST is
the fallback for exactly those cases.

The gate opens once per Runtime; anything started later (a feed switch, another key)
finds it open and starts at once.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject

if TYPE_CHECKING:
    from engine.core.tasks import TaskSet
    from gui.table.model import TickerTableModel
    from gui.table.pacing import FlushPacer

__all__ = [
    "FIRST_DATA_CAP_S",
    "FIRST_FLUSH_MS",
    "FirstData",
    "freeze_start_heap",
    "thaw_start_heap",
]

log = logging.getLogger("gui.runtime")

FIRST_DATA_CAP_S = 1.0  # the longest REST and the account wait for the stream
# A flush with data but no paint (a hidden window, a test's): open this much later.
_NO_PAINT_S = 0.1
# Until the first live row the table looks for data this often, not at its flush
# interval (50 ms by default): the first frame then waits ~5 ms for the flush, not ~25.
FIRST_FLUSH_MS = 10


class FirstData(QObject):
    """Open after the first paint of a flush that carried data, or after the cap."""

    def __init__(self, cap_s: float = FIRST_DATA_CAP_S) -> None:
        super().__init__()
        self._cap_s = cap_s
        self._event = asyncio.Event()
        self._deadline: float | None = None  # loop time; set by the first wait
        self._armed = False
        self._handle: asyncio.TimerHandle | None = None
        self._viewport: QObject | None = None
        self._model: TickerTableModel | None = None
        self._live: Callable[[], bool] = lambda: True
        # The model, its own interval, and the pacer the short interval came with.
        self._restore: tuple[TickerTableModel, int, FlushPacer] | None = None

    @property
    def is_open(self) -> bool:
        return self._event.is_set()

    def open(self) -> None:
        """Let every waiter go (idempotent); stop watching the table."""
        if self._event.is_set():
            return
        self._event.set()
        self._unwatch()

    async def wait(self) -> None:
        """Until open; opens it at the cap (counted from the first wait, i.e. start)."""
        if self._event.is_set():
            return
        loop = asyncio.get_running_loop()
        if self._deadline is None:
            self._deadline = loop.time() + self._cap_s
        try:
            await asyncio.wait_for(self._event.wait(), max(0.0, self._deadline - loop.time()))
        except TimeoutError:
            self.open()

    def start_when_open(
        self, start: Callable[[], object], tasks: TaskSet, name: str
    ) -> asyncio.Task[None] | None:
        """Call `start` now if the gate is open; else a task in `tasks` (cancelled with
        them if the app closes first) that calls it when the gate opens."""
        if self.is_open:
            start()
            return None

        async def gated() -> None:
            await self.wait()
            start()

        return tasks.spawn(gated(), name=name)

    def watch(self, model: TickerTableModel, viewport: QObject, live: Callable[[], bool]) -> None:
        """Open after the first paint of `viewport` following a `model.flushed` when
        `live()` says the table holds stream data (a watchlist's own change flushes too).
        Until then the model flushes every FIRST_FLUSH_MS (its own interval after)."""
        self._live = live
        interval = model.flush_interval()
        if interval > FIRST_FLUSH_MS:
            model.set_flush_interval(FIRST_FLUSH_MS)
            self._restore = (model, interval, model.pacer)
        model.flushed.connect(self._on_flushed)
        viewport.installEventFilter(self)
        self._viewport = viewport
        self._model = model

    def _on_flushed(self, rows: int) -> None:
        if rows <= 0 or self._armed or self._event.is_set() or not self._live():
            return
        self._armed = True  # data reached the table: the paint comes next
        try:
            self._handle = asyncio.get_running_loop().call_later(_NO_PAINT_S, self.open)
        except RuntimeError:  # no running loop (a test's bare model): open now
            self.open()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self._armed and event.type() == QEvent.Type.Paint:
            # After this paint, not in it: the waiters run on the next loop turn.
            self.open()
        return False

    def _unwatch(self) -> None:
        restore, self._restore = self._restore, None
        # Back to the model's own interval, unless something (Settings) chose another
        # meanwhile: that makes a new pacer (the pacer itself may stretch the 10 ms).
        if restore is not None and restore[0].pacer is restore[2]:
            try:
                restore[0].set_flush_interval(restore[1])
            except RuntimeError:  # the window is gone already
                log.debug("first-data gate: the table is already gone")
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        viewport, self._viewport = self._viewport, None
        model, self._model = self._model, None
        try:
            if viewport is not None:
                viewport.removeEventFilter(self)
            if model is not None:
                model.flushed.disconnect(self._on_flushed)
        except (RuntimeError, TypeError):  # already gone with the window
            log.debug("first-data gate: the table is already gone")

    def close(self) -> None:
        """At shutdown: stop watching (waiters are the caller's tasks, cancelled there)."""
        self._unwatch()


async def freeze_start_heap(gate: FirstData) -> None:
    """Once the first live row is painted, move every object alive (the window, the
    store, their Qt wrappers, the imported modules) into Python's permanent generation:
    the cycle collector's full passes then walk only what came later. Those passes were
    the longest loop stalls under a firehose (13 vs 30 ms at 1,000 symbols, 50k msgs/s;
    docs/performance.md, "Table, second round").

    The cost: an object frozen here that later becomes *cyclic* garbage is not freed
    until `thaw_start_heap` (objects freed by reference counting go as usual). So the
    leak is bounded by the start heap; leaving the demo thaws it, because the embedded
    simulator it drops is the one large frozen graph that ever goes."""
    await gate.wait()
    gc.freeze()
    log.debug("start heap frozen: %d objects", gc.get_freeze_count())


def thaw_start_heap() -> None:
    """Give the frozen start heap back to the collector (before dropping a large part of
    it); idempotent, and nothing when nothing was frozen."""
    if gc.get_freeze_count():
        gc.unfreeze()
