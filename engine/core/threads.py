"""Python work off the event loop's thread, without the cyclic garbage collector there.

A collection runs in whichever thread happens to allocate when it is due. Run from a
worker thread, it can finalize objects that belong to the GUI thread (the app's Qt
wrappers kept alive by reference cycles), and a Qt object destroyed off its thread
crashes the process (docs/qt.md, "qasync: one thread, one loop"). So while any worker
runs Python code through `run_in_thread`, automatic collection is paused, and it resumes
when the last one ends; the work is short (a cache file, an index: ~0.1 s), and
reference counting still frees everything that is not in a cycle.
"""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Callable

__all__ = ["run_in_thread"]

_lock = threading.Lock()
_running = 0
_was_enabled = True


def _pause() -> None:
    global _running, _was_enabled
    with _lock:
        if _running == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _running += 1


def _resume() -> None:
    global _running
    with _lock:
        _running -= 1
        if _running == 0 and _was_enabled:
            gc.enable()


async def run_in_thread[T](fn: Callable[..., T], *args: object) -> T:
    """`fn(*args)` in a worker thread (asyncio.to_thread) with automatic GC paused."""
    _pause()
    try:
        return await asyncio.to_thread(fn, *args)
    finally:
        _resume()
