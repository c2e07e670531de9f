"""BarsClient against the simulator's `GET /v2/stocks/bars` over 127.0.0.1: paging,
the Basic-plan SIP/IEX recipe, 429 then success, and bad bars counted, not raised."""

from __future__ import annotations

import msgspec
import pytest

from engine.config import Credentials
from engine.events import BarKind
from engine.net.bars import BarsClient, decode_bars_page
from engine.net.budget import RequestBudget
from engine.net.rest import RestClient, RestConfig, RestError
from engine.simulator import Plan, Simulator, SimulatorConfig
from tests.engine.simulator.wsclient import ManualClock, et, run

MIN = 60 * 10**9
NOW = et(2026, 11, 20, 11, 0)  # a Friday, regular session
DAY = SimulatorConfig(seed=5, rate=0.0, day=True, symbols=("AAPL", "MSFT", "SPY"))


def client(sim: Simulator, budget: RequestBudget | None = None) -> RestClient:
    return RestClient(RestConfig(sim.rest_url, "iex", Credentials("K", "S")), budget=budget)


def test_pages_of_a_small_limit_join_into_the_one_big_page() -> None:
    async def main() -> None:
        clock = ManualClock(NOW)
        async with Simulator(DAY, clock=clock.session) as sim:
            rest = client(sim)
            bars = BarsClient(rest)
            try:
                args = (["MSFT", "AAPL", "MSFT"], "1Min", et(2026, 11, 19, 9), NOW, "sip")
                paged = await bars.fetch_bars(*args, limit=300)
                pages = bars.requests
                whole = await bars.fetch_bars(*args)
            finally:
                await rest.aclose()
            assert pages > 3
            assert bars.requests == pages + 1
            assert paged == whole
            assert list(paged) == ["AAPL", "MSFT"]
            for rows in paged.values():
                times = [b.timestamp_ns for b in rows]
                assert times == sorted(set(times))
                assert all(b.kind is BarKind.MINUTE and b.timestamp_ns < NOW for b in rows)
            days = BarsClient(rest := client(sim))
            try:
                daily = await days.fetch_bars(["SPY"], "1Day", et(2026, 11, 16), NOW, "iex")
            finally:
                await rest.aclose()
            assert [b.kind for b in daily["SPY"]] == [BarKind.DAILY] * 5
            assert bars.problems == 0

    run(main())


def test_basic_plan_recipe_avoids_the_recent_sip_403_and_marks_the_iex_minutes() -> None:
    async def main() -> None:
        clock = ManualClock(NOW)
        config = SimulatorConfig(seed=5, rate=0.0, day=True, plan=Plan.FREE,
                                 symbols=("AAPL", "MSFT"))  # fmt: skip
        async with Simulator(config, clock=clock.session) as sim:
            rest = client(sim)
            bars = BarsClient(rest)
            try:
                with pytest.raises(RestError) as info:  # what the recipe avoids
                    await bars.fetch_bars(["AAPL"], "1Min", et(2026, 11, 20, 4), NOW, "sip")
                day = await bars.fetch_intraday(["AAPL", "MSFT"], et(2026, 11, 20, 4), NOW,
                                                sip_allowed_recent=False)  # fmt: skip
                whole = await bars.fetch_bars(["AAPL"], "1Min", et(2026, 11, 20, 4), NOW, "iex")
            finally:
                await rest.aclose()
            assert info.value.status == 403
            assert "recent SIP" in info.value.message
            split = NOW - 15 * MIN
            for symbol in ("AAPL", "MSFT"):
                got = day[symbol]
                assert got.iex_from_ns == split
                assert got.iex_count > 0
                assert all(got.feed_of(b) == "iex" for b in got.bars if b.timestamp_ns >= split)
                assert all(got.feed_of(b) == "sip" for b in got.bars if b.timestamp_ns < split)
                times = [b.timestamp_ns for b in got.bars]
                assert times == sorted(set(times))  # no duplicate minute at the seam
            # The feeds share one market in the simulator: the seam loses no minute.
            assert day["AAPL"].bars == whole["AAPL"]

    run(main())


def test_sip_throughout_when_the_plan_allows_it() -> None:
    async def main() -> None:
        clock = ManualClock(NOW)
        async with Simulator(DAY, clock=clock.session) as sim:
            rest = client(sim)
            try:
                day = await BarsClient(rest).fetch_intraday(
                    ["SPY"], et(2026, 11, 20, 4), NOW, sip_allowed_recent=True
                )
            finally:
                await rest.aclose()
            assert day["SPY"].iex_from_ns is None
            assert day["SPY"].iex_count == 0
            assert day["SPY"].bars[-1].timestamp_ns >= NOW - 15 * MIN

    run(main())


def test_429_waits_retry_after_then_the_same_page_succeeds() -> None:
    async def main() -> None:
        clock = ManualClock(NOW)
        # The server allows 2 calls a minute; our budget thinks 10,000: the server says no.
        config = SimulatorConfig(seed=5, rate=0.0, day=True, rest_limit=2,
                                 symbols=("AAPL",))  # fmt: skip
        slept: list[float] = []
        passed = [0.0]  # fake seconds: the simulator's limiter and our budget share them

        def fake_clock() -> float:
            return 1_000.0 + passed[0]

        async def fake_sleep(seconds: float) -> None:
            slept.append(seconds)
            passed[0] += seconds

        async with Simulator(config, clock=clock.session) as sim:
            # The limiter's window is real time (60 s): give it the same fake clock so the
            # test waits no minute; the 429 and its Retry-After still come over HTTP.
            sim.rest_route.limiter._clock = fake_clock
            budget = RequestBudget(10_000, clock=fake_clock, sleep=fake_sleep)
            rest = client(sim, budget)
            bars = BarsClient(rest)
            try:
                await rest.snapshots(["AAPL"])
                got = await bars.fetch_bars(["AAPL"], "1Min", et(2026, 11, 20, 9, 30), NOW,
                                            "iex", limit=50)  # fmt: skip
            finally:
                await rest.aclose()
            assert sim.stats.rest_rate_limited >= 1
            assert budget.rate_limited >= 1
            assert slept
            assert sum(slept) >= 1.0  # Retry-After honoured
            assert passed[0] >= 59.0  # the window had to pass for the page to go
            assert len(got["AAPL"]) == len(
                [b for b in got["AAPL"] if et(2026, 11, 20, 9, 30) <= b.timestamp_ns < NOW]
            )
            assert got["AAPL"][0].timestamp_ns == et(2026, 11, 20, 9, 30)

    run(main())


def test_bad_bars_are_skipped_and_counted_in_words() -> None:
    good = {"t": "2026-11-20T15:00:00Z", "o": 1.0, "h": 2.0, "l": 0.5, "c": 1.5, "v": 10}
    body = msgspec.json.encode({
        "bars": {"AAPL": [good, {"t": "yesterday", "o": 1, "h": 1, "l": 1, "c": 1},
                          {**good, "h": 0.1}, {"o": 1}, {**good, "o": -1.0}]},
        "next_page_token": None,
    })  # fmt: skip
    bars, token, problems = decode_bars_page(body, BarKind.MINUTE)
    assert token is None
    assert len(bars["AAPL"]) == 1
    assert bars["AAPL"][0].timestamp_ns == et(2026, 11, 20, 10)
    assert len(problems) == 4
    assert all(p.startswith("AAPL bar ") for p in problems)
    assert decode_bars_page(b"<html>", BarKind.MINUTE)[2][0].startswith("bars reply is not")
