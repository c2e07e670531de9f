"""SnapshotPoller against the simulator's REST endpoint, through a fault-injecting proxy.

Requests that pass reach the real simulator over 127.0.0.1 (tests/engine/net/
rest_proxy.py); the proxy answers 5xx, 429 with Retry-After, drops connections or
rewrites an answer where a test says so. Waits are event-driven with generous upper
bounds; nothing asserts on timing.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import string
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass

import msgspec
import pytest

from engine.config import Credentials
from engine.market.store import Freshness, MarketDataStore, Source
from engine.net.rest import RestClient, RestConfig, SnapshotPoller
from engine.simulator import Simulator, SimulatorConfig
from tests.conftest import FakeClock
from tests.engine.net.rest_proxy import DROPPED, RestProxy
from tests.waits import until

# 150 symbols the simulator knows: two requests of at most 100 (sorted: QAA.. first).
MANY = tuple("Q" + a + b for a, b in itertools.product(string.ascii_uppercase, repeat=2))[:150]


def run(coro: Awaitable[None]) -> None:
    async def guarded() -> None:
        await asyncio.wait_for(coro, timeout=60)

    asyncio.run(guarded())


@dataclass
class PollRig:
    sim: Simulator
    proxy: RestProxy
    client: RestClient
    store: MarketDataStore
    poller: SnapshotPoller
    task: asyncio.Task[None]

    def filled(self, *symbols: str) -> bool:
        return all(
            (snap := self.store.get(symbol)) is not None and snap.prev_close is not None
            for symbol in symbols
        )


@contextlib.asynccontextmanager
async def poll_rig(
    symbols: tuple[str, ...],
    *,
    store: MarketDataStore | None = None,
    interval: float = 60.0,
    clock: FakeClock | None = None,
) -> AsyncIterator[PollRig]:
    universe = tuple(dict.fromkeys((*SimulatorConfig().symbols, *symbols)))
    sim_config = SimulatorConfig(seed=8, rate=0.0, symbols=universe)
    async with Simulator(sim_config) as sim, RestProxy(sim.rest_url) as proxy:
        client = RestClient(RestConfig(proxy.url, "iex", Credentials("K", "S")))
        store = store if store is not None else MarketDataStore()
        store.watch(symbols)
        # The default backoff (1 s doubling): the arguments the poller has always taken.
        poller = (
            SnapshotPoller(client, store, interval=interval, clock=clock)
            if clock is not None
            else SnapshotPoller(client, store, interval=interval)
        )
        task = asyncio.get_running_loop().create_task(poller.run())
        try:
            yield PollRig(sim, proxy, client, store, poller, task)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await client.aclose()


# --- issue 12, #3: a failed first request is retried until answered -------------------


@pytest.mark.parametrize(
    ("status", "drop", "retry_after"),
    [(503, False, None), (429, False, "1"), (DROPPED, True, None)],
    ids=["http-503", "http-429", "connection-dropped"],
)
def test_symbols_stay_pending_until_a_snapshot_is_applied(
    status: int, drop: bool, retry_after: str | None
) -> None:
    """Start during a 5xx, a 429 or a network blip: prev close still arrives.

    The interval is long, so only the pending retry can fill the rows (before the fix
    the failed request's symbols were forgotten and EMPTY rows were never asked again).
    """

    async def scenario() -> None:
        async with poll_rig(("AAPL", "SPY")) as r:
            r.proxy.fail(status, times=2, drop=drop, retry_after=retry_after)
            r.poller.request(["AAPL", "SPY"])
            await until(lambda: r.filled("AAPL", "SPY"), "prev close after the failures")
            assert [seen.status for seen in r.proxy.seen] == [status, status, 200]
            assert r.poller.failures == 2
            assert r.poller.last_error is None  # answered: the failure is over
            assert r.poller.pending == frozenset()
            assert not r.task.done()
            for symbol in ("AAPL", "SPY"):
                snap = r.store.get(symbol)
                assert snap is not None
                assert snap.source is Source.REST

    run(scenario())


def test_a_429_waits_as_long_as_retry_after_says_and_says_so() -> None:
    async def scenario() -> None:
        async with poll_rig(("AAPL",)) as r:  # backoff alone would wait 0.8-1.2 s
            r.proxy.fail(429, retry_after="2")
            r.poller.request(["AAPL"])
            await until(lambda: r.poller.failures == 1, "the 429")
            assert r.poller.retry_in == 2.0  # Retry-After, not the backoff
            assert r.poller.last_error is not None
            assert "HTTP 429" in r.poller.last_error
            assert r.poller.last_error.endswith("retrying in 2 s")
            await until(lambda: r.filled("AAPL"), "AAPL after the wait")
            assert r.poller.retry_in is None

    run(scenario())


def test_an_unknown_symbol_is_answered_and_not_asked_again() -> None:
    async def scenario() -> None:
        async with poll_rig(("AAPL", "ZZZZZ")) as r:
            r.poller.request(["AAPL", "ZZZZZ"])
            await until(lambda: r.filled("AAPL"), "AAPL")
            await until(lambda: not r.poller.pending, "nothing pending")
            assert len(r.proxy.requests_for("ZZZZZ")) == 1

    run(scenario())


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("2", 2.0), ("0", 0.0), (" 17 ", 17.0), ("100000", 300.0), ("soon", None), ("", None),
     (None, None), ("-3", None), ("Wed, 21 Oct 2015 07:28:10 GMT", 10.0),
     ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0)],
)  # fmt: skip
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    from engine.net.rest import parse_retry_after

    now = 1445412480.0  # Wed, 21 Oct 2015 07:28:00 GMT
    assert parse_retry_after(value, now) == seconds


# --- issue 12, #12: one failed chunk costs only itself ---------------------------------


def test_answered_chunks_apply_and_only_the_failed_chunk_is_asked_again() -> None:
    first, second = MANY[:100], MANY[100:]

    async def scenario() -> None:
        async with poll_rig(MANY) as r:
            r.proxy.fail(429, when=lambda symbols: second[0] in symbols, retry_after="1")
            r.poller.request(MANY)
            # The first chunk's answer counts although the second was refused...
            await until(lambda: r.filled(*first), "the first chunk despite the 429")
            await until(lambda: r.filled(*second), "the second chunk after its retry")
            # ...and only the refused chunk was asked again.
            assert [len(seen.symbols) for seen in r.proxy.seen] == [100, 50, 50]
            assert [seen.status for seen in r.proxy.seen] == [200, 429, 200]
            assert r.proxy.seen[2].symbols == frozenset(second)

    run(scenario())


def test_fetch_reports_answered_and_failed_chunks() -> None:
    async def scenario() -> None:
        async with poll_rig(MANY) as r:
            r.task.cancel()  # the client alone
            r.proxy.fail(500, when=lambda symbols: MANY[0] in symbols)
            batch = await r.client.fetch(MANY)
            assert batch.answered == set(MANY[100:])
            assert batch.failed == set(MANY[:100])
            assert set(batch.snapshots) == set(MANY[100:])
            assert batch.error is not None
            assert batch.error.status == 500

    run(scenario())


# --- issue 12, #10: Go's zero time, and a round that raises, never end the poller --------


def _zero_time_for_aapl(body: bytes) -> bytes:
    answer = msgspec.json.decode(body)
    answer["AAPL"]["latestTrade"]["t"] = "0001-01-01T00:00:00Z"
    return msgspec.json.encode(answer)


def test_a_zero_time_in_a_snapshot_costs_only_that_part() -> None:
    async def scenario() -> None:
        async with poll_rig(("AAPL", "SPY")) as r:
            r.proxy.rewrite = _zero_time_for_aapl
            r.poller.request(["AAPL", "SPY"])
            await until(lambda: r.filled("AAPL", "SPY"), "both, the zero time ignored")
            assert not r.task.done()
            assert r.client.problems == 1
            aapl = r.store.get("AAPL")
            assert aapl is not None
            assert aapl.bid_price is not None  # the quote still applied
            # A later request still works: the poller is alive.
            r.store.watch(["MSFT"])
            r.proxy.rewrite = None
            r.poller.request(["MSFT"])
            await until(lambda: r.filled("MSFT"), "MSFT afterwards")

    run(scenario())


class _FlakyStore(MarketDataStore):
    """A store whose freshness check fails a few times: any bug in a round, stood for."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    def freshness(self, symbol: str, now: float | None = None) -> Freshness:
        if self.failures > 0:
            self.failures -= 1
            raise RuntimeError("boom")
        return super().freshness(symbol, now)


def test_a_round_that_raises_is_counted_and_the_loop_goes_on() -> None:
    async def scenario() -> None:
        store = _FlakyStore(failures=2)
        async with poll_rig(("AAPL",), store=store, interval=0.05) as r:
            await until(lambda: store.failures == 0, "two failed rounds")
            await until(lambda: r.poller.failures >= 2, "counted")
            assert not r.task.done()
            r.store.watch(["SPY"])
            r.poller.request(["SPY"])
            await until(lambda: r.filled("SPY"), "SPY after the failed rounds")
            assert not r.task.done()

    run(scenario())


# --- the symbol budget: symbols kept alive from REST -----------------------------------


def test_keep_alive_polls_its_symbols_every_interval_as_rest_rows() -> None:
    clock = FakeClock()

    async def scenario() -> None:
        store = MarketDataStore(clock=clock)
        async with poll_rig(("AAPL", "SPY", "MSFT"), store=store, interval=0.1, clock=clock) as r:
            r.poller.request(["MSFT"])  # filled once; FRESH afterwards, so not polled
            await until(lambda: r.filled("MSFT"), "MSFT")
            r.poller.keep_alive(["AAPL", "SPY", "NOTWATCHED"])
            assert r.poller.rest_polled == 2
            assert r.poller.keep_alive_symbols == {"AAPL", "SPY", "NOTWATCHED"}
            await until(lambda: len(r.proxy.requests_for("AAPL")) >= 3, "three polls")
            assert all("MSFT" not in seen.symbols for seen in r.proxy.seen[1:])
            assert all("NOTWATCHED" not in seen.symbols for seen in r.proxy.seen)
            for symbol in ("AAPL", "SPY"):
                snap = r.store.get(symbol)
                assert snap is not None
                assert snap.source is Source.REST
                assert snap.received_at == clock.now  # the age the table shows: 0 s
            # Streamed again: no longer kept alive from REST.
            r.poller.keep_alive(["SPY"])
            assert r.poller.rest_polled == 1
            seen = len(r.proxy.seen)
            await until(lambda: len(r.proxy.seen) >= seen + 3, "three more polls")
            later = r.proxy.seen[seen + 1 :]
            assert all(s.symbols == {"SPY"} for s in later)

    run(scenario())


def test_keep_alive_asks_in_requests_of_at_most_100() -> None:
    async def scenario() -> None:
        async with poll_rig(MANY, interval=0.1) as r:
            r.poller.keep_alive(MANY)
            assert r.poller.rest_polled == len(MANY)
            await until(lambda: len(r.proxy.seen) >= 4, "two rounds")
            assert max(len(seen.symbols) for seen in r.proxy.seen) == 100
            assert r.filled(*MANY)

    run(scenario())
