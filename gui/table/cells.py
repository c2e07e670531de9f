"""What each role of one ticker-table cell holds: text, raw value, alignment, colours, tooltip.

The model's data()/multiData() dispatch a role number to one handler here, called with the
row's symbol and the column index (already bounds-checked). Colours come from this
presenter's own tone brushes (`set_palette`), so two tables can paint two themes and a
theme switch touches no module state. Handlers read the store and the row states
directly: they run for every role of every painted cell.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtGui import QBrush

from engine.market.history import PriceHistory, SymbolHistory
from engine.market.store import Freshness, MarketDataStore
from gui.settings.theme import LIGHT, Palette, tone_brushes
from gui.table.columns import (
    COLUMNS,
    ColumnDef,
    RowState,
    Tone,
    background_tone,
    foreground_tone,
    raw_value,
    row_tooltip,
)
from gui.table.roles import (
    ALIGN_FLAGS,
    ALIGNMENT,
    BACKGROUND,
    DISPLAY,
    FOREGROUND,
    RAW_VALUE_ROLE,
    SPARKLINE_ROLE,
    TOOLTIP,
)

__all__ = ["CellPresenter", "Handler"]

Handler = Callable[[str, int], Any]  # (symbol, column) -> the role's value, None = no data


class CellPresenter:
    """Role handlers over the store and the model's row states, with per-instance brushes."""

    def __init__(
        self,
        store: MarketDataStore,
        states: Mapping[str, RowState],
        clock: Callable[[], float] = time.monotonic,
        columns: tuple[ColumnDef, ...] = COLUMNS,
        palette: Palette = LIGHT,
    ) -> None:
        self._store = store
        self._states = states  # the model's RowStates.by_symbol, read in place
        self._clock = clock
        self.columns = columns
        self.history: PriceHistory | None = None  # serves SPARKLINE_ROLE (gui.table.delegates)
        keys = [column.key for column in columns]
        self._spark_column = keys.index("spark") if "spark" in keys else -1
        self._brushes: dict[Tone, QBrush] = tone_brushes(palette)
        self.handlers: dict[int, Handler] = {
            DISPLAY: self.display,
            ALIGNMENT: self.alignment,
            FOREGROUND: self.foreground,
            BACKGROUND: self.background,
            TOOLTIP: self.tooltip,
            RAW_VALUE_ROLE: self.raw,
            SPARKLINE_ROLE: self.sparkline,
        }

    def set_palette(self, palette: Palette) -> None:
        """Paint with this theme's tone colours from the next data() call on."""
        self._brushes = tone_brushes(palette)

    def raw_of(self, symbol: str, column: ColumnDef, now: float) -> Any:
        """The cell's raw value (sort key, export); None when missing or expired."""
        snap = self._store.get(symbol)
        if snap is None:
            return symbol if column.key == "symbol" else None
        return raw_value(column, snap, self._states[symbol], now)

    # --- role handlers ------------------------------------------------------------------

    def raw(self, symbol: str, column: int) -> Any:
        col = self.columns[column]
        return self.raw_of(symbol, col, self._clock() if col.needs_clock else 0.0)

    def display(self, symbol: str, column: int) -> str:
        return self.columns[column].formatter(self.raw(symbol, column))

    def alignment(self, symbol: str, column: int) -> Any:
        return ALIGN_FLAGS[self.columns[column].align]

    def foreground(self, symbol: str, column: int) -> QBrush | None:
        snap = self._store.get(symbol)
        if snap is None:
            return None
        col = self.columns[column]
        state = self._states[symbol]
        value = raw_value(col, snap, state, 0.0) if col.tone is not None else None
        tone = foreground_tone(col, snap, state, value)
        return None if tone is None else self._brushes[tone]

    def background(self, symbol: str, column: int) -> QBrush | None:
        snap = self._store.get(symbol)
        if snap is None:
            return None
        tone = background_tone(self.columns[column], snap, self._states[symbol])
        return None if tone is None else self._brushes[tone]

    def sparkline(self, symbol: str, column: int) -> SymbolHistory | None:
        # Repaints only with its row's flush (ROW_ROLES); expired data is not drawn.
        if column != self._spark_column or self.history is None:
            return None
        if self._states[symbol].freshness is Freshness.EXPIRED:
            return None
        return self.history.get(symbol)

    def tooltip(self, symbol: str, column: int) -> str | None:
        snap = self._store.get(symbol)
        if snap is None:
            return f"{symbol}: not in the data store"
        return row_tooltip(snap, self._states[symbol], self._clock())
