"""A whole simulated trading day through the real app (issue 12, Build item 4).

The app starts the way `tickerdesk --demo-at 2026-11-17T03:00-05:00 --demo-speed 1500`
does: its embedded simulator on 127.0.0.1 lives a real day on a fast session clock
(docs/simulator.md). From 03:00 ET on Tuesday 2026-11-17 (Monday was a trading day) to
Wednesday's pre-market, about a minute of real time, the test reads what a user reads:
the table model, the store, the status bar, the alert history, the sparkline and chart
series (tests/reliability/day_harness.py). One speed throughout: the session clock
cannot change speed while it runs (engine.simulator.clock), and 03:00 leaves the app
an hour of simulated night to connect before the pre-market. Every wait is on the
simulated clock, with generous real-time bounds; nothing asserts on wall-clock timing.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import pytest

from engine.alerts.book import Alert, AlertKind
from engine.events import Snapshot
from engine.market.calendar import MarketSession, is_trading_day, previous_trading_day
from engine.net.health import ConnectionState
from engine.simulator.universe import listing
from gui.app import build_parser, options_from_args
from gui.runtime import Runtime
from tests.reliability.day_harness import (
    MINUTE_NS,
    NS,
    DayApp,
    clock_text,
    et,
    increasing,
    longest_gap_minutes,
)
from tests.reliability.fault_harness import TracebackCatcher

DAY = date(2026, 11, 17)  # a Tuesday: the day traded
NEXT = date(2026, 11, 18)  # Wednesday: the next morning's pre-market
PREV = previous_trading_day(DAY)  # Monday 2026-11-16: Tuesday's previous close
PREV2 = previous_trading_day(PREV)  # Friday 2026-11-13: Monday's previous close
START = "2026-11-17T03:00-05:00"
SPEED = 1500.0  # simulated seconds per real second: 03:00 -> 04:05 next day in ~60 s
RATE = 600.0  # data messages per REAL second across the watched symbols
SYMBOLS = ["NVDA", "AAPL", "SPY", "JPM"]  # tapes C, C, B, A
HALTED = "AAPL"  # Nasdaq-listed (tape C): UTP codes H -> Q -> T
ACTIVE = "NVDA"  # the busiest of them (the simulator weights by typical volume)
HALT_STAGE_S = 45 * 60  # simulated seconds halted, then as long quoting only
ALERT_FLOOR_PCT = -50.0  # "change % at or above -50%": true all day; re-arms below -50.1%
MAX_ACTIVE_GAP_MIN = 10  # minutes without a bar for the busiest symbol (thin IEX: not 1)
MAX_GAP_MIN = 30  # for every symbol
COUNTDOWN = r"(\d+h \d\dm|\d+m|<1m)"  # gui.statusbar.market_session.format_countdown
SESSIONS = ["Market closed", "Pre-market", "Regular session", "After-hours",
            "Market closed", "Pre-market"]  # fmt: skip

PRE_OPEN = et(DAY, 4)
OPEN = et(DAY, 9, 30)
CLOSE = et(DAY, 16)
POST_CLOSE = et(DAY, 20)
NEXT_PRE_OPEN = et(NEXT, 4)
NEXT_OPEN = et(NEXT, 9, 30)

OFFSCREEN_SHOW = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@dataclass
class Seen:
    """What one phase learned and a later one checks against."""

    monday_close: dict[str, float] = field(default_factory=dict)
    opening: dict[str, float] = field(default_factory=dict)
    closing: dict[str, float] = field(default_factory=dict)
    tuesday_close: dict[str, float] = field(default_factory=dict)
    alert: Alert | None = None


@pytest.mark.slow
@pytest.mark.timeout(300)
@OFFSCREEN_SHOW
def test_a_compressed_trading_day(qloop: asyncio.AbstractEventLoop, tmp_path: Path) -> None:
    for day in (PREV, DAY, NEXT):
        assert is_trading_day(day), day
    assert listing(HALTED).tape == "C"
    assert {listing(s).tape for s in SYMBOLS} == {"A", "B", "C"}
    args = build_parser().parse_args([
        "--demo-at", START, "--demo-speed", f"{SPEED:g}", "--symbols", ",".join(SYMBOLS),
        "--settings", str(tmp_path / "day.ini"),
    ])  # fmt: skip
    options = replace(options_from_args(args), simulator_rate=RATE, use_keyring=False)
    assert options.demo
    assert options.demo_clock.day
    catcher = TracebackCatcher()
    root = logging.getLogger()
    root.addHandler(catcher)
    runtime = Runtime(options, asyncio.Event())

    async def scenario() -> None:
        stop = asyncio.Event()
        sampler: asyncio.Task[None] | None = None
        try:
            await runtime.start()
            app = DayApp(runtime, SYMBOLS, SPEED)
            sampler = asyncio.get_running_loop().create_task(app.sampler.run(stop))
            await _the_day(app)
        finally:
            stop.set()
            if sampler is not None:
                await sampler
            await runtime.close()
        assert len(runtime.tasks) == 0

    try:
        qloop.run_until_complete(scenario())
    finally:
        root.removeHandler(catcher)
    assert not catcher.records, catcher.describe()


async def _the_day(app: DayApp) -> None:
    seen = Seen()
    await _before_the_pre_market(app, seen)
    await _pre_market(app, seen)
    await _the_open(app, seen)
    await _a_halt(app)
    await _the_close_and_after_hours(app, seen)
    await _overnight(app, seen)
    await _the_next_morning(app, seen)
    _the_whole_day(app, seen)
    _series(app, seen)
    await _nothing_lost(app)


def _bar_days(snapshot: Snapshot, *, daily: date, prev: date) -> None:
    """The REST snapshot's dailyBar is `daily`'s and its prevDailyBar `prev`'s."""
    assert snapshot.daily_bar is not None, snapshot.symbol
    assert snapshot.prev_daily_bar is not None, snapshot.symbol
    assert snapshot.daily_bar.timestamp_ns == et(daily, 0), snapshot.symbol
    assert snapshot.prev_daily_bar.timestamp_ns == et(prev, 0), snapshot.symbol


def _closes(snapshots: dict[str, Snapshot], which: str) -> dict[str, float]:
    """Each snapshot's `daily_bar` or `prev_daily_bar` close (checked by _bar_days)."""
    bars = {s: getattr(snapshots[s], which) for s in SYMBOLS}
    return {s: bar.close for s, bar in bars.items() if bar is not None}


async def _before_the_pre_market(app: DayApp, seen: Seen) -> None:
    """03:00-04:00: connected, nothing trades, "Market closed", labelled simulated."""

    def started() -> bool:
        snaps = [app.store.get(s) for s in SYMBOLS]
        ready = all(s is not None and s.prev_close is not None for s in snaps)
        return ready and app.health.state is ConnectionState.STREAMING

    await app.clock.until(started, "streaming, every row with its REST snapshot", PRE_OPEN)
    assert app.clock.now_ns() < PRE_OPEN, (
        f"the app streamed only at {clock_text(app.clock.now_ns())}: the test needs the "
        "simulated minutes before the pre-market (start earlier or slower)"
    )
    text = app.session_text()
    assert re.fullmatch(rf"Simulated · Market closed · pre-market in {COUNTDOWN}", text), text
    tooltip = app.window.status.market_session.toolTip()
    assert tooltip.startswith("Simulated clock (demo): New York time Tue 2026-11-17"), tooltip
    assert app.recorder.stream_prints() == 0
    assert app.recorder.stream_quotes() == 0
    snapshots = await app.rest.snapshots(SYMBOLS)
    for symbol in SYMBOLS:
        _bar_days(snapshots[symbol], daily=PREV, prev=PREV2)
    seen.monday_close = _closes(snapshots, "daily_bar")
    # Until Tuesday's first data the rows show Monday's change, against Friday's close.
    app.check_rows(_closes(snapshots, "prev_daily_bar"), "before 04:00")
    # True all day once a price of the day comes in: fires on NVDA's first one, then never
    # re-arms (change % would have to fall below -50.1%); nothing arrives before 04:00.
    seen.alert = app.book.add(ACTIVE, AlertKind.PCT_ABOVE, ALERT_FLOOR_PCT, note="a day")
    assert not app.book.history()


async def _pre_market(app: DayApp, seen: Seen) -> None:
    """04:00-09:30: thin Form T prints; Change % against Monday's close."""
    await app.clock.reach(PRE_OPEN)

    def printed() -> bool:
        return all(app.rec[s].trades_between(PRE_OPEN, OPEN) for s in SYMBOLS)

    await app.clock.until(printed, "a pre-market print for every row", OPEN)
    text = await app.shows_session("Pre-market", OPEN)
    assert app.clock.session().session is MarketSession.PRE_MARKET, "the pre-market ended first"
    assert re.fullmatch(rf"Simulated · Pre-market · opens in {COUNTDOWN}", text), text
    app.check_rows(seen.monday_close, "pre-market")
    for symbol in SYMBOLS:  # the rows show the day's prints, not Monday's
        last = app.snap(symbol).last_trade_ns
        assert last is not None
        assert last >= PRE_OPEN, symbol


async def _the_open(app: DayApp, seen: Seen) -> None:
    """09:30: one opening print per symbol, the day's open; "Regular session"."""

    def opened() -> bool:
        return len(app.auction_prices(OPEN, "O")) == len(SYMBOLS)

    await app.clock.until(opened, "the opening prints", OPEN + 10 * MINUTE_NS)
    seen.opening = app.auction_prices(OPEN, "O")
    text = await app.shows_session("Regular session", et(DAY, 10))
    assert re.fullmatch(rf"Simulated · Regular session · closes in {COUNTDOWN}", text), text

    def day_open() -> bool:  # the day's first `d` bar opens at the opening print
        return all(app.snap(s).open == seen.opening[s] for s in SYMBOLS)

    await app.clock.until(day_open, "the day's open from the opening print", et(DAY, 10))
    snapshots = await app.rest.snapshots(SYMBOLS)
    for symbol in SYMBOLS:  # Alpaca rolls the snapshot with the day's first regular print
        _bar_days(snapshots[symbol], daily=DAY, prev=PREV)
    assert _closes(snapshots, "prev_daily_bar") == pytest.approx(seen.monday_close)
    assert {s: b.daily_bar.open for s, b in snapshots.items() if b.daily_bar} == (
        pytest.approx(seen.opening)
    )
    app.check_rows(seen.monday_close, "regular session")


async def _a_halt(app: DayApp) -> None:
    """A news halt on the Nasdaq symbol: HALTED through H, still HALTED (quotes only)
    through Q, trading again only with T; no print during H and Q, no quote during H."""
    record = app.rec[HALTED]
    await app.clock.reach(et(DAY, 11))
    await app.clock.until(lambda: not app.snap(HALTED).halted, f"{HALTED} not halted",
                          et(DAY, 11, 15))  # fmt: skip
    before = len(record.statuses)
    assert app.sim.faults.halt(
        HALTED, "T1", quote_after_s=HALT_STAGE_S, resume_after_s=2 * HALT_STAGE_S
    )
    due = app.clock.now_ns() + 2 * HALT_STAGE_S * NS

    def resumed() -> bool:
        return any(s.code == "T" for s in record.statuses[before:])

    await app.clock.until(resumed, f"{HALTED}'s trading resumption", due)
    h, q, t = record.statuses[before : before + 3]
    assert [h.code, q.code, t.code] == ["H", "Q", "T"], record.statuses[before:]
    assert h.reason == "T1"
    assert (q.ts - h.ts, t.ts - h.ts) == (HALT_STAGE_S * NS, 2 * HALT_STAGE_S * NS)
    # The table's Source/Status cell right after each status was applied.
    assert (h.shown, h.quotation_only) == ("HALTED", False)
    assert "Trading halted: Halt News Pending" in h.tooltip
    assert (q.shown, q.quotation_only) == ("HALTED", True)
    assert "Quotation resumed" in q.tooltip
    assert t.shown == "DEMO"
    assert not record.trades_between(h.ts, t.ts), "a print while halted"
    assert not record.quotes_between(h.ts, q.ts), "a quote before quotation resumed"
    quoting = [halted for ts, halted in record.quote_halted if q.ts <= ts < t.ts]
    assert quoting, "no quote in the quotation-only window"
    assert all(quoting), "a quote ended the halt before T"

    def trading() -> bool:
        return bool(record.trades_between(t.ts, CLOSE))

    await app.clock.until(trading, f"{HALTED} trading again after T", et(DAY, 14))
    history = app.history.get(HALTED)
    assert history is not None
    assert any(s.start_ns == h.ts and s.end_ns == t.ts for s in history.halts), "chart halt span"


async def _the_close_and_after_hours(app: DayApp, seen: Seen) -> None:
    """16:00: the closing print is the day's close; after-hours: thin Form T prints."""
    await app.clock.reach(CLOSE + 5 * MINUTE_NS)
    seen.closing = app.auction_prices(CLOSE, "6")
    for symbol in SYMBOLS:  # only a symbol halted at 16:00 has no closing cross
        assert symbol in seen.closing or app.rec[symbol].halted_at(CLOSE), symbol
    text = await app.shows_session("After-hours", POST_CLOSE)
    assert re.fullmatch(rf"Simulated · After-hours · ends in {COUNTDOWN}", text), text

    def printed() -> bool:
        return all(app.rec[s].trades_between(CLOSE + 1, POST_CLOSE) for s in SYMBOLS)

    await app.clock.until(printed, "an after-hours print for every row", POST_CLOSE)
    snapshots = await app.rest.snapshots(SYMBOLS)
    for symbol in SYMBOLS:
        _bar_days(snapshots[symbol], daily=DAY, prev=PREV)
    seen.tuesday_close = _closes(snapshots, "daily_bar")
    for symbol, price in seen.closing.items():  # Form T prints never move the day's close
        assert seen.tuesday_close[symbol] == pytest.approx(price), symbol
    app.check_rows(seen.monday_close, "after-hours")


async def _overnight(app: DayApp, seen: Seen) -> None:
    """20:00-04:00: nothing arrives, the rows stay. A network drop in the night: the
    client reconnects by itself, and rows whose prices predate the gap are shown STALE
    until the day's first data (docs/design.md, invariant 4; the sampler checks that the
    cell always says what the store knows)."""
    await app.clock.reach(POST_CLOSE)
    text = await app.shows_session("Market closed", et(DAY, 21))
    assert re.fullmatch(rf"Simulated · Market closed · pre-market in {COUNTDOWN}", text), text
    await app.clock.reach(et(DAY, 22))
    reconnects = app.health.reconnects
    poller = app.runtime.rest.poller
    assert poller is not None
    polls = poller.polls
    assert app.sim.faults.drop_all() == 1

    def reconnected() -> bool:
        health = app.health
        return health.reconnects > reconnects and health.state is ConnectionState.STREAMING

    await app.clock.until(reconnected, "a reconnect by itself after the drop", et(NEXT, 3))

    # The poller's periodic round (every 15 s of real time: ~6 h of this day) asks REST
    # for stale rows. If one came after the drop, REST has confirmed the pre-gap price and
    # the row says so ("REST"); the price must not move (check_rows below). Otherwise the
    # row is STALE. Which of the two depends only on where the round's phase falls, i.e.
    # on how long the start took; no row may claim live stream data.
    def statuses() -> dict[str, str]:
        return {s: app.table.text(s, "status") for s in SYMBOLS}

    def gap_shown() -> bool:
        allowed = {"STALE", "REST"} if poller.polls > polls else {"STALE"}
        return set(statuses().values()) <= allowed

    await app.clock.until(gap_shown, "every row shown STALE after the gap", et(NEXT, 3, 30))
    await app.clock.reach(et(NEXT, 3, 45))
    assert app.health.state is ConnectionState.STREAMING
    assert gap_shown(), (statuses(), poller.polls - polls)
    for symbol in SYMBOLS:
        assert not app.rec[symbol].data_between(POST_CLOSE, NEXT_PRE_OPEN), symbol
        assert app.table.text(symbol, "last") != "\u2014", f"{symbol} lost its price"
    assert app.table.symbols() == SYMBOLS
    app.check_rows(seen.monday_close, "overnight")


async def _the_next_morning(app: DayApp, seen: Seen) -> None:
    """04:00 Wednesday: the day rolls; Tuesday's close is every row's previous close."""
    await app.clock.reach(NEXT_PRE_OPEN)

    def rolled() -> bool:
        return all(app.rec[s].data_between(NEXT_PRE_OPEN, NEXT_OPEN) for s in SYMBOLS)

    await app.clock.until(rolled, "Wednesday's first data for every row", et(NEXT, 4, 30))
    await app.shows_session("Pre-market", et(NEXT, 4, 30))

    def fresh() -> bool:  # the day's data after the gap: fresh again
        return all(app.table.text(s, "status") == "DEMO" for s in SYMBOLS)

    await app.clock.until(fresh, "every row fresh with Wednesday's data", et(NEXT, 4, 30))
    app.check_rows(seen.tuesday_close, "the next pre-market")
    for symbol in SYMBOLS:  # Tuesday's open and volume never sit beside Wednesday's prices
        snap = app.snap(symbol)
        assert (snap.open, snap.volume) == (None, None), f"{symbol}: Tuesday's day stats kept"
    snapshots = await app.rest.snapshots(SYMBOLS)
    for symbol in SYMBOLS:  # the snapshot rolls at the open: Tuesday is still its dailyBar
        _bar_days(snapshots[symbol], daily=DAY, prev=PREV)
    assert _closes(snapshots, "daily_bar") == pytest.approx(seen.tuesday_close)


def _the_whole_day(app: DayApp, seen: Seen) -> None:
    """Nothing printed out of its session; the alert fired once, on the day's data."""
    for symbol in SYMBOLS:
        record = app.rec[symbol]
        assert not record.data_between(0, PRE_OPEN), f"{symbol}: data before 04:00"
        after_hours = [
            p for p in record.trades_between(CLOSE, POST_CLOSE) if "6" not in p.conditions
        ]  # the closing cross is a regular print
        extended = [*record.trades_between(PRE_OPEN, OPEN), *after_hours,
                    *record.trades_between(NEXT_PRE_OPEN, NEXT_OPEN)]  # fmt: skip
        assert extended
        assert all("T" in p.conditions for p in extended), f"{symbol}: extended print without T"
        regular = record.trades_between(OPEN, CLOSE)
        assert regular
        assert not any("T" in p.conditions for p in regular), f"{symbol}: Form T in the session"
    fired = app.book.history()
    assert len(fired) == 1, [f.message() for f in fired]
    assert seen.alert is not None
    assert seen.alert.fired_count == 1
    assert len(app.alerts_shown) == 1
    assert app.window.alerts.panel.history.count() == 1
    firing = fired[0]
    assert firing.exchange_ns is not None
    assert PRE_OPEN <= firing.exchange_ns < OPEN, clock_text(firing.exchange_ns)
    monday = seen.monday_close[ACTIVE]
    assert firing.change_pct == pytest.approx((firing.price - monday) / monday * 100)


def _series(app: DayApp, seen: Seen) -> None:
    """Sparkline and chart series in time order (the sampler also watched them grow); the
    regular session's minute bars without long holes (thin IEX names skip minutes, a
    halt skips its span)."""
    for symbol in SYMBOLS:
        series = app.table.sparkline(symbol)
        assert series is not None, symbol
        assert series is app.history.get(symbol)  # the chart reads the same series
        times = series.bars.times
        assert increasing(times), f"{symbol}: minute bars out of order"
        assert increasing(series.prices.buckets), f"{symbol}: sparkline out of order"
        assert OPEN in times, f"{symbol}: no 09:30 bar (the opening print's)"
        if symbol in seen.closing:
            assert CLOSE in times, f"{symbol}: no 16:00 bar (the closing print's)"
        halts = [(h.start_ns, h.end_ns or CLOSE) for h in series.halts]
        limit = MAX_ACTIVE_GAP_MIN if symbol == ACTIVE else MAX_GAP_MIN
        gap = longest_gap_minutes(times, OPEN, CLOSE, halts)
        assert gap <= limit, f"{symbol}: {gap:.0f} minutes without a bar in the regular session"
        if symbol == ACTIVE:
            regular = [t for t in times if OPEN <= t < CLOSE]
            assert len(regular) >= 390 // 2, f"{symbol}: {len(regular)} regular-session bars"
        # The stream's own minute bars (`b`) are in the chart, not only bars folded from prints.
        assert set(app.rec[symbol].bars) <= set(times), f"{symbol}: a stream bar not charted"


async def _nothing_lost(app: DayApp) -> None:
    """Still streaming (or back by itself), the watchlist whole, nothing failed quietly."""
    await app.clock.until(lambda: app.health.state is ConnectionState.STREAMING,
                          "streaming at the end", et(NEXT, 5))  # fmt: skip
    assert app.window.symbols() == app.watchlist == SYMBOLS
    assert app.table.symbols() == SYMBOLS
    assert app.health.decode_errors == 0
    assert (app.history.errors, app.history.last_error) == (0, None)
    assert (app.book.errors, app.book.last_error) == (0, None)
    assert not app.recorder.errors
    assert app.sampler.samples > 0
    assert ConnectionState.FAILED not in app.sampler.states, app.sampler.states
    assert not app.sampler.problems, app.sampler.problems
    assert app.sampler.sessions == SESSIONS, app.sampler.texts
