"""engine.core.tasks: cancel_and_wait keeps the caller's cancel; run_to_completion outlives it."""

from __future__ import annotations

import asyncio
import logging

import pytest

from engine.core.tasks import cancel_and_wait, run_to_completion


async def _stubborn(release: asyncio.Event) -> None:
    # Takes its time to finish after being cancelled (like a server closing sockets).
    try:
        await asyncio.sleep(3600)
    finally:
        await release.wait()


async def _children_are_cancelled_and_awaited() -> None:
    sleeper = asyncio.get_running_loop().create_task(asyncio.sleep(3600))

    async def failing() -> None:
        raise ValueError("boom")

    failed = asyncio.get_running_loop().create_task(failing())
    await asyncio.sleep(0)
    await cancel_and_wait(sleeper, failed)
    assert sleeper.cancelled()
    assert isinstance(failed.exception(), ValueError)  # retrieved, not raised here


async def _caller_cancel_propagates() -> None:
    release = asyncio.Event()
    child = asyncio.get_running_loop().create_task(_stubborn(release))
    await asyncio.sleep(0)

    async def owner() -> str:
        await cancel_and_wait(child)  # the child lingers in its finally
        return "carried on"  # the old suppress(CancelledError) pattern got here

    caller = asyncio.get_running_loop().create_task(owner())
    await asyncio.sleep(0.01)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    release.set()
    await asyncio.wait([child])
    assert child.cancelled()


def test_children_are_cancelled_and_awaited() -> None:
    asyncio.run(asyncio.wait_for(_children_are_cancelled_and_awaited(), 10))


def test_a_cancel_of_the_caller_while_it_waits_is_not_swallowed() -> None:
    asyncio.run(asyncio.wait_for(_caller_cancel_propagates(), 10))


async def _work_outlives_a_cancelled_caller(caplog: pytest.LogCaptureFixture) -> None:
    steps: list[str] = []
    release = asyncio.Event()

    async def shutdown(fail: bool) -> str:
        await release.wait()
        steps.append("closed")
        if fail:
            raise OSError("close failed")
        return "done"

    release.set()
    assert await run_to_completion(shutdown(False), "plain") == "done"  # the usual case
    steps.clear()
    release.clear()
    caller = asyncio.get_running_loop().create_task(run_to_completion(shutdown(True), "stop-x"))
    await asyncio.sleep(0.01)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller  # the caller's cancel reaches the caller at once
    assert steps == []
    release.set()
    for _ in range(100):
        if steps:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.01)
    assert steps == ["closed"]  # ...and the work went on to its end
    assert "stop-x failed after its caller was cancelled: OSError('close failed')" in caplog.text


def test_run_to_completion_finishes_the_work_when_the_caller_is_cancelled(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR, logger="engine.core.tasks")
    asyncio.run(asyncio.wait_for(_work_outlives_a_cancelled_caller(caplog), 10))
