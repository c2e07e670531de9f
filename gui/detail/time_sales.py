"""Time & sales: the selected symbol's latest prints, newest first, with corrections marked.

Contract: `TimeSalesModel.set_history(h)` resets to a symbol; `sync()` (called on the
detail pane's throttled timer) inserts new prints at the top, drops the oldest beyond
the tape bound and repaints amended rows, never resetting the model on a tick (a reset
would lose scroll and selection, docs/qt.md). Entries are `engine.market.history.TapeEntry`,
amended in place by the engine when a correction (`c`) or cancel/error (`x`) arrives.
Tick colours follow the theme (`set_palette`, colour-blind blue/orange included).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from engine.market.calendar import EASTERN
from engine.market.history import NS, SymbolHistory, TapeEntry, TapeState
from gui import formatting as fmt
from gui.settings.theme import LIGHT, Palette
from gui.tone import Tone

HEADERS = ("Time (ET)", "Price", "Size", "Exch", "Note")
_STATE_NOTE = {
    TapeState.OK: "",
    TapeState.CORRECTED: "corrected",
    TapeState.CANCELLED: "cancelled",
    TapeState.ERROR: "error",
}
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_STRUCK = QFont()
_STRUCK.setStrikeOut(True)


def format_tape_time(ns: int) -> str:
    """HH:MM:SS.mmm in US/Eastern."""
    moment = datetime.fromtimestamp(ns // NS, UTC).astimezone(EASTERN)
    return f"{moment:%H:%M:%S}.{ns % NS // 1_000_000:03d}"


def entry_tooltip(entry: TapeEntry) -> str:
    """What happened to a print, in words."""
    text = f"Trade {entry.trade_id} on {entry.exchange or '?'}"
    if entry.conditions:
        text += f", conditions {' '.join(entry.conditions)}"
    if entry.state is TapeState.CORRECTED:
        text += (
            f"\nCorrected from {fmt.format_price(entry.original_price)} x "
            f"{fmt.format_size(entry.original_size)}"
        )
    elif entry.state is TapeState.CANCELLED:
        text += "\nCancelled by the exchange: not a valid print"
    elif entry.state is TapeState.ERROR:
        text += "\nReported in error by the exchange: not a valid print"
    return text


class TimeSalesModel(QAbstractTableModel):
    """Rows = the symbol's tape, newest first; columns = HEADERS."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._history: SymbolHistory | None = None
        self._rows: list[TapeEntry] = []  # newest first
        self._version = -1
        self.set_palette(LIGHT)

    def set_palette(self, palette: Palette) -> None:
        """Up/down ticks, void prints and the corrected-row tint from the theme; repaints."""
        self.up = QBrush(QColor(palette.tones[Tone.UP]))
        self.down = QBrush(QColor(palette.tones[Tone.DOWN]))
        self.void = QBrush(QColor(palette.placeholder))
        self.corrected_bg = QBrush(QColor(palette.tones[Tone.HALTED]))  # pale amber
        if self._rows:
            last = self.index(len(self._rows) - 1, len(HEADERS) - 1)
            roles = [Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.BackgroundRole]
            self.dataChanged.emit(self.index(0, 0), last, roles)

    @property
    def history(self) -> SymbolHistory | None:
        """The tape shown (None: no symbol, or its data expired)."""
        return self._history

    def set_history(self, history: SymbolHistory | None) -> None:
        """Show another symbol's tape (one model reset per selection change)."""
        self.beginResetModel()
        self._history = history
        self._rows = list(reversed(history.tape)) if history is not None else []
        self._version = history.version if history is not None else -1
        self.endResetModel()

    def sync(self) -> bool:
        """Catch up with the tape; True if anything changed."""
        history = self._history
        if history is None or history.version == self._version:
            return False
        self._version = history.version
        tape = history.tape
        newest = self._rows[0] if self._rows else None
        fresh: list[TapeEntry] = []
        for entry in reversed(tape):
            if entry is newest:
                break
            fresh.append(entry)
        if len(fresh) == len(tape) and self._rows:  # our newest left the tape: start over
            self.set_history(history)
            return True
        if fresh:
            self.beginInsertRows(QModelIndex(), 0, len(fresh) - 1)
            self._rows[0:0] = fresh
            self.endInsertRows()
        excess = len(self._rows) - len(tape)
        if excess > 0:
            first = len(self._rows) - excess
            self.beginRemoveRows(QModelIndex(), first, len(self._rows) - 1)
            del self._rows[first:]
            self.endRemoveRows()
        if self._rows and len(fresh) < len(self._rows):
            # Corrections amend older rows in place: repaint them (bounded by the tape).
            last = len(self._rows) - 1
            self.dataChanged.emit(self.index(len(fresh), 0), self.index(last, len(HEADERS) - 1))
        return True

    def entry(self, row: int) -> TapeEntry | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section] if 0 <= section < len(HEADERS) else None
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        row, column = index.row(), index.column()
        if not (0 <= row < len(self._rows) and 0 <= column < len(HEADERS)):
            return None
        entry = self._rows[row]
        void = entry.state in (TapeState.CANCELLED, TapeState.ERROR)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(entry, column)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _LEFT if column in (0, 3, 4) else _RIGHT
        if role == Qt.ItemDataRole.ForegroundRole:
            if void:
                return self.void
            if column == 1:
                return self._tick(row)
            return None
        if role == Qt.ItemDataRole.BackgroundRole:
            return self.corrected_bg if entry.state is TapeState.CORRECTED else None
        if role == Qt.ItemDataRole.FontRole:
            return _STRUCK if void and column in (1, 2) else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return entry_tooltip(entry)
        return None

    @staticmethod
    def _text(entry: TapeEntry, column: int) -> str:
        if column == 0:
            return format_tape_time(entry.timestamp_ns)
        if column == 1:
            return fmt.format_price(entry.price)
        if column == 2:
            return fmt.format_size(entry.size)
        if column == 3:
            return entry.exchange or fmt.MISSING
        return _STATE_NOTE[entry.state]

    def _tick(self, row: int) -> QBrush | None:
        # Colour against the next older valid print, as tape readers expect.
        price = self._rows[row].price
        for older in self._rows[row + 1 : row + 8]:
            if older.state in (TapeState.OK, TapeState.CORRECTED):
                if price == older.price:
                    return None
                return self.up if price > older.price else self.down
        return None


class TimeSalesView(QTableView):
    """Compact fixed-height rows; no ResizeToContents on live data (docs/qt.md)."""

    def __init__(self, model: TimeSalesModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timeSales")
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setWordWrap(False)
        self.setShowGrid(False)
        self.setAlternatingRowColors(True)
        rows = self.verticalHeader()
        rows.setVisible(False)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(18)
        header = self.horizontalHeader()
        header.setStretchLastSection(True)
        metrics = self.fontMetrics()
        for column, sample in enumerate(("00:00:00.000", "88,888.88", "88,888", "Exch")):
            header.resizeSection(column, metrics.horizontalAdvance(sample) + 14)

    def hold_rows(self, count: int) -> None:
        """Keep the rows on screen still after `count` rows went in above them (paused,
        gui/detail/time_sales_live.py): per-item scrolling, so that many steps down."""
        self.updateGeometries()  # the scroll range grows now, not at the next layout
        bar = self.verticalScrollBar()
        bar.setValue(bar.value() + count)
