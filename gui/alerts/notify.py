"""How a fired alert reaches the user: desktop notification, else an in-window banner; sound.

Desktop: QSystemTrayIcon.showMessage where isSystemTrayAvailable() (a tray icon is the
only portable Qt route to the OS notification area). Without a tray (many Linux desktops,
Xvfb, offscreen) a banner slides over the top of the table and hides itself after a few
seconds. Sound is QApplication.beep(): always present, no QtMultimedia dependency.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QBoxLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QSystemTrayIcon,
    QToolButton,
    QWidget,
)

from gui.settings.theme import LIGHT, Palette, readable_text_on

BANNER_HIDE_MS = 8000
BANNER_MAX_LINES = 3


def banner_css(p: Palette) -> str:
    """Style of the in-window alert banner: the highlight colour with readable text."""
    text = readable_text_on(p.highlight)
    return (
        f"QFrame#alertBanner {{ background: {p.highlight}; border-radius: 4px; }}"
        f" QFrame#alertBanner QLabel {{ color: {text}; font-weight: bold; }}"
    )


class AlertBanner(QFrame):
    """A strip above the table; auto-hides; shows the latest few lines.

    Normally placed in a layout above the table (`place_above`), so it pushes rows down
    instead of hiding them; without a layout to join it floats over the top of `host`.
    """

    def __init__(self, host: QWidget, hide_ms: int = BANNER_HIDE_MS) -> None:
        super().__init__(host)
        self._overlay = True
        self.setObjectName("alertBanner")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAutoFillBackground(True)
        self.label = QLabel(self)
        self.label.setObjectName("alertBannerText")
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.close_button = QToolButton(self)
        self.close_button.setText("✕")
        self.close_button.setToolTip("Dismiss")
        self.close_button.setAutoRaise(True)
        self.close_button.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.close_button)
        self._lines: list[str] = []
        self.hide_timer = QTimer(self)
        self.hide_timer.setSingleShot(True)
        self.hide_timer.setInterval(hide_ms)
        self.hide_timer.timeout.connect(self.hide)
        host.installEventFilter(self)  # while an overlay, follow the host's size
        self.set_palette(LIGHT)
        self.hide()

    def set_palette(self, palette: Palette) -> None:
        """Theme switch (ThemeController.theme_changed): the theme's highlight colour."""
        self.setStyleSheet(banner_css(palette))

    def place_above(self, widget: QWidget) -> bool:
        """Join the box layout holding `widget`, just above it; False if there is none."""
        parent = widget.parentWidget()
        layout = parent.layout() if parent is not None else None
        if not isinstance(layout, QBoxLayout) or layout.indexOf(widget) < 0:
            return False
        layout.insertWidget(layout.indexOf(widget), self)
        self._overlay = False
        return True

    def show_message(self, text: str) -> None:
        """Show `text` (newest first, the last few kept) and restart the hide timer."""
        if self.isHidden():
            self._lines = []
        self._lines = [text, *self._lines][:BANNER_MAX_LINES]
        self.label.setText("\n".join(self._lines))
        self._place()
        self.show()
        self.raise_()
        self.hide_timer.start()

    def text(self) -> str:
        return self.label.text()

    def _place(self) -> None:
        host = self.parentWidget()
        if host is None or not self._overlay:
            return
        margin = 6
        width = max(120, host.width() - 2 * margin)
        self.setFixedWidth(width)
        self.adjustSize()
        # Under the table's header, so column titles stay readable.
        top = margin
        header = getattr(host, "horizontalHeader", None)
        if header is not None:
            top += header().height()
        self.move(margin, top)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self._overlay and event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
        return False


def _bell_icon() -> QIcon:
    """A plain coloured dot: a tray icon must have an icon or Qt refuses to show it."""
    pixmap = QPixmap(32, 32)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor("#2f6fd0"))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(4, 4, 24, 24)
    painter.end()
    return QIcon(pixmap)


class Notifier(QObject):
    """Routes alert messages to the tray (if available) or the banner; optional beep."""

    def __init__(
        self,
        banner: AlertBanner,
        use_tray: bool | None = None,
        sound: bool = True,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.banner = banner
        self.sound = sound
        self.shown = 0
        if use_tray is None:
            use_tray = QSystemTrayIcon.isSystemTrayAvailable()
        self.tray: QSystemTrayIcon | None = None
        if use_tray:
            self.tray = QSystemTrayIcon(_bell_icon(), self)
            self.tray.setToolTip("Tickerdesk alerts")
            self.tray.show()

    @property
    def route(self) -> str:
        """Where the next message goes: "tray" or "banner"."""
        return "tray" if self.tray is not None and self.tray.isVisible() else "banner"

    def notify(self, title: str, text: str) -> None:
        self.shown += 1
        if self.tray is not None and self.tray.isVisible():
            self.tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 8000)
        else:
            self.banner.show_message(f"{title}: {text}")
        if self.sound:
            QApplication.beep()

    def close(self) -> None:
        if self.tray is not None:
            self.tray.hide()
