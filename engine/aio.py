"""Small asyncio helpers shared by the engine and the simulator."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

__all__ = ["cancel_and_wait", "run_to_completion"]

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
