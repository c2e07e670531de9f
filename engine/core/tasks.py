"""The one owner of asyncio tasks for the whole app (engine, simulator and GUI alike).

`TaskSet` names every task it starts, keeps a strong reference until it ends (asyncio,
and qasync 0.28 in particular, keep only weak ones: docs/qt.md), logs a failure once,
and cancels and awaits them all at shutdown. `cancel_and_wait` and `run_to_completion`
are the two shutdown primitives everything else uses. Qt-free, so the engine and the GUI
share it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

__all__ = ["TaskSet", "cancel_and_wait", "run_to_completion"]

log = logging.getLogger(__name__)

# Strong references to work that outlives a cancelled caller (asyncio keeps only weak ones).
_detached: set[asyncio.Task[Any]] = set()


async def cancel_and_wait(*tasks: asyncio.Future[Any]) -> None:
    """Cancel `tasks` and wait until they have finished.

    Unlike `task.cancel(); with suppress(CancelledError): await task`, a cancellation of
    the *caller* while it waits is not swallowed: it propagates as it should (the soak
    test hung on exactly that, a fault injector that could not be stopped during a
    simulator restart). The tasks' own exceptions are retrieved (no "never retrieved"
    warnings); reporting them is the owner's business, not shutdown's.
    """
    pending = [task for task in tasks if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending)
    for task in tasks:
        if task.done() and not task.cancelled():
            task.exception()


async def run_to_completion[T](work: Coroutine[Any, Any, T], name: str) -> T:
    """Await `work` in its own task, which a cancellation of the caller does not stop.

    For shutdown sequences (close a listening socket, cancel and await a connection task):
    a caller cancelled half-way must not leave them half done, a listening port bound
    or a connection task orphaned for the rest of the process. The caller's cancel still
    propagates to the caller at once; the work finishes on its own and a failure after
    that is logged, not lost.
    """
    task = asyncio.get_running_loop().create_task(work, name=name)
    _detached.add(task)
    task.add_done_callback(_detached.discard)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        if not task.done():
            task.add_done_callback(_report_unseen)  # nobody is left to see its outcome
        raise


def _report_unseen(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.error("%s failed after its caller was cancelled: %r", task.get_name(), exc)


class TaskSet:
    """Owns the tasks it spawns until they finish; `cancel_all()` awaits them all."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn[T](self, coro: Coroutine[Any, Any, T], name: str) -> asyncio.Task[T]:
        """Start `coro` on the loop as a named, referenced task."""
        # get_event_loop, not get_running_loop: Qt slots call this between qasync's loop
        # iterations, where the loop is installed but not "running" to asyncio.
        task = asyncio.get_event_loop().create_task(coro, name=name)
        self.add(task)
        return task

    def add(self, task: asyncio.Task[Any]) -> None:
        """Adopt a task started elsewhere (e.g. StreamClient.start())."""
        self._tasks.add(task)
        task.add_done_callback(self._on_task_done)

    def _on_task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("task %s failed", task.get_name(), exc_info=exc)

    def __len__(self) -> int:
        return len(self._tasks)

    async def cancel_all(self) -> None:
        """Cancel every live task and wait for each to finish (their exceptions retrieved)."""
        while self._tasks:
            tasks = list(self._tasks)
            await cancel_and_wait(*tasks)
            self._tasks.difference_update(tasks)
