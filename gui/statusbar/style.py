"""Shared look of status-bar indicators: a level name maps to one colour."""

from __future__ import annotations

import enum

from PySide6.QtWidgets import QLabel


class Level(enum.StrEnum):
    """How worried the user should be about what an indicator shows."""

    OK = "ok"
    INFO = "info"
    WARN = "warn"
    BAD = "bad"


COLOURS: dict[Level, str] = {
    Level.OK: "#2e9d4f",
    Level.INFO: "#6b7280",
    Level.WARN: "#d98c00",
    Level.BAD: "#d32f2f",
}


def badge_css(background: str, foreground: str = "white") -> str:
    """A small rounded badge (DEMO, feed, insecure, falling behind)."""
    return (
        f"QLabel {{ background: {background}; color: {foreground}; font-weight: bold;"
        " border-radius: 3px; padding: 0px 6px; }"
    )


def set_level(label: QLabel, level: Level, text: str) -> None:
    """Show `text` in the colour of `level` (only touches Qt when something changed)."""
    css = f"QLabel {{ color: {COLOURS[level]}; }}"
    if label.text() != text:
        label.setText(text)
    if label.styleSheet() != css:
        label.setStyleSheet(css)
