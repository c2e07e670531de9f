"""Async waits with generous upper bounds, for engine and GUI tests alike (Qt-free).

Import with `from tests.waits import until`. The `qloop` fixture (a fresh qasync loop
per test, docs/qt.md pattern 1) lives in tests/gui/conftest.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

WAIT_LIMIT_S = 15.0  # generous upper bound; every wait ends as soon as its condition holds


async def until(condition: Callable[[], bool], what: str, limit_s: float = WAIT_LIMIT_S) -> None:
    """Wait (yielding to the loop) until `condition()` holds; fail with `what` after limit_s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        await asyncio.sleep(0.02)
