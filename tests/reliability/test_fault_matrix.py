"""Fault matrix end to end: the real app (offscreen) against a real simulator on
loopback, one fault per test. Asserts what the user sees (status bar, Source/Status
column) and what the store holds before, during and after, with short outages."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.market.store import Freshness
from engine.net.health import ConnectionState
from tests.reliability.fault_harness import (
    FAULTS,
    SECRET,
    SYMBOLS,
    Fault,
    FaultApp,
    TracebackCatcher,
    check_before_during_after,
    run_fault,
)

OUTAGE_S = 2.0  # the script uses 30 s
OFFSCREEN_SHOW = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def tracebacks() -> Iterator[TracebackCatcher]:
    catcher = TracebackCatcher()
    root = logging.getLogger()
    root.addHandler(catcher)
    try:
        yield catcher
    finally:
        root.removeHandler(catcher)


@OFFSCREEN_SHOW
@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_fault(
    fault: Fault,
    qloop: asyncio.AbstractEventLoop,
    tmp_path: Path,
    tracebacks: TracebackCatcher,
) -> None:
    app = FaultApp(tmp_path / "fault.ini")

    async def scenario() -> None:
        await app.start()
        try:
            result = await run_fault(app, fault, OUTAGE_S)
        finally:
            await app.close()
        reconnects = app.session.health.reconnects if app.session else -1
        check_before_during_after(result, fault, reconnects)
        if fault.name == "malformed frames":
            assert result.decode_errors >= 12
        if fault.name.startswith("clock jump"):
            # Ages come from the monotonic clock: an exchange clock an hour ahead moves
            # neither the message age nor a row's age or freshness.
            session = app.session
            assert session is not None
            assert session.store is not None
            assert "h " not in result.after.age
            assert "min" not in result.after.age
            for symbol in SYMBOLS:
                age = session.store.age(symbol)
                assert age is not None
                assert age < 60
                assert session.store.freshness(symbol) is not Freshness.EXPIRED

    qloop.run_until_complete(scenario())
    assert tracebacks.describe() == []
    ini = (tmp_path / "fault.ini").read_text()
    assert SECRET not in ini
    assert app.session is not None
    assert app.session.health.state is ConnectionState.DISCONNECTED
