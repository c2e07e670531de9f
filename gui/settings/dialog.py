"""Settings dialog (non-modal, shown with open()): credentials, feed, encoding, flush rate.

Never `exec()`: a nested event loop under qasync breaks running tasks ("Cannot enter
into task", qasync #59). The secret goes to the OS keyring through
`engine.config.save_credentials`; without a keyring backend it is kept for this
session only and the dialog says so. It is never written to QSettings.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine.config import FEEDS, Credentials, keyring_available
from engine.core.tasks import TaskSet
from gui.settings.persistence import FLUSH_MS_RANGE


@dataclass(frozen=True)
class StreamSettings:
    """What the dialog edits. `credentials` None = keep whatever is in use."""

    credentials: Credentials | None
    feed: str
    encoding: str
    flush_ms: int


# (credentials, feed, encoding) -> (ok, human-readable outcome)
ConnectionProbe = Callable[[Credentials | None, str, str], Awaitable[tuple[bool, str]]]


class SettingsDialog(QDialog):
    """Emits `applied(StreamSettings)` on OK; `probe_finished(bool, str)` after a test."""

    applied = Signal(object)
    probe_finished = Signal(bool, str)

    def __init__(
        self,
        current: StreamSettings,
        tasks: TaskSet,
        probe: ConnectionProbe | None = None,
        credentials_source: str = "none",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Tickerdesk settings")
        self.setObjectName("settingsDialog")
        self._tasks = tasks
        self._probe = probe
        self._current = current
        self.keyring_ok = keyring_available()

        self.key_field = QLineEdit(self)
        self.key_field.setObjectName("keyField")
        self.key_field.setPlaceholderText("API key id (PK…)")
        self.secret_field = QLineEdit(self)
        self.secret_field.setObjectName("secretField")
        self.secret_field.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret_field.setPlaceholderText("unchanged" if current.credentials else "API secret")
        if current.credentials is not None:
            self.key_field.setText(current.credentials.key_id)
        self.source_label = QLabel(_source_text(credentials_source), self)
        self.keyring_label = QLabel(self)
        self.keyring_label.setObjectName("keyringLabel")
        self.keyring_label.setWordWrap(True)
        if self.keyring_ok:
            self.keyring_label.setText("The secret is stored in the OS keyring.")
        else:
            self.keyring_label.setText(
                "No OS keyring is available: the secret is kept for this session only "
                "and never written to disk. Set APCA_API_KEY_ID / APCA_API_SECRET_KEY "
                "to avoid typing it each time."
            )
            self.keyring_label.setStyleSheet("QLabel { color: #d98c00; }")

        self.feed_combo = QComboBox(self)
        self.feed_combo.addItems(list(FEEDS))
        self.feed_combo.setCurrentText(current.feed)
        self.encoding_combo = QComboBox(self)
        self.encoding_combo.addItems(["json", "msgpack"])
        self.encoding_combo.setCurrentText(current.encoding)
        self.flush_spin = QSpinBox(self)
        self.flush_spin.setRange(*FLUSH_MS_RANGE)
        self.flush_spin.setSuffix(" ms")
        self.flush_spin.setValue(current.flush_ms)
        self.flush_spin.setToolTip(
            "How often the table shows new data (lower = more CPU); applies at once"
        )

        self.test_button = QPushButton("Test connection", self)
        self.test_button.setObjectName("testConnectionButton")
        self.test_button.setEnabled(probe is not None)
        self.test_button.clicked.connect(self.test_connection)
        self.test_result = QLabel(self)
        self.test_result.setObjectName("testResult")
        self.test_result.setWordWrap(True)

        form = QFormLayout()
        form.addRow("API key id", self.key_field)
        form.addRow("API secret", self.secret_field)
        form.addRow("", self.source_label)
        form.addRow("", self.keyring_label)
        form.addRow("Feed", self.feed_combo)
        form.addRow("Encoding", self.encoding_combo)
        form.addRow("Table refresh", self.flush_spin)
        form.addRow(self.test_button, self.test_result)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def entered_credentials(self) -> Credentials | None:
        """Credentials typed in the dialog; None when the key or secret is left empty."""
        key = self.key_field.text().strip()
        secret = self.secret_field.text().strip()
        if key and secret:
            return Credentials(key, secret)
        current = self._current.credentials
        if key and not secret and current is not None and current.key_id == key:
            return current
        return None

    def values(self) -> StreamSettings:
        return StreamSettings(
            credentials=self.entered_credentials(),
            feed=self.feed_combo.currentText(),
            encoding=self.encoding_combo.currentText(),
            flush_ms=self.flush_spin.value(),
        )

    def accept(self) -> None:
        self.applied.emit(self.values())
        self.secret_field.clear()  # do not keep the secret in a widget longer than needed
        super().accept()

    def test_connection(self) -> None:
        """Try an auth against the configured endpoint in a task; result shown inline."""
        if self._probe is None or not self.test_button.isEnabled():
            return
        self.test_button.setEnabled(False)
        self.test_result.setText("Connecting …")
        self.test_result.setStyleSheet("")
        values = self.values()
        self._tasks.spawn(
            self._run_probe(values.credentials, values.feed, values.encoding),
            name="tickerdesk-test-connection",
        )

    async def _run_probe(self, creds: Credentials | None, feed: str, encoding: str) -> None:
        assert self._probe is not None
        try:
            ok, text = await self._probe(creds, feed, encoding)
        except Exception as exc:  # the probe should not raise; a bug must not kill the dialog
            ok, text = False, f"test failed: {type(exc).__name__}: {exc}"
        self.test_button.setEnabled(True)
        self.test_result.setText(text)
        self.test_result.setToolTip(text)
        self.test_result.setStyleSheet(
            "QLabel { color: #2e9d4f; }" if ok else "QLabel { color: #d32f2f; }"
        )
        self.probe_finished.emit(ok, text)


def _source_text(source: str) -> str:
    return {
        "environment": "Credentials in use come from the environment.",
        "keyring": "Credentials in use come from the OS keyring.",
        "session": "Credentials in use are kept for this session only.",
    }.get(source, "No credentials: showing simulated data.")
