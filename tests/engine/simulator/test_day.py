"""The simulator lives a real trading day (SimulatorConfig.day, docs/simulator.md).

Over real sockets on 127.0.0.1 with a session clock the test moves by hand (no timing in
any assertion): nothing before 04:00 ET, thin Form T trading in the pre-market, the
opening print, the regular session, the closing print, after-hours, a quiet night and
weekend, the day roll that makes Friday's bar Monday's prevDailyBar, and a holiday
skipped. The market-level tests drive engine.simulator.market directly.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx

from engine.market.calendar import MarketSession, session_at_ns
from engine.simulator import Simulator, SimulatorConfig
from engine.simulator.bars import EXTENDED
from engine.simulator.day import DaySchedule
from engine.simulator.market import Market
from engine.simulator.wire import Message, Trade
from tests.engine.simulator.wsclient import (
    ManualClock,
    Msg,
    advance_to,
    et,
    handshake,
    run,
    subscribe,
    sync,
    ts_ns,
)

SYMBOLS = ["AAPL", "JPM", "SPY"]  # tapes C, A, B
PRIMARY = {"AAPL": "Q", "JPM": "N", "SPY": "P"}
MIN_NS = 60 * 10**9


def day_config(**overrides: Any) -> SimulatorConfig:
    base: dict[str, Any] = {
        "seed": 11,
        "rate": 2000.0,
        "day": True,
        "symbols": tuple(SYMBOLS),
        "halt_probability": 0.0,
        "correction_probability": 0.0,
        "cancel_probability": 0.0,
        "test_rate": 50.0,
    }
    return SimulatorConfig(**{**base, **overrides})


async def snapshots(sim: Simulator) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=sim.rest_url) as http:
        response = await http.get(
            "/v2/stocks/snapshots", params={"symbols": ",".join(SYMBOLS), "feed": "iex"}
        )
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def walk(
    sim: Simulator, clock: ManualClock, ws: Any, until_ns: int, step_s: int
) -> list[Msg]:
    """Advance in steps of `step_s` simulated seconds up to `until_ns`; every message sent."""
    got: list[Msg] = []
    now = clock.session.now_ns()
    while now < until_ns:
        now = min(until_ns, now + step_s * 10**9)
        await advance_to(sim, clock, now)
        got.extend(await sync(ws))
    return got


def of(msgs: list[Msg], kind: str, symbol: str | None = None) -> list[Msg]:
    return [m for m in msgs if m["T"] == kind and (symbol is None or m["S"] == symbol)]


def test_a_compressed_friday_then_the_weekend_then_monday() -> None:
    async def main() -> None:
        clock = ManualClock(et(2026, 11, 20, 3, 55))  # a Friday
        async with Simulator(day_config(), clock=clock.session) as sim:
            ws = await handshake(sim)
            await subscribe(ws, SYMBOLS)

            # 03:55 -> 03:59:59: closed, and quiet; Thursday is the current day.
            assert await walk(sim, clock, ws, et(2026, 11, 20, 3, 59, 59), 60) == []
            early = await snapshots(sim)
            assert early["AAPL"]["dailyBar"]["t"] == "2026-11-19T05:00:00Z"  # Thursday
            assert early["AAPL"]["prevDailyBar"]["t"] == "2026-11-18T05:00:00Z"

            # Pre-market: thin trades, every one Form T; wide quotes; no daily bar yet.
            pre = await walk(sim, clock, ws, et(2026, 11, 20, 9, 29, 59), 600)
            trades = of(pre, "t")
            assert trades
            assert all(ts_ns(m["t"]) >= et(2026, 11, 20, 4) for m in pre if m["T"] in "tq")
            assert all(EXTENDED in m["c"] for m in trades)
            assert all(m["ap"] - m["bp"] >= 0.039 for m in of(pre, "q"))
            assert not of(pre, "d")  # Form T sets no daily price (docs/simulator.md)
            assert not of(pre, "l")  # LULD bands: regular session only
            _bars_match_trades(pre)
            # Until the first regular-session trade, dailyBar is still the last session's
            # (Thursday's), untouched by Form T trades; prevDailyBar the one before.
            pre_open = await snapshots(sim)
            for symbol in SYMBOLS:
                assert pre_open[symbol]["dailyBar"] == early[symbol]["dailyBar"]
                assert pre_open[symbol]["prevDailyBar"] == early[symbol]["prevDailyBar"]

            # The open: one opening print per symbol at 09:30:00 on its primary venue.
            regular = await walk(sim, clock, ws, et(2026, 11, 20, 15, 59, 59), 1800)
            opening = [m for m in of(regular, "t") if "O" in m["c"]]
            assert sorted(m["S"] for m in opening) == SYMBOLS
            for m in opening:
                assert m["t"] == "2026-11-20T14:30:00Z"
                assert m["x"] == PRIMARY[m["S"]]
                assert m["s"] >= 2000
            in_session = [m for m in of(regular, "t") if ts_ns(m["t"]) >= et(2026, 11, 20, 9, 30)]
            assert not any(EXTENDED in m["c"] for m in in_session)
            assert {m["S"] for m in of(regular, "l")} == set(SYMBOLS)
            opened = await snapshots(sim)
            for symbol in SYMBOLS:
                first_daily = of(regular, "d", symbol)[0]
                open_print = next(m for m in opening if m["S"] == symbol)
                assert first_daily["o"] == open_print["p"]
                assert first_daily["t"] == "2026-11-20T05:00:00Z"
                # the open rolls the snapshot: Friday's bar, then Thursday's as previous
                assert opened[symbol]["dailyBar"]["t"] == "2026-11-20T05:00:00Z"
                assert opened[symbol]["prevDailyBar"] == early[symbol]["dailyBar"]
            _bars_match_trades(regular)

            # The close at 16:00 and after-hours until 20:00, then the night.
            evening = await walk(sim, clock, ws, et(2026, 11, 21, 2, 0), 1800)
            closing = [m for m in of(evening, "t") if "6" in m["c"]]
            assert sorted(m["S"] for m in closing) == SYMBOLS
            assert {m["t"] for m in closing} == {"2026-11-20T21:00:00Z"}
            after = [m for m in of(evening, "t") if ts_ns(m["t"]) >= et(2026, 11, 20, 16)]
            after = [m for m in after if m not in closing]
            assert after
            assert all(EXTENDED in m["c"] for m in after)
            end_of_day = et(2026, 11, 20, 20)
            assert all(ts_ns(m["t"]) < end_of_day for m in evening)  # a quiet night
            for symbol in SYMBOLS:
                last_daily = of(evening, "d", symbol)[-1]
                close_print = next(m for m in closing if m["S"] == symbol)
                assert last_daily["c"] == close_print["p"]  # Form T never moves the close

            # The weekend: nothing at all; Friday's bar is the current one.
            assert await walk(sim, clock, ws, et(2026, 11, 23, 3, 59, 59), 6 * 3600) == []
            weekend = await snapshots(sim)
            friday = weekend["AAPL"]["dailyBar"]
            assert friday["t"] == "2026-11-20T05:00:00Z"
            assert friday["c"] == next(m for m in closing if m["S"] == "AAPL")["p"]

            # Monday pre-market: trading again, Friday's bar still the latest.
            monday = await walk(sim, clock, ws, et(2026, 11, 23, 9, 0), 1800)
            assert of(monday, "t")
            assert not of(monday, "d")
            pre_open = await snapshots(sim)
            for symbol in SYMBOLS:
                assert pre_open[symbol]["dailyBar"] == weekend[symbol]["dailyBar"]
            # Monday's open: a new daily bar; its previous day is Friday, not Sunday.
            await walk(sim, clock, ws, et(2026, 11, 23, 9, 45), 900)
            after_open = await snapshots(sim)
            for symbol in SYMBOLS:
                assert after_open[symbol]["dailyBar"]["t"] == "2026-11-23T05:00:00Z"
                assert after_open[symbol]["prevDailyBar"] == weekend[symbol]["dailyBar"]
            assert after_open["AAPL"]["prevDailyBar"]["c"] == friday["c"]
            await ws.close()

    run(main())


def test_a_holiday_is_skipped_and_the_early_close_prints_at_13() -> None:
    async def main() -> None:
        clock = ManualClock(et(2026, 11, 25, 15, 0))  # Wednesday before Thanksgiving
        async with Simulator(day_config(), clock=clock.session) as sim:
            ws = await handshake(sim)
            await subscribe(ws, SYMBOLS, ("trades", "quotes", "dailyBars"))
            wednesday = await walk(sim, clock, ws, et(2026, 11, 25, 23, 0), 1800)
            last = {s: of(wednesday, "d", s)[-1] for s in SYMBOLS}
            thanksgiving = await walk(sim, clock, ws, et(2026, 11, 27, 3, 59), 3 * 3600)
            assert thanksgiving == []  # closed all day
            holiday = await snapshots(sim)
            assert holiday["AAPL"]["dailyBar"]["t"] == "2026-11-25T05:00:00Z"
            friday = await walk(sim, clock, ws, et(2026, 11, 27, 14, 0), 1800)
            snaps = await snapshots(sim)
            for symbol in SYMBOLS:
                prev = snaps[symbol]["prevDailyBar"]
                assert prev["t"] == "2026-11-25T05:00:00Z"  # Wednesday: Thursday skipped
                assert prev["c"] == last[symbol]["c"]
                assert snaps[symbol]["dailyBar"]["t"] == "2026-11-27T05:00:00Z"
            closing = [m for m in of(friday, "t") if "6" in m["c"]]
            assert {m["t"] for m in closing} == {"2026-11-27T18:00:00Z"}  # 13:00 ET
            assert all(
                EXTENDED in m["c"] for m in of(friday, "t") if ts_ns(m["t"]) > et(2026, 11, 27, 13)
            )
            await ws.close()

    run(main())


def test_the_test_feed_stays_on_when_the_market_is_closed() -> None:
    async def main() -> None:
        clock = ManualClock(et(2026, 11, 21, 12, 0))  # a Saturday
        async with Simulator(day_config(), clock=clock.session) as sim:
            ws = await handshake(sim, "test")
            await subscribe(ws, ["FAKEPACA"], ("quotes",))
            iex = await handshake(sim, "iex")
            await subscribe(iex, SYMBOLS)
            await advance_to(sim, clock, et(2026, 11, 21, 12, 30))
            assert of(await sync(ws, test_feed=True), "q", "FAKEPACA")
            assert await sync(iex) == []
            await ws.close()
            await iex.close()

    run(main())


# --- the market itself (no sockets) --------------------------------------------------


def _bars_match_trades(msgs: list[Msg]) -> None:
    """A minute bar exists exactly for the minutes that had trades (IEX: gaps are normal)."""
    for symbol in SYMBOLS:
        traded = {ts_ns(m["t"]) // MIN_NS * MIN_NS for m in of(msgs, "t", symbol)}
        barred = {ts_ns(m["t"]) for m in of(msgs, "b", symbol)}
        assert barred <= traded
        # the last traded minute may still be open at the end of `msgs`
        assert traded - barred <= {max(traded, default=0)}


def _drive(market: Market, start: int, end: int, tick_ns: int) -> list[Message]:
    out: list[Message] = []
    t = start
    while t < end:
        t = min(end, t + tick_ns)
        out.extend(market.advance(t))
    return out


def _day_market(seed: int, start: int) -> Market:
    market = Market(
        SYMBOLS, seed=seed, start_ns=start, rate=200.0, speed=60.0, schedule=DaySchedule(0.15)
    )
    market.set_active(SYMBOLS)
    return market


def test_extended_hours_trade_thinly_and_the_day_is_deterministic() -> None:
    start, end = et(2026, 11, 20, 3, 55), et(2026, 11, 20, 20, 5)
    tick = int(0.02 * 60 * 10**9)  # 20 ms of real time at speed 60
    out = _drive(_day_market(5, start), start, end, tick)
    per_hour: Counter[MarketSession] = Counter()
    for m in out:
        if isinstance(m, Trade):
            per_hour[session_at_ns(m.t.ns).session] += 1
    hours = {
        MarketSession.PRE_MARKET: 5.5,
        MarketSession.REGULAR: 6.5,
        MarketSession.AFTER_HOURS: 4.0,
    }
    rate = {s: per_hour[s] / h for s, h in hours.items()}
    assert per_hour[MarketSession.CLOSED] == 0
    assert rate[MarketSession.PRE_MARKET] < 0.3 * rate[MarketSession.REGULAR]
    assert rate[MarketSession.AFTER_HOURS] < 0.3 * rate[MarketSession.REGULAR]
    # The same seed and the same clock readings give the same messages, timestamps too.
    again = _drive(_day_market(5, start), start, end, tick)
    assert again == out


def test_a_fast_clock_spaces_messages_out_instead_of_making_more() -> None:
    start = et(2026, 11, 20, 10, 0)
    slow = Market(SYMBOLS, seed=2, start_ns=start, rate=500.0, speed=1.0, schedule=DaySchedule())
    fast = Market(SYMBOLS, seed=2, start_ns=start, rate=500.0, speed=600.0, schedule=DaySchedule())
    for market in (slow, fast):
        market.set_active(SYMBOLS)
    real_tick_ns = 20_000_000
    slow_out = _drive(slow, start, start + 50 * real_tick_ns, real_tick_ns)
    fast_out = _drive(fast, start, start + 50 * real_tick_ns * 600, real_tick_ns * 600)
    slow_steps, fast_steps = slow.steps, fast.steps
    assert slow_steps == fast_steps  # the rate is per real second
    assert slow_out
    assert fast_out
    span = [m.t.ns for m in fast_out if not hasattr(m, "vw")]
    assert max(span) - min(span) > 100 * (
        max(m.t.ns for m in slow_out) - min(m.t.ns for m in slow_out)
    )


def test_the_starting_state_sits_in_the_calendar() -> None:
    thursday, friday = et(2026, 11, 19), et(2026, 11, 20)
    cases = [  # start, latest bar, its previous, growing, last trade no later than
        (et(2026, 11, 20, 8, 0), thursday, et(2026, 11, 18), False, et(2026, 11, 20, 8)),
        (et(2026, 11, 20, 11, 0), friday, thursday, True, et(2026, 11, 20, 11)),
        (et(2026, 11, 21, 12, 0), friday, thursday, False, et(2026, 11, 20, 20)),
    ]
    for start, daily, prev, growing, latest in cases:
        st = Market(["AAPL"], seed=1, start_ns=start, rate=0.0, schedule=DaySchedule()).state(
            "AAPL"
        )
        assert st is not None
        assert (st.daily.start_ns, st.prev_daily.start_ns) == (daily, prev)
        assert (st.today is st.daily) is growing
        assert st.last_ns < latest
        assert st.quote_ns < latest
        assert ("T" in st.last_cond) is (start != et(2026, 11, 20, 11, 0))
    always_on = Market(["AAPL"], seed=1, start_ns=friday, rate=0.0).state("AAPL")
    assert always_on is not None
    assert always_on.today is always_on.daily  # the always-on market's bar always grows
