"""The Qt side of the ticker table's columns: item roles, alignment flags and item flags.

`gui.table.columns` declares the columns without Qt (Align, Tone); this module is where
those map onto Qt. Role numbers are plain ints: Qt hands data()/multiData() an int role,
and the model dispatches on it with one dict lookup keyed by these.
"""

from __future__ import annotations

from PySide6.QtCore import Qt

from gui.table.columns import Align

__all__ = [
    "AGE_ROLES",
    "ALIGNMENT",
    "ALIGN_FLAGS",
    "BACKGROUND",
    "CELL_FLAGS",
    "DISPLAY",
    "FOREGROUND",
    "PALETTE_ROLES",
    "RAW_VALUE_ROLE",
    "ROOT_FLAGS",
    "ROW_ROLES",
    "SPARKLINE_ROLE",
    "TOOLTIP",
]

DISPLAY = int(Qt.ItemDataRole.DisplayRole)
ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
BACKGROUND = int(Qt.ItemDataRole.BackgroundRole)
TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
RAW_VALUE_ROLE = int(Qt.ItemDataRole.UserRole) + 1  # the raw (unformatted) value of a cell
SPARKLINE_ROLE = int(Qt.ItemDataRole.UserRole) + 2  # SymbolHistory for the sparkline cell

# Explicit roles in every dataChanged: views and proxies skip work for roles not listed.
ROW_ROLES = [DISPLAY, FOREGROUND, BACKGROUND, TOOLTIP, RAW_VALUE_ROLE, SPARKLINE_ROLE]
AGE_ROLES = [DISPLAY, TOOLTIP, RAW_VALUE_ROLE]
PALETTE_ROLES = [FOREGROUND, BACKGROUND]  # a theme switch changes colours only

ALIGN_FLAGS = {
    Align.LEFT: Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
    Align.RIGHT: Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
    Align.CENTER: Qt.AlignmentFlag.AlignCenter,
}

# Item flags are asked per painted cell: constants, since enum `|` costs ~1 us each (profiled).
CELL_FLAGS = (
    Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
)
ROOT_FLAGS = Qt.ItemFlag.ItemIsDropEnabled  # drops land between rows, not onto them
