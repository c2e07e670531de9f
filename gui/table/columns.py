"""The ticker table's columns, declared once (no Qt): raw value, formatter, alignment, colours.

`TickerTableModel.data()` looks every role up here; sorting uses `raw_value`, never the
display text ("10.5" < "9.8" as strings). Market values of an EXPIRED row read as None,
so they are hidden (em dash) and sort last instead of passing as current.
"""

from __future__ import annotations

from typing import Any

from engine.market.history import SymbolHistory
from engine.market.store import Freshness, Source, SymbolSnapshot
from gui import formatting as fmt
from gui.positions import book as pos
from gui.table.column_types import Align, ColumnDef, RowState, ToneFn, ValueFn, no_value, sign_tone
from gui.table.columns_history import DAY_COLUMNS, VOLUME_COLUMNS
from gui.tone import Tone

# Re-exported: the table imports the column types from here.
__all__ = [
    "COLUMNS",
    "COLUMN_INDEX",
    "SOURCE_LABELS",
    "Align",
    "ColumnDef",
    "RowState",
    "Tone",
    "ToneFn",
    "ValueFn",
    "age_seconds",
    "background_tone",
    "foreground_tone",
    "raw_value",
    "row_tooltip",
    "status_text",
]


def _last(snap: SymbolSnapshot) -> float | None:
    # A cancelled print with no earlier one kept is not a price (store: last_cancelled).
    return None if snap.last_cancelled else snap.last_price


def _change(snap: SymbolSnapshot) -> float | None:
    return None if snap.last_cancelled else snap.change


def _change_pct(snap: SymbolSnapshot) -> float | None:
    return None if snap.last_cancelled else snap.change_pct


def _side(price: float | None) -> float | None:
    # Alpaca sends 0 for an empty book side (e.g. no IEX bid): no price, not $0.00.
    return price if price else None


def age_seconds(snap: SymbolSnapshot, now: float) -> float | None:
    """Seconds since the row's last applied update (monotonic), None if never updated."""
    if snap.received_at is None:
        return None
    return max(0.0, now - snap.received_at)


SOURCE_LABELS: dict[Source, str] = {
    Source.STREAM: "stream",
    Source.REST: "REST",
    Source.SIMULATOR: "DEMO",
}


def status_text(snap: SymbolSnapshot, state: RowState) -> str:
    """HALTED beats EXPIRED beats STALE beats the data source (stream / REST / DEMO)."""
    if snap.halted:
        return "HALTED"
    if state.freshness is Freshness.EXPIRED:
        return "EXPIRED"
    if state.freshness is Freshness.STALE:
        return "STALE"
    if state.freshness is Freshness.EMPTY:
        return "waiting"
    return SOURCE_LABELS.get(snap.source, str(snap.source))


def _tick_tone(snap: SymbolSnapshot, value: Any) -> Tone | None:
    if value is None:
        return None
    return Tone.UP if snap.tick > 0 else Tone.DOWN if snap.tick < 0 else None


_sign_tone = sign_tone


COLUMNS: tuple[ColumnDef, ...] = (
    ColumnDef("symbol", "Symbol", "Ticker symbol",
              lambda s, r, n: s.symbol, fmt.format_text, Align.LEFT, expires=False),
    ColumnDef("last", "Last", "Last trade price; colour is the tick direction",
              lambda s, r, n: _last(s), fmt.format_price, tone=_tick_tone, flashes=True),
    ColumnDef("change", "Change", "Last minus the previous trading day's close "
              "(Alpaca snapshot prevDailyBar)",
              lambda s, r, n: _change(s), fmt.format_change, tone=_sign_tone),
    ColumnDef("change_pct", "Change %", "Change relative to the previous trading day's close",
              lambda s, r, n: _change_pct(s), fmt.format_percent, tone=_sign_tone),
    # Painted by gui.table.delegates.SparklineDelegate from the model's SparklineRole.
    ColumnDef("spark", "15 min", "Trade prices over the last 15 minutes (last price per "
              "second; green/red: up/down over the window)",
              no_value, lambda v: "", Align.CENTER),
    # Position columns (gui.positions.book): empty unless the user set a position on the row.
    ColumnDef("market_value", "Mkt value", "Quantity x last price (negative when short)",
              lambda s, r, n: pos.market_value(r.position, _last(s)), pos.format_money),
    ColumnDef("day_pnl", "Day P&L", "Quantity x (last - previous close)",
              lambda s, r, n: pos.day_pnl(r.position, _last(s), s.prev_close),
              pos.format_pnl, tone=_sign_tone),
    ColumnDef("total_pnl", "Total P&L", "Quantity x (last - cost basis per share)",
              lambda s, r, n: pos.total_pnl(r.position, _last(s)),
              pos.format_pnl, tone=_sign_tone),
    ColumnDef("bid", "Bid", "Best bid price",
              lambda s, r, n: _side(s.bid_price), fmt.format_price),
    ColumnDef("ask", "Ask", "Best ask (offer) price",
              lambda s, r, n: _side(s.ask_price), fmt.format_price),
    ColumnDef("spread", "Spread", "Ask minus bid",
              lambda s, r, n: s.spread, fmt.format_spread),
    ColumnDef("bid_size", "Bid size", "Shares bid at the best bid",
              lambda s, r, n: s.bid_size, fmt.format_size),
    ColumnDef("ask_size", "Ask size", "Shares offered at the best ask",
              lambda s, r, n: s.ask_size, fmt.format_size),
    ColumnDef("volume", "Volume", "Shares traded today",
              lambda s, r, n: s.volume, fmt.format_volume),
    *VOLUME_COLUMNS,  # Rel volume, Avg volume (gui.table.columns_history)
    ColumnDef("high", "Day high", "Highest price today",
              lambda s, r, n: s.high, fmt.format_price),
    ColumnDef("low", "Day low", "Lowest price today",
              lambda s, r, n: s.low, fmt.format_price),
    *DAY_COLUMNS,  # Gap %, 52-wk range, Day range, Open, Prev close, VWAP, pre/after-hours %,
    # 52-wk high/low
    ColumnDef("trade_time", "Last trade time", "Exchange time of the last trade (US/Eastern)",
              lambda s, r, n: s.last_trade_ns, fmt.format_time_eastern),
    # Age and Status stay adjacent and last: tick_ages() refreshes them as one range.
    ColumnDef("age", "Age", "Time since this row last received data",
              lambda s, r, n: age_seconds(s, n), fmt.format_age,
              expires=False, needs_clock=True),
    ColumnDef("status", "Source", "Data source (stream, REST, DEMO) or STALE / HALTED",
              lambda s, r, n: status_text(s, r), fmt.format_text, Align.CENTER, expires=False),
)  # fmt: skip

COLUMN_INDEX: dict[str, int] = {column.key: index for index, column in enumerate(COLUMNS)}


def raw_value(
    column: ColumnDef,
    snap: SymbolSnapshot,
    state: RowState,
    now: float,
    history: SymbolHistory | None = None,
    now_ns: int = 0,
) -> Any:
    """The column's raw value, or None when missing or when the row's data has expired.

    `history` (the symbol's, or None) and `now_ns` (exchange time) feed `figure` columns."""
    if column.expires and state.freshness is Freshness.EXPIRED:
        return None
    figure = column.figure
    value = column.value(snap, state, now) if figure is None else figure(snap, history, now_ns)
    if isinstance(value, float) and value != value:  # NaN: treat as missing, sorts last
        return None
    return value


def foreground_tone(
    column: ColumnDef, snap: SymbolSnapshot, state: RowState, value: Any
) -> Tone | None:
    """Stale/expired rows are muted whole; otherwise the column's own colour rule."""
    if state.freshness is Freshness.STALE or state.freshness is Freshness.EXPIRED:
        return Tone.MUTED
    if column.tone is None:
        return None
    return column.tone(snap, value)


def background_tone(column: ColumnDef, snap: SymbolSnapshot, state: RowState) -> Tone | None:
    """Halted rows are marked whole; otherwise the brief tick flash on flashing cells.

    Flashing whole rows would tint nearly every row of a busy watchlist all the time,
    so only the Last cell flashes: the eye goes to the price that moved.
    """
    if snap.halted:
        return Tone.HALTED
    if not column.flashes:
        return None
    if state.flash_tick > 0:
        return Tone.FLASH_UP
    if state.flash_tick < 0:
        return Tone.FLASH_DOWN
    return None


def row_tooltip(snap: SymbolSnapshot, state: RowState, now: float) -> str:
    """Status, source, age, halt reason and LULD band of one row, one fact per line."""
    lines = [f"{snap.symbol}: {status_text(snap, state)}"]
    lines.append(
        f"Source: {SOURCE_LABELS.get(snap.source, str(snap.source))}, "
        f"data {state.freshness.value}, age {fmt.format_age(age_seconds(snap, now))}"
    )
    if snap.halted:
        reason = snap.halt_reason or snap.status_message or "no reason given"
        lines.append(f"Trading halted: {reason}")
        if snap.quotation_only:  # UTP `Q`: quotes are back, trades wait for `T`
            lines.append("Quotation resumed: quoting again, trading resumes with the next message")
    elif snap.status_message:
        lines.append(f"Status: {snap.status_message}")
    if snap.luld_up is not None or snap.luld_down is not None:
        lines.append(
            f"LULD band: {fmt.format_price(snap.luld_down)} \u2013 {fmt.format_price(snap.luld_up)}"
        )
    if snap.prev_close is not None:
        lines.append(f"Change vs previous trading day's close {fmt.format_price(snap.prev_close)}")
    return "\n".join(lines)
