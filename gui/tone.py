"""Colour intent of a painted value, Qt-free: what a cell or a chart line means, not its colour.

The table's columns, the chart and time & sales name a `Tone`; the theme
(`gui.settings.theme`) maps each tone to one colour per palette. Living here, below both,
it keeps the settings package from importing the table (docs/architecture.md, "Layer rules").
"""

from __future__ import annotations

import enum

__all__ = ["Tone"]


class Tone(enum.Enum):
    """Colour intent; the model maps each tone to one palette brush."""

    UP = "up"  # foreground: up-tick / positive change
    DOWN = "down"  # foreground: down-tick / negative change
    MUTED = "muted"  # foreground: stale or expired row
    FLASH_UP = "flash_up"  # background: ~600 ms after an up-tick
    FLASH_DOWN = "flash_down"  # background: ~600 ms after a down-tick
    HALTED = "halted"  # background: trading halted
