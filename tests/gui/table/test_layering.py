"""Module boundaries of gui.table: the Qt-free modules import no Qt, sort does not import the model,
exports go through the one atomic writer."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import gui.table
from engine.core import files
from gui.table import export

TABLE = Path(gui.table.__file__).parent
QT_FREE = ("gui.table.columns", "gui.table.pacing", "gui.table.rowstates")
QT_PACKAGES = ("PySide6", "shiboken6", "qasync")


def test_qt_free_modules_import_no_qt() -> None:
    # A fresh interpreter: this one has Qt loaded by other tests already.
    code = (
        "import sys\n"
        f"import {', '.join(QT_FREE)}\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {QT_PACKAGES!r}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, TYPE_CHECKING blocks and function bodies included."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_sort_does_not_import_the_model() -> None:
    imports = imported_modules(TABLE / "sort.py")
    assert "gui.table.model" not in imports
    assert "gui.table.rows" not in imports
    assert "gui.table.cells" not in imports


def test_table_export_writes_through_the_one_atomic_writer() -> None:
    assert export.write_text_atomic is files.write_text_atomic
