"""The row above the detail chart: 1m / 5m / 15m candles or a line, and the pan/zoom hint.

The choice is saved through AppSettings (`chart_style`, "candles:5") when the pane is given
the settings, and restored on start.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QResizeEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from gui.detail.chart import STYLES, IntradayChart, parse_style
from gui.settings.persistence import AppSettings

__all__ = ["ChartControls"]

_NAMES = {("candles", 1): "1m", ("candles", 5): "5m", ("candles", 15): "15m", ("line", 1): "Line"}
_TIPS = {
    ("candles", 1): "Candlesticks, 1 minute (earlier sessions at their 15 minutes)",
    ("candles", 5): "Candlesticks, 5 minutes (earlier sessions at their 15 minutes)",
    ("candles", 15): "Candlesticks, 15 minutes",
    ("line", 1): "Line of 1-minute closes",
}
HINT = "drag or \u2190/\u2192 pan \u00b7 wheel or +/\u2212 zoom \u00b7 Home: today"


class HintLabel(QLabel):
    """The hint, cut with "…" to the room there is (the whole of it in the tooltip): it
    never makes the detail pane wider than its dock (issue 18 #6, #10d at 1024x600)."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.full_text = text
        self.setToolTip(text)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def resizeEvent(self, event: QResizeEvent) -> None:
        metrics = self.fontMetrics()
        elided = metrics.elidedText(self.full_text, Qt.TextElideMode.ElideRight, self.width())
        self.setText(elided if metrics.horizontalAdvance("drag or …") <= self.width() else "")
        super().resizeEvent(event)


class ChartControls(QWidget):
    """Exclusive style buttons wired to `chart`; saves the choice in `settings`."""

    def __init__(
        self, chart: IntradayChart, settings: AppSettings | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("chartControls")
        self._chart = chart
        self._settings = settings
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.buttons: dict[tuple[str, int], QToolButton] = {}
        for choice in STYLES:
            button = QToolButton(self)
            button.setText(_NAMES[choice])
            button.setToolTip(_TIPS[choice])
            button.setCheckable(True)
            button.setAutoRaise(True)
            self.group.addButton(button)
            layout.addWidget(button)
            self.buttons[choice] = button
            button.clicked.connect(lambda _=False, c=choice: self.choose(*c))
            button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            button.installEventFilter(self)  # Enter presses it, as Space does
        self.hint = hint = HintLabel(HINT, self)
        hint.setStyleSheet("QLabel { color: palette(mid); }")
        layout.addWidget(hint, 1)
        saved = parse_style(settings.chart_style()) if settings is not None else None
        self.choose(*(saved or (chart.chart_style, chart.minutes)), save=False)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and isinstance(watched, QToolButton)
        ):
            watched.click()
            return True
        return super().eventFilter(watched, event)

    def choose(self, style: str, minutes: int, save: bool = True) -> None:
        self._chart.set_style(style, minutes)
        self.buttons[(style, minutes)].setChecked(True)
        if save and self._settings is not None:
            self._settings.set_chart_style(f"{style}:{minutes}")
