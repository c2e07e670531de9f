"""A hostile network between the real app (offscreen) and the real simulator: the fault
matrix's before/during/after assertions, one network fault per test, through the loopback
proxy of tests/reliability/netproxy.py (docs/reliability.md, "Network faults")."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.net.health import ConnectionState
from tests.reliability.fault_harness import (
    SECRET,
    Fault,
    TracebackCatcher,
    check_before_during_after,
    run_fault,
)
from tests.reliability.netproxy import FrameCursor
from tests.reliability.network_faults import NETWORK_FAULTS, make_app

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


def test_frame_cursor_cuts_inside_a_payload_after_the_http_answer() -> None:
    cursor = FrameCursor()
    http = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"
    # Split the answer's end across two chunks: the cursor still finds it.
    assert cursor.advance(http[:-2]) is None
    assert cursor.advance(http[-2:]) is None
    frame = bytes([0x81, 10]) + b"0123456789"  # a text frame, 10 bytes of payload
    cut = cursor.advance(frame + frame)
    assert cut == 2 + 5  # half way through the first payload
    # A 126-length header split from its payload: the cut lands in the payload.
    big = bytes([0x82, 126]) + (300).to_bytes(2, "big")
    assert cursor.advance(big) is None
    assert cursor.advance(b"x" * 300) == 150


@OFFSCREEN_SHOW
@pytest.mark.parametrize("fault", NETWORK_FAULTS, ids=[f.name for f in NETWORK_FAULTS])
def test_network_fault(
    fault: Fault,
    qloop: asyncio.AbstractEventLoop,
    tmp_path: Path,
    tracebacks: TracebackCatcher,
) -> None:
    app = make_app(fault, tmp_path / "fault.ini")
    seen_behind: list[bool] = []

    async def scenario() -> None:
        await app.start()
        try:
            result = await run_fault(app, fault, OUTAGE_S)
            assert app.session is not None
            health = app.session.health
            seen_behind.append(health.falling_behind_events > 0)
        finally:
            await app.close()
        net = app.net()
        check_before_during_after(result, fault, health.reconnects)
        assert result.decode_errors == 0  # split, late or cut frames are never misread
        if not fault.disconnects:  # slow or shredded: never even falling behind
            assert not health.falling_behind
        if fault.name.startswith("tiny"):
            assert net.stats.segments_down > 1000
        if fault.name.startswith("bandwidth"):
            # Backpressure shown honestly: falling behind first, then the server's 407.
            assert seen_behind == [True]
            assert health.falling_behind_events >= 1
            assert not health.falling_behind  # a fresh connection is not behind
        if fault.name.startswith("stall"):
            assert net.stats.stalled_mid_frame == 1
        if fault.name.startswith("reset"):
            assert net.stats.handshake_resets == 2
            assert result.reconnects >= 3  # the reset, then two failed handshakes

    qloop.run_until_complete(scenario())
    assert tracebacks.describe() == []
    assert SECRET not in (tmp_path / "fault.ini").read_text()
    assert app.session is not None
    assert app.session.health.state is ConnectionState.DISCONNECTED
