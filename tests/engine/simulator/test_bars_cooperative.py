"""`GET /v2/stocks/bars` on the simulator: a large page does not hold the event loop
(engine.simulator.barsroute.bars_page yields while it builds), and a new listing
(`SimulatorConfig.new_listings`, `tickerdesk-sim --new-listing`) has no history before
its first print (docs/simulator.md, "New listings"). Over real HTTP on 127.0.0.1; no
timing in any assertion: the loop test counts wake-ups."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from engine.simulator import Simulator, SimulatorConfig
from engine.simulator.cli import _config, _parser
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
NOW = et(2026, 11, 20, 15, 0)  # a Friday, regular session
SYMBOLS = sorted("".join(chr(65 + (i // 26**k) % 26) for k in range(3)) for i in range(100))


def test_a_large_bars_page_lets_other_coroutines_on_the_loop_run() -> None:
    """A 10,000-bar page (100 symbols, 5Min bars of the last days: about 0.3 s of
    generation) is built while a 1 ms sleeper on the same loop keeps waking. Before,
    the page was one synchronous call and the sleeper woke about twice during the
    request (connection set-up), however long the page took."""

    async def main() -> None:
        clock = ManualClock(NOW)
        config = SimulatorConfig(seed=5, rate=0.0, day=True, symbols=tuple(SYMBOLS))
        async with (
            Simulator(config, clock=clock.session) as sim,
            httpx.AsyncClient(base_url=sim.rest_url, timeout=60) as http,
        ):
            params = {"symbols": ",".join(SYMBOLS), "timeframe": "5Min", "limit": "10000",
                      "start": "2026-11-16T04:00:00-05:00"}  # fmt: skip
            wakes = 0
            waiting = True

            async def sleeper() -> None:
                nonlocal wakes
                while waiting:
                    await asyncio.sleep(0.001)
                    wakes += 1

            task = asyncio.create_task(sleeper())
            await asyncio.sleep(0)
            start = wakes
            # The reply's headers come once the whole page is built (Content-Length):
            # count the wake-ups until then, i.e. while the server builds the page.
            async with http.stream("GET", "/v2/stocks/bars", params=params) as reply:
                during = wakes - start
                body = await reply.aread()
            waiting = False
            await task
            assert reply.status_code == 200, body[:200]
            page: dict[str, Any] = httpx.Response(200, content=body).json()
            assert sum(len(rows) for rows in page["bars"].values()) == 10_000
            assert page["next_page_token"] is not None
            assert during >= 10, f"the sleeper woke only {during} times during the request"

    run(main())


NEW_AT = et(2026, 11, 20, 11, 0)


def test_a_new_listing_has_no_history_before_its_first_print() -> None:
    """`new_listings`: no daily bar before today, no minute bar before the listing, null
    snapshot parts until it prints; then the live market's bars, and only those."""

    async def main() -> None:
        clock = ManualClock(NEW_AT)
        config = SimulatorConfig(seed=3, rate=400.0, day=True, symbols=("AAPL",),
                                 new_listings=("NEWCO",), halt_probability=0.0)  # fmt: skip
        async with (
            Simulator(config, clock=clock.session) as sim,
            httpx.AsyncClient(base_url=sim.rest_url) as http,
        ):
            assert "NEWCO" in sim.market  # listed at the start: in the universe
            snap = (await http.get("/v2/stocks/snapshots?symbols=NEWCO,AAPL")).json()
            new = snap["NEWCO"]
            assert new["latestTrade"] is None
            assert new["minuteBar"] is None
            assert new["dailyBar"] is None
            assert new["prevDailyBar"] is None
            assert new["latestQuote"] is not None
            assert snap["AAPL"]["prevDailyBar"] is not None  # established: unchanged
            year = {"symbols": "AAPL,NEWCO", "timeframe": "1Day", "limit": "10000",
                    "start": "2025-11-20T00:00:00Z"}  # fmt: skip
            today = {"symbols": "AAPL,NEWCO", "timeframe": "1Min", "limit": "10000",
                     "start": "2026-11-20T04:00:00-05:00"}  # fmt: skip
            days = (await http.get("/v2/stocks/bars", params=year)).json()["bars"]
            minutes = (await http.get("/v2/stocks/bars", params=today)).json()["bars"]
            assert "NEWCO" not in days
            assert "NEWCO" not in minutes
            assert len(days["AAPL"]) > 200
            assert len(minutes["AAPL"]) > 150

            ws = await handshake(sim, "sip")
            await subscribe(ws, ["NEWCO"], ("trades", "bars", "dailyBars"))
            await advance_to(sim, clock, NEW_AT + 180 * S)
            live = await sync(ws)
            first = next(m for m in live if m["T"] == "t")
            assert ts_ns(first["t"]) >= NEW_AT
            live_bars = [m for m in live if m["T"] == "b"]
            assert live_bars
            minutes = (await http.get("/v2/stocks/bars", params=today)).json()["bars"]
            rows = minutes["NEWCO"]
            assert [r["t"] for r in rows] == [m["t"] for m in live_bars]  # only live bars
            assert all(ts_ns(r["t"]) >= NEW_AT - NEW_AT % (60 * S) for r in rows)
            days = (await http.get("/v2/stocks/bars", params=year)).json()["bars"]
            (day,) = days["NEWCO"]  # today's bar only, from its own prints
            assert et_date(ts_ns(day["t"])) == et_date(NEW_AT)
            assert day["v"] == sum(r["v"] for r in rows)
            snap = (await http.get("/v2/stocks/snapshots?symbols=NEWCO")).json()["NEWCO"]
            assert snap["latestTrade"] is not None
            assert snap["dailyBar"] is not None
            assert snap["prevDailyBar"] is None  # it had no session before today
            await ws.close()

    run(main())


def test_new_listing_command_line_option() -> None:
    args = _parser().parse_args(["--new-listing", "NEWCO,IPOX", "--new-listing", "NEWCO"])
    assert _config(args).new_listings == ("NEWCO", "IPOX")
    assert _config(_parser().parse_args([])).new_listings == ()
    bad = _parser().parse_args(["--new-listing", "not a symbol"])
    with pytest.raises(ValueError, match="not a symbol"):
        _config(bad)
