"""SymbolDirectory (engine/account/assets_cache.py) against the simulator's /v2/assets over
127.0.0.1: the cache file round trip, the daily refresh rule on an injected clock, a
failed refresh keeping the old list and saying so once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from engine.account.assets import REFRESH_S, CachedAssets, decode_cache, encode_cache
from engine.account.assets_cache import CHECK_S, RETRY_S, SymbolDirectory
from engine.account.client import TradingRest
from engine.account.models import Asset
from engine.config import Credentials
from engine.simulator import Simulator, SimulatorConfig
from tests.conftest import FakeClock
from tests.engine.account.simharness import KEY, SECRET, run, trading_rest
from tests.waits import until

NOW = 1_750_000_000.0  # wall-clock seconds the fake clock starts at
OLD = (Asset("OLDCO", "Old Company Inc.", "NYSE", True, "active", "us_equity"),
       Asset("AAPL", "Apple Inc.", "NASDAQ", True, "active", "us_equity"))  # fmt: skip


@dataclass
class FakeSleep:
    """The directory's sleep: records each wait and moves the fake clock by it; parks
    for good once `park` says so (stop() cancels it)."""

    clock: FakeClock
    waits: list[float] = field(default_factory=list)
    park: bool | Callable[[], bool] = False

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        if self.park is True or (callable(self.park) and self.park()):
            await asyncio.Event().wait()
        self.clock.advance(seconds)
        await asyncio.sleep(0)


@dataclass
class Setup:
    sim: Simulator
    rest: TradingRest
    directory: SymbolDirectory
    clock: FakeClock
    sleep: FakeSleep
    path: Path
    changes: list[int]


@asynccontextmanager
async def setup(path: Path, *, park: bool = True) -> AsyncIterator[Setup]:
    clock = FakeClock(NOW)
    sleep = FakeSleep(clock, park=park)
    async with Simulator(SimulatorConfig(seed=5)) as sim:
        rest = trading_rest(sim, Credentials(KEY, SECRET))
        directory = SymbolDirectory(clock=clock, sleep=sleep)
        changes: list[int] = []
        directory.add_listener(lambda: changes.append(directory.version))
        try:
            yield Setup(sim, rest, directory, clock, sleep, path, changes)
        finally:
            await directory.stop()
            await rest.aclose()


def write_cache(path: Path, fetched_at: float, source: str = "127.0.0.1") -> None:
    path.write_bytes(encode_cache(CachedAssets(source, fetched_at, OLD)))


def requests(s: Setup) -> int:
    return s.sim.stats.rest_requests


def test_first_start_fetches_the_simulators_list_and_saves_it(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with setup(tmp_path / "state" / "assets.json") as s:
            s.directory.start(s.rest, s.path)
            await until(lambda: s.directory.assets is not None, "list fetched")
            assets = s.directory.assets
            assert assets is not None
            assert [a.symbol for a in assets.search("app")][:1] == ["AAPL"]
            assert assets.get("AAPL") == Asset(
                "AAPL", "Apple Inc.", "NASDAQ", True, "active", "us_equity"
            )
            assert s.directory.refreshes == 1
            assert requests(s) == 1
            await until(s.path.exists, "cache written")
            cached, problems = decode_cache(s.path.read_bytes())
            assert problems == []
            assert cached is not None
            assert cached.source == "127.0.0.1"
            assert cached.fetched_at == NOW
            assert {a.symbol for a in cached.assets} == {a.symbol for a in assets.assets}
            # The next check is at most CHECK_S away (the wall clock is looked at again).
            await until(lambda: len(s.sleep.waits) == 1, "waiting")
            assert s.sleep.waits == [CHECK_S]

    run(scenario())


def test_a_fresh_cache_is_used_without_any_request(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with setup(tmp_path / "assets.json") as s:
            write_cache(s.path, NOW - 3_600)
            s.directory.start(s.rest, s.path)
            await until(lambda: len(s.sleep.waits) == 1, "loaded and waiting")
            assets = s.directory.assets
            assert assets is not None
            assert {a.symbol for a in assets.assets} == {"OLDCO", "AAPL"}
            assert s.directory.fetched_at == NOW - 3_600
            assert requests(s) == 0
            assert s.directory.refreshes == 0

    run(scenario())


def test_a_day_old_cache_serves_at_once_and_is_refreshed_at_start(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with setup(tmp_path / "assets.json") as s:
            write_cache(s.path, NOW - REFRESH_S - 1)
            s.directory.start(s.rest, s.path)
            await until(lambda: len(s.sleep.waits) == 1, "refreshed, saved and waiting")
            assets = s.directory.assets
            assert assets is not None
            assert "OLDCO" not in assets  # the server's list replaced the cached one
            assert "MSFT" in assets
            assert requests(s) == 1
            assert len(s.changes) == 2  # the cached list, then the fetched one
            cached, _ = decode_cache(s.path.read_bytes())
            assert cached is not None
            assert cached.fetched_at == NOW

    run(scenario())


def test_the_list_is_refreshed_daily_on_the_injected_clock(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with setup(tmp_path / "assets.json", park=False) as s:
            directory = s.directory
            s.sleep.park = lambda: directory.refreshes >= 2  # time stops after two
            s.directory.start(s.rest, s.path)
            await until(lambda: s.directory.refreshes >= 2, "second fetch", limit_s=30)
            refreshed = s.clock.now
            # Never sooner than a day after the first fetch, and not much later.
            assert NOW + REFRESH_S <= refreshed <= NOW + REFRESH_S + CHECK_S
            assert all(w <= CHECK_S for w in s.sleep.waits)
            assert len(s.sleep.waits) >= REFRESH_S / CHECK_S
            assert requests(s) == 2
            assert s.directory.fetched_at == refreshed

    run(scenario())


def test_a_failed_refresh_keeps_the_old_list_and_says_so_once(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with setup(tmp_path / "assets.json", park=False) as s:
            write_cache(s.path, NOW - 2 * REFRESH_S)
            s.sim.faults.forbid_trading(KEY)
            directory = s.directory
            s.sleep.park = lambda: directory.failures >= 3
            s.directory.start(s.rest, s.path)
            await until(lambda: s.directory.failures >= 3, "three failed refreshes")
            assets = directory.assets
            assert assets is not None
            assert {a.symbol for a in assets.assets} == {"OLDCO", "AAPL"}  # kept
            assert directory.last_error is not None
            assert "HTTP 403" in directory.last_error
            note = directory.take_note()
            assert note is not None
            assert note.startswith("Symbol list not refreshed (")
            assert "still using the list of" in note
            assert directory.take_note() is None  # once
            assert len(s.changes) == 2  # the cached list, then the one note
            assert RETRY_S in s.sleep.waits
            cached, _ = decode_cache(s.path.read_bytes())
            assert cached is not None
            assert cached.fetched_at == NOW - 2 * REFRESH_S  # the file is left alone

    run(scenario())


def test_after_failures_a_working_refresh_replaces_the_list(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with setup(tmp_path / "assets.json", park=False) as s:
            write_cache(s.path, NOW - 2 * REFRESH_S)
            s.sim.faults.forbid_trading(KEY)
            directory = s.directory
            s.sleep.park = lambda: directory.refreshes >= 1
            s.directory.start(s.rest, s.path)
            await until(lambda: s.directory.failures >= 1, "a failed refresh")
            s.sim.faults.forbid_trading(KEY, forbidden=False)
            await until(lambda: s.directory.refreshes >= 1, "a working refresh")
            assets = s.directory.assets
            assert assets is not None
            assert "MSFT" in assets
            assert s.directory.last_error is None

    run(scenario())


def test_an_unusable_or_foreign_cache_is_not_used(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with setup(tmp_path / "assets.json") as s:
            s.path.write_bytes(b"\x00not json")
            s.directory.start(s.rest, s.path)
            await until(lambda: len(s.sleep.waits) == 1, "fetched instead, saved")
            assert s.directory.refreshes == 1
            assert s.directory.cache_problems == 1
            cached, _ = decode_cache(s.path.read_bytes())
            assert cached is not None  # rewritten whole
        async with setup(tmp_path / "other.json") as s:
            write_cache(s.path, NOW - 60, source="paper-api.alpaca.markets")
            s.directory.start(s.rest, s.path)
            await until(lambda: s.directory.refreshes == 1, "fetched instead")
            assets = s.directory.assets
            assert assets is not None
            assert "OLDCO" not in assets

    run(scenario())


def test_without_an_account_there_is_no_list_and_stop_forgets_it(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with setup(tmp_path / "assets.json") as s:
            write_cache(s.path, NOW - 60)
            s.directory.start(None, s.path)
            await asyncio.sleep(0.05)
            assert s.directory.assets is None  # the REST snapshot check stays in charge
            assert requests(s) == 0
            s.directory.start(s.rest, None)  # no cache path: memory only (the demo)
            await until(lambda: s.directory.assets is not None, "fetched")
            assert not s.path.with_name("assets.json.tmp").exists()
            await s.directory.stop()
            assert s.directory.assets is None
            assert "not loaded" in s.directory.describe()

    run(scenario())


class EmptySource:
    """A server answering an empty list (e.g. a broken proxy): never replaces a list."""

    base_url = "http://127.0.0.1:1"
    calls = 0

    async def assets(self) -> list[Asset]:
        self.calls += 1
        return []


def test_an_empty_answer_never_replaces_the_list(tmp_path: Path) -> None:
    async def scenario() -> None:
        clock = FakeClock(NOW)
        sleep = FakeSleep(clock, park=True)
        directory = SymbolDirectory(clock=clock, sleep=sleep)
        path = tmp_path / "assets.json"
        write_cache(path, NOW - 2 * REFRESH_S)
        source = EmptySource()
        directory.start(source, path)
        try:
            await until(lambda: directory.failures == 1, "a failed refresh")
            assert directory.assets is not None
            assert "OLDCO" in directory.assets
            assert directory.last_error is not None
            assert "no tradable US stocks" in directory.last_error
        finally:
            await directory.stop()

    run(scenario())
