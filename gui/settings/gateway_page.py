"""The Settings dialog's "Share connection" page: the local gateway for other programs.

A switch and a port (saved: `AppSettings.gateway`), where clients connect, the local key
and secret they use (the secret masked until Reveal; Copy puts it on the clipboard without
showing it), "New credentials", and the alpaca-py line a user pastes into a bot or a
notebook. The secret lives in the gateway's own credentials file
(engine.gateway.credentials), never in the settings file (docs/gateway.md, "Credentials").
The page shows; gui.runtime_gateway applies (start, stop, restart) on the dialog's OK.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication, QHideEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

__all__ = ["GatewayPage", "GatewayPageState", "alpaca_py_line"]

MASK = "•" * 12
PORT_RANGE = (1024, 65535)  # unprivileged ports; --gateway 0 picks a free one for a run


@dataclass(frozen=True)
class GatewayPageState:
    """What the page opens with (gui.runtime_gateway makes it)."""

    enabled: bool
    port: int
    host: str = "127.0.0.1"
    feed: str = "iex"
    key_id: str = ""
    secret: str = field(default="", repr=False)
    where: str = ""  # where the local credentials come from, in words
    status: str = ""  # "Serving 2 clients", "Off", "Port 8767 is in use: ..."
    note: str = ""  # e.g. "--gateway 0 turned it on for this run"

    def url(self, port: int | None = None) -> str:
        return f"ws://{self.host}:{self.port if port is None else port}/v2/{self.feed}"


def alpaca_py_line(key_id: str, secret: str, url: str) -> str:
    """The line a user changes in an alpaca-py program to share this app's connection."""
    return f'StockDataStream("{key_id}", "{secret}", url_override="{url}")'


class GatewayPage(QWidget):
    """The page; `values()` is (enabled, port). `regenerate` makes new local credentials
    and returns the state to show (None: not possible here)."""

    def __init__(
        self,
        state: GatewayPageState,
        regenerate: Callable[[], GatewayPageState] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("gatewayPage")
        self._state = state
        self._regenerate = regenerate
        self.enabled_box = QCheckBox("Local gateway for other programs", self)
        self.enabled_box.setObjectName("gatewayEnabled")
        self.enabled_box.setChecked(state.enabled)
        self.enabled_box.setToolTip(
            "Serve Alpaca's market-data stream to your own programs (alpaca-py, bots, "
            "notebooks) over this app's one Alpaca connection"
        )
        self.port_spin = QSpinBox(self)
        self.port_spin.setObjectName("gatewayPort")
        self.port_spin.setRange(*PORT_RANGE)
        self.port_spin.setValue(min(max(state.port, PORT_RANGE[0]), PORT_RANGE[1]))
        self.url_label = _selectable(self, "gatewayUrl")
        self.key_field = QLineEdit(self)
        self.key_field.setObjectName("gatewayKey")
        self.key_field.setReadOnly(True)
        self.secret_field = QLineEdit(self)
        self.secret_field.setObjectName("gatewaySecret")
        self.secret_field.setReadOnly(True)
        self.secret_field.setEchoMode(QLineEdit.EchoMode.Password)
        self.reveal_button = QPushButton("Reveal", self)
        self.reveal_button.setObjectName("gatewayReveal")
        self.reveal_button.setCheckable(True)
        self.reveal_button.toggled.connect(self._reveal)
        self.copy_button = QPushButton("Copy", self)
        self.copy_button.setObjectName("gatewayCopy")
        self.copy_button.setToolTip("Copy the secret to the clipboard (it stays hidden here)")
        self.copy_button.clicked.connect(self.copy_secret)
        self.new_button = QPushButton("New credentials", self)
        self.new_button.setObjectName("gatewayNewCredentials")
        self.new_button.setToolTip(
            "Make a new local key and secret; programs using the old ones are disconnected"
        )
        self.new_button.setEnabled(regenerate is not None)
        self.new_button.clicked.connect(self._new_credentials)
        self.where_label = _wrapped(self, "gatewayWhere")
        self.line_label = _selectable(self, "gatewayAlpacaPy")
        self.line_label.setWordWrap(True)
        self.line_label.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.copy_line_button = QPushButton("Copy line", self)
        self.copy_line_button.setObjectName("gatewayCopyLine")
        self.copy_line_button.setToolTip("Copy the alpaca-py line, secret included")
        self.copy_line_button.clicked.connect(self.copy_line)
        self.status_label = _wrapped(self, "gatewayStatus")
        self._lay_out()
        self.port_spin.valueChanged.connect(self._show)
        self._show()

    def _lay_out(self) -> None:
        secret_row = QHBoxLayout()
        secret_row.addWidget(self.secret_field, 1)
        secret_row.addWidget(self.reveal_button)
        secret_row.addWidget(self.copy_button)
        form = QFormLayout(self)
        form.addRow("", self.enabled_box)
        form.addRow("Port", self.port_spin)
        form.addRow("URL", self.url_label)
        form.addRow("Local key", self.key_field)
        form.addRow("Local secret", secret_row)
        form.addRow("", _left(self.new_button))
        form.addRow("", self.where_label)
        # The line wraps: alone in its field (a wrapped label in a row box gets clipped).
        form.addRow("alpaca-py", self.line_label)
        form.addRow("", _left(self.copy_line_button))
        form.addRow("", self.status_label)

    def values(self) -> tuple[bool, int]:
        return self.enabled_box.isChecked(), self.port_spin.value()

    def url(self) -> str:
        return self._state.url(self.port_spin.value())

    def line(self, revealed: bool) -> str:
        state = self._state
        secret = state.secret if revealed else MASK
        return alpaca_py_line(state.key_id, secret, self.url())

    def _show(self, *_args: object) -> None:
        state = self._state
        self.url_label.setText(self.url())
        self.key_field.setText(state.key_id)
        self.secret_field.setText(state.secret)
        self.where_label.setText(state.where)
        self.line_label.setText(self.line(self.reveal_button.isChecked()))
        status = "\n".join(text for text in (state.status, state.note) if text)
        self.status_label.setText(status)
        has_secret = bool(state.secret)
        for button in (self.reveal_button, self.copy_button, self.copy_line_button):
            button.setEnabled(has_secret)

    def _reveal(self, on: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password
        self.secret_field.setEchoMode(mode)
        self.reveal_button.setText("Hide" if on else "Reveal")
        self._show()

    def copy_secret(self) -> None:
        QGuiApplication.clipboard().setText(self._state.secret)
        self.status_label.setText("Secret copied to the clipboard.")

    def copy_line(self) -> None:
        QGuiApplication.clipboard().setText(self.line(revealed=True))
        self.status_label.setText("alpaca-py line copied to the clipboard.")

    def _new_credentials(self) -> None:
        if self._regenerate is None:
            return
        self._state = self._regenerate()
        self._show()

    def hideEvent(self, event: QHideEvent) -> None:
        # A dialog closed with the secret shown must not open with it shown next time.
        self.reveal_button.setChecked(False)
        super().hideEvent(event)


def _left(button: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(button)
    row.addStretch(1)
    return row


def _selectable(parent: QWidget, name: str) -> QLabel:
    label = QLabel(parent)
    label.setObjectName(name)
    label.setTextInteractionFlags(
        label.textInteractionFlags() | Qt.TextInteractionFlag.TextSelectableByMouse
    )
    return label


def _wrapped(parent: QWidget, name: str) -> QLabel:
    label = QLabel(parent)
    label.setObjectName(name)
    label.setWordWrap(True)
    return label
