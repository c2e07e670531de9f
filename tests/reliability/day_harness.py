"""The compressed-day harness: the real app (gui.runtime.Runtime, offscreen) with its
embedded simulator living a real trading day on a fast session clock (`--demo-at`,
`--demo-speed`: engine.demo.DemoOptions), and what a user would see of it.

`DayRecorder` is a store observer that keeps every stream print, quote, status and
minute bar the app applied, with its exchange time, and what the table showed for a
row when a trading status arrived. `DaySampler` looks at the window every few tens of
milliseconds: the status bar's market-session text, each row's Source/Status cell
against the store's freshness, and whether the sparkline and chart series ever went
backwards in time. Waits are on the SIMULATED clock (`DayClock.reach`), with generous
real-time bounds; nothing here measures wall-clock timing (docs/simulator.md,
"Testing against a simulated day").
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

import pytest

from engine.events import Bar, BarKind, Quote, Trade, TradingStatus
from engine.market.calendar import EASTERN, MarketSessionState, session_at_ns, to_ns
from engine.market.history import SymbolHistory
from engine.market.store import Freshness, observes_late_prints
from engine.market.store import SymbolSnapshot as Snap
from engine.net.health import ConnectionState
from gui.formatting import format_percent
from gui.runtime import Runtime
from gui.statusbar.market_session import SIMULATED_PREFIX
from gui.table.columns import COLUMN_INDEX, SOURCE_LABELS
from gui.table.roles import RAW_VALUE_ROLE, SPARKLINE_ROLE, TOOLTIP
from tests.waits import until

NS = 1_000_000_000
MINUTE_NS = 60 * NS
SAMPLE_S = 0.03
HALTING_CODES = frozenset({"H", "P", "2", "Q"})  # no trading (Q: quotes only), docs/protocol.md
# A mismatch between a row's Source/Status cell and the store's freshness counts only if
# it outlives this many real seconds and samples: the model caches freshness per flush
# (gui.table), and a busy loop may run the sampler before the flush.
SHOWN_LAG_S = 1.0
SHOWN_LAG_SAMPLES = 10
# What the Source/Status cell shows for a row that is not halted (gui.table.columns
# .status_text); a fresh row shows its source (DEMO, REST).
SHOWN: dict[Freshness, str] = {
    Freshness.STALE: "STALE",
    Freshness.EXPIRED: "EXPIRED",
    Freshness.EMPTY: "waiting",
}


def et(day: date, hour: int, minute: int = 0, second: int = 0) -> int:
    """A New York wall-clock time on `day` as Unix ns."""
    return to_ns(datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=EASTERN))


def clock_text(ns: int) -> str:
    """`Tue 09:30:00 ET`, for failure messages."""
    at = datetime.fromtimestamp(ns / NS, EASTERN)
    return f"{at:%a %H:%M:%S} ET"


class DayClock:
    """The simulator's session clock, and waits on it with generous real-time bounds."""

    def __init__(self, runtime: Runtime, speed: float) -> None:
        assert runtime.simulator is not None
        self._sim = runtime.simulator
        self.speed = speed

    def now_ns(self) -> int:
        return self._sim.now_ns()

    def session(self) -> MarketSessionState:
        return session_at_ns(self.now_ns())

    def limit_to(self, target_ns: int) -> float:
        """A generous real-time bound for the session clock to reach `target_ns`."""
        return max(0.0, target_ns - self.now_ns()) / NS / self.speed * 2 + 20.0

    async def reach(self, target_ns: int) -> None:
        """Wait until simulated time is at least `target_ns`."""
        await until(
            lambda: self.now_ns() >= target_ns,
            f"the simulated clock to reach {clock_text(target_ns)}",
            self.limit_to(target_ns),
        )

    async def until(self, condition: Callable[[], bool], what: str, by_ns: int) -> None:
        """Wait for `condition()`, at most until the session clock is well past `by_ns`
        (a condition driven by the simulated day, e.g. "an opening print arrived")."""
        await until(condition, f"{what} (due by {clock_text(by_ns)})", self.limit_to(by_ns))


@dataclass(frozen=True, slots=True)
class StatusSeen:
    """A trading status as applied, and the row as the table showed it right after."""

    ts: int
    code: str
    reason: str
    shown: str  # the Source/Status cell
    tooltip: str
    quotation_only: bool


class Print(NamedTuple):
    ts: int
    price: float
    conditions: tuple[str, ...]


@dataclass
class SymbolRecord:
    """Everything the stream brought for one symbol (exchange times, ns)."""

    trades: list[Print] = field(default_factory=list)
    quotes: list[int] = field(default_factory=list)
    quote_halted: list[tuple[int, bool]] = field(default_factory=list)  # (time, row halted)
    statuses: list[StatusSeen] = field(default_factory=list)
    bars: list[int] = field(default_factory=list)  # minute bar starts (`b`)

    def trades_between(self, start: int, end: int) -> list[Print]:
        return [t for t in self.trades if start <= t.ts < end]

    def quotes_between(self, start: int, end: int) -> list[int]:
        return [q for q in self.quotes if start <= q < end]

    def data_between(self, start: int, end: int) -> bool:
        """Whether any print or quote is stamped in [start, end)."""
        return bool(self.trades_between(start, end) or self.quotes_between(start, end))

    def print_at(self, ns: int, condition: str) -> float | None:
        """The price of the print stamped exactly `ns` with `condition` (an auction)."""
        for trade in self.trades_between(ns, ns + 1):
            if condition in trade.conditions:
                return trade.price
        return None

    def halted_at(self, ns: int) -> bool:
        """Whether the last status at or before `ns` left the symbol halted."""
        codes = [s.code for s in self.statuses if s.ts <= ns]
        return bool(codes) and codes[-1] in HALTING_CODES


class DayRecorder:
    """Store observer for the test (bounded by the day: a few tens of thousands of events)."""

    def __init__(
        self, symbols: Sequence[str], window_row: Callable[[str], tuple[str, str]]
    ) -> None:
        self.symbols = list(symbols)
        self.by_symbol: dict[str, SymbolRecord] = {s: SymbolRecord() for s in symbols}
        self._row = window_row  # symbol -> (Source/Status text, tooltip)
        self.errors: list[str] = []

    @observes_late_prints  # a late print is still a print the stream delivered
    def on_event(self, event: Any, snap: Snap) -> None:
        record = self.by_symbol.get(snap.symbol)
        if record is None:
            return
        try:
            kind = type(event)
            if kind is Trade:
                record.trades.append(Print(event.timestamp_ns, event.price, event.conditions))
            elif kind is Quote:
                record.quotes.append(event.timestamp_ns)
                record.quote_halted.append((event.timestamp_ns, snap.halted))
            elif kind is TradingStatus:
                shown, tip = self._row(snap.symbol)
                record.statuses.append(
                    StatusSeen(event.timestamp_ns, event.status_code, event.reason_code,
                               shown, tip, snap.quotation_only)
                )  # fmt: skip
            elif kind is Bar and event.kind is BarKind.MINUTE:
                record.bars.append(event.timestamp_ns)
        except Exception as exc:  # an observer must never raise into the store
            self.errors.append(f"{snap.symbol}: {type(exc).__name__}: {exc}")

    def stream_prints(self) -> int:
        return sum(len(r.trades) for r in self.by_symbol.values())

    def stream_quotes(self) -> int:
        return sum(len(r.quotes) for r in self.by_symbol.values())


class TableReader:
    """Reads the watchlist table model the way the view does (display and raw values)."""

    def __init__(self, runtime: Runtime) -> None:
        assert runtime.window is not None
        self.model = runtime.window.model

    def row_of(self, symbol: str) -> int:
        model = self.model
        for row in range(model.rowCount()):
            if model.data(model.index(row, COLUMN_INDEX["symbol"])) == symbol:
                return row
        raise AssertionError(f"{symbol} is not a row of the table")

    def text(self, symbol: str, column: str) -> str:
        return str(self.model.data(self.model.index(self.row_of(symbol), COLUMN_INDEX[column])))

    def raw(self, symbol: str, column: str) -> Any:
        index = self.model.index(self.row_of(symbol), COLUMN_INDEX[column])
        return self.model.data(index, RAW_VALUE_ROLE)

    def tooltip(self, symbol: str) -> str:
        index = self.model.index(self.row_of(symbol), COLUMN_INDEX["status"])
        return str(self.model.data(index, TOOLTIP) or "")

    def status(self, symbol: str) -> tuple[str, str]:
        return self.text(symbol, "status"), self.tooltip(symbol)

    def sparkline(self, symbol: str) -> SymbolHistory | None:
        """What the sparkline delegate paints (and the chart reads): the row's history."""
        index = self.model.index(self.row_of(symbol), COLUMN_INDEX["spark"])
        history = self.model.data(index, SPARKLINE_ROLE)
        return history if isinstance(history, SymbolHistory) else None

    def symbols(self) -> list[str]:
        model = self.model
        col = COLUMN_INDEX["symbol"]
        return [model.data(model.index(row, col)) for row in range(model.rowCount())]


def session_name(text: str) -> str:
    """`Simulated · Pre-market · opens in 5h 29m` -> `Pre-market`."""
    return text.removeprefix(SIMULATED_PREFIX).split(" \u00b7 ")[0]


@dataclass
class DaySampler:
    """Looks at the window every SAMPLE_S real seconds while the day runs."""

    runtime: Runtime
    table: TableReader
    symbols: Sequence[str]
    sessions: list[str] = field(default_factory=list)  # status-bar session names, in order
    texts: list[str] = field(default_factory=list)  # distinct status-bar session texts
    states: list[ConnectionState] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    samples: int = 0
    _mismatch_since: dict[str, tuple[float, int]] = field(default_factory=dict)
    _newest_bucket: dict[str, int] = field(default_factory=dict)
    _newest_bar: dict[str, int] = field(default_factory=dict)

    def problem(self, text: str) -> None:
        if len(self.problems) < 50 and text not in self.problems:
            self.problems.append(text)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                self.sample()
            except Exception as exc:  # a harness bug must fail the test, not hang it
                self.problem(f"sampler: {type(exc).__name__}: {exc}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), SAMPLE_S)

    def sample(self) -> None:
        runtime = self.runtime
        assert runtime.window is not None
        assert runtime.store is not None
        self.samples += 1
        state = runtime.health.state
        if not self.states or self.states[-1] is not state:
            self.states.append(state)
        text = runtime.window.status.market_session.text()
        if not text.startswith(SIMULATED_PREFIX):
            self.problem(f"market session text not labelled simulated: {text!r}")
        if not self.texts or self.texts[-1] != text:
            self.texts.append(text)
        name = session_name(text)
        if not self.sessions or self.sessions[-1] != name:
            self.sessions.append(name)
        now = time.monotonic()
        for symbol in self.symbols:
            self._check_row(symbol, now)
            self._check_series(symbol)

    def _check_row(self, symbol: str, now: float) -> None:
        """The Source/Status cell says what the store knows: HALTED exactly while halted,
        otherwise the row's freshness; a stale row is never shown as fresh for long."""
        store = self.runtime.store
        assert store is not None
        snap = store.get(symbol)
        shown = self.table.text(symbol, "status")
        if snap is None:
            self.problem(f"{symbol}: no longer in the store (shown {shown!r})")
            return
        freshness = store.freshness(symbol)
        if snap.halted:
            expected = "HALTED"
        elif freshness is Freshness.FRESH:
            expected = SOURCE_LABELS[snap.source]
        else:
            expected = SHOWN[freshness]
        if shown == expected:
            self._mismatch_since.pop(symbol, None)
            return
        since, count = self._mismatch_since.get(symbol, (now, 0))
        self._mismatch_since[symbol] = (since, count + 1)
        if now - since > SHOWN_LAG_S and count + 1 >= SHOWN_LAG_SAMPLES:
            self.problem(f"{symbol}: shown {shown!r} while the store says {expected!r}")

    def _check_series(self, symbol: str) -> None:
        """Sparkline buckets and chart bars only ever move forward in time."""
        history = self.table.sparkline(symbol)
        if history is None:
            return
        buckets = history.prices.buckets
        if buckets:
            newest = buckets[-1]
            if newest < self._newest_bucket.get(symbol, newest):
                self.problem(f"{symbol}: the sparkline went back in time")
            self._newest_bucket[symbol] = max(newest, self._newest_bucket.get(symbol, newest))
        times = history.bars.times
        if times:
            newest = times[-1]
            if newest < self._newest_bar.get(symbol, newest):
                self.problem(f"{symbol}: the chart's newest minute bar went back in time")
            self._newest_bar[symbol] = max(newest, self._newest_bar.get(symbol, newest))


def increasing(values: Sequence[int]) -> bool:
    """Strictly increasing (a time series with one point per bucket or minute)."""
    return all(a < b for a, b in itertools.pairwise(values))


def longest_gap_minutes(
    times: Sequence[int], start: int, end: int, skip: Sequence[tuple[int, int]]
) -> float:
    """The longest run of minutes in [start, end) without a minute bar, in minutes, not
    counting spans in `skip` (halts: no trades then, by definition)."""
    kept = sorted(t for t in times if start <= t < end)
    edges = [start - MINUTE_NS, *kept, end]
    longest = 0.0
    for a, b in itertools.pairwise(edges):
        gap = b - a - MINUTE_NS
        for s0, s1 in skip:
            overlap = min(b, s1) - max(a, s0)
            if overlap > 0:
                gap -= overlap
        longest = max(longest, gap / MINUTE_NS)
    return longest


class DayApp:
    """The running app and everything the test reads of it, made once it has started."""

    def __init__(self, runtime: Runtime, symbols: Sequence[str], speed: float) -> None:
        assert runtime.window is not None
        assert runtime.store is not None
        assert runtime.simulator is not None
        assert runtime.rest.rest is not None
        self.runtime = runtime
        self.window = runtime.window
        self.store = runtime.store
        self.sim = runtime.simulator
        self.rest = runtime.rest.rest
        self.health = runtime.health
        self.book = runtime.parts.alerts
        self.history = runtime.parts.history
        self.symbols = list(symbols)
        self.clock = DayClock(runtime, speed)
        self.table = TableReader(runtime)
        self.recorder = DayRecorder(symbols, self.table.status)
        self.rec = self.recorder.by_symbol
        self.store.add_observer(self.recorder.on_event)
        self.alerts_shown: list[object] = []  # what the alerts panel drained and showed
        self.window.alerts.panel.fired.connect(self.alerts_shown.extend)
        self.sampler = DaySampler(runtime, self.table, symbols)
        self.watchlist = self.window.symbols()

    def snap(self, symbol: str) -> Snap:
        snap = self.store.get(symbol)
        assert snap is not None, f"{symbol} is no longer in the store"
        return snap

    def session_text(self) -> str:
        """The status bar's market-session text, as its own timer last refreshed it."""
        return self.window.status.market_session.text()

    async def shows_session(self, name: str, by_ns: int) -> str:
        """Wait until the status bar names session `name` and the sampler has seen it
        (so its list of sessions is complete); the status bar's full text."""

        def shown() -> bool:
            sessions = self.sampler.sessions
            return session_name(self.session_text()) == name and sessions[-1:] == [name]

        await self.clock.until(shown, f"the status bar to say {name}", by_ns)
        return self.session_text()

    def check_rows(self, reference: Mapping[str, float], when: str) -> None:
        """Every row's previous close is `reference`; Change and Change % (as the table
        model gives them) are against it."""
        for symbol in self.symbols:
            snap = self.snap(symbol)
            close = reference[symbol]
            assert snap.prev_close == pytest.approx(close), (
                f"{when}: {symbol} previous close {snap.prev_close}, expected {close}"
            )
            assert snap.last_price is not None, f"{when}: {symbol} has no last price"
            pct = self.table.raw(symbol, "change_pct")
            expected = (snap.last_price - close) / close * 100
            assert pct == pytest.approx(expected), f"{when}: {symbol} Change % {pct} != {expected}"
            assert self.table.text(symbol, "change_pct") == format_percent(pct)
            assert self.table.raw(symbol, "change") == pytest.approx(snap.last_price - close)

    def auction_prices(self, ns: int, condition: str) -> dict[str, float]:
        """Opening (`O`) or closing (`6`) cross prices stamped `ns`, per symbol."""
        prices = {s: self.rec[s].print_at(ns, condition) for s in self.symbols}
        return {s: p for s, p in prices.items() if p is not None}
