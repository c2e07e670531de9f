"""Fixtures for the app-level GUI tests: a fresh qasync loop per test, async waits.

QT_NOTES fixture pattern 1: a new `qasync.QEventLoop(qapp)` per test, driven with
`run_until_complete`, closed in teardown. Import the fixtures into a test module with
`from fixtures_app import qloop_fixture  # noqa: F401` (pytest puts
this directory on sys.path: the tests are not a package).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest
import qasync
from PySide6.QtWidgets import QApplication

WAIT_LIMIT_S = 15.0  # generous upper bound; every wait ends as soon as its condition holds


@pytest.fixture(name="qloop")
def qloop_fixture(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    # As in gui.app: closing the last window must not quit the app (and thereby stop
    # a later test's loop before its future completes); the coroutine owns shutdown.
    qapp.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        # Let callbacks scheduled by the last close()/stop() run before closing.
        loop.run_until_complete(asyncio.sleep(0))
        loop.close()
        asyncio.set_event_loop(None)


async def until(condition: Callable[[], bool], what: str, limit_s: float = WAIT_LIMIT_S) -> None:
    """Wait (yielding to the loop) until `condition()` holds; fail with `what` after limit_s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        await asyncio.sleep(0.02)
