"""Bounded per-symbol history for sparklines, the intraday chart and time & sales.

Contract: `PriceHistory.on_event` is a `MarketDataStore` observer (called after an event
changed a snapshot): O(1) per trade (a correction scans at most one tape), never raises.
Memory is fixed per symbol and the number of symbols is capped, so it is bounded by the
watchlist, never by message rate or run time (DESIGN invariant 2):
- prices: the last `window_s` of trade prices in `bucket_s` buckets (last price per
  bucket), so 1,000 prints a second cost what one does;
- tape: the latest `tape_size` prints, corrections and cancels applied in place;
- bars: the latest `max_bars` minute bars (16 h of 04:00-20:00 ET by default), folded
  from prints and replaced by the stream's `b`/`u` bar of the same minute when one
  arrives, in flat arrays (48 bytes a bar);
- halts and LULD bands: the latest few, for chart markers.
Each symbol's `spark_version` / `version` increase when its sparkline / anything changed,
so painters can cache by version.
"""

from __future__ import annotations

import enum
from array import array
from bisect import bisect_left
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from engine.events import (
    Bar,
    BarKind,
    CancelError,
    Correction,
    Luld,
    Snapshot,
    Trade,
    TradingStatus,
)
from engine.market.store import SymbolSnapshot

NS = 1_000_000_000
MINUTE_NS = 60 * NS
DEFAULT_WINDOW_S = 15 * 60
DEFAULT_BUCKET_S = 1.0
DEFAULT_TAPE_SIZE = 100  # ~200 bytes a print: 20 KiB per symbol at most (bench_memory.py)
DEFAULT_MAX_BARS = 16 * 60
DEFAULT_MAX_SYMBOLS = 2_000
MAX_HALTS = 16
MAX_LULDS = 256
MAX_CONDITION_SETS = 1024  # interned trade-condition tuples (bounded: cleared when full)


class TapeState(enum.StrEnum):
    """What later messages said about a print (Alpaca `c` corrections, `x` C/E)."""

    OK = "ok"
    CORRECTED = "corrected"
    CANCELLED = "cancelled"
    ERROR = "error"


class TapeEntry:
    """One print in time & sales; corrections rewrite it in place, keeping the original."""

    __slots__ = (
        "conditions",
        "exchange",
        "original_price",
        "original_size",
        "price",
        "size",
        "state",
        "timestamp_ns",
        "trade_id",
    )

    def __init__(self, trade: Trade, conditions: tuple[str, ...] | None = None) -> None:
        self.timestamp_ns = trade.timestamp_ns
        self.price = trade.price
        self.size = trade.size
        self.exchange = trade.exchange
        self.trade_id = trade.trade_id
        # `conditions`: the same value, shared (PriceHistory interns the few that exist).
        self.conditions = trade.conditions if conditions is None else conditions
        self.state = TapeState.OK
        self.original_price: float | None = None
        self.original_size: int | None = None

    def __repr__(self) -> str:
        return f"TapeEntry({self.trade_id}, {self.price}, {self.size}, {self.state})"


class PriceSeries:
    """Last trade price per time bucket over a sliding window, in flat arrays.

    `array` rather than `deque`: 16 bytes a bucket instead of ~72 (a deque holds a boxed
    int and a boxed float per bucket), which is most of a symbol's history at scale
    (tests/benchmarks/bench_memory.py). Dropping the oldest bucket is a memmove of at
    most `window` doubles, once per new bucket at most.
    """

    __slots__ = ("bucket_ns", "buckets", "last_trade_id", "prices", "window")

    def __init__(self, bucket_ns: int, window_buckets: int) -> None:
        self.bucket_ns = bucket_ns
        self.window = window_buckets
        self.buckets = array("q")
        self.prices = array("d")
        self.last_trade_id: int | None = None

    def add(self, timestamp_ns: int, price: float, trade_id: int | None) -> bool:
        """Record a print; False (ignored) when it is older than the newest bucket."""
        bucket = timestamp_ns // self.bucket_ns
        buckets = self.buckets
        if buckets and bucket <= buckets[-1]:
            if bucket < buckets[-1]:
                return False
            self.prices[-1] = price
        else:
            buckets.append(bucket)
            self.prices.append(price)
            oldest = bucket - self.window
            if buckets[0] < oldest:  # the window is time, not only count
                keep = bisect_left(buckets, oldest)
                del buckets[:keep]
                del self.prices[:keep]
        self.last_trade_id = trade_id
        return True

    def pop(self) -> None:
        """Drop the newest bucket (its only print was cancelled)."""
        self.buckets.pop()
        self.prices.pop()

    def __len__(self) -> int:
        return len(self.buckets)

    def points(self) -> tuple[list[int], list[float]]:
        """(bucket start times in ns, last price in each bucket), oldest first."""
        step = self.bucket_ns
        return [b * step for b in self.buckets], self.prices.tolist()


class MinuteBars:
    """Minute bars in flat arrays: time (ns), open, high, low, close, volume."""

    __slots__ = ("close", "high", "low", "max_bars", "open", "times", "volume")

    def __init__(self, max_bars: int) -> None:
        self.max_bars = max_bars
        self.times = array("q")
        self.open = array("d")
        self.high = array("d")
        self.low = array("d")
        self.close = array("d")
        self.volume = array("q")

    def __len__(self) -> int:
        return len(self.times)

    def add(self, bar: Bar) -> bool:
        """Append a newer bar, or replace the same minute (`u` revisions, or the bar
        folded from prints); older than every kept bar: False."""
        times = self.times
        ts = bar.timestamp_ns
        if times and ts <= times[-1]:
            # A revision is of a recent minute: search backwards a few bars only.
            for i in range(len(times) - 1, max(-1, len(times) - 16), -1):
                if times[i] == ts:
                    self.open[i], self.high[i], self.low[i] = bar.open, bar.high, bar.low
                    self.close[i], self.volume[i] = bar.close, bar.volume
                    return True
            return False
        times.append(ts)
        self.open.append(bar.open)
        self.high.append(bar.high)
        self.low.append(bar.low)
        self.close.append(bar.close)
        self.volume.append(bar.volume)
        self._trim()
        return True

    def add_trade(self, timestamp_ns: int, price: float, size: int) -> None:
        """Fold a print into its minute's bar (the stream's own bar replaces it later)."""
        minute = timestamp_ns - timestamp_ns % MINUTE_NS
        times = self.times
        if times and minute == times[-1]:
            # Fast path, nearly every print: the newest minute (array reads box a value
            # each, so the general search below costs ~3x this; profiled per trade).
            if price > self.high[-1]:
                self.high[-1] = price
            if price < self.low[-1]:
                self.low[-1] = price
            self.close[-1] = price
            self.volume[-1] += size
            return
        if not times or minute > times[-1]:
            times.append(minute)
            for column in (self.open, self.high, self.low, self.close):
                column.append(price)
            self.volume.append(size)
            self._trim()
            return
        i = len(times) - 1
        while i > 0 and times[i] > minute and len(times) - i < 16:
            i -= 1
        if times[i] != minute:
            return  # a late print for a minute no longer kept: nothing to fold into
        if price > self.high[i]:
            self.high[i] = price
        if price < self.low[i]:
            self.low[i] = price
        if i == len(times) - 1:
            self.close[i] = price
        self.volume[i] += size

    def _trim(self) -> None:
        if len(self.times) > self.max_bars:  # once a minute at most: O(max_bars) is fine
            for column in (self.times, self.open, self.high, self.low, self.close, self.volume):
                del column[0]


class HaltSpan:
    """A halt from `start_ns` until `end_ns` (None while still halted)."""

    __slots__ = ("end_ns", "reason", "start_ns")

    def __init__(self, start_ns: int, reason: str) -> None:
        self.start_ns = start_ns
        self.end_ns: int | None = None
        self.reason = reason


class SymbolHistory:
    """Everything kept over time for one symbol; read by the GUI, written by PriceHistory."""

    __slots__ = ("bars", "halts", "lulds", "prices", "spark_version", "symbol", "tape", "version")

    def __init__(self, symbol: str, bucket_ns: int, window: int, tape: int, bars: int) -> None:
        self.symbol = symbol
        self.prices = PriceSeries(bucket_ns, window)
        self.tape: deque[TapeEntry] = deque(maxlen=tape)
        self.bars = MinuteBars(bars)
        self.halts: deque[HaltSpan] = deque(maxlen=MAX_HALTS)
        self.lulds: deque[tuple[int, float, float]] = deque(maxlen=MAX_LULDS)
        self.spark_version = 0
        self.version = 0

    @property
    def halted(self) -> bool:
        return bool(self.halts) and self.halts[-1].end_ns is None

    def find(self, trade_id: int, exchange: str = "") -> TapeEntry | None:
        """The newest tape entry with this id (and exchange, when given): ids are per venue."""
        for entry in reversed(self.tape):
            if entry.trade_id == trade_id and (not exchange or entry.exchange == exchange):
                return entry
        return None


class PriceHistory:
    """Store observer keeping bounded `SymbolHistory` per symbol (see module docstring)."""

    def __init__(
        self,
        window_s: float = DEFAULT_WINDOW_S,
        bucket_s: float = DEFAULT_BUCKET_S,
        tape_size: int = DEFAULT_TAPE_SIZE,
        max_bars: int = DEFAULT_MAX_BARS,
        max_symbols: int = DEFAULT_MAX_SYMBOLS,
    ) -> None:
        if not (0 < bucket_s <= window_s) or tape_size < 1 or max_bars < 1 or max_symbols < 1:
            raise ValueError(
                f"PriceHistory needs 0 < bucket_s <= window_s and positive sizes, got "
                f"window_s={window_s}, bucket_s={bucket_s}, tape_size={tape_size}, "
                f"max_bars={max_bars}, max_symbols={max_symbols}"
            )
        self.window_s = window_s
        self.bucket_ns = int(bucket_s * NS)
        self._window = max(1, int(window_s / bucket_s))
        self._tape_size = tape_size
        self._max_bars = max_bars
        self._max_symbols = max_symbols
        self._symbols: dict[str, SymbolHistory] = {}
        # Each decoded trade brings its own conditions tuple; the tape keeps one shared
        # copy of each distinct set (a few dozen exist), ~60 bytes less per print kept.
        self._conditions: dict[tuple[str, ...], tuple[str, ...]] = {}
        self.evicted = 0  # symbols dropped because max_symbols was reached
        self.errors = 0  # events that raised inside the observer (never propagated)
        self.last_error: str | None = None
        self._dispatch: dict[type, Callable[[Any, SymbolSnapshot], bool]] = {
            Trade: self._on_trade,
            Bar: self._on_bar,
            Correction: self._on_correction,
            CancelError: self._on_cancel,
            TradingStatus: self._on_status,
            Luld: self._on_luld,
            Snapshot: self._on_snapshot,
        }

    @property
    def capacity(self) -> int:
        """Buckets kept per symbol (window / bucket)."""
        return self._window

    def get(self, symbol: str) -> SymbolHistory | None:
        return self._symbols.get(symbol)

    def __len__(self) -> int:
        return len(self._symbols)

    def __contains__(self, symbol: object) -> bool:
        return symbol in self._symbols

    def retain(self, symbols: Iterable[str]) -> None:
        """Forget every symbol not in `symbols` (call when the watchlist shrinks)."""
        keep = set(symbols)
        for symbol in [s for s in self._symbols if s not in keep]:
            del self._symbols[symbol]

    def clear(self) -> None:
        """Forget everything (e.g. leaving simulated data for real data)."""
        self._symbols.clear()

    def on_event(self, event: Any, snap: SymbolSnapshot) -> None:
        """Store observer: record what `event` changed; never raises (hot path)."""
        handler = self._dispatch.get(type(event))
        if handler is None:
            return
        try:
            if handler(event, snap):
                history = self._symbols.get(snap.symbol)
                if history is not None:
                    history.version += 1
        except Exception as exc:  # an observer must not break the store's apply()
            self.errors += 1
            self.last_error = f"{snap.symbol}: {type(exc).__name__}: {exc}"

    def _history(self, symbol: str) -> SymbolHistory:
        history = self._symbols.get(symbol)
        if history is None:
            if len(self._symbols) >= self._max_symbols:
                del self._symbols[next(iter(self._symbols))]  # oldest first
                self.evicted += 1
            history = SymbolHistory(
                symbol, self.bucket_ns, self._window, self._tape_size, self._max_bars
            )
            self._symbols[symbol] = history
        return history

    def _on_trade(self, ev: Trade, snap: SymbolSnapshot) -> bool:
        history = self._history(snap.symbol)
        conditions = ev.conditions
        shared = self._conditions.get(conditions)
        if shared is None:
            if len(self._conditions) >= MAX_CONDITION_SETS:
                self._conditions.clear()
            shared = self._conditions[conditions] = conditions
        history.tape.append(TapeEntry(ev, shared))
        # Bars from prints: the store notifies observers only of minute bars that moved
        # the day's high/low, so most stream bars never arrive here (engine.market.store.apply).
        history.bars.add_trade(ev.timestamp_ns, ev.price, ev.size)
        if history.prices.add(ev.timestamp_ns, ev.price, ev.trade_id):
            history.spark_version += 1
        return True

    def _on_snapshot(self, ev: Snapshot, snap: SymbolSnapshot) -> bool:
        # REST seeds the chart before the stream speaks; its trade is not a new print.
        history = self._history(snap.symbol)
        changed = False
        trade = ev.latest_trade
        if trade is not None and history.prices.add(trade.timestamp_ns, trade.price, None):
            history.spark_version += 1
            changed = True
        if ev.minute_bar is not None:
            changed = self._add_bar(history, ev.minute_bar) or changed
        return changed

    def _on_bar(self, ev: Bar, snap: SymbolSnapshot) -> bool:
        if ev.kind is BarKind.DAILY:
            return False
        return self._add_bar(self._history(snap.symbol), ev)

    @staticmethod
    def _add_bar(history: SymbolHistory, bar: Bar) -> bool:
        return history.bars.add(bar)

    def _on_correction(self, ev: Correction, snap: SymbolSnapshot) -> bool:
        history = self._symbols.get(snap.symbol)
        if history is None:
            return False
        entry = history.find(ev.original_id, ev.exchange)
        if entry is not None:
            if entry.original_price is None:
                entry.original_price, entry.original_size = entry.price, entry.size
            entry.price, entry.size = ev.corrected_price, ev.corrected_size
            entry.trade_id = ev.corrected_id
            entry.conditions = ev.corrected_conditions
            entry.state = TapeState.CORRECTED
        prices = history.prices
        if prices.last_trade_id == ev.original_id and len(prices):
            prices.prices[-1] = ev.corrected_price
            prices.last_trade_id = ev.corrected_id
            history.spark_version += 1
        return True

    def _on_cancel(self, ev: CancelError, snap: SymbolSnapshot) -> bool:
        history = self._symbols.get(snap.symbol)
        if history is None:
            return False
        entry = history.find(ev.trade_id, ev.exchange)
        if entry is not None:
            entry.state = TapeState.ERROR if ev.action == "E" else TapeState.CANCELLED
        prices = history.prices
        if prices.last_trade_id == ev.trade_id and len(prices):
            # The store has reverted to the print before the voided one (if it kept one):
            # that print is this bucket's price if it fell in the same bucket, otherwise
            # the bucket held only the voided print and goes.
            last_ns = snap.last_trade_ns
            same = last_ns is not None and last_ns // prices.bucket_ns == prices.buckets[-1]
            if same and not snap.last_cancelled and snap.last_price is not None:
                prices.prices[-1] = snap.last_price
            else:
                prices.pop()
            prices.last_trade_id = None if snap.last_cancelled else snap.last_trade_id
            history.spark_version += 1
        return True

    def _on_status(self, ev: TradingStatus, snap: SymbolSnapshot) -> bool:
        if not (ev.is_halt or ev.is_resume):
            return False
        history = self._history(snap.symbol)
        halts = history.halts
        if ev.is_halt and not history.halted:
            halts.append(HaltSpan(ev.timestamp_ns, ev.reason_message or ev.status_message))
            return True
        if ev.is_resume and history.halted:
            halts[-1].end_ns = ev.timestamp_ns
            return True
        return False

    def _on_luld(self, ev: Luld, snap: SymbolSnapshot) -> bool:
        self._history(snap.symbol).lulds.append((ev.timestamp_ns, ev.limit_down, ev.limit_up))
        return True
