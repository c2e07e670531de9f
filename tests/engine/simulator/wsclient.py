"""A raw websockets client for simulator tests, and a session clock the test moves by hand.

Deliberately not engine.net/engine.protocol (as in test_simulator.py): these tests pin the
simulator to docs/protocol.md on their own. With `ManualClock` the simulated time only
moves when the test says so, so what a phase produces is checked without any timing:
`advance_to` waits (event-driven) until the market has caught up, and `sync` reads a
session's frames up to the answer of a no-op request, which the server queues after
every data frame sent before it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any, TypeVar

import msgpack
from websockets.asyncio.client import ClientConnection, connect

from engine.market.calendar import EASTERN, to_ns
from engine.simulator import Simulator
from engine.simulator.clock import SessionClock

T = TypeVar("T")
WAIT = 10.0  # generous upper bound for anything event-driven
Msg = dict[str, Any]


def run[T](coro: Coroutine[Any, Any, T], timeout: float = 90.0) -> T:
    """Run one test coroutine on a fresh loop, bounded."""

    async def bounded() -> T:
        async with asyncio.timeout(timeout):
            return await coro

    return asyncio.run(bounded())


def et(year: int, month: int, day: int, hour: int = 0, minute: int = 0, sec: int = 0) -> int:
    """A New York wall-clock time as Unix ns."""
    return to_ns(datetime(year, month, day, hour, minute, sec, tzinfo=EASTERN))


def ts_ns(text: str) -> int:
    """RFC 3339 `...Z` (up to 9 fractional digits) to Unix ns, exactly."""
    head, _, frac = text.removesuffix("Z").partition(".")
    whole = to_ns(datetime.fromisoformat(head + "+00:00"))
    return whole + int((frac or "0").ljust(9, "0"))


class ManualClock:
    """A monotonic source the test sets; `session` is the SessionClock built on it."""

    def __init__(self, start_ns: int) -> None:
        self.start_ns = start_ns
        self._elapsed = 0
        self.session = SessionClock(start_ns, 1.0, monotonic_ns=lambda: self._elapsed)

    def set(self, when_ns: int) -> None:
        if when_ns < self.start_ns + self._elapsed:
            raise ValueError("a session clock never runs backwards")
        self._elapsed = when_ns - self.start_ns


async def until(predicate: Callable[[], bool], within: float = WAIT) -> None:
    """Poll `predicate` (yielding to the loop) until it holds; the server has no event."""
    async with asyncio.timeout(within):
        while not predicate():  # noqa: ASYNC110 - polling a plain attribute of the server
            await asyncio.sleep(0.005)


async def advance_to(sim: Simulator, clock: ManualClock, when_ns: int) -> None:
    """Move simulated time to `when_ns` and wait until the market has generated up to it."""
    clock.set(when_ns)
    await until(lambda: sim.market.clock_ns >= when_ns)


def decode(frame: str | bytes) -> list[Msg]:
    if isinstance(frame, bytes):
        result: list[Msg] = msgpack.unpackb(frame, timestamp=0)
        return result
    loaded: list[Msg] = json.loads(frame)
    return loaded


async def recv(ws: ClientConnection, within: float = WAIT) -> list[Msg]:
    return decode(await asyncio.wait_for(ws.recv(), within))


async def handshake(sim: Simulator, feed: str = "iex", key: str = "key") -> ClientConnection:
    ws = await connect(f"{sim.ws_url}/v2/{feed}", open_timeout=WAIT)
    assert await recv(ws) == [{"T": "success", "msg": "connected"}]
    await ws.send(json.dumps({"action": "auth", "key": key, "secret": "secret"}))
    assert await recv(ws) == [{"T": "success", "msg": "authenticated"}]
    return ws


ALL_CHANNELS = ("trades", "quotes", "bars", "updatedBars", "dailyBars", "statuses", "lulds")


async def subscribe(
    ws: ClientConnection, symbols: list[str], channels: tuple[str, ...] = ALL_CHANNELS
) -> Msg:
    await ws.send(json.dumps({"action": "subscribe", **dict.fromkeys(channels, symbols)}))
    (reply,) = await recv(ws)
    assert reply["T"] == "subscription"
    return reply


async def sync(ws: ClientConnection, test_feed: bool = False) -> list[Msg]:
    """Every data message queued for `ws` so far: read up to the answer of a no-op."""
    await ws.send(
        json.dumps({"action": "unsubscribe", "quotes" if test_feed else "lulds": ["ZZZZ"]})
    )
    got: list[Msg] = []
    async with asyncio.timeout(WAIT):
        while True:
            frame = await recv(ws)
            if frame[0]["T"] == "subscription":
                return got
            got.extend(frame)
