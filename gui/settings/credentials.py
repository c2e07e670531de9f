"""Credentials are not a one-way door (issue 18, #5): "Use demo data" and "Forget
credentials" in Settings, and a cleared key field means forget, said in words.

The row only chooses; the composition root does it without a restart
(gui.runtime_switch: forgetting removes the pair from the OS keyring through
`engine.config.delete_credentials` and switches the running app to the embedded
simulator; "Use demo data" keeps the pair saved and offers "Use Alpaca data" back).
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from gui.settings.dialog import StreamSettings


class CredentialsChoice(enum.StrEnum):
    KEEP = "keep"
    FORGET = "forget"  # removed from the OS keyring; the app shows demo data
    DEMO = "demo"  # kept saved; the app shows demo data
    ALPACA = "alpaca"  # back from the demo with the saved key


FORGET_ON_EMPTY_WORDS = (
    "The key field is empty: OK forgets the credentials (removes them from the OS "
    "keyring) and shows demo data."
)
ENVIRONMENT_WORDS = (
    " They come from the environment (APCA_API_KEY_ID / APCA_API_SECRET_KEY): Tickerdesk "
    "stops using them now; unset those variables to forget them for good."
)
_WARN = "QLabel { color: #b26a00; }"


class CredentialsRow(QWidget):
    """Two buttons and a note; `chosen(action)` when a button is pressed."""

    chosen = Signal(str)

    def __init__(
        self, current: StreamSettings, source: str, key_field: QLineEdit, parent: QWidget
    ) -> None:
        super().__init__(parent)
        self.setObjectName("credentialsRow")
        self._current = current
        self._source = source
        self._key_field = key_field
        self._choice = CredentialsChoice.KEEP
        has_key = current.credentials is not None or source in {"keyring", "session", "environment"}
        self._has_key = has_key
        showing_demo = current.demo or source == "none"
        back = showing_demo and current.credentials is not None
        self.demo_button = QPushButton("Use Alpaca data" if back else "Use demo data", self)
        self.demo_button.setObjectName("useDemoButton")
        self._demo_action = CredentialsChoice.ALPACA if back else CredentialsChoice.DEMO
        self.demo_button.setEnabled(back or not showing_demo)
        self.demo_button.setToolTip(
            "Back to Alpaca's real-time data with the saved key"
            if back
            else "Show the built-in simulator's data now; the key stays saved"
            if not showing_demo
            else "Showing demo data now"
        )
        self.forget_button = QPushButton("Forget credentials", self)
        self.forget_button.setObjectName("forgetCredentialsButton")
        self.forget_button.setEnabled(has_key)
        self.forget_button.setToolTip(
            "Remove the key pair from the OS keyring and show demo data, without a restart"
        )
        self.note = QLabel(self)
        self.note.setObjectName("credentialsNote")
        self.note.setWordWrap(True)
        self.note.setVisible(False)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.demo_button)
        buttons.addWidget(self.forget_button)
        buttons.addStretch(1)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(buttons)
        column.addWidget(self.note)
        self.demo_button.clicked.connect(lambda: self.chosen.emit(self._demo_action))
        self.forget_button.clicked.connect(lambda: self.chosen.emit(CredentialsChoice.FORGET))
        key_field.textChanged.connect(self._follow_key)

    def choose(self, action: str) -> None:
        self._choice = CredentialsChoice(action)

    def cleared(self) -> bool:
        """The key field was emptied while a key is in use or saved: that means forget."""
        return self._has_key and not self._key_field.text().strip()

    def action(self) -> str:
        if self._choice is not CredentialsChoice.KEEP:
            return self._choice
        return CredentialsChoice.FORGET if self.cleared() else CredentialsChoice.KEEP

    def _follow_key(self, _text: str) -> None:
        if self.cleared():
            words = FORGET_ON_EMPTY_WORDS
            if self._source == "environment":
                words += ENVIRONMENT_WORDS
            self.note.setText(words)
            self.note.setStyleSheet(_WARN)
            self.note.setVisible(True)
        else:
            self.note.setVisible(False)
