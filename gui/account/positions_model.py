"""The account positions as a Qt table model over `gui.account.figures.PositionRow`s.

`set_rows` is called by the panel's coalescing timer: a changed set of symbols resets
the model, otherwise only rows whose figures changed emit dataChanged. Colours come
from this model's own palette (`set_palette`): up / down tones for P&L, the muted tone
for a figure on a stale price (the table's contrast-checked tones, gui/settings/theme.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush

from gui.account.figures import PositionRow, PriceSource, figure_text, last_text
from gui.formatting import format_price
from gui.positions.book import format_quantity
from gui.settings.theme import LIGHT, Palette, tone_brushes
from gui.tone import Tone

DISPLAY = int(Qt.ItemDataRole.DisplayRole)
TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
RAW_ROLE = int(Qt.ItemDataRole.UserRole)  # the number behind a cell (sorting, tests)

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter

# (header, raw value, text, is a P&L figure)
_Column = tuple[str, Callable[[PositionRow], Any], Callable[[PositionRow], str], bool]
COLUMNS: tuple[_Column, ...] = (
    ("Symbol", lambda r: r.symbol, lambda r: r.symbol, False),
    ("Side", lambda r: r.side, lambda r: r.side, False),
    ("Qty", lambda r: r.qty, lambda r: format_quantity(r.qty), False),
    ("Avg entry", lambda r: r.avg_entry, lambda r: format_price(r.avg_entry), False),
    ("Last", lambda r: r.last, last_text, False),
    ("Market value", lambda r: r.market_value,
     lambda r: figure_text(r, r.market_value, signed=False), False),
    ("Unrealized P&L", lambda r: r.unrealized_pl, lambda r: figure_text(r, r.unrealized_pl), True),
    ("Day P&L", lambda r: r.day_pl, lambda r: figure_text(r, r.day_pl), True),
)  # fmt: skip
HEADERS = tuple(c[0] for c in COLUMNS)
LAST_COLUMN = HEADERS.index("Last")
_PRICED = frozenset({LAST_COLUMN, 5, 6, 7})  # cells resting on the price


class AccountPositionsModel(QAbstractTableModel):
    """Rows = account positions by symbol; read-only."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[PositionRow] = []
        self._brushes: dict[Tone, QBrush] = tone_brushes(LIGHT)

    def set_palette(self, palette: Palette) -> None:
        self._brushes = tone_brushes(palette)
        self._changed(0, len(self.rows) - 1)

    def set_rows(self, rows: Sequence[PositionRow]) -> int:
        """Show `rows`; returns how many rows changed (0 = nothing was repainted)."""
        new = list(rows)
        if [r.symbol for r in new] != [r.symbol for r in self.rows]:
            self.beginResetModel()
            self.rows = new
            self.endResetModel()
            return len(new)
        changed = [i for i, (a, b) in enumerate(zip(self.rows, new, strict=True)) if a != b]
        self.rows = new
        if changed:
            self._changed(changed[0], changed[-1])
        return len(changed)

    def _changed(self, first: int, last: int) -> None:
        if last >= first >= 0:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY) -> Any:
        if role == DISPLAY and orientation == Qt.Orientation.Horizontal:
            return HEADERS[section] if 0 <= section < len(HEADERS) else None
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        column = index.column()
        if not 0 <= column < len(COLUMNS):
            return None
        row = self.rows[index.row()]
        _header, raw, text, is_pnl = COLUMNS[column]
        if role == DISPLAY:
            return text(row)
        if role == RAW_ROLE:
            return raw(row)
        if role == ALIGNMENT:
            return _LEFT if column < 2 else _RIGHT
        if role == FOREGROUND:
            return self._foreground(row, column, raw(row), is_pnl)
        if role == TOOLTIP and column in _PRICED:
            return f"{row.symbol}: {row.note}"
        return None

    def _foreground(self, row: PositionRow, column: int, value: Any, is_pnl: bool) -> Any:
        if column in _PRICED and row.source is PriceSource.STALE:
            return self._brushes[Tone.MUTED]  # the figure rests on an old price: say so
        if is_pnl and isinstance(value, float) and round(value, 2) != 0:
            return self._brushes[Tone.UP if value > 0 else Tone.DOWN]
        return None
