"""Export what the table shows: CSV file (File > Export table…) and clipboard (Ctrl+C).

Columns: the visible ones in their visual (dragged) order. Rows: view order, i.e. after
the filter and the sort. Cells: raw numbers for numeric columns, so a spreadsheet can
compute with them (no thousands separators, no "+"); text columns as shown; a missing or
expired value is an empty cell. A header row comes first in both formats.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QTableView

# The one atomic writer (temp file, fsync, rename); also re-exported from here because
# the positions CSV export (gui.positions.controller) calls export.write_text_atomic.
from engine.core.files import write_text_atomic
from gui.table.roles import RAW_VALUE_ROLE

__all__ = [
    "DISPLAY_TEXT_KEYS",
    "cell_text",
    "copy_selected_rows",
    "describe",
    "export_table_csv",
    "number_text",
    "selected_rows",
    "table_grid",
    "to_csv",
    "to_tsv",
    "visible_columns",
    "write_text_atomic",
]

# Columns whose raw value means nothing in a sheet (epoch nanoseconds): export the text.
DISPLAY_TEXT_KEYS = frozenset({"trade_time"})
_DISPLAY = Qt.ItemDataRole.DisplayRole


def visible_columns(view: QTableView) -> list[int]:
    """Logical indexes of the shown columns, in the order the user sees them."""
    header = view.horizontalHeader()
    logical = (header.logicalIndex(visual) for visual in range(header.count()))
    return [c for c in logical if c >= 0 and not header.isSectionHidden(c)]


def number_text(value: int | float) -> str:
    """A plain number a spreadsheet reads: 412.5, -1200, 0.0001 (no float noise, no -0)."""
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        return ""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def cell_text(view: QTableView, row: int, column: int, key: str) -> str:
    """One cell for export: raw number when numeric, else the display text; missing -> ""."""
    # Read from the ticker model, which computes every value: the view's paint cache holds
    # only what is on screen (gui.table.paint_cache). Another view: its own model.
    model = view.model()
    index = model.index(row, column)
    ticker_model = getattr(view, "ticker_model", None)
    if ticker_model is not None:
        index = ticker_model.index(model.mapToSource(index).row(), column)  # type: ignore[attr-defined]
        model = ticker_model
    raw = model.data(index, RAW_VALUE_ROLE)
    if raw is None:
        return ""
    if key not in DISPLAY_TEXT_KEYS and isinstance(raw, int | float) and not isinstance(raw, bool):
        return number_text(raw)
    shown = model.data(index, _DISPLAY)
    return "" if shown is None else str(shown)


def table_grid(
    view: QTableView, keys: Sequence[str], rows: Sequence[int] | None = None
) -> tuple[list[str], list[list[str]]]:
    """(header, cells) of view rows `rows` (default: all, view order); `keys` per logical column."""
    model = view.model()
    columns = visible_columns(view)
    header = [str(model.headerData(c, Qt.Orientation.Horizontal, _DISPLAY) or "") for c in columns]
    chosen = range(model.rowCount()) if rows is None else rows
    cells = [[cell_text(view, r, c, keys[c]) for c in columns] for r in chosen]
    return header, cells


def selected_rows(view: QTableView) -> list[int]:
    """Selected view rows, top to bottom."""
    return sorted({index.row() for index in view.selectionModel().selectedRows()})


def to_csv(header: Sequence[str], cells: Sequence[Sequence[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(cells)
    return out.getvalue()


def to_tsv(header: Sequence[str], cells: Sequence[Sequence[str]]) -> str:
    """Tab-separated lines (what spreadsheets paste into cells); tabs/newlines in text -> space."""

    def clean(text: str) -> str:
        return text.replace("\t", " ").replace("\r", " ").replace("\n", " ")

    lines = ["\t".join(clean(t) for t in row) for row in [list(header), *cells]]
    return "\n".join(lines) + "\n"


def export_table_csv(view: QTableView, keys: Sequence[str], path: str | os.PathLike[str]) -> int:
    """Write the view's rows to `path` as CSV; returns the number of data rows. Raises OSError."""
    header, cells = table_grid(view, keys)
    write_text_atomic(path, to_csv(header, cells))
    return len(cells)


def copy_selected_rows(view: QTableView, keys: Sequence[str]) -> int:
    """Put the selected rows (with a header row) on the clipboard as TSV; returns rows copied."""
    rows = selected_rows(view)
    if not rows:
        return 0
    header, cells = table_grid(view, keys, rows)
    QApplication.clipboard().setText(to_tsv(header, cells))
    return len(cells)


def describe(value: Any) -> str:
    """Short form of an OSError etc. for a status message (never a traceback)."""
    if isinstance(value, OSError) and value.strerror:
        return f"{value.strerror}: {value.filename}" if value.filename else value.strerror
    return str(value)
