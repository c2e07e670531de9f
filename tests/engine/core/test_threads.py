"""run_in_thread: the cyclic GC is paused while any worker runs, and resumed after."""

from __future__ import annotations

import asyncio
import gc
import threading

import pytest

from engine.core.threads import run_in_thread


def test_gc_is_paused_while_workers_run_and_resumed_after() -> None:
    seen: list[bool] = []
    gate = threading.Event()

    def work(wait: bool) -> int:
        seen.append(gc.isenabled())
        if wait:
            gate.wait(5)
        return 7

    async def scenario() -> None:
        assert gc.isenabled()
        slow = asyncio.create_task(run_in_thread(work, True))
        await asyncio.sleep(0.05)
        assert await run_in_thread(work, False) == 7  # ends first: still paused after
        assert not gc.isenabled()
        gate.set()
        assert await slow == 7
        assert gc.isenabled()

    asyncio.run(scenario())
    assert seen == [False, False]


def test_an_error_in_the_worker_still_resumes_the_gc() -> None:
    def boom() -> None:
        raise ValueError("no")

    async def scenario() -> None:
        with pytest.raises(ValueError, match="no"):
            await run_in_thread(boom)
        assert gc.isenabled()

    asyncio.run(scenario())
