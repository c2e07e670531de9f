"""Qt test fixtures: a fresh qasync loop per test and a MainWindow factory.

Only the GUI and reliability tests use these; the engine tests must run without Qt
(tests/conftest.py stays Qt-free). tests/reliability/conftest.py re-exports them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtWidgets import QApplication

from engine.market.store import MarketDataStore
from tests.conftest import FakeClock


@pytest.fixture(name="qloop")
def qloop_fixture(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    """A fresh qasync loop (docs/qt.md, fixture pattern 1), closed after the test."""
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
    `flush_ms` is given), settings in `path` (default tmp_path/w.ini), the price history
    and alert book from `engine_parts` as the app makes them; every window is shut down
    afterwards. Keyword arguments go to MainWindow (`store`, `tasks`, `history` and
    `alerts` replace the defaults)."""
    from engine.core.tasks import TaskSet
    from engine.net.health import StreamHealth
    from gui.main_window import MainWindow
    from gui.runtime import engine_parts
    from gui.settings.persistence import AppSettings

    windows: list[MainWindow] = []

    def make(path: Path | None = None, **kwargs: Any) -> MainWindow:
        kwargs.setdefault("symbols", window_symbols)
        kwargs.setdefault("flush_ms", 0)
        settings = AppSettings(path or tmp_path / "w.ini")
        parts = engine_parts(settings)
        kwargs.setdefault("history", parts.history)
        kwargs.setdefault("alerts", parts.alerts)
        window = MainWindow(
            kwargs.pop("store", store),
            StreamHealth(clock=clock),
            settings,
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
