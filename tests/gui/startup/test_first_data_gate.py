"""Start-up (issue 16): the first stream frame has the loop to itself. REST (snapshots,
history backfill) and the account send their first request after the first live row,
or after a cap when no stream data comes; their panels and the history count show at
once (gui.runtime_gate, docs/performance.md "Start-up, second round").

The real Runtime runs offscreen with its embedded simulator on 127.0.0.1; the simulator
counts every REST request it answers."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from engine.demo import DemoOptions, parse_demo_at
from engine.market.history_load import HistoryLoad
from engine.market.store import Source
from gui.runtime import Runtime, RuntimeOptions
from tests.waits import until

OFFSCREEN_SHOW = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
SYMBOLS = ["AAPL", "MSFT", "SPY", "NVDA"]


def _options(tmp_path: Path) -> RuntimeOptions:
    return RuntimeOptions(
        demo=True, symbols=SYMBOLS, settings_path=tmp_path / "gate.ini",
        demo_clock=DemoOptions(start_ns=parse_demo_at("2026-11-20T11:00-05:00")),
    )  # fmt: skip


def _streamed(runtime: Runtime) -> bool:
    """A watched symbol holds data from the stream (not from a REST snapshot)."""
    store = runtime.store
    assert store is not None
    for symbol in SYMBOLS:
        snap = store.get(symbol)
        if snap is not None and snap.updates > 0 and snap.source is not Source.REST:
            return True
    return False


@OFFSCREEN_SHOW
def test_rest_and_the_account_wait_for_the_first_live_row_their_panels_do_not(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    async def scenario() -> None:
        runtime = Runtime(_options(tmp_path), asyncio.Event())
        try:
            await runtime.start()
            window, simulator = runtime.window, runtime.simulator
            assert window is not None
            assert simulator is not None
            # At once: the account's panels and badge, the history count.
            assert runtime.account.panels is not None
            assert runtime.account.badge.text() == "PAPER"
            window.status.history.refresh()
            assert re.fullmatch(r"history [0-3] of 4 symbols", window.status.history.text())
            # Every loop turn: no REST request answered before the stream's first data.
            first_request_streamed: bool | None = None
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 10.0
            while first_request_streamed is None and loop.time() < deadline:
                if simulator.stats.rest_requests > 0:
                    first_request_streamed = _streamed(runtime)
                await asyncio.sleep(0)
            assert first_request_streamed is True, "a REST request before the first data"
            # ... and then REST does its work: history loaded, the account read.
            history = runtime.parts.history

            def loaded() -> bool:
                return all(
                    (h := history.get(s)) is not None and h.load is HistoryLoad.LOADED
                    for s in SYMBOLS
                )

            await until(loaded, "history of every symbol")
            book = runtime.account.book
            assert book is not None
            await until(lambda: book.account is not None, "the account read over REST")
        finally:
            await runtime.close()
        assert len(runtime.tasks) == 0

    qloop.run_until_complete(scenario())


@OFFSCREEN_SHOW
def test_without_stream_data_rest_starts_at_the_cap(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    async def scenario() -> None:
        runtime = Runtime(_options(tmp_path), asyncio.Event())
        try:
            runtime.first_data._cap_s = 0.2  # the default 1 s would only slow the test
            await runtime.start()
            assert runtime.client is not None
            await runtime.client.stop()  # the stream never delivers (Connect off)
            assert runtime.simulator is not None
            stats = runtime.simulator.stats
            await until(lambda: stats.rest_requests > 0, "REST going out without a stream")
            assert runtime.first_data.is_open
            assert not _streamed(runtime)
        finally:
            await runtime.close()
        assert len(runtime.tasks) == 0

    qloop.run_until_complete(scenario())


@OFFSCREEN_SHOW
def test_the_table_flushes_at_once_until_the_first_live_row_then_at_its_interval(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    from gui.runtime_gate import FIRST_FLUSH_MS

    async def scenario() -> None:
        runtime = Runtime(_options(tmp_path), asyncio.Event())
        try:
            await runtime.start()
            window = runtime.window
            assert window is not None
            own = runtime.settings.flush_ms()
            assert own > FIRST_FLUSH_MS
            assert window.model.flush_interval() == FIRST_FLUSH_MS
            await until(lambda: runtime.first_data.is_open, "the first live row")
            assert window.model.flush_interval() == own
        finally:
            await runtime.close()

    qloop.run_until_complete(scenario())


@OFFSCREEN_SHOW
def test_the_app_freezes_its_start_heap_after_the_first_live_row(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """gui.app's own process (freeze_start_heap) hands the heap it built to Python's
    permanent generation once the first live row is painted, so the cycle collector's
    full passes no longer walk it; tests leave it off (docs/performance.md)."""
    import dataclasses
    import gc

    from gui.runtime_gate import thaw_start_heap

    assert gc.get_freeze_count() == 0
    options = dataclasses.replace(_options(tmp_path), freeze_start_heap=True)

    async def scenario() -> None:
        runtime = Runtime(options, asyncio.Event())
        try:
            await runtime.start()
            assert gc.get_freeze_count() == 0  # not before the first live row
            await until(lambda: gc.get_freeze_count() > 0, "the start heap frozen")
            assert runtime.first_data.is_open
            frozen = gc.get_freeze_count()
            assert runtime.window is not None
            objects = gc.get_objects()  # the window's wrapper is frozen, not tracked anew
            assert all(o is not runtime.window for o in objects)
            del objects
            assert frozen > 1000
        finally:
            thaw_start_heap()  # this test process runs many apps
            await runtime.close()
        assert gc.get_freeze_count() == 0

    qloop.run_until_complete(scenario())
