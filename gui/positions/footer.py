"""A one-line footer under the ticker table: sums of the position columns, aligned to them.

Not a model row, so sorting and filtering the table never move it. It sums the rows the
view shows (after the filter) that hold a position, reading each cell's raw value from the
model, so an expired price counts as missing here exactly as the cell shows an em dash.
Cost per refresh is O(positions), not O(rows).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtCore import QPoint, QRect, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QTableView, QWidget

from gui.positions.book import (
    POSITION_COLUMN_KEYS,
    Position,
    Total,
    format_money,
    format_pnl,
    sum_values,
)
from gui.table.columns import COLUMN_INDEX
from gui.table.model import RawValueRole, TickerFilterProxy, TickerTableModel

REFRESH_MS = 500
_UP = QColor(0, 150, 60)
_DOWN = QColor(205, 35, 35)
_PAD = 4  # px, as the table's cell text padding


class PositionsFooter(QWidget):
    """Totals row; hidden while no shown row holds a position."""

    def __init__(
        self,
        table: QTableView,
        model: TickerTableModel,
        proxy: TickerFilterProxy,
        positions: Callable[[], Mapping[str, Position]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("positionsFooter")
        self._table = table
        self._model = model
        self._proxy = proxy
        self._positions = positions
        self.totals: dict[str, Total] = {}
        self.label = ""
        self.setFixedHeight(table.verticalHeader().defaultSectionSize() + 4)
        font = self.font()
        font.setBold(True)
        self.setFont(font)
        header = table.horizontalHeader()
        header.sectionResized.connect(self.update)
        header.sectionMoved.connect(self.update)
        header.geometriesChanged.connect(self.update)
        table.horizontalScrollBar().valueChanged.connect(self.update)
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self.refresh()

    def stop(self) -> None:
        self._timer.stop()

    def refresh(self) -> None:
        """Recompute the sums over shown rows with a position; hide when there are none."""
        shown: list[int] = []
        for symbol in self._positions():
            row = self._model.row_of(symbol)
            if row is not None and self._proxy.mapFromSource(self._model.index(row, 0)).isValid():
                shown.append(row)
        totals = {}
        for key in POSITION_COLUMN_KEYS:
            column = COLUMN_INDEX[key]
            values = [self._model.data(self._model.index(r, column), RawValueRole) for r in shown]
            totals[key] = sum_values(values)
        label = f"Total ({len(shown)} position{'s' if len(shown) != 1 else ''})"
        if totals != self.totals or label != self.label:
            self.totals, self.label = totals, label
            missing = max((t.missing for t in totals.values()), default=0)
            self.setToolTip(
                "Sums over the rows shown that hold a position"
                + (f"; {missing} without a price or cost are left out" if missing else "")
            )
            self.update()
        self.setVisible(bool(shown))

    def texts(self) -> dict[str, str]:
        """Display text per position column key (what paintEvent draws)."""
        return {
            key: (format_money if key == "market_value" else format_pnl)(total.value)
            for key, total in self.totals.items()
        }

    def _section_rect(self, key: str) -> QRect | None:
        header = self._table.horizontalHeader()
        logical = COLUMN_INDEX[key]
        if header.isSectionHidden(logical):
            return None
        # Header viewport x in footer coordinates (the table's frame offsets the header).
        origin = (
            header.viewport().mapToGlobal(QPoint(0, 0)).x() - self.mapToGlobal(QPoint(0, 0)).x()
        )
        x = origin + header.sectionViewportPosition(logical)
        return QRect(x + _PAD, 0, header.sectionSize(logical) - 2 * _PAD, self.height())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().alternateBase())
        painter.setPen(self.palette().mid().color())
        painter.drawLine(0, 0, self.width(), 0)
        label_rect = self._section_rect("symbol") or QRect(_PAD, 0, 200, self.height())
        label_rect.setWidth(max(label_rect.width(), 160))
        painter.setPen(self.palette().text().color())
        painter.drawText(
            label_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self.label
        )
        align = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        for key, text in self.texts().items():
            rect = self._section_rect(key)
            if rect is None:
                continue
            value = self.totals[key].value
            colour = self.palette().text().color()
            if key != "market_value" and value:
                colour = _UP if value > 0 else _DOWN
            painter.setPen(colour)
            painter.drawText(rect, align, text)
        painter.end()
