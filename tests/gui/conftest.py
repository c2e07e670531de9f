"""Shared GUI test setup: offscreen Qt (set before any Qt import), a fake clock, a store."""

from __future__ import annotations

import os

# Without a display Qt aborts the interpreter; offscreen needs no X server (QT_NOTES.md).
os.environ["QT_QPA_PLATFORM"] = "offscreen"

import pytest

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
