"""`GET /v2/stocks/bars` on the simulator (docs/simulator.md, "Historical bars"), over
real HTTP on 127.0.0.1: pagination, the limit across symbols, a year of daily bars in
the calendar, Basic's recent-SIP 403, 400s, one rate limit with the snapshots, the join
between history and the live stream, and determinism by seed."""

from __future__ import annotations

import asyncio
import warnings
from datetime import UTC, date, datetime
from typing import Any

import httpx

from engine.market.calendar import is_trading_day
from engine.simulator import Plan, Simulator, SimulatorConfig
from engine.simulator.history import et_date
from tests.engine.simulator.wsclient import (
    ManualClock,
    advance_to,
    et,
    handshake,
    run,
    subscribe,
    sync,
    ts_ns,
)

S = 10**9
NOW = et(2026, 11, 20, 11, 0)  # a Friday, regular session
DAY = SimulatorConfig(seed=5, rate=0.0, day=True, symbols=("AAPL", "MSFT", "SPY"))


async def get(http: httpx.AsyncClient, **params: Any) -> httpx.Response:
    return await http.get("/v2/stocks/bars", params=params)


async def all_pages(http: httpx.AsyncClient, **params: Any) -> tuple[dict[str, list[Any]], int]:
    """Every bar of a query, following next_page_token; and the number of pages."""
    bars: dict[str, list[Any]] = {}
    token: str | None = None
    pages = 0
    while True:
        extra = {"page_token": token} if token else {}
        reply = await get(http, **params, **extra)
        assert reply.status_code == 200, reply.text
        body = reply.json()
        pages += 1
        assert sum(len(v) for v in body["bars"].values()) <= int(params.get("limit", 1000))
        for symbol, rows in body["bars"].items():
            bars.setdefault(symbol, []).extend(rows)
        token = body["next_page_token"]
        if token is None:
            return bars, pages


def test_pages_follow_next_page_token_and_join_into_the_single_page_answer() -> None:
    async def main() -> None:
        clock = ManualClock(NOW)
        async with (
            Simulator(DAY, clock=clock.session) as sim,
            httpx.AsyncClient(base_url=sim.rest_url) as http,
        ):
            query = {"symbols": "MSFT,AAPL", "timeframe": "1Min",
                     "start": "2026-11-19T09:00:00Z", "end": "2026-11-20T16:00:00Z"}  # fmt: skip
            paged, pages = await all_pages(http, **query, limit=300)
            whole = (await get(http, **query, limit=10_000)).json()
            assert whole["next_page_token"] is None
            assert pages > 3
            assert paged == whole["bars"]
            assert list(paged) == ["AAPL", "MSFT"]
            for rows in paged.values():
                times = [ts_ns(r["t"]) for r in rows]
                assert times == sorted(set(times))  # no duplicate minute, oldest first
                assert all(t % (60 * S) == 0 for t in times)
                assert times[-1] < NOW
                assert set(rows[0]) == {"t", "o", "h", "l", "c", "v", "n", "vw"}

    run(main())


def test_limit_counts_bars_across_all_symbols() -> None:
    async def main() -> None:
        clock = ManualClock(NOW)
        async with (
            Simulator(DAY, clock=clock.session) as sim,
            httpx.AsyncClient(base_url=sim.rest_url) as http,
        ):
            query = {"symbols": "AAPL,MSFT,SPY", "timeframe": "1Day", "start": "2026-11-16"}
            first = (await get(http, **query, limit=7)).json()
            assert [len(v) for v in first["bars"].values()] == [5, 2]  # AAPL 5 days, MSFT 2
            assert first["next_page_token"] is not None
            rest = (await get(http, **query, limit=7, page_token=first["next_page_token"])).json()
            assert [len(v) for v in rest["bars"].values()] == [3, 4]  # MSFT 3, SPY 4 so far
            assert list(rest["bars"]) == ["MSFT", "SPY"]
            assert rest["next_page_token"] is not None
            last = (await get(http, **query, limit=7, page_token=rest["next_page_token"])).json()
            assert last == {"bars": {"SPY": last["bars"]["SPY"]}, "next_page_token": None}
            assert len(last["bars"]["SPY"]) == 1

    run(main())


def test_a_year_of_daily_bars_has_one_bar_per_trading_day() -> None:
    async def main() -> None:
        clock = ManualClock(NOW)
        async with (
            Simulator(DAY, clock=clock.session) as sim,
            httpx.AsyncClient(base_url=sim.rest_url) as http,
        ):
            bars, _ = await all_pages(http, symbols="AAPL", timeframe="1Day",
                                      start="2025-11-20T00:00:00Z", limit=100)  # fmt: skip
            rows = bars["AAPL"]
            days = [et_date(ts_ns(r["t"])) for r in rows]
            assert 248 <= len(rows) <= 254
            assert all(is_trading_day(d) for d in days)  # no weekends, no holidays
            assert date(2025, 12, 25) not in days
            assert date(2026, 11, 20) in days
            assert all(r["l"] <= min(r["o"], r["c"]) <= max(r["o"], r["c"]) <= r["h"] for r in rows)
            snap = (await http.get("/v2/stocks/snapshots?symbols=AAPL")).json()["AAPL"]
            assert rows[-1] == snap["dailyBar"]
            assert rows[-2] == snap["prevDailyBar"]

    run(main())


def test_minute_bars_follow_the_calendar_and_sum_to_the_daily_bar() -> None:
    async def main() -> None:
        clock = ManualClock(NOW)
        async with (
            Simulator(DAY, clock=clock.session) as sim,
            httpx.AsyncClient(base_url=sim.rest_url) as http,
        ):
            thursday = {"start": "2026-11-19T00:00:00-05:00", "end": "2026-11-20T00:00:00-05:00"}
            minutes = (await get(http, symbols="AAPL", timeframe="1Min", limit=10_000,
                                 **thursday)).json()["bars"]["AAPL"]  # fmt: skip
            day = (await get(http, symbols="AAPL", timeframe="1Day", **thursday)).json()
            (bar,) = day["bars"]["AAPL"]
            times = [ts_ns(r["t"]) for r in minutes]
            assert et(2026, 11, 19, 4, 0) <= times[0]
            assert times[-1] < et(2026, 11, 19, 20, 0)
            regular = [r for r, t in zip(minutes, times, strict=True)
                       if et(2026, 11, 19, 9, 30) <= t < et(2026, 11, 19, 16, 0)]  # fmt: skip
            assert ts_ns(regular[0]["t"]) == et(2026, 11, 19, 9, 30)  # the opening minute
            assert regular[0]["o"] == bar["o"]
            assert regular[-1]["c"] == bar["c"]
            assert max(r["h"] for r in regular) == bar["h"]
            assert min(r["l"] for r in regular) == bar["l"]
            assert sum(r["v"] for r in minutes) == bar["v"]
            weekend = await get(http, symbols="AAPL", timeframe="1Min",
                                start="2026-11-14T00:00:00-05:00",
                                end="2026-11-16T00:00:00-05:00")  # fmt: skip
            assert weekend.json() == {"bars": {}, "next_page_token": None}  # absent, not empty
            hours = (await get(http, symbols="AAPL", timeframe="1Hour", **thursday)).json()
            assert [ts_ns(r["t"]) % (3600 * S) for r in hours["bars"]["AAPL"]] == [0] * 16
            assert sum(r["v"] for r in hours["bars"]["AAPL"]) == bar["v"]

    run(main())


def test_free_plan_refuses_recent_sip_with_403_and_bad_queries_with_400() -> None:
    async def main() -> None:
        clock = ManualClock(NOW)
        config = SimulatorConfig(seed=5, rate=0.0, day=True, plan=Plan.FREE)
        async with (
            Simulator(config, clock=clock.session) as sim,
            httpx.AsyncClient(base_url=sim.rest_url) as http,
        ):
            recent = "2026-11-20T10:50:00-05:00"  # 10 minutes before now
            refused = await get(http, symbols="AAPL", timeframe="1Min", feed="sip", end=recent)
            assert refused.status_code == 403
            assert refused.json() == {
                "message": "subscription does not permit querying recent SIP data"
            }
            old = await get(http, symbols="AAPL", timeframe="1Min", feed="sip",
                            end="2026-11-20T10:40:00-05:00")  # fmt: skip
            assert old.status_code == 200
            assert ts_ns(old.json()["bars"]["AAPL"][-1]["t"]) < et(2026, 11, 20, 10, 40)
            default_end = (await get(http, symbols="AAPL", timeframe="1Min", feed="sip")).json()
            assert ts_ns(default_end["bars"]["AAPL"][-1]["t"]) < et(2026, 11, 20, 10, 45)
            iex = await get(http, symbols="AAPL", timeframe="1Min", feed="iex", end=recent)
            assert iex.status_code == 200
            bad = {"timeframe": "7Fortnight", "limit": "10001", "start": "yesterday",
                   "sort": "sideways", "feed": "nasdaq", "page_token": "%%%"}  # fmt: skip
            for name, value in bad.items():
                params = {"symbols": "AAPL", "timeframe": "1Min", name: value}
                reply = await get(http, **params)
                assert reply.status_code == 400, name
                assert reply.json()["message"], name
            assert (await get(http, timeframe="1Min")).status_code == 400
            assert sim.stats.rest_bad_requests == 8

    run(main())


def test_bars_and_snapshots_share_one_rate_limit() -> None:
    async def main() -> None:
        clock = ManualClock(NOW)
        config = SimulatorConfig(seed=5, rate=0.0, day=True, rest_limit=2)
        async with (
            Simulator(config, clock=clock.session) as sim,
            httpx.AsyncClient(base_url=sim.rest_url, headers={"APCA-API-KEY-ID": "k",
                                                              "APCA-API-SECRET-KEY": "s"}) as http,
        ):  # fmt: skip
            assert (await http.get("/v2/stocks/snapshots?symbols=AAPL")).status_code == 200
            assert (await get(http, symbols="AAPL", timeframe="1Day")).status_code == 200
            refused = await get(http, symbols="AAPL", timeframe="1Day")
            assert refused.status_code == 429
            assert int(refused.headers["Retry-After"]) >= 1
            assert sim.stats.rest_rate_limited == 1

    run(main())


def test_the_last_minute_bar_before_the_start_joins_the_live_stream() -> None:
    async def main() -> None:
        clock = ManualClock(NOW)
        config = SimulatorConfig(seed=9, rate=400.0, day=True, symbols=("AAPL", "MSFT"),
                                 halt_probability=0.0)  # fmt: skip
        async with (
            Simulator(config, clock=clock.session) as sim,
            httpx.AsyncClient(base_url=sim.rest_url) as http,
        ):
            ws = await handshake(sim, "sip")
            await subscribe(ws, ["AAPL"], ("trades", "bars"))
            await advance_to(sim, clock, NOW + 150 * S)
            live = await sync(ws)
            first_trade = next(m for m in live if m["T"] == "t")
            first_live_bar = next(m for m in live if m["T"] == "b")
            body = (await get(http, symbols="AAPL", timeframe="1Min", limit=10_000,
                              start="2026-11-20T04:00:00-05:00")).json()  # fmt: skip
            rows = body["bars"]["AAPL"]
            before = [r for r in rows if ts_ns(r["t"]) < NOW]
            assert abs(before[-1]["c"] - first_trade["p"]) <= 0.005 * first_trade["p"]
            # The live minute bars are served too, after the history, without overlap.
            after = [r for r in rows if ts_ns(r["t"]) >= NOW]
            assert after
            assert after[0]["t"] == first_live_bar["t"]
            assert after[0]["c"] == first_live_bar["c"]
            assert after[0]["v"] == first_live_bar["v"]
            times = [ts_ns(r["t"]) for r in rows]
            assert times == sorted(set(times))
            await ws.close()

    run(main())


def test_history_is_a_function_of_the_seed() -> None:
    async def fetch(seed: int) -> dict[str, Any]:
        clock = ManualClock(NOW)
        config = SimulatorConfig(seed=seed, rate=0.0, day=True)
        async with (
            Simulator(config, clock=clock.session) as sim,
            httpx.AsyncClient(base_url=sim.rest_url) as http,
        ):
            reply = await get(http, symbols="AAPL,NEWCO", timeframe="5Min", limit=2_000,
                              start="2026-11-18T00:00:00Z")  # fmt: skip
            body: dict[str, Any] = reply.json()
            return body

    first, again, other = run(fetch(3)), run(fetch(3)), run(fetch(4))
    assert first == again
    assert first["bars"]["AAPL"] != other["bars"]["AAPL"]
    assert set(first["bars"]) == {"AAPL", "NEWCO"}  # a name asked for joins the universe


def test_alpaca_py_historical_client_pages_through_the_simulator() -> None:
    with warnings.catch_warnings():
        # alpaca-py imports websockets.legacy, deprecated since websockets 14; only that.
        warnings.filterwarnings("ignore", "websockets.legacy is deprecated", DeprecationWarning)
        from alpaca.data.historical.stock import StockHistoricalDataClient
        from alpaca.data.models import BarSet
        from alpaca.data.requests import StockBarsRequest
        from alpaca.data.timeframe import TimeFrame

    async def main() -> None:
        clock = ManualClock(NOW)
        async with Simulator(DAY, clock=clock.session) as sim:
            client = StockHistoricalDataClient("key", "secret", url_override=sim.rest_url)
            request = StockBarsRequest(
                symbol_or_symbols=["AAPL", "MSFT"], timeframe=TimeFrame.Day,
                start=datetime(2025, 11, 20, tzinfo=UTC), end=datetime(2026, 11, 20, tzinfo=UTC),
            )  # fmt: skip
            # alpaca-py is synchronous: run it off the loop the simulator serves on.
            barset = await asyncio.to_thread(client.get_stock_bars, request)
            assert isinstance(barset, BarSet)
            assert 248 <= len(barset.data["AAPL"]) <= 254
            assert len(barset.data["MSFT"]) == len(barset.data["AAPL"])

    run(main())
