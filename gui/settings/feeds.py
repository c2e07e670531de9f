"""The feed list in words: "IEX — free, one exchange" rather than bare codes (issue 18, #10e).

`FeedCombo` shows the words but keeps the code as its text: `currentText()`,
`setCurrentText("sip")` and `currentTextChanged` all speak codes, so every caller (the
toolbar, Settings, the runtime's feed switch, the fault harness) is unchanged. Only the
painting of the closed box and of the popup rows uses the words. What each feed is:
docs/protocol.md, "Endpoints".
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QFontMetrics, QPaintEvent
from PySide6.QtWidgets import (
    QComboBox,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionComboBox,
    QStyleOptionViewItem,
    QStylePainter,
    QWidget,
)

from engine.config import FEEDS

FEED_WORDS: dict[str, str] = {
    "iex": "IEX \u2014 free, one exchange",
    "sip": "SIP \u2014 all exchanges, paid plan",
    "delayed_sip": "Delayed SIP \u2014 15 minutes late",
    "test": "Test \u2014 Alpaca's test stream",
}
FEED_TIPS: dict[str, str] = {
    "iex": "Investors Exchange only: a few per cent of US volume; free on Alpaca's Basic plan",
    "sip": "The consolidated tape of every US exchange; needs Algo Trader Plus",
    "delayed_sip": "The consolidated tape, 15 minutes behind the market; free",
    "test": "Alpaca's test stream (FAKEPACA), around the clock, not market data",
}
_WORDS_ROLE = Qt.ItemDataRole.UserRole + 1


def feed_words(feed: str) -> str:
    """The words for a feed code; an unknown code stays as it is."""
    return FEED_WORDS.get(feed, feed)


class _WordsDelegate(QStyledItemDelegate):
    def initStyleOption(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().initStyleOption(option, index)
        words = index.data(_WORDS_ROLE)
        if isinstance(words, str):
            option.text = words


class FeedCombo(QComboBox):
    """A feed chooser whose text is the code and whose face is the words."""

    def __init__(self, parent: QWidget | None = None, feeds: tuple[str, ...] = FEEDS) -> None:
        super().__init__(parent)
        for feed in feeds:
            self.addItem(feed)
            row = self.count() - 1
            self.setItemData(row, feed_words(feed), _WORDS_ROLE)
            self.setItemData(row, FEED_TIPS.get(feed, ""), Qt.ItemDataRole.ToolTipRole)
        self.setItemDelegate(_WordsDelegate(self))
        self.currentIndexChanged.connect(self._follow_tip)
        self._follow_tip()

    def current_words(self) -> str:
        return feed_words(self.currentText())

    def _follow_tip(self, *_args: object) -> None:
        self.setToolTip(f"Alpaca data feed: {FEED_TIPS.get(self.currentText(), '')}")

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QStylePainter(self)
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        option.currentText = self.current_words()
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, option)
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, option)

    def _words_width(self) -> int:
        metrics = QFontMetrics(self.font())
        return max((metrics.horizontalAdvance(feed_words(self.itemText(i)))
                    for i in range(self.count())), default=0)  # fmt: skip

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        codes = max((QFontMetrics(self.font()).horizontalAdvance(self.itemText(i))
                     for i in range(self.count())), default=0)  # fmt: skip
        return QSize(hint.width() + max(0, self._words_width() - codes), hint.height())

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def showPopup(self) -> None:
        self.view().setMinimumWidth(self._words_width() + 40)
        super().showPopup()
