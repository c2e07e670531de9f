"""Shared, Qt-free test setup: a fake clock and a store.

The engine tests run with PySide6 unimportable (.ci/run's Qt-free step), so nothing here
imports Qt or qasync; the Qt fixtures (a fresh qasync loop per test, windows) live in
tests/gui/conftest.py. The test folders are packages (tests.engine.market...), so each
conftest is its own module to mypy and pytest.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

# Without a display Qt aborts the interpreter; offscreen needs no X server (docs/qt.md).
# Set here, before any test module can import Qt.
os.environ["QT_QPA_PLATFORM"] = "offscreen"

import keyring
import pytest

from engine.market.store import MarketDataStore
from tests.keyrings import MemoryKeyring


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


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """The in-memory keyring backend for one test (the previous backend restored)."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)
