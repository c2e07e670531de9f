"""The alert editor's threshold field: any text may be typed, and what is wrong is said.

A QDoubleSpinBox swallowed what it could not take without a word (typing "1e308" or
pasting "nan" did nothing, a number over its maximum stopped at the maximum), so the
threshold is a line edit whose text is parsed on submit; NaN, infinities, negative
prices and thresholds no price could reach are then refused in words by
engine.alerts.rules.validate(strict=True) (docs/reliability.md, "Bad input").
"""

from __future__ import annotations

import math
import re

from PySide6.QtWidgets import QLineEdit, QWidget

from engine.alerts.rules import AlertError

__all__ = ["MAX_THRESHOLD_TEXT", "ThresholdField", "format_threshold", "parse_threshold"]

MAX_THRESHOLD_TEXT = 40  # characters: more than any number a person types
_DECIMAL_COMMA = re.compile(r"-?\d+,\d{1,2}")  # "149,5": a decimal comma, not thousands


def parse_threshold(text: str) -> float:
    """The number in `text` ("1,234.50", "$150", "-3 %", "149,5"); AlertError saying why
    not. NaN and infinities parse (validate refuses them with their own words)."""
    cleaned = text.strip().removeprefix("$").removesuffix("%").strip()
    cleaned = cleaned.replace("_", "").replace(" ", "")
    if _DECIMAL_COMMA.fullmatch(cleaned):
        cleaned = cleaned.replace(",", ".")
    else:
        cleaned = cleaned.replace(",", "")
    if not cleaned:
        raise AlertError("threshold", "type a number, e.g. 150.25 (or -3 for a change %)")
    try:
        return float(cleaned)
    except ValueError:
        shown = text.strip() if len(text.strip()) <= 20 else text.strip()[:17] + "..."
        raise AlertError("threshold", f"not a number: {shown!r}") from None


def format_threshold(value: float) -> str:
    """What the field shows for `value`: "149.00", "-2.50"; huge or odd values as %g."""
    if math.isfinite(value) and abs(value) < 1e12:
        return f"{value:.2f}"
    return f"{value:g}"


class ThresholdField(QLineEdit):
    """`value()` / `setValue()` as the spin box had; `parsed()` raises AlertError."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("alertThresholdField")
        self.setMaxLength(MAX_THRESHOLD_TEXT)
        self.setPlaceholderText("e.g. 150.25, or -3 for a change %")

    def setValue(self, value: float) -> None:  # the spin box's name, kept for callers
        self.setText(format_threshold(value))

    def value(self) -> float:
        """The parsed number, NaN when the text is not one."""
        try:
            return parse_threshold(self.text())
        except AlertError:
            return math.nan

    def parsed(self) -> float:
        return parse_threshold(self.text())
