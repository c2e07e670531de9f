"""What each role of one ticker-table cell holds: text, raw value, alignment, colours, tooltip.

Columns with a `figure` (gui.table.columns_history) read the symbol's SymbolHistory, looked
up per call (a dict get: nothing stale is kept), and the exchange time `exchange_ns()`
(the wall clock, or a demo's simulated one). A resynced row (its minute bars refilled
after an outage) shows a small dot before its symbol; the tooltip says when and how much.

The model's data()/multiData() dispatch a role number to one handler here, called with the
row's symbol and the column index (already bounds-checked). Colours come from this
presenter's own tone brushes (`set_palette`), so two tables can paint two themes and a
theme switch touches no module state. Handlers read the store and the row states
directly: they run for every role of every painted cell.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen, QPixmap

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
from gui.table.columns_history import history_lines
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

__all__ = ["DECORATION", "RESYNC_MARK_PX", "CellPresenter", "Handler", "RowMemo"]

DECORATION = int(Qt.ItemDataRole.DecorationRole)  # the resync mark in the Symbol cell
RESYNC_MARK_PX = 8

Handler = Callable[[str, int], Any]  # (symbol, column) -> the role's value, None = no data
_UNSET: Any = object()  # a memo's value not known: the cell is formatted again


class RowMemo:
    """What one row of the paint cache's items holds (gui.table.paint_cache): per column
    the text and brushes last written, and the raw values they were made from, valid
    while `symbol` and the row's tone inputs (`key`) stay the same."""

    __slots__ = ("age_epoch", "bgs", "extras", "fgs", "key", "symbol", "texts", "values")

    def __init__(self, width: int) -> None:
        self.symbol: str | None = None
        self.key: tuple[Any, ...] | None = None
        self.values: list[Any] = [_UNSET] * width
        self.texts: list[str | None] = [None] * width  # None: nothing written yet
        self.fgs: list[Any] = [_UNSET] * width
        self.bgs: list[Any] = [_UNSET] * width
        self.extras: list[Any] | None = None  # the delegates' values (paint cache)
        self.age_epoch = -1  # the paint cache's clock tick its timed cells were written at

    def forget_colours(self) -> None:
        """A theme switch: every brush is a new object, every cell is looked at again."""
        self.key = None
        self.fgs = [_UNSET] * len(self.fgs)
        self.bgs = [_UNSET] * len(self.bgs)
        self.extras = None


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
        self.history: PriceHistory | None = None  # serves SPARKLINE_ROLE and figure columns
        # Exchange time in ns for time-of-day figures (relative volume); a demo on a
        # simulated clock sets its own (the simulator's now_ns).
        self.exchange_ns: Callable[[], int] = time.time_ns
        keys = [column.key for column in columns]
        self._spark_column = keys.index("spark") if "spark" in keys else -1
        self._symbol_column = keys.index("symbol") if "symbol" in keys else -1
        self._has_figures = any(column.figure is not None for column in columns)
        self._brushes: dict[Tone, QBrush] = tone_brushes(palette)
        self._mark_colours = (QColor(palette.highlight), QColor(palette.text))
        self._resync_mark: QPixmap | None = None  # made on first use (needs a QGuiApplication)
        self.handlers: dict[int, Handler] = {
            DISPLAY: self.display,
            ALIGNMENT: self.alignment,
            FOREGROUND: self.foreground,
            BACKGROUND: self.background,
            TOOLTIP: self.tooltip,
            RAW_VALUE_ROLE: self.raw,
            SPARKLINE_ROLE: self.sparkline,
            DECORATION: self.decoration,
        }

    def set_palette(self, palette: Palette) -> None:
        """Paint with this theme's tone colours from the next data() call on."""
        self._brushes = tone_brushes(palette)
        self._mark_colours = (QColor(palette.highlight), QColor(palette.text))
        self._resync_mark = None

    def symbol_history(self, symbol: str) -> SymbolHistory | None:
        """The symbol's history now (None: none kept, or no PriceHistory)."""
        history = self.history
        return None if history is None else history.get(symbol)

    def raw_of(self, symbol: str, column: ColumnDef, now: float) -> Any:
        """The cell's raw value (sort key, export); None when missing or expired."""
        snap = self._store.get(symbol)
        if snap is None:
            return symbol if column.key == "symbol" else None
        if column.figure is None:
            return raw_value(column, snap, self._states[symbol], now)
        return raw_value(
            column, snap, self._states[symbol], now, self.symbol_history(symbol), self.exchange_ns()
        )

    def row_changes(
        self, symbol: str, columns: Iterable[int], memo: RowMemo
    ) -> list[tuple[int, int, Any]]:
        """What differs between the cells of `symbol`'s row, in `columns`, and what the
        paint cache's items hold (`memo`, updated here): (column, role, value) for each
        role to set. A cell is formatted only when its raw value or the row's tone inputs
        (freshness, halt, flash, tick) changed since it was written (issue 16: a ticking
        row changes a few cells, the rest cost one compare), and a role is listed only
        when its text or brush differs from what the item holds."""
        snap = self._store.get(symbol)
        state = self._states.get(symbol)
        key = None if snap is None or state is None else (
            state.freshness, snap.halted, state.flash_tick, snap.tick
        )  # fmt: skip
        if memo.symbol != symbol or memo.key != key or key is None:
            memo.symbol, memo.key = symbol, key
            memo.values = [_UNSET] * len(self.columns)  # every value looked at again
        values, texts, fgs, bgs = memo.values, memo.texts, memo.fgs, memo.bgs
        out: list[tuple[int, int, Any]] = []
        brushes = self._brushes
        now = self._clock()
        history = self.symbol_history(symbol)
        now_ns = self.exchange_ns() if self._has_figures else 0
        for index in columns:
            column = self.columns[index]
            if snap is None or state is None:
                value: Any = symbol if column.key == "symbol" else None
                fg = bg = None
            else:
                value = raw_value(column, snap, state, now, history, now_ns)
                old = values[index]
                if old is value or (type(old) is type(value) and old == value):
                    continue  # most cells of a ticking row
                tone = foreground_tone(column, snap, state, value)
                back = background_tone(column, snap, state)
                fg = None if tone is None else brushes[tone]
                bg = None if back is None else brushes[back]
            values[index] = value
            text = column.formatter(value)
            if text != texts[index]:
                texts[index] = text
                out.append((index, DISPLAY, text))
            if fg is not fgs[index]:
                fgs[index] = fg
                out.append((index, FOREGROUND, fg))
            if bg is not bgs[index]:
                bgs[index] = bg
                out.append((index, BACKGROUND, bg))
        return out

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
        value = self.raw_of(symbol, col, 0.0) if col.tone is not None else None
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

    def decoration(self, symbol: str, column: int) -> QPixmap | None:
        # Asked for every painted cell: the column test comes first.
        if column != self._symbol_column:
            return None
        history = self.symbol_history(symbol)
        if history is None or history.resync is None:
            return None
        if self._resync_mark is None:
            self._resync_mark = _dot(*self._mark_colours)
        return self._resync_mark

    def tooltip(self, symbol: str, column: int) -> str | None:
        """The cell's own figures (history columns), then the row's status and history."""
        snap = self._store.get(symbol)
        if snap is None:
            return f"{symbol}: not in the data store"
        state = self._states[symbol]
        lines = [row_tooltip(snap, state, self._clock())]
        history = self.symbol_history(symbol)
        lines += history_lines(history, self.history is not None)
        col = self.columns[column]
        expired = col.expires and state.freshness is Freshness.EXPIRED
        if col.detail is not None and not expired:
            detail = col.detail(snap, history, self.exchange_ns())
            if detail:
                lines.insert(0, f"{col.header}: {detail}")
        return "\n".join(lines)


def _dot(fill: QColor, outline: QColor) -> QPixmap:
    """The resync mark: a small filled circle (the selection colour, outlined in text colour)."""
    pixmap = QPixmap(RESYNC_MARK_PX, RESYNC_MARK_PX)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setPen(QPen(outline, 1.0))
    painter.setBrush(fill)
    painter.drawEllipse(1, 1, RESYNC_MARK_PX - 2, RESYNC_MARK_PX - 2)
    painter.end()
    return pixmap
