"""Settings dialog (non-modal, shown with open()): credentials, feed, plan, Trading API,
encoding, flush rate.

Never `exec()`: a nested event loop under qasync breaks running tasks ("Cannot enter
into task", qasync #59). The secret goes to the OS keyring through
`engine.config.save_credentials`; without a keyring backend it is kept for this
session only and the dialog says so. It is never written to QSettings.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from engine.config import Credentials, keyring_available, keyring_problem
from engine.core.tasks import TaskSet
from engine.plan import PlanLimit, default_plan
from gui.settings.credentials import CredentialsChoice, CredentialsRow
from gui.settings.feeds import FeedCombo
from gui.settings.persistence import FLUSH_MS_RANGE, TRADING_API_MODES, default_trading_api
from gui.settings.plan_fields import PlanFields
from gui.window.mnemonics import buddy_mnemonics


@dataclass(frozen=True)
class StreamSettings:
    """What the dialog edits. `credentials` None = keep whatever is in use."""

    credentials: Credentials | None
    feed: str
    encoding: str
    flush_ms: int
    plan: PlanLimit | None = None  # None = never chosen: by feed (engine.plan.default_plan)
    plan_note: str = ""  # what the running app enforces instead, if not the plan (demo)
    # The account (read-only): "off", "paper", "live"; None = never chosen: follow the
    # key (gui.settings.persistence.default_trading_api).
    trading_api: str | None = None
    # "Trust CA file (test servers)": CAs trusted besides the system's; None = none
    # (engine.net.tls: verification is never off).
    ca_file: str | None = None
    # What to do with the credentials (gui.settings.credentials): keep, forget (removed
    # from the OS keyring, demo data), demo (keep them saved, show demo data), alpaca
    # (back from the demo with the saved key).
    credentials_action: str = CredentialsChoice.KEEP
    demo: bool = False  # showing simulated data now (the dialog offers the way back)


_TRADING_ITEMS = {
    "off": "Off",
    "paper": "Paper account",
    "live": "Live account (real money)",
}
_TRADING_NOTE = (
    "Read-only: Tickerdesk never places, changes or cancels orders. A key pair opens one "
    "endpoint: paper keys (PK…) the paper account, live keys (AK…) the live one; the "
    "status bar says so if the chosen one refuses the key (HTTP 401/403)."
)

# (credentials, feed, encoding) -> (ok, human-readable outcome)
ConnectionProbe = Callable[[Credentials | None, str, str], Awaitable[tuple[bool, str]]]


class SettingsDialog(PlanFields, QDialog):
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
        # A locked keyring is present but stores nothing: said, like none (local IPC).
        available = keyring_available()
        locked = keyring_problem() if available else None
        self.keyring_ok = available and locked is None

        self.key_field = QLineEdit(self)
        self.key_field.setObjectName("keyField")
        self.key_field.setPlaceholderText("API key id (PK…)")
        self.secret_field = QLineEdit(self)
        self.secret_field.setObjectName("secretField")
        self.secret_field.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret_field.setPlaceholderText("unchanged" if current.credentials else "API secret")
        if current.credentials is not None:
            self.key_field.setText(current.credentials.key_id)
        self.source_label = QLabel(_source_text(credentials_source, current), self)
        self.source_label.setWordWrap(True)
        self.credentials_row = CredentialsRow(current, credentials_source, self.key_field, self)
        self.credentials_row.chosen.connect(self._apply_choice)
        self.keyring_label = QLabel(self)
        self.keyring_label.setObjectName("keyringLabel")
        self.keyring_label.setWordWrap(True)
        if self.keyring_ok:
            self.keyring_label.setText("The secret is stored in the OS keyring.")
        elif locked is not None:
            self.keyring_label.setText(locked)
            self.keyring_label.setStyleSheet("QLabel { color: #d98c00; }")
        else:
            self.keyring_label.setText(
                "No OS keyring is available: the secret is kept for this session only "
                "and never written to disk. Set APCA_API_KEY_ID / APCA_API_SECRET_KEY "
                "to avoid typing it each time."
            )
            self.keyring_label.setStyleSheet("QLabel { color: #d98c00; }")

        self.feed_combo = FeedCombo(self)  # words on its face, the code as its text
        self.feed_combo.setObjectName("settingsFeedCombo")
        self.feed_combo.setCurrentText(current.feed)
        self._build_plan(current.plan or default_plan(current.feed), current.plan_note)
        self._plan_feed = current.feed  # the feed whose default the plan shows, if it does
        self.feed_combo.currentTextChanged.connect(self._follow_feed)
        self._build_trading(current.trading_api)
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

        self.ca_field = QLineEdit(self)
        self.ca_field.setObjectName("caFileField")
        self.ca_field.setPlaceholderText("none: the system's CAs only")
        self.ca_field.setText(current.ca_file or "")
        self.ca_field.setToolTip(
            "A PEM file of CAs to trust besides the system's, for a test server with a "
            "private CA. Certificates are always verified; this never turns that off."
        )

        self.test_button = QPushButton("Test connection", self)
        self.test_button.setObjectName("testConnectionButton")
        self.test_button.setEnabled(probe is not None)
        self.test_button.clicked.connect(self.test_connection)
        self.test_result = QLabel(self)
        self.test_result.setObjectName("testResult")
        self.test_result.setWordWrap(True)

        form = QFormLayout()
        # Long labels wrap rather than widen or clip the dialog (issue 18, #10c).
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("API key id", self.key_field)
        form.addRow("API secret", self.secret_field)
        form.addRow("", self.source_label)
        form.addRow("", self.credentials_row)
        form.addRow("", self.keyring_label)
        form.addRow("Feed", self.feed_combo)
        form.addRow("Market-data plan", self.plan_combo)
        form.addRow("Symbol limit", self.limit_spin)
        form.addRow("", self.plan_label)
        form.addRow("Trading API", self.trading_combo)
        form.addRow("", self.trading_label)
        form.addRow("Encoding", self.encoding_combo)
        form.addRow("Table refresh", self.flush_spin)
        form.addRow("Trust CA file (test servers)", self.ca_field)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.test_result, 1)
        form.addRow(test_row)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        # Pages (e.g. "Share connection", gui.settings.gateway_page) join as tabs, so the
        # dialog grows no taller than the stream page: it must fit 1024x600 (docs/qt.md).
        # Each page scrolls rather than clip its wrapped notes on a short screen.
        self.pages = QTabWidget(self)
        self.pages.setObjectName("settingsPages")
        self.pages.setTabBarAutoHide(True)
        self._stream_page = QWidget(self.pages)
        self._stream_page.setLayout(form)
        self.add_page("Stream", self._stream_page)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        layout.addWidget(buttons)

    def add_page(self, title: str, page: QWidget) -> None:
        """Another settings page as a tab (it applies its own values on `applied`)."""
        scroll = QScrollArea(self.pages)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(page)
        self.pages.addTab(scroll, title)

    def showEvent(self, event: QShowEvent) -> None:
        # Sized to its content (issue 18, #10c): wide enough for the labels and fields
        # with the wrapped notes at a readable measure, tall enough for the stream page
        # unscrolled when the screen allows (Qt would cap a dialog at 2/3 of the screen
        # and squeeze the wrapped notes); on a short screen (1024x600) the page scrolls.
        super().showEvent(event)
        # Alt+letter reaches every field, pages added by now included (docs/keyboard.md).
        buddy_mnemonics(self)
        fit_to_screen(self, self._stream_page, self.pages)

    def _build_trading(self, chosen: str | None) -> None:
        self.trading_combo = QComboBox(self)
        self.trading_combo.setObjectName("tradingApiCombo")
        for mode in TRADING_API_MODES:
            self.trading_combo.addItem(_TRADING_ITEMS[mode], mode)
        self.trading_combo.setToolTip("Which Alpaca account to show (positions, orders, fills)")
        key = self.key_field.text()
        self.trading_combo.setCurrentIndex(
            self.trading_combo.findData(chosen or default_trading_api(key))
        )
        self._trading_key = key  # the key whose default the combo shows, if it does
        self.key_field.textChanged.connect(self._follow_key)
        self.trading_label = QLabel(_TRADING_NOTE, self)
        self.trading_label.setObjectName("tradingApiLabel")
        self.trading_label.setWordWrap(True)

    def _follow_key(self, key: str) -> None:
        # Never chosen: the combo follows the key typed (PK… paper, AK… live) until the
        # user picks one, as the plan follows the feed.
        if self._current.trading_api is None and self.chosen_trading_api() == (
            default_trading_api(self._trading_key)
        ):
            self.trading_combo.setCurrentIndex(
                self.trading_combo.findData(default_trading_api(key))
            )
        self._trading_key = key

    def chosen_trading_api(self) -> str:
        return str(self.trading_combo.currentData())

    def _trading_value(self) -> str | None:
        chosen = self.chosen_trading_api()
        if self._current.trading_api is None and chosen == default_trading_api(
            self.key_field.text()
        ):
            return None  # still the key's default: not a choice to save
        return chosen

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

    def credentials_action(self) -> str:
        """What applying does with the credentials: a button's choice, or "forget" when
        the key field was cleared (said in words under the fields)."""
        return self.credentials_row.action()

    def values(self) -> StreamSettings:
        action = self.credentials_action()
        return StreamSettings(
            credentials=None if action == CredentialsChoice.FORGET else self.entered_credentials(),
            feed=self.feed_combo.currentText(),
            encoding=self.encoding_combo.currentText(),
            flush_ms=self.flush_spin.value(),
            plan=self._plan_value(),
            plan_note=self._current.plan_note,
            trading_api=self._trading_value(),
            ca_file=self.ca_field.text().strip() or None,
            credentials_action=action,
            demo=self._current.demo,
        )

    def _apply_choice(self, action: str) -> None:
        """A credentials button: apply with that choice and close (the status bar says
        what happened)."""
        self.credentials_row.choose(action)
        self.accept()

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


def _source_text(source: str, current: StreamSettings) -> str:
    if current.demo and current.credentials is not None:
        return "Showing demo data; your key stays saved (Use Alpaca data to go back)."
    return {
        "environment": "Credentials in use come from the environment.",
        "keyring": "Credentials in use come from the OS keyring.",
        "session": "Credentials in use are kept for this session only.",
    }.get(source, "No credentials: showing simulated data.")


def fit_to_screen(dialog: QDialog, page: QWidget, pages: QTabWidget) -> None:
    """Size `dialog` to its content within the screen: at least the content's natural
    width (never narrower than 560 px, so the notes wrap at a readable measure), and
    the height the page needs at that width, each capped by the available screen."""
    screen = dialog.screen().availableGeometry()
    width = min(max(dialog.sizeHint().width(), 560), screen.width() - 40)
    dialog.resize(max(dialog.width(), width), dialog.height())
    inner = max(page.width(), width - 60)
    extra = dialog.sizeHint().height() - pages.sizeHint().height() + 48
    height = page.heightForWidth(inner) + extra
    if height > dialog.height():
        dialog.resize(dialog.width(), min(height, screen.height() - 40))
