"""Every colour the detail chart paints with, per theme palette (gui/settings/theme.py)."""

from __future__ import annotations

from PySide6.QtGui import QColor

from gui.settings.theme import DARK_CB, LIGHT, LIGHT_CB, Palette
from gui.tone import Tone

__all__ = ["COLOURS", "chart_colours"]

# Line colours that are not up/down: (light, dark, colour-blind light, colour-blind dark).
# Labelled lines reach WCAG AA (4.5:1) on their theme's base, bars the 3:1 of non-text
# graphics (SC 1.4.11); the colour-blind ones avoid the blue/orange of
# bid/ask (Okabe-Ito reddish purple and bluish green for VWAP / previous close).
_LINES: dict[str, tuple[str, str, str, str]] = {
    "bar": ("#6a88b8", "#5d7aa8", "#6a88b8", "#5d7aa8"),
    "close": ("#285aaa", "#7aa7f0", "#285aaa", "#7aa7f0"),
    "trade": ("#14286e", "#dce8ff", "#14286e", "#dce8ff"),
    "vwap": ("#a85a00", "#f0a040", "#b4508c", "#d88cbc"),
    "prev": ("#8a55a0", "#b895d0", "#007a5a", "#3cc8a0"),
}


def _alpha(colour: str, alpha: int) -> QColor:
    c = QColor(colour)
    c.setAlpha(alpha)
    return c


def chart_colours(palette: Palette) -> dict[str, QColor]:
    """Every colour the chart paints with, for one theme palette."""
    column = (2 if palette in (LIGHT_CB, DARK_CB) else 0) + int(palette.dark)
    colours = {key: QColor(values[column]) for key, values in _LINES.items()}
    up, down = palette.tones[Tone.UP], palette.tones[Tone.DOWN]
    colours.update({
        "axis": QColor(palette.placeholder), "range": QColor(palette.placeholder),
        "bid": QColor(up), "ask": QColor(down), "up": QColor(up), "down": QColor(down),
        # Volume bars under the candles: the same hues, faint enough not to compete.
        "vol_up": _alpha(up, 110), "vol_down": _alpha(down, 110),
        "luld": QColor(palette.levels["bad"]),
        "halt": _alpha(palette.levels["warn"], 60),  # a tint under the lines
        "halt_text": QColor(palette.levels["warn"]),
        # Grid and axis text from the palette's text colour: readable on both themes.
        "grid": _alpha(palette.text, 30), "axis_text": _alpha(palette.text, 190),
        # Pre-market and after-hours: a light wash of the text colour.
        "session": _alpha(palette.text, 16 if palette.dark else 12),
        "crosshair": _alpha(palette.text, 140), "readout": _alpha(palette.base, 230),
    })  # fmt: skip
    return colours


COLOURS = chart_colours(LIGHT)  # light-theme defaults (the widget copies them)
