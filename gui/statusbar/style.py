"""Shared look of status-bar indicators: a level name maps to one colour."""

from __future__ import annotations

import enum
from collections.abc import Mapping

from PySide6.QtWidgets import QLabel

from gui.settings.theme import LIGHT, readable_text_on


class Level(enum.StrEnum):
    """How worried the user should be about what an indicator shows."""

    OK = "ok"
    INFO = "info"
    WARN = "warn"
    BAD = "bad"


# Follows the theme (gui.settings.theme.Palette.levels, AA contrast on the window colour):
# ThemeController -> MainWindow calls set_colours(); indicators pick it up on refresh.
COLOURS: dict[Level, str] = {Level(key): value for key, value in LIGHT.levels.items()}


def set_colours(levels: Mapping[str, str]) -> None:
    """Replace the level colours (theme switch); the next refresh() repaints."""
    COLOURS.update({Level(key): value for key, value in levels.items()})


def badge_css(background: str, foreground: str | None = None) -> str:
    """A small rounded badge (DEMO, feed, insecure, falling behind); text black or white."""
    foreground = foreground or readable_text_on(background)
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
