"""Time & sales: live at the top, or visibly paused while the user reads older prints.

Issue 18 #2: one wheel notch or arrow key used to leave the list scrolled a few rows down
while new prints went in above the visible rows, with nothing saying so, and the offset
carried over to the next symbol. The rule now (docs/qt.md, "Time & sales"):

- **live**: the list is scrolled to the top; new prints appear at the top.
- **paused**: scrolled away from the top (wheel, arrow keys, scroll bar, a click on a row
  that scrolls). The rows on screen hold still as new prints are inserted above them, and
  the bar says "paused · 37 new · jump to latest"; that text is a button (Tab from the
  list reaches it, Space or Enter presses it; Ctrl+Home in the list does the same).
- Scrolling back to the top by any means resumes live and clears the count.
- Another symbol starts live at the top with no count.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gui.detail.time_sales import TimeSalesModel, TimeSalesView

__all__ = ["LIVE_TEXT", "TimeSalesPanel", "paused_text"]

LIVE_TEXT = "● live · newest first"
_STYLE = (
    "QPushButton#tapeJump { font-weight: bold; color: palette(highlighted-text);"
    " background: palette(highlight); border: none; border-radius: 3px; padding: 1px 8px; }"
    " QPushButton#tapeJump:focus { border: 2px solid palette(text); padding: 0px 6px; }"
    " QLabel#tapeLive { color: palette(mid); }"
)


def paused_text(new: int) -> str:
    """The paused bar's words, e.g. "paused · 37 new · jump to latest"."""
    return f"paused · {new:,} new · jump to latest"


class TimeSalesPanel(QWidget):
    """The time & sales list under a one-line live/paused bar (see the module docstring)."""

    live_changed = Signal(bool)

    def __init__(self, model: TimeSalesModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timeSalesPanel")
        self.model = model
        self.view = TimeSalesView(model, self)
        # Rows, not pixels: holding the visible rows still is "scroll by the rows inserted".
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerItem)
        # Tab leaves the list (to the jump button when paused) instead of walking its cells.
        self.view.setTabKeyNavigation(False)
        self.live = True
        self.new = 0  # prints inserted above the visible rows since the pause
        self._shown = model.history
        self.state = QLabel(LIVE_TEXT, self)
        self.state.setObjectName("tapeLive")
        self.jump = QPushButton(paused_text(0), self)
        self.jump.setObjectName("tapeJump")
        self.jump.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.jump.setToolTip("Back to the newest print and follow the tape (Ctrl+Home in the list)")
        self.jump.setAutoDefault(True)  # Enter presses it too (not in a dialog: no default)
        self.jump.hide()
        # One height for both states: the list under the bar never jumps.
        bar_height = self.fontMetrics().height() + 6
        self.state.setFixedHeight(bar_height)
        self.jump.setFixedHeight(bar_height)
        self.jump.clicked.connect(self.jump_to_latest)
        self.setStyleSheet(_STYLE)
        bar = QHBoxLayout()
        bar.setContentsMargins(2, 0, 2, 0)
        bar.addWidget(self.state)
        bar.addWidget(self.jump)
        bar.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        # Connected after the view's own slots (setModel above): the header already counts
        # the new rows when _on_inserted runs.
        model.rowsInserted.connect(self._on_inserted)
        model.modelReset.connect(self._on_reset)
        self.view.verticalScrollBar().valueChanged.connect(self._on_scrolled)

    def jump_to_latest(self) -> None:
        """Scroll to the newest print; live again (through `_on_scrolled`)."""
        if self.jump.hasFocus():  # the button hides: keep the keyboard in the list
            self.view.setFocus(Qt.FocusReason.OtherFocusReason)
        self.view.scrollToTop()
        self._set_live(True)

    def _on_scrolled(self, value: int) -> None:
        if value <= 0:
            self._set_live(True)
        elif self.live:
            self._set_live(False)

    def _on_inserted(
        self,
        parent: QModelIndex | QPersistentModelIndex,
        first: int,
        last: int,
    ) -> None:
        if self.live or parent.isValid():
            return  # live: the top row is the newest, nothing to hold
        count = last - first + 1
        self.new += count
        self.view.hold_rows(count)
        self._show_state()

    def _on_reset(self) -> None:
        history = self.model.history
        if history is not self._shown:  # another symbol (or none): start live, at the top
            self._shown = history
            self.view.scrollToTop()
            self._set_live(True)
        elif not self.live:  # the same tape started over: everything on it is new
            self.new += self.model.rowCount()
            self._show_state()

    def _set_live(self, live: bool) -> None:
        changed = live != self.live
        self.live = live
        if live:
            self.new = 0
        self._show_state()
        if changed:
            self.live_changed.emit(live)

    def _show_state(self) -> None:
        self.state.setVisible(self.live)
        self.jump.setVisible(not self.live)
        if not self.live:
            self.jump.setText(paused_text(self.new))
