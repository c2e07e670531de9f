"""Shared test setup: offscreen Qt (set before any Qt import), a fake clock, a store,
and a fresh qasync loop per test.

One conftest for the whole tree: the test folders have no __init__.py, so two
conftest.py files would be two modules named `conftest` to mypy.
"""

from __future__ import annotations

import asyncio
import os

# Without a display Qt aborts the interpreter; offscreen needs no X server (QT_NOTES.md).
os.environ["QT_QPA_PLATFORM"] = "offscreen"

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtWidgets import QApplication

from engine.store import MarketDataStore


class FakeClock:
    """A monotonic clock the test moves by hand: ages and TTLs without sleeping."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(clock: FakeClock) -> MarketDataStore:
    return MarketDataStore(clock=clock)


@pytest.fixture(name="qloop")
def qloop_fixture(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    """A fresh qasync loop (QT_NOTES fixture pattern 1), closed after the test."""
    # As in gui.app: closing the last window must not quit the app (and thereby stop a
    # later test's loop); the coroutine owns shutdown.
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


@pytest.fixture
def window_symbols() -> list[str]:
    """The watchlist `make_window` gives a window; a test module overrides this fixture."""
    return ["AAPL", "MSFT"]


@pytest.fixture
def make_window(
    qtbot: Any, store: MarketDataStore, clock: FakeClock, tmp_path: Path, window_symbols: list[str]
) -> Iterator[Callable[..., Any]]:
    """A factory of MainWindows on the test's store and fake clock (no flush timer unless
    `flush_ms` is given),
    settings in `path` (default tmp_path/w.ini); every window is shut down afterwards.
    Keyword arguments go to MainWindow (`store` and `tasks` replace the defaults)."""
    from engine.health import StreamHealth
    from gui.main_window import MainWindow
    from gui.persistence import AppSettings
    from gui.tasks import TaskSet

    windows: list[MainWindow] = []

    def make(path: Path | None = None, **kwargs: Any) -> MainWindow:
        kwargs.setdefault("symbols", window_symbols)
        kwargs.setdefault("flush_ms", 0)
        window = MainWindow(
            kwargs.pop("store", store),
            StreamHealth(clock=clock),
            AppSettings(path or tmp_path / "w.ini"),
            kwargs.pop("tasks", TaskSet()),
            clock=clock,
            **kwargs,
        )
        qtbot.addWidget(window)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.shutdown()
