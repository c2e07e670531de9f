"""Bounded per-symbol history for sparklines, the intraday chart and time & sales.

Contract: `PriceHistory.on_event` is a `MarketDataStore` observer (called after an event
changed a snapshot): O(1) per trade (a correction scans at most one tape), never raises.
Memory is fixed per symbol and the number of symbols is capped, so it is bounded by the
watchlist, never by message rate or run time (docs/design.md, invariant 2):
- prices (`engine.market.sparkline`): the last `window_s` of trade prices in `bucket_s`
  buckets (last price per bucket), so 1,000 prints a second cost what one does;
- tape (`engine.market.tape`): the latest `tape_size` prints in time order, late prints
  (older than the symbol's last trade) included at their place (`tape_inserts` counts
  those, for readers that only look for new entries at the end), corrections and
  cancels applied in place, matched by trade id and exchange (ids are per venue);
- bars (`engine.market.minute_bars`): the latest `max_bars` minute bars (16 h of
  04:00-20:00 ET by default), folded from prints and replaced by the stream's `b`/`u`
  bar of the same minute when one arrives, merged with REST history at launch and
  after a gap, in flat arrays (49 bytes a bar with its source mark);
- REST history (`engine.market.history_load`): `earlier`, the previous sessions'
  15-minute bars (640, 49 bytes each), `daily`, a year of sessions
  (`engine.market.daily`, 260, 44 bytes each), and `profile`, volume by time of day
  (`engine.market.volume_profile`, 65 points, 8 bytes each); plus the load state;
- halts and LULD bands (here): the latest few, for chart markers. A halt lasts through
  a UTP `Q` (quotes only) until `T`/`3`, or until the store ends it on a print after
  it (`engine.market.merge_halts`).
Each symbol's `spark_version` / `version` increase when its sparkline / anything changed,
so painters can cache by version.

The bound per symbol, arrays full: minute bars 960 x 49 = 47,040 bytes, earlier
640 x 49 = 31,360, daily 260 x 44 = 11,440, profile 65 x 8 = 520: 90,360 bytes of
history data (~88 KiB), 98,070 bytes measured with array headers and over-allocation
(under 100 KiB); with the sparkline (900 x 16 = 14,400) and the tape (~20 KiB): ~135
KiB per symbol at most, ~270 MB at the 2,000-symbol cap (test_history_load.py).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence
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
from engine.market import history_load
from engine.market.daily import DailyBars
from engine.market.history_load import EARLIER_BARS, HistoryLoad, Resync
from engine.market.minute_bars import MINUTE_NS, MinuteBars
from engine.market.snapshot import SymbolSnapshot
from engine.market.sparkline import PriceSeries
from engine.market.store import observes_late_prints
from engine.market.tape import TapeEntry, TapeState, insert_in_time_order
from engine.market.volume_profile import VolumeProfile

# The series types are re-exported: the GUI imports everything history from here.
__all__ = [
    "DEFAULT_BUCKET_S",
    "DEFAULT_MAX_BARS",
    "DEFAULT_MAX_SYMBOLS",
    "DEFAULT_TAPE_SIZE",
    "DEFAULT_WINDOW_S",
    "MAX_CONDITION_SETS",
    "MAX_HALTS",
    "MAX_LULDS",
    "MINUTE_NS",
    "NS",
    "DailyBars",
    "HaltSpan",
    "HistoryLoad",
    "MinuteBars",
    "PriceHistory",
    "PriceSeries",
    "Resync",
    "SymbolHistory",
    "TapeEntry",
    "TapeState",
    "VolumeProfile",
]

NS = 1_000_000_000
DEFAULT_WINDOW_S = 15 * 60
DEFAULT_BUCKET_S = 1.0
DEFAULT_TAPE_SIZE = 100  # ~200 bytes a print: 20 KiB per symbol at most (bench_memory.py)
DEFAULT_MAX_BARS = 16 * 60
DEFAULT_MAX_SYMBOLS = 2_000
MAX_HALTS = 16
MAX_LULDS = 256
MAX_CONDITION_SETS = 1024  # interned trade-condition tuples (bounded: cleared when full)


class HaltSpan:
    """A halt from `start_ns` until `end_ns` (None while still halted)."""

    __slots__ = ("end_note", "end_ns", "reason", "start_ns")

    def __init__(self, start_ns: int, reason: str) -> None:
        self.start_ns = start_ns
        self.end_ns: int | None = None
        self.reason = reason
        self.end_note: str | None = None  # how it ended, when no resume message did


class SymbolHistory:
    """Everything kept over time for one symbol; read by the GUI, written by PriceHistory."""

    __slots__ = (
        "bars",
        "daily",
        "earlier",
        "halts",
        "load",
        "load_note",
        "lulds",
        "prices",
        "profile",
        "resync",
        "spark_version",
        "symbol",
        "tape",
        "tape_inserts",
        "version",
    )

    def __init__(self, symbol: str, bucket_ns: int, window: int, tape: int, bars: int) -> None:
        self.symbol = symbol
        self.prices = PriceSeries(bucket_ns, window)
        self.tape: deque[TapeEntry] = deque(maxlen=tape)
        self.bars = MinuteBars(bars)
        self.halts: deque[HaltSpan] = deque(maxlen=MAX_HALTS)
        self.lulds: deque[tuple[int, float, float]] = deque(maxlen=MAX_LULDS)
        self.spark_version = 0
        self.version = 0
        self.tape_inserts = 0  # late prints put on the tape before its newest entry
        # REST history (engine.market.history_load): filled by the backfill.
        self.earlier = MinuteBars(EARLIER_BARS)  # previous sessions, 15-minute bars
        self.daily = DailyBars()
        self.profile: VolumeProfile | None = None
        self.load = HistoryLoad.PENDING
        self.load_note = ""
        self.resync: Resync | None = None

    @property
    def halted(self) -> bool:
        return bool(self.halts) and self.halts[-1].end_ns is None

    def find(self, trade_id: int, exchange: str) -> TapeEntry | None:
        """The newest tape entry with this trade id on this exchange: SIP trade ids are
        unique per venue only (docs/protocol.md, "Market-state facts")."""
        for entry in reversed(self.tape):
            if entry.trade_id == trade_id and entry.exchange == exchange:
                return entry
        return None

    def _end_halt(self, at_ns: int, snap: SymbolSnapshot) -> bool:
        # The store ended the halt on a print after it (merge_halts): close the span too.
        halts = self.halts
        if not halts or halts[-1].end_ns is not None or snap.halted:
            return False
        halts[-1].end_ns = at_ns
        halts[-1].end_note = snap.halt_end_note
        return True


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

    # --- REST history (engine.market.history_load; creates the symbol if absent) ------

    def load_intraday(
        self, symbol: str, bars: Sequence[Bar], iex_from_ns: int | None = None
    ) -> int:
        """Merge the session's minute bars and seed the sparkline; minutes added."""
        return history_load.load_intraday(self._history(symbol), bars, iex_from_ns)

    def load_daily(self, symbol: str, bars: Sequence[Bar]) -> None:
        history_load.load_daily(self._history(symbol), bars)

    def load_earlier(self, symbol: str, bars_15min: Sequence[Bar]) -> None:
        """The previous sessions' 15-minute bars; rebuilds the volume profile."""
        history_load.load_earlier(self._history(symbol), bars_15min)

    def fill_gap(
        self,
        symbol: str,
        bars: Sequence[Bar],
        iex_from_ns: int | None,
        outage_start_ns: int,
        outage_end_ns: int,
        at_ns: int,
    ) -> int:
        """Merge an outage's minute bars and record the `Resync`; minutes added."""
        return history_load.fill_gap(
            self._history(symbol), bars, iex_from_ns, outage_start_ns, outage_end_ns, at_ns
        )

    def set_load(self, symbol: str, state: HistoryLoad, note: str = "") -> None:
        history_load.set_load(self._history(symbol), state, note)

    @observes_late_prints  # the tape shows every print, late ones included
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
        last_ns = snap.last_trade_ns
        if last_ns is not None and ev.timestamp_ns < last_ns:
            return self._on_late_trade(history, ev, shared)
        history.tape.append(TapeEntry(ev, shared))
        # Bars from prints: the stream's own bar of a minute comes only after the minute
        # ends, so the chart's current minute is folded from prints (MinuteBars.add_trade).
        history.bars.add_trade(ev.timestamp_ns, ev.price, ev.size)
        if history.prices.add(ev.timestamp_ns, ev.price, ev.trade_id, ev.exchange):
            history.spark_version += 1
        if history.halts:
            history._end_halt(ev.timestamp_ns, snap)
        return True

    @staticmethod
    def _on_late_trade(history: SymbolHistory, ev: Trade, conditions: tuple[str, ...]) -> bool:
        # Older than the last print: on the tape at its time, into its minute's bar, but
        # not the sparkline's last price (the store kept the last price too).
        if insert_in_time_order(history.tape, TapeEntry(ev, conditions)):
            history.tape_inserts += 1
        history.bars.add_late_trade(ev.timestamp_ns, ev.price, ev.size)
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
        if trade is not None and history.halts:
            changed = history._end_halt(trade.timestamp_ns, snap) or changed
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
            entry.correct(ev)
        prices = history.prices
        if prices.correct(ev.original_id, ev.corrected_id, ev.corrected_price, ev.exchange):
            history.spark_version += 1
        return True

    def _on_cancel(self, ev: CancelError, snap: SymbolSnapshot) -> bool:
        history = self._symbols.get(snap.symbol)
        if history is None:
            return False
        entry = history.find(ev.trade_id, ev.exchange)
        if entry is not None:
            entry.void(ev)
        # The store has already reverted `snap` to the print before the voided one.
        if history.prices.void(ev.trade_id, snap, ev.exchange):
            history.spark_version += 1
        return True

    def _on_status(self, ev: TradingStatus, snap: SymbolSnapshot) -> bool:
        # `Q` (quotes only) is still a halt: one that began unseen starts here.
        halting = ev.is_halt or ev.is_quotation_resume
        if not (halting or ev.is_resume):
            return False
        history = self._history(snap.symbol)
        halts = history.halts
        if halting and not history.halted:
            halts.append(HaltSpan(ev.timestamp_ns, ev.reason_message or ev.status_message))
            return True
        if ev.is_resume and history.halted:
            halts[-1].end_ns = ev.timestamp_ns
            return True
        return False

    def _on_luld(self, ev: Luld, snap: SymbolSnapshot) -> bool:
        self._history(snap.symbol).lulds.append((ev.timestamp_ns, ev.limit_down, ev.limit_up))
        return True
