"""Settings dialog with a locked OS keyring: said in words, the secret session-only
(the real locked Secret Service: tests/engine/test_keyring_secret_service.py)."""

from __future__ import annotations

from typing import Any

import pytest

import gui.settings.dialog as settings_dialog
from engine.config import KEYRING_LOCKED_WORDS
from engine.core.tasks import TaskSet
from gui.settings.dialog import SettingsDialog, StreamSettings


def test_a_locked_keyring_is_not_called_storage(
    qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A backend is present (the Secret Service answers) but its collection is locked.
    monkeypatch.setattr(settings_dialog, "keyring_available", lambda: True)
    monkeypatch.setattr(settings_dialog, "keyring_problem", lambda: KEYRING_LOCKED_WORDS)
    dialog = SettingsDialog(StreamSettings(None, "iex", "json", 50), TaskSet(), None)
    qtbot.addWidget(dialog)
    assert not dialog.keyring_ok
    text = dialog.keyring_label.text()
    assert text == KEYRING_LOCKED_WORDS
    assert "locked" in text
    assert "this session only" in text
    assert "stored in the OS keyring" not in text


def test_an_unlocked_keyring_stores(qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings_dialog, "keyring_available", lambda: True)
    monkeypatch.setattr(settings_dialog, "keyring_problem", lambda: None)
    dialog = SettingsDialog(StreamSettings(None, "iex", "json", 50), TaskSet(), None)
    qtbot.addWidget(dialog)
    assert dialog.keyring_ok
    assert dialog.keyring_label.text() == "The secret is stored in the OS keyring."
