"""Small asyncio helpers shared by the engine and the simulator."""

from __future__ import annotations

import asyncio
from typing import Any

__all__ = ["cancel_and_wait"]


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
