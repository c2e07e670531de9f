"""Shared look of status-bar indicators: one base label, a level name maps to one colour.

Every indicator is a `StatusLabel`: it keeps the colours of the theme it was last given
(`set_palette`, connected to ThemeController.theme_changed through StatusIndicators), so
no module-wide colour table exists and a theme switch repaints what is on screen at once.
"""

from __future__ import annotations

import enum

from PySide6.QtWidgets import QLabel, QWidget

from gui.settings.theme import LIGHT, Palette, readable_text_on


class Level(enum.StrEnum):
    """How worried the user should be about what an indicator shows."""

    OK = "ok"
    INFO = "info"
    WARN = "warn"
    BAD = "bad"


def level_colours(palette: Palette) -> dict[Level, str]:
    """The palette's status colours by level (AA contrast on the window colour)."""
    return {Level(key): value for key, value in palette.levels.items()}


def badge_css(background: str, foreground: str | None = None) -> str:
    """A small rounded badge (DEMO, feed, insecure, falling behind); text black or white."""
    foreground = foreground or readable_text_on(background)
    return (
        f"QLabel {{ background: {background}; color: {foreground}; font-weight: bold;"
        " border-radius: 3px; padding: 0px 6px; }"
    )


class StatusLabel(QLabel):
    """Base of every indicator: object name, tooltip, own theme colours and current level.

    Subclasses read their source in `refresh()` and show it with `show_level()`; badges
    and labels drawing colours themselves override `restyle()`, which re-applies the look
    of what is shown in the colours of a new palette.
    """

    def __init__(
        self, name: str, text: str = "", tooltip: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(text, parent)
        self.setObjectName(name)
        if tooltip:
            self.setToolTip(tooltip)
        self.colours = level_colours(LIGHT)  # until the theme says otherwise
        self.level = Level.INFO

    def refresh(self) -> None:
        """Re-read the source (timers call this); the base shows nothing by itself."""

    def set_palette(self, palette: Palette) -> None:
        """Theme switch: take the palette's colours and repaint what is shown."""
        self.colours = level_colours(palette)
        self.restyle()

    def restyle(self) -> None:
        if self.styleSheet():  # a label never styled yet has nothing to repaint
            self.show_level(self.level, self.text())

    def show_level(self, level: Level, text: str) -> None:
        """Show `text` in the colour of `level` (only touches Qt when something changed)."""
        self.level = level
        css = f"QLabel {{ color: {self.colours[level]}; }}"
        if self.text() != text:
            self.setText(text)
        if self.styleSheet() != css:
            self.setStyleSheet(css)

    def show_badge(self, background: str) -> None:
        """Style the label as a badge on `background` (only touches Qt on a change)."""
        css = badge_css(background)
        if self.styleSheet() != css:
            self.setStyleSheet(css)
