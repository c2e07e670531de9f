"""The types a ticker-table column is declared with (no Qt): ColumnDef, RowState, Align.

Apart from gui.table.columns so the column groups declared in their own modules
(gui.table.columns_history) and the COLUMNS tuple assembling them import no cycle;
gui.table.columns re-exports everything here.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.market.history import SymbolHistory
from engine.market.store import Freshness, SymbolSnapshot
from gui.positions import book as pos
from gui.tone import Tone

__all__ = [
    "Align",
    "ColumnDef",
    "DetailFn",
    "FigureFn",
    "RowState",
    "ToneFn",
    "ValueFn",
    "no_value",
    "sign_tone",
]


class Align(enum.Enum):
    """Horizontal alignment; the model maps it to Qt flags (numbers right, text left)."""

    LEFT = "left"
    RIGHT = "right"
    CENTER = "center"


@dataclass(slots=True)
class RowState:
    """Per-row view state the model keeps beside the store: cached freshness and the flash."""

    symbol: str
    freshness: Freshness = Freshness.EMPTY
    flash_tick: int = 0  # +1/-1 while the row flashes, 0 otherwise
    flash_until: float = 0.0  # monotonic seconds
    seen_price: float | None = None  # last price the flush saw, to detect a new tick
    position: pos.Position | None = None  # the user's holding in this symbol, if any


ValueFn = Callable[[SymbolSnapshot, RowState, float], Any]
ToneFn = Callable[[SymbolSnapshot, Any], "Tone | None"]
# (snapshot, the symbol's history or None, exchange time now in ns) -> raw value
FigureFn = Callable[[SymbolSnapshot, "SymbolHistory | None", int], Any]
# Same inputs -> one more tooltip line with the numbers behind the cell (hover only)
DetailFn = Callable[[SymbolSnapshot, "SymbolHistory | None", int], "str | None"]


def no_value(snap: SymbolSnapshot, state: RowState, now: float) -> None:
    """`value` of a column that is painted (sparkline) or computed by its `figure`."""


@dataclass(frozen=True, slots=True)
class ColumnDef:
    """One column: what it shows, how it sorts, how it is aligned and coloured."""

    key: str
    header: str
    tooltip: str
    value: ValueFn  # raw value: sort key and formatter input; None = missing
    formatter: Callable[[Any], str]
    align: Align = Align.RIGHT
    tone: ToneFn | None = None  # foreground colour rule for a fresh row
    expires: bool = True  # hidden (None) when the row's data has EXPIRED
    needs_clock: bool = False  # value depends on `now` (the model reads its clock only then)
    flashes: bool = False  # background flashes briefly on a price tick (the Last cell only)
    # Computed from the snapshot and the symbol's SymbolHistory (replaces `value`): the
    # presenter looks the history up per call and passes the exchange time now.
    figure: FigureFn | None = None
    detail: DetailFn | None = None  # the cell's own tooltip line (how this value came about)
    shown_by_default: bool = True  # a fresh table (or an older saved layout) shows it


def sign_tone(snap: SymbolSnapshot, value: Any) -> Tone | None:
    """Green above zero, red below, none at zero or missing."""
    if value is None or value == 0:
        return None
    return Tone.UP if value > 0 else Tone.DOWN
