"""A plan's limits and the delayed feed (docs/account-and-history.md, "Plans and limits").

Basic (Plan.FREE): 30 symbols over trades+quotes per connection, a refused subscribe
answered by 405 alone with nothing changed; 200 REST calls a minute per key, then HTTP
429 with Retry-After; no recent SIP data over REST (403). `/v2/delayed_sip` runs 15
simulated minutes behind, with timestamps unchanged.
"""

from __future__ import annotations

import itertools
import json

import httpx

from engine.simulator import Plan, Simulator, SimulatorConfig
from engine.simulator.delay import DelayLine
from engine.simulator.ratelimit import RateLimiter
from engine.simulator.wire import Quote, Ts
from tests.engine.simulator.wsclient import (
    ManualClock,
    Msg,
    advance_to,
    et,
    handshake,
    recv,
    run,
    subscribe,
    sync,
    ts_ns,
)

S = 10**9
RECENT_SIP = "subscription does not permit querying recent SIP data"


def names(count: int) -> list[str]:
    return ["".join(p) for p in itertools.islice(itertools.product("ABCDE", repeat=3), count)]


def test_free_plan_405_changes_nothing_and_sends_no_subscription_reply() -> None:
    async def main() -> None:
        config = SimulatorConfig(seed=1, rate=0.0, plan=Plan.FREE)
        async with Simulator(config) as sim:
            ws = await handshake(sim)
            thirty = names(30)
            reply = await subscribe(ws, thirty, ("trades", "bars"))
            assert len(reply["trades"]) == 30
            before = sim.session_info()[0].subscription
            # one more symbol on quotes: 31 over trades+quotes
            await ws.send(json.dumps({"action": "subscribe", "quotes": ["ZZZ"], "bars": ["ZZZ"]}))
            assert await recv(ws) == [{"T": "error", "code": 405, "msg": "symbol limit exceeded"}]
            assert sim.session_info()[0].subscription == before
            assert "ZZZ" not in sim.market  # not even the universe changed
            # The next frame answers the NEXT request: no subscription reply followed the 405.
            await ws.send(json.dumps({"action": "unsubscribe", "trades": [thirty[0]]}))
            (answer,) = await recv(ws)
            assert answer["T"] == "subscription"
            assert answer["trades"] == thirty[1:]
            assert answer["quotes"] == []
            assert "ZZZ" not in answer["bars"]
            # bars do not count: the 30 symbols of trades+quotes are what is limited
            assert (await subscribe(ws, names(40), ("bars",)))["trades"] == thirty[1:]
            await ws.close()

    run(main())


def test_free_plan_rest_allows_200_calls_a_minute_then_429_with_retry_after() -> None:
    async def main() -> None:
        config = SimulatorConfig(seed=1, rate=0.0, plan=Plan.FREE)
        assert config.effective_rest_limit == 200
        async with Simulator(config) as sim, httpx.AsyncClient(base_url=sim.rest_url) as http:
            url = "/v2/stocks/snapshots?symbols=AAPL&feed=iex"
            key_a = {"APCA-API-KEY-ID": "a", "APCA-API-SECRET-KEY": "s"}
            for i in range(200):
                ok = await http.get(url, headers=key_a)
                assert ok.status_code == 200, i
            assert ok.headers["X-RateLimit-Limit"] == "200"
            assert ok.headers["X-RateLimit-Remaining"] == "0"
            refused = await http.get(url, headers=key_a)
            assert refused.status_code == 429
            assert refused.json() == {"message": "too many requests."}
            assert 1 <= int(refused.headers["Retry-After"]) <= 60
            assert int(refused.headers["X-RateLimit-Reset"]) > 0
            # per key: another key has its own 200
            other = await http.get(
                url, headers={"APCA-API-KEY-ID": "b", "APCA-API-SECRET-KEY": "s"}
            )
            assert other.status_code == 200
            assert sim.stats.rest_rate_limited == 1
            # recent SIP data stays refused on Basic
            sip = await http.get(
                "/v2/stocks/snapshots?symbols=AAPL&feed=sip",
                headers={"APCA-API-KEY-ID": "c", "APCA-API-SECRET-KEY": "s"},
            )
            assert sip.status_code == 403
            assert sip.json() == {"message": RECENT_SIP}

    run(main())


def test_rate_limiter_window_slides_and_memory_is_bounded() -> None:
    now = [1000.0]
    limiter = RateLimiter(3, max_keys=2, clock=lambda: now[0])
    assert [limiter.check("k").allowed for _ in range(4)] == [True, True, True, False]
    refused = limiter.check("k")
    assert (refused.retry_after_s, refused.remaining) == (60, 0)
    assert ("Retry-After", "60") in refused.headers(wall_s=0.0)
    now[0] += 59.5
    assert limiter.check("k").retry_after_s == 1  # rounded up, never 0
    now[0] += 0.5
    assert limiter.check("k").allowed  # the first three calls left the window
    for key in ("x", "y", "z"):
        limiter.check(key)
    assert len(limiter._calls) == 2  # least recently seen keys forgotten
    assert RateLimiter(10_000).limit == SimulatorConfig().effective_rest_limit


def test_delayed_sip_is_fifteen_simulated_minutes_behind() -> None:
    async def main() -> None:
        clock = ManualClock(et(2026, 11, 20, 10, 0))
        config = SimulatorConfig(
            seed=4, rate=1000.0, day=True, symbols=("AAPL", "MSFT"), halt_probability=0.0
        )
        async with Simulator(config, clock=clock.session) as sim:
            live = await handshake(sim, "iex")
            late = await handshake(sim, "delayed_sip")
            for ws in (live, late):
                await subscribe(ws, ["AAPL"], ("trades", "quotes", "bars"))
            live_got: list[Msg] = []
            late_got: list[tuple[int, Msg]] = []
            t = clock.session.now_ns()
            end = t + 40 * 60 * S
            while t < end:
                t += 30 * S
                await advance_to(sim, clock, t)
                live_got.extend(await sync(live))
                late_got.extend((t, m) for m in await sync(late))
            assert live_got
            assert late_got
            for received_at, m in late_got:
                if m["T"] in ("b", "d", "u"):  # a bar: 15 minutes after its minute closed
                    assert received_at - ts_ns(m["t"]) >= 16 * 60 * S
                else:  # trades, quotes, corrections: 15 minutes after their time
                    assert received_at - ts_ns(m["t"]) >= 15 * 60 * S
            # Same messages, same order, same timestamps: the first 25 minutes in full.
            cutoff = end - 15 * 60 * S
            live_early = [m for m in live_got if ts_ns(m["t"]) < cutoff - 60 * S]
            assert [m for _, m in late_got][: len(live_early)] == live_early
            assert sim.stats.delayed_dropped == 0
            await live.close()
            await late.close()

    run(main())


def test_delay_line_is_bounded_and_counts_what_it_drops() -> None:
    line = DelayLine(delay_ns=900 * S, max_messages=5)
    quote = Quote("AAPL", "Q", 1.0, 1, "Q", 1.01, 1, ["R"], Ts(0), "C")
    for i in range(4):
        line.push([quote, quote], now_ns=i * S)
    assert len(line) == 4  # two oldest batches dropped to stay within 5
    assert line.dropped == 4
    assert line.release(900 * S + S) == []  # those were the ones due first
    assert len(line.release(903 * S)) == 4
    assert len(line) == 0


def test_symbols_polled_over_rest_keep_trading_when_asked_to() -> None:
    async def main() -> None:
        for keep_s, moves in ((0.0, False), (120.0, True)):
            clock = ManualClock(et(2026, 11, 20, 10, 0))
            config = SimulatorConfig(seed=4, rate=1000.0, day=True, halt_probability=0.0,
                                     rest_keeps_active_s=keep_s)  # fmt: skip
            async with (
                Simulator(config, clock=clock.session) as sim,
                httpx.AsyncClient(base_url=sim.rest_url) as http,
            ):
                url = "/v2/stocks/snapshots?symbols=MSFT&feed=iex"
                first = (await http.get(url)).json()["MSFT"]
                await advance_to(sim, clock, et(2026, 11, 20, 10, 5))
                second = (await http.get(url)).json()["MSFT"]
                assert (second["latestTrade"] != first["latestTrade"]) is moves
                assert ("MSFT" in sim.market.active) is moves  # no stream subscribed it

    run(main())
