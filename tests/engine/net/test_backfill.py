"""The history backfill against the simulator's `GET /v2/stocks/bars` over 127.0.0.1:
the session day without hole or duplicate minute, paging, 429 then success, the Basic
recipe (no 403), a failure retried, forgetting in flight, a symbol without any bar, and
every page counted once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from engine.config import Credentials
from engine.events import Bar, BarKind
from engine.market.history import PriceHistory
from engine.market.history_load import HistoryLoad
from engine.market.minute_bars import IEX, SIP
from engine.market.store import MarketDataStore
from engine.net.backfill import Backfill, BackfillProgress
from engine.net.bars import BarsClient
from engine.net.budget import RequestBudget
from engine.net.rest import RestClient, RestConfig
from engine.net.retry import BackoffPolicy
from engine.simulator import Plan, Simulator, SimulatorConfig
from tests.engine.simulator.wsclient import ManualClock, advance_to, et, run, ts_ns
from tests.waits import until

MIN = 60 * 10**9
NOW = et(2026, 11, 20, 11, 0)  # a Friday, regular session
DAY_START = et(2026, 11, 20, 4, 0)
SYMBOLS = ("AAPL", "MSFT", "SPY")
FAST_RETRY = BackoffPolicy(initial=0.05, factor=1.0, maximum=0.05, jitter=0.0)


def config(**kw: Any) -> SimulatorConfig:
    return SimulatorConfig(**{"seed": 5, "rate": 0.0, "day": True, "symbols": SYMBOLS, **kw})


def rest_client(sim: Simulator, budget: RequestBudget | None = None) -> RestClient:
    budget = budget if budget is not None else RequestBudget(10_000)
    return RestClient(RestConfig(sim.rest_url, "iex", Credentials("K", "S")), budget=budget)


async def reference(
    sim: Simulator, symbol: str, start: int, end: int, timeframe: str = "1Min"
) -> list[dict[str, Any]]:
    """The simulator's own bars, asked directly (one page; iex: no recent-SIP rule)."""
    params = {"symbols": symbol, "timeframe": timeframe, "start": _rfc(start),
              "end": _rfc(end), "limit": "10000", "feed": "iex"}  # fmt: skip
    headers = {"APCA-API-KEY-ID": "K", "APCA-API-SECRET-KEY": "S"}
    async with httpx.AsyncClient() as http:
        reply = await http.get(sim.rest_url + "/v2/stocks/bars", params=params, headers=headers)
    body = reply.json()
    assert body["next_page_token"] is None
    return list(body["bars"].get(symbol, []))


def _rfc(ns: int) -> str:
    from engine.protocol.timestamps import format_rfc3339_ns

    return format_rfc3339_ns(ns)


def assert_minutes_equal(history: PriceHistory, symbol: str, ref: list[dict[str, Any]]) -> None:
    """The symbol's minute series is exactly the simulator's bars: no hole, no duplicate."""
    hist = history.get(symbol)
    assert hist is not None
    bars = hist.bars
    times = list(bars.times)
    assert times == sorted(set(times)), f"{symbol}: duplicate or unordered minutes"
    assert times == [ts_ns(b["t"]) for b in ref], f"{symbol}: minutes differ"
    for i, b in enumerate(ref):
        got = (bars.open[i], bars.high[i], bars.low[i], bars.close[i], bars.volume[i])
        assert got == (b["o"], b["h"], b["l"], b["c"], b["v"]), f"{symbol} at {b['t']}"


def make(
    sim: Simulator,
    now: Callable[[], int],
    *,
    sip_recent: bool = True,
    page_limit: int = 10_000,
    budget: RequestBudget | None = None,
    **kw: Any,
) -> tuple[Backfill, PriceHistory, MarketDataStore, RestClient, list[BackfillProgress]]:
    rest = rest_client(sim, budget)
    history = PriceHistory()
    store = MarketDataStore()
    seen: list[BackfillProgress] = []
    bars = BarsClient(rest, page_limit=page_limit)
    backfill = Backfill(bars, history, store, now, sip_recent, on_progress=seen.append, **kw)
    return backfill, history, store, rest, seen


def all_done(backfill: Backfill) -> Callable[[], bool]:
    return lambda: (
        backfill.progress.total > 0 and backfill.progress.done == (backfill.progress.total)
    )


def test_backfill_fills_the_session_day_from_four_to_now_like_the_simulators_bars() -> None:
    async def main() -> None:
        clock = ManualClock(NOW)
        async with Simulator(config(), clock=clock.session) as sim:
            backfill, history, store, rest, seen = make(sim, clock.session.now_ns)
            store.watch(SYMBOLS)
            store.drain_changes()
            try:
                backfill.start()
                backfill.request([*SYMBOLS, "AAPL"])  # coalesced: three symbols
                assert backfill.progress.text() == "history 0 of 3 symbols"
                await until(all_done(backfill), "history loaded")
                served = sim.stats.rest_requests
                refs = {s: await reference(sim, s, DAY_START, NOW) for s in SYMBOLS}
                days = await reference(sim, "SPY", et(2025, 11, 15), et(2026, 11, 20), "1Day")
            finally:
                await backfill.stop()
                await rest.aclose()
            for symbol in SYMBOLS:
                assert_minutes_equal(history, symbol, refs[symbol])
                hist = history.get(symbol)
                assert hist is not None
                assert hist.load is HistoryLoad.LOADED
                assert hist.load_note == "SIP"
                assert set(hist.bars.source) == {SIP}
                assert hist.bars.times[0] >= DAY_START
                assert hist.bars.times[-1] < NOW
                assert len(hist.earlier) > 0
                assert hist.profile is not None
                assert len(hist.daily) > 200
            spy = history.get("SPY")
            assert spy is not None
            assert len(spy.daily) == len(days)  # the year of sessions before today
            assert store.drain_changes() == set(SYMBOLS)  # rows refresh
            # One batch: intraday, 15Min and 1Day, one page each; counted once each.
            assert backfill.calls == 3 == served
            assert seen[-1] == BackfillProgress(3, 3, 0, 3, False)
            assert seen[-1].text() == "history loaded"
            assert not backfill.running

    run(main())


def test_pages_of_a_small_limit_give_the_same_series_and_every_page_is_counted() -> None:
    async def main() -> None:
        clock = ManualClock(NOW)
        async with Simulator(config(), clock=clock.session) as sim:
            backfill, history, _store, rest, _ = make(
                sim, clock.session.now_ns, page_limit=150, sessions=2
            )
            try:
                backfill.start()
                backfill.request(["MSFT", "AAPL"])
                await until(all_done(backfill), "history loaded")
                served = sim.stats.rest_requests
                refs = {s: await reference(sim, s, DAY_START, NOW) for s in ("AAPL", "MSFT")}
            finally:
                await backfill.stop()
                await rest.aclose()
            for symbol, ref in refs.items():
                assert_minutes_equal(history, symbol, ref)
            minutes = sum(len(r) for r in refs.values())
            assert backfill.calls > minutes // 150  # paged
            assert backfill.calls == served == backfill.progress.calls

    run(main())


def test_429_waits_for_the_window_then_the_backfill_completes() -> None:
    async def main() -> None:
        clock = ManualClock(NOW)
        passed = [0.0]  # fake seconds shared by the server's limiter and our budget

        def fake_clock() -> float:
            return 1_000.0 + passed[0]

        async def fake_sleep(seconds: float) -> None:
            passed[0] += seconds
            await asyncio.sleep(0)

        # The server allows 2 calls a minute; our budget believes 10,000: 429s follow.
        async with Simulator(config(rest_limit=2), clock=clock.session) as sim:
            sim.rest_route.limiter._clock = fake_clock  # the limiter's 60 s window, faked
            budget = RequestBudget(10_000, clock=fake_clock, sleep=fake_sleep)
            backfill, history, _store, rest, _ = make(
                sim, clock.session.now_ns, budget=budget, sessions=1
            )
            try:
                backfill.start()
                backfill.request(["AAPL"])
                await until(all_done(backfill), "history loaded")
                served = sim.stats.rest_requests
                limited = sim.stats.rest_rate_limited
                passed[0] += 120.0  # a fresh window for the reference
                ref = await reference(sim, "AAPL", DAY_START, NOW)
            finally:
                await backfill.stop()
                await rest.aclose()
            assert limited >= 1
            assert budget.rate_limited >= 1
            assert backfill.failures == 0
            assert_minutes_equal(history, "AAPL", ref)
            # Every page asked, a 429'd one included, is one call, as the server counts.
            assert backfill.calls == served

    run(main())


def test_basic_plan_never_asks_for_recent_sip_and_marks_the_last_minutes_iex() -> None:
    async def main() -> None:
        clock = ManualClock(NOW)
        async with Simulator(config(plan=Plan.FREE), clock=clock.session) as sim:
            backfill, history, _store, rest, _ = make(sim, clock.session.now_ns, sip_recent=False)
            try:
                backfill.start()
                backfill.request(["AAPL", "MSFT"])
                await until(all_done(backfill), "history loaded")
                refs = {s: await reference(sim, s, DAY_START, NOW) for s in ("AAPL", "MSFT")}
            finally:
                await backfill.stop()
                await rest.aclose()
            assert sim.stats.rest_bad_requests == 0  # no 403 (nor 400)
            split = NOW - 15 * MIN
            for symbol, ref in refs.items():
                assert_minutes_equal(history, symbol, ref)
                hist = history.get(symbol)
                assert hist is not None
                assert hist.load_note == "SIP to 10:45 ET, IEX after"
                for t, source in zip(hist.bars.times, hist.bars.source, strict=True):
                    assert source == (IEX if t >= split else SIP)
                assert IEX in hist.bars.source

    run(main())


@pytest.mark.parametrize(
    "extra",
    [
        # A new listing (docs/simulator.md, "New listings"): in the universe, no print
        # and no bar before its first trade (none: rate 0).
        {"new_listings": ("NEWCO",)},
        # A universe capped at its symbols: NEWCO is refused, so no bar at all either.
        {"max_universe": 2},
    ],
    ids=["new-listing", "unknown-to-the-server"],
)
def test_a_symbol_without_any_bar_is_empty_and_the_others_load(extra: dict[str, Any]) -> None:
    async def main() -> None:
        clock = ManualClock(NOW)
        cfg = config(symbols=("AAPL", "MSFT"), **extra)
        async with Simulator(cfg, clock=clock.session) as sim:
            backfill, history, _store, rest, _ = make(sim, clock.session.now_ns)
            try:
                backfill.start()
                backfill.request(["AAPL", "NEWCO"])
                await until(all_done(backfill), "history done")
            finally:
                await backfill.stop()
                await rest.aclose()
            new = history.get("NEWCO")
            assert new is not None
            assert new.load is HistoryLoad.EMPTY
            assert len(new.bars) == 0
            assert len(new.daily) == 0
            assert new.load.text == "no history (new listing or no trades)"
            assert backfill.state("AAPL") is HistoryLoad.LOADED
            assert backfill.progress == BackfillProgress(2, 2, 0, 3, False)

    run(main())


def test_a_failed_batch_is_failed_in_words_counted_and_retried() -> None:
    async def main() -> None:
        clock = ManualClock(NOW)
        async with Simulator(config(), clock=clock.session) as sim:
            backfill, history, _store, rest, seen = make(
                sim, clock.session.now_ns, retry=BackoffPolicy(0.3, 1.0, 0.3, 0.0)
            )
            sim.faults.refuse_auth(True)
            try:
                backfill.start()
                backfill.request(["SPY"])
                await until(lambda: backfill.failures >= 1, "a failure")
                failed = history.get("SPY")
                assert failed is not None
                assert failed.load is HistoryLoad.FAILED
                assert failed.load_note == "bars request refused (HTTP 403): forbidden."
                assert backfill.progress.failed == 1
                assert "1 of 1 symbols" in backfill.progress.text()
                sim.faults.refuse_auth(False)
                await until(all_done(backfill), "loaded after the retry")
            finally:
                await backfill.stop()
                await rest.aclose()
            assert backfill.state("SPY") is HistoryLoad.LOADED
            assert any(p.failed == 1 for p in seen)
            assert seen[-1].failed == 0

    run(main())


def test_symbols_forgotten_in_flight_are_dropped_from_the_results() -> None:
    async def main() -> None:
        clock = ManualClock(NOW)
        async with Simulator(config(), clock=clock.session) as sim:
            backfill, history, _store, rest, _ = make(sim, clock.session.now_ns)
            try:
                backfill.start()
                backfill.request(["AAPL", "MSFT"])
                await until(lambda: backfill.state("MSFT") is HistoryLoad.LOADING, "loading")
                backfill.forget(["MSFT"])
                await until(all_done(backfill), "the rest loaded")
            finally:
                await backfill.stop()
                await rest.aclose()
            msft = history.get("MSFT")
            assert msft is None or (len(msft.bars) == 0 and msft.load is not HistoryLoad.LOADED)
            assert backfill.state("MSFT") is None
            assert backfill.progress.total == 1

    run(main())


def _live_bar(symbol: str, b: dict[str, Any]) -> Bar:
    return Bar(BarKind.MINUTE, symbol, b["o"], b["h"], b["l"], b["c"], b["v"], ts_ns(b["t"]))


def test_gap_fill_after_a_40_s_outage_leaves_no_hole_and_no_duplicate_minute() -> None:
    async def main() -> None:
        clock = ManualClock(NOW)  # the simulator lives at 11:00: all of this is its past
        at = [et(2026, 11, 20, 10, 20)]  # what the app believes is now
        outage = (et(2026, 11, 20, 10, 40, 30), et(2026, 11, 20, 10, 41, 10))
        async with Simulator(config(), clock=clock.session) as sim:
            backfill, history, store, rest, _ = make(sim, lambda: at[0], sessions=1)
            store.watch(["AAPL"])
            try:
                backfill.start()
                backfill.request(["AAPL"])
                await until(all_done(backfill), "history loaded")
                ref = await reference(sim, "AAPL", DAY_START, NOW)
                # The stream delivered each minute's bar until the outage; the 10:40 bar
                # (sent at 10:41:00) was lost in it, and 10:41's came after it.
                snap = store.get("AAPL")
                assert snap is not None
                for b in ref:
                    t = ts_ns(b["t"])
                    if at[0] <= t < et(2026, 11, 20, 10, 40) or t == et(2026, 11, 20, 10, 41):
                        history.on_event(_live_bar("AAPL", b), snap)
                hist = history.get("AAPL")
                assert hist is not None
                held = set(hist.bars.times)
                at[0] = et(2026, 11, 20, 10, 42, 20)
                calls = backfill.calls
                backfill.gap(outage[0], et(2026, 11, 20, 10, 40, 50))
                backfill.gap(et(2026, 11, 20, 10, 40, 50), outage[1])  # coalesced
                await until(lambda: backfill.gaps_filled == 1, "gap filled")
            finally:
                await backfill.stop()
                await rest.aclose()
            assert backfill.calls == calls + 1  # one window, one page
            upto = [b for b in ref if ts_ns(b["t"]) < at[0]]
            assert_minutes_equal(history, "AAPL", upto)
            added = len({ts_ns(b["t"]) for b in upto} - held)
            assert added >= 1  # 10:40 (and the 10:42 so far)
            assert hist.resync is not None
            assert hist.resync.outage_s == 40.0
            unit = "minute" if added == 1 else "minutes"
            assert hist.resync.text() == (
                f"resynced 10:42:20 after a 40 s outage ({added} {unit} filled from SIP)"
            )

    run(main())


def test_a_restart_mid_backfill_marks_no_half_loaded_symbol_and_leaves_no_task() -> None:
    symbols = [f"S{i:02d}" for i in range(12)]

    async def main() -> None:
        clock = ManualClock(NOW)
        async with Simulator(config(symbols=tuple(symbols)), clock=clock.session) as sim:
            first, history, store, rest, _ = make(
                sim, clock.session.now_ns, batch=4, page_limit=400, sessions=1
            )
            # Stop the first backfill while it writes its second batch: after the second
            # symbol's daily bars, from another task (the stop lands at the next await).
            stopping: list[asyncio.Task[None]] = []
            real_load_daily = history.load_daily

            def load_daily(symbol: str, bars: Any) -> None:
                real_load_daily(symbol, bars)
                if symbol == "S05" and not stopping:
                    stopping.append(asyncio.create_task(first.stop()))

            history.load_daily = load_daily  # type: ignore[method-assign]
            try:
                first.start()
                first.request(symbols)
                await until(lambda: bool(stopping) and stopping[0].done(), "stopped")
                states = {s: first.state(s) for s in symbols}
                assert not first.running
                assert not [t for t in asyncio.all_tasks() if "backfill" in t.get_name()]
                loaded = [s for s in symbols if states[s] is HistoryLoad.LOADED]
                assert loaded == ["S00", "S01", "S02", "S03", "S04", "S05"]
                assert all(states[s] is HistoryLoad.PENDING for s in symbols[6:])
                for symbol in symbols[6:]:
                    hist = history.get(symbol)
                    assert hist is not None
                    assert hist.load is HistoryLoad.PENDING
                assert first.progress.active  # work left
                # Stopped while its fetch is in flight: nothing of that batch lands.
                history.load_daily = real_load_daily  # type: ignore[method-assign]
                second = Backfill(BarsClient(rest, page_limit=400), history, store,
                                  clock.session.now_ns, True, 1, batch=4)  # fmt: skip
                second.start()
                second.request(symbols)
                await until(lambda: second.state("S08") is HistoryLoad.LOADING, "in flight")
                await second.stop()
                assert second.state("S08") is HistoryLoad.PENDING
                third = Backfill(BarsClient(rest), history, store, clock.session.now_ns, True, 1)
                third.start()
                third.request(symbols)
                await until(all_done(third), "all loaded")
                await third.stop()
                refs = {s: await reference(sim, s, DAY_START, NOW) for s in symbols}
            finally:
                await first.stop()
                await rest.aclose()
            for symbol in symbols:
                assert_minutes_equal(history, symbol, refs[symbol])
                hist = history.get(symbol)
                assert hist is not None
                assert hist.load is HistoryLoad.LOADED
            assert not [t for t in asyncio.all_tasks() if "backfill" in t.get_name()]

    run(main())


def test_a_new_session_day_loads_every_symbol_again() -> None:
    async def main() -> None:
        clock = ManualClock(NOW)
        async with Simulator(config(), clock=clock.session) as sim:
            backfill, history, _store, rest, _seen = make(
                sim, clock.session.now_ns, day_check_s=0.05
            )
            try:
                backfill.start()
                backfill.request(SYMBOLS)
                await until(all_done(backfill), "history loaded")
                calls = backfill.calls
                spy = history.get("SPY")
                assert spy is not None
                days_before = len(spy.daily)
                # Left open over the weekend: Monday's pre-market.
                await advance_to(sim, clock, et(2026, 11, 23, 8, 0))
                # The idle worker looks every `day_check_s` (a minute in the app).
                await until(lambda: backfill.calls > calls, "reloaded for the new day")
                await until(all_done(backfill), "history loaded again")
            finally:
                await backfill.stop()
                await rest.aclose()
            spy = history.get("SPY")
            assert spy is not None
            assert len(spy.daily) == days_before + 1  # Friday's session is in now
            assert spy.load is HistoryLoad.LOADED

    run(main())
