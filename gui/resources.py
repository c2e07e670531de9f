"""Files under `resources/`, found both in a checkout and in the frozen (PyInstaller) bundle."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication


def resource_path(*parts: str) -> Path:
    """A path under resources/: the bundle's copy (sys._MEIPASS) or the checkout's."""
    base = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parent.parent))
    return base.joinpath("resources", *parts)


def apply_app_identity(app: QApplication) -> None:
    """Names, desktop-file id (Wayland matches windows to tickerdesk.desktop) and icon."""
    app.setApplicationName("Tickerdesk")
    app.setOrganizationName("Tickerdesk")
    app.setDesktopFileName("tickerdesk")
    icon = resource_path("tickerdesk.svg")
    # A wheel install has no resources/ folder: the window then keeps Qt's default icon.
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
