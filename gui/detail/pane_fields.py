"""The detail pane's fields: name/value pairs that stay readable at any pane width.

Issue 18 (#6 follow-up): at its default width (what the table leaves beside Symbol … Volume
in a 1024 or 1366 px window, about 290 px) the pane used to cut its values ("simulat…",
"10:32:0…"). The rules now (docs/ui.md, "Narrow panels"):

- A value never asks for width (a long halt message must never widen the pane, and such
  a width must never be saved: docs/design.md, issue 18 #6). It wraps at words instead,
  and a word longer than a line (no real value has one) may break anywhere.
- Every value carries its full text as a tooltip (plus what the field means, if it says).
- The grid picks its shape from the room there is, never from the values (so it does not
  jump as prices tick): two name/value pairs a row when both fit, one pair a row, or, when
  even that does not fit (large text), each name above its value. The room needed is
  measured once per font with sample values (`FieldGrid.needs`).
"""

from __future__ import annotations

import re

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QStyle,
    QWidget,
)

from gui import formatting as fmt

__all__ = ["PAIRS_1", "PAIRS_2", "STACKED", "FieldGrid", "FieldsArea", "ValueLabel"]

PAIRS_2, PAIRS_1, STACKED = "two pairs a row", "one pair a row", "name above value"
SPACING = 10
MIN_LINES = 7  # the fields area's least height, in lines
# The widest words values are made of (a word never wraps): a time, a large price, and
# the widest whole values a pair should show on one line, left and right half of the grid.
_WORDS = ("00:00:00.000", "88,888.88", "simulator", "+888.88%")
_WIDE_LEFT = "8,888.88 x 8,888"
_WIDE_RIGHT = "888.88 to 888.88"
_LONG_WORD = re.compile(r"\S{25,}")
_BREAK = "\u200b"  # zero-width space: a line may break there


def _breakable(text: str) -> str:
    """`text` with over-long words made breakable (a garbled or URL-like halt reason)."""
    return _LONG_WORD.sub(lambda m: _BREAK.join(m.group(0)), text)


class ValueLabel(QLabel):
    """One field's value: plain text, wrapped, never asking for width; full-text tooltip."""

    def __init__(self, parent: QWidget | None = None, tip: str = "") -> None:
        super().__init__(parent)
        self.tip = tip
        self.full_text = ""
        self.setTextFormat(Qt.TextFormat.PlainText)  # a halt reason is not markup
        self.setWordWrap(True)
        policy = QSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.setMinimumWidth(0)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.set_value(fmt.MISSING)

    def set_value(self, text: str) -> None:
        """Show `text` (cheap when unchanged: the pane calls this on every refresh)."""
        if text == self.full_text:
            return
        self.full_text = text
        self.setText(_breakable(text))
        self._fit_lines()
        self.setToolTip(f"{text}\n\n{self.tip}" if self.tip else text)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_lines()

    def _fit_lines(self) -> None:
        # The lines a wrapped value needs at this width, as a minimum height: layouts then
        # give the row its height even where they do not ask for height-for-width.
        needed = self.heightForWidth(max(1, self.width()))
        if needed > 0 and needed != self.minimumHeight():
            self.setMinimumHeight(needed)

    def text(self) -> str:
        """The value as given (without the invisible break marks)."""
        return self.full_text


class FieldGrid(QWidget):
    """The names and values; `fit(width)` chooses the shape (see the module docstring)."""

    def __init__(
        self, names: list[str], tips: dict[str, str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("detailFields")
        self.names = names
        self.keys: dict[str, QLabel] = {}
        self.values: dict[str, ValueLabel] = {}
        for name in names:
            key = QLabel(name, self)
            key.setObjectName("fieldName")
            key.setStyleSheet("QLabel { color: palette(mid); }")
            value = ValueLabel(self, tips.get(name, ""))
            if name in tips:
                key.setToolTip(tips[name])
            self.keys[name] = key
            self.values[name] = value
        self.mode = ""
        self.needs: dict[str, int] = {}
        self._width = 0
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._measure()
        self._arrange(PAIRS_2)

    def fit(self, width: int) -> None:
        """Choose the shape for `width` px of room (from the pane, not from this grid)."""
        self._width = width
        mode = STACKED
        if width >= self.needs[PAIRS_2]:
            mode = PAIRS_2
        elif width >= self.needs[PAIRS_1]:
            mode = PAIRS_1
        if mode != self.mode:
            self._arrange(mode)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.FontChange:  # zoom (wall display): measure again
            self._measure()
            if self._width:
                self.fit(self._width)
        super().changeEvent(event)

    def _measure(self) -> None:
        metrics = self.fontMetrics()
        half = (len(self.names) + 1) // 2

        def key_width(names: list[str]) -> int:
            return max(metrics.horizontalAdvance(n) for n in names) + 2

        word = max(metrics.horizontalAdvance(w) for w in _WORDS) + 2
        left = key_width(self.names[:half]) + SPACING
        right = key_width(self.names[half:]) + SPACING
        self.needs = {
            PAIRS_2: left + metrics.horizontalAdvance(_WIDE_LEFT) + 2 + SPACING
            + right + metrics.horizontalAdvance(_WIDE_RIGHT) + 2,
            PAIRS_1: key_width(self.names) + SPACING + word,
            STACKED: 0,
        }  # fmt: skip

    def _arrange(self, mode: str) -> None:
        self.mode = mode
        grid = self._grid
        while grid.count():
            grid.takeAt(0)
        for column in range(4):
            grid.setColumnStretch(column, 0)
        grid.setHorizontalSpacing(SPACING)
        grid.setVerticalSpacing(0 if mode == STACKED else 1)
        half = (len(self.names) + 1) // 2
        for i, name in enumerate(self.names):
            key, value = self.keys[name], self.values[name]
            if mode == PAIRS_2:
                row, column = i % half, (i // half) * 2
                grid.addWidget(key, row, column, Qt.AlignmentFlag.AlignTop)
                grid.addWidget(value, row, column + 1)
            elif mode == PAIRS_1:
                grid.addWidget(key, i, 0, Qt.AlignmentFlag.AlignTop)
                grid.addWidget(value, i, 1)
            else:
                grid.addWidget(key, 2 * i, 0)
                grid.addWidget(value, 2 * i + 1, 0)
        if mode == PAIRS_2:
            grid.setColumnStretch(1, 1)
            grid.setColumnStretch(3, 1)
        elif mode == PAIRS_1:
            grid.setColumnStretch(1, 1)
        else:
            grid.setColumnStretch(0, 1)
        grid.invalidate()
        self.updateGeometry()


class FieldsArea(QScrollArea):
    """The grid in a vertical scroller: a narrow pane's taller grid scrolls here, above the
    chart, instead of pushing the chart and time & sales out of a 600 px window."""

    height_changed = Signal()  # the grid needs another height (shape or wrapped lines)

    def __init__(self, grid: FieldGrid, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detailFieldsArea")
        self.grid = grid
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWidget(grid)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        grid.installEventFilter(self)

    def room(self) -> int:
        """The grid's width, whether or not the vertical scroll bar shows: the shape then
        never depends on the scroll bar it causes (no flip-flop at a threshold)."""
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, self)
        return self.width() - 2 * self.frameWidth() - bar

    def resizeEvent(self, event: QResizeEvent) -> None:
        self.grid.fit(self.room())
        super().resizeEvent(event)
        self._cap_height()

    def _cap_height(self) -> None:
        # Never taller than the grid needs: spare height goes to the chart.
        width = self.room()
        needed = self.grid.heightForWidth(width) if self.grid.hasHeightForWidth() else -1
        if needed <= 0:
            needed = self.grid.sizeHint().height()
        needed += 2 * self.frameWidth() + 2
        if needed != self.maximumHeight():
            self.setMaximumHeight(needed)
            # At least the first lines (Last … Spread) in the shortest pane, beyond which
            # the dock itself scrolls; the rest of the grid scrolls here.
            self.setMinimumHeight(min(needed, (self.fontMetrics().lineSpacing() + 1) * MIN_LINES))
            self.height_changed.emit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.grid and event.type() == QEvent.Type.LayoutRequest:
            self._cap_height()  # a value wrapped onto more lines, or the shape changed
        return super().eventFilter(watched, event)
