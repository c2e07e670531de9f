"""Help > About Tickerdesk (issue 18, #10f): the version, the licences of the bundled
components, and where settings, logs, crash reports and the gateway's credentials live,
with buttons that open those folders. Non-modal, opened with show() (docs/qt.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine.gateway.credentials import default_path as gateway_credentials_path

# (distribution, what it is for, licence): the components a bundle ships.
COMPONENTS: tuple[tuple[str, str, str], ...] = (
    ("PySide6", "Qt for Python: the window (Qt 6)", "LGPL-3.0 (Qt and PySide6)"),
    ("qasync", "asyncio on the Qt event loop", "BSD-2-Clause"),
    ("websockets", "the Alpaca stream", "BSD-3-Clause"),
    ("httpx", "REST snapshots, bars and the account", "BSD-3-Clause"),
    ("msgspec", "JSON and msgpack decoding", "BSD-3-Clause"),
    ("keyring", "the OS keyring for the API secret", "MIT"),
    ("nats-py", "the NATS bus (--bus)", "Apache-2.0"),
    ("tzdata", "New York time zone data", "Apache-2.0"),
)
LOGS_WORDS = (
    "Logs go to standard error (run tickerdesk from a terminal to see them); the last "
    "lines of each run are kept with its crash report."
)


def version_of(distribution: str) -> str:
    # PySide6 installs as PySide6-Essentials (+ Addons) in many environments.
    for name in (distribution, f"{distribution}-Essentials"):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return "not installed"


@dataclass(frozen=True)
class Places:
    """Where the app keeps its files."""

    settings: Path
    crashes: Path
    gateway_credentials: Path


def places(settings_path: Path) -> Places:
    # Crash reports live beside the settings file (gui.crash_notice.crash_folder).
    return Places(settings_path, settings_path.parent / "crashes", gateway_credentials_path())


def open_folder(folder: Path) -> bool:
    """Open `folder` (or its nearest existing parent) in the desktop's file manager."""
    while not folder.exists() and folder.parent != folder:
        folder = folder.parent
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


class AboutDialog(QDialog):
    def __init__(self, where: Places, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle("About Tickerdesk")
        self.places = where
        self.opened: list[Path] = []  # what the buttons opened (tests, the user's trail)
        title = QLabel(f"<b>Tickerdesk {version_of('tickerdesk')}</b>", self)
        title.setObjectName("aboutVersion")
        blurb = QLabel(
            "Real-time US stock quotes from Alpaca, with a built-in simulator for demo data. "
            "Read-only: it never places orders.",
            self,
        )
        blurb.setWordWrap(True)
        rows = "".join(
            f"<tr><td>{name} {version_of(name)}</td><td>&nbsp;{use}</td>"
            f"<td>&nbsp;{licence}</td></tr>"
            for name, use, licence in COMPONENTS
        )
        self.licences = QLabel(
            "<p>Bundled components and their licences:</p>"
            f"<table>{rows}</table>"
            "<p>Qt and PySide6 are used under the LGPL-3.0: you may replace them with your "
            "own build. Their sources: https://download.qt.io/</p>",
            self,
        )
        self.licences.setObjectName("aboutLicences")
        self.licences.setWordWrap(True)
        self.licences.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        grid = QGridLayout()
        self.open_buttons: dict[str, QPushButton] = {}
        entries = (
            ("Settings", where.settings, where.settings.parent),
            ("Crash reports", where.crashes, where.crashes),
            ("Gateway credentials", where.gateway_credentials, where.gateway_credentials.parent),
        )
        for row, (name, path, folder) in enumerate(entries):
            label = QLabel(f"{name}:", self)
            value = QLabel(str(path), self)
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            button = QPushButton("Open folder", self)
            button.setObjectName(f"open{name.replace(' ', '')}Folder")
            button.clicked.connect(lambda _=False, f=folder: self._open(f))
            self.open_buttons[name] = button
            grid.addWidget(label, row, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(value, row, 1)
            grid.addWidget(button, row, 2, Qt.AlignmentFlag.AlignTop)
        grid.setColumnStretch(1, 1)
        logs = QLabel(f"Logs: {LOGS_WORDS}", self)
        logs.setWordWrap(True)
        keyring_note = QLabel(
            "The Alpaca API secret is kept in the OS keyring (never in the settings file).",
            self,
        )
        keyring_note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        for widget in (title, blurb, self.licences):
            layout.addWidget(widget)
        layout.addLayout(grid)
        layout.addWidget(logs)
        layout.addWidget(keyring_note)
        layout.addWidget(buttons)
        self.setMinimumWidth(min(620, max(360, self.screen().availableGeometry().width() - 40)))

    def _open(self, folder: Path) -> None:
        self.opened.append(folder)
        open_folder(folder)

    def text(self) -> str:
        """Everything the dialog says, for tests and copy."""
        return "\n".join(label.text() for label in self.findChildren(QLabel))
