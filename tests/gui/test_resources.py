"""The app finds its icon in the checkout (and, through sys._MEIPASS, in the bundle)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from gui.resources import apply_app_identity, resource_path


def test_resource_path_in_checkout() -> None:
    assert resource_path("tickerdesk.svg").is_file()
    assert resource_path("tickerdesk.desktop").is_file()


def test_resource_path_in_frozen_bundle(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resource_path("tickerdesk.svg") == tmp_path / "resources" / "tickerdesk.svg"


def test_identity_sets_icon_and_desktop_name(qapp: QApplication) -> None:
    apply_app_identity(qapp)
    assert qapp.desktopFileName() == "tickerdesk"
    assert not qapp.windowIcon().isNull()
