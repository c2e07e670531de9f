"""Positions in the window: the book, its persistence, dialogs, CSV import/export, copy.

The book (symbol -> Position) is shared by every watchlist and written on each change.
File choices use a QFileDialog instance with open() + fileSelected: the static
getSaveFileName runs a nested event loop, which qasync cannot enter (qasync #59). Tests
call the `*_to/_from(path)` methods directly or accept the dialog in `file_dialog`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMessageBox, QTableView, QWidget

from gui.positions.book import (
    POSITION_COLUMN_KEYS,
    ImportResult,
    Position,
    apply_import,
    format_positions_csv,
    parse_positions_csv,
)
from gui.positions.dialog import PositionDialog
from gui.positions.footer import PositionsFooter
from gui.settings.persistence import AppSettings
from gui.table import export
from gui.table.columns import COLUMN_INDEX
from gui.table.model import TickerFilterProxy, TickerTableModel

MAX_IMPORT_BYTES = 5_000_000  # a positions file is a few KB; refuse anything absurd
# Lines an import reads at most: parsing and applying them stays within a frame or two of
# the event loop (tests/benchmarks/bench_bad_input.py), where a 1,000,000-row file would
# stall it for seconds. A bigger file is refused whole, said in words, the book untouched
# (docs/reliability.md, "Bad input").
MAX_IMPORT_ROWS = 10_000
CSV_FILTER = "CSV files (*.csv);;All files (*)"
SHOWN_ERRORS = 10


class PositionsController(QObject):
    """Owns the positions book and the File/table actions around it."""

    message_shown = Signal(str)

    def __init__(
        self,
        model: TickerTableModel,
        proxy: TickerFilterProxy,
        table: QTableView,
        settings: AppSettings,
        current_symbol: Callable[[], str | None],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self._window = parent
        self._model = model
        self._table = table
        self._settings = settings
        self._current_symbol = current_symbol
        self.book: dict[str, Position] = {
            s: Position(q, c) for s, (q, c) in settings.positions().items()
        }
        self.import_errors = 0  # bad CSV rows seen since start (counter)
        self.imports_refused = 0  # files refused whole: binary, too big, too many rows
        self.file_dialog: QFileDialog | None = None
        self.position_dialog: PositionDialog | None = None
        self.report_box: QMessageBox | None = None
        self.footer = PositionsFooter(table, model, proxy, lambda: self.book, parent)
        model.set_positions(self.book)
        self._build_actions()

    def _build_actions(self) -> None:
        self.set_position_action = QAction("Set position…", self)
        self.set_position_action.triggered.connect(lambda: self.open_position_dialog())
        self.import_action = QAction("Import positions…", self)
        self.import_action.triggered.connect(self.choose_import_file)
        self.export_positions_action = QAction("Export positions…", self)
        self.export_positions_action.triggered.connect(self.choose_positions_export_file)
        self.export_table_action = QAction("Export table…", self)
        self.export_table_action.triggered.connect(self.choose_table_export_file)
        self.copy_action = QAction("Copy rows", self)
        self.copy_action.setShortcut(QKeySequence.StandardKey.Copy)
        # Only while the table has focus: Ctrl+C in a text field must still copy its text.
        self.copy_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.copy_action.triggered.connect(self.copy_selection)
        self._table.addAction(self.copy_action)

    def file_actions(self) -> list[QAction]:
        return [self.import_action, self.export_positions_action, self.export_table_action]

    def stop(self) -> None:
        self.footer.stop()

    # --- the book -----------------------------------------------------------------------

    def set_position(self, symbol: str, position: Position | None) -> None:
        """Set (or clear with None) one symbol's position; repaint, persist, total."""
        book = dict(self.book)
        if position is None:
            book.pop(symbol, None)
        else:
            book[symbol] = position
        self.set_book(book)

    def set_book(self, book: dict[str, Position]) -> None:
        was_empty = not self.book
        self.book = book
        self._model.set_positions(book)
        self._settings.set_positions({s: (p.quantity, p.cost_basis) for s, p in book.items()})
        if was_empty and book:
            self.show_position_columns(True)  # a first position: show what it is for
        elif not book:
            self.show_position_columns(False)
        self.footer.refresh()

    def apply_startup_columns(self) -> None:
        """After the header layout is restored: no positions yet -> no position columns."""
        if not self.book:
            self.show_position_columns(False)

    def show_position_columns(self, visible: bool) -> None:
        header = self._table.horizontalHeader()
        for key in POSITION_COLUMN_KEYS:
            header.setSectionHidden(COLUMN_INDEX[key], not visible)

    def open_position_dialog(self, symbol: str | None = None) -> PositionDialog | None:
        """Non-modal editor for `symbol` (default: the current row)."""
        chosen = symbol or self._current_symbol()
        if chosen is None:
            self.message_shown.emit("Select a row to set its position")
            return None
        dialog = PositionDialog(chosen, self.book.get(chosen), self._window)
        dialog.position_chosen.connect(self._on_dialog_position_chosen)
        dialog.finished.connect(dialog.deleteLater)
        self.position_dialog = dialog
        dialog.open()
        return dialog

    def _on_dialog_position_chosen(self, symbol: str, position: Position | None) -> None:
        self.set_position(symbol, position)
        self.message_shown.emit(
            f"Position in {symbol} cleared" if position is None else f"Position in {symbol} set"
        )

    # --- files ------------------------------------------------------------------------

    def import_positions_from(self, path: str | Path) -> ImportResult | None:
        """Apply the good rows of a CSV file, report the bad ones; None if refused whole
        (unreadable, binary, too big or too many rows: the book is left as it was)."""
        file = Path(path)
        try:
            if file.stat().st_size > MAX_IMPORT_BYTES:
                self._refuse(f"{file.name} is larger than 5 MB (a positions file is "
                             f"a few KB; at most {MAX_IMPORT_ROWS:,} rows)")  # fmt: skip
                return None
            data = file.read_bytes()
        except OSError as exc:
            self._refuse(f"cannot read {file.name}: {export.describe(exc)}")
            return None
        text, problem = _decode(data)
        if problem is not None:
            self._refuse(f"{file.name} is {problem}; is it a CSV file?")
            return None
        lines = max(text.count("\n"), text.count("\r")) + 1
        if lines > MAX_IMPORT_ROWS + 1:  # + 1: a header row
            self._refuse(f"{file.name} has {lines:,} lines; an import takes at most "
                         f"{MAX_IMPORT_ROWS:,} rows (split the file)")  # fmt: skip
            return None
        result = parse_positions_csv(text)
        self.import_errors += len(result.errors)
        if result.positions:
            self.set_book(apply_import(self.book, result))
        good = len(result.positions)
        summary = f"Imported {good} position row{'s' if good != 1 else ''} from {file.name}"
        if result.errors:
            summary += f"; {len(result.errors)} bad row{'s' if len(result.errors) != 1 else ''}"
        self._report(summary, [f"line {n}: {why}" for n, why in result.errors])
        return result

    def _refuse(self, why: str) -> None:
        """A file not imported at all: counted, said in words; the book is unchanged."""
        self.imports_refused += 1
        self._report(f"Not imported: {why}; your positions are unchanged", [])

    def export_positions_to(self, path: str | Path) -> int:
        """Write the book as symbol,quantity,cost_basis CSV; returns rows (-1 on error)."""
        try:
            export.write_text_atomic(path, format_positions_csv(self.book))
        except OSError as exc:
            self._report(f"Positions not exported: {export.describe(exc)}", [], "Export")
            return -1
        self.message_shown.emit(f"Exported {len(self.book)} positions to {Path(path).name}")
        return len(self.book)

    def export_table_to(self, path: str | Path) -> int:
        """Write the visible table (view order, visible columns) as CSV; -1 on error."""
        keys = [c.key for c in self._model.columns]
        try:
            rows = export.export_table_csv(self._table, keys, path)
        except OSError as exc:
            self._report(f"Table not exported: {export.describe(exc)}", [], "Export")
            return -1
        self.message_shown.emit(f"Exported {rows} rows to {Path(path).name}")
        return rows

    def copy_selection(self) -> int:
        rows = export.copy_selected_rows(self._table, [c.key for c in self._model.columns])
        self.message_shown.emit(
            f"Copied {rows} row{'s' if rows != 1 else ''}" if rows else "Select rows to copy"
        )
        return rows

    def choose_import_file(self) -> None:
        self._choose_file("Import positions", False, self.import_positions_from)

    def choose_positions_export_file(self) -> None:
        self._choose_file("Export positions", True, self.export_positions_to, "positions.csv")

    def choose_table_export_file(self) -> None:
        self._choose_file("Export table", True, self.export_table_to, "tickerdesk.csv")

    def _choose_file(
        self,
        title: str,
        save: bool,
        then: Callable[[str], object],
        default_name: str = "",
    ) -> None:
        if self.file_dialog is not None:
            self.file_dialog.close()
        dialog = QFileDialog(self._window, title)
        dialog.setObjectName("csvFileDialog")
        dialog.setNameFilter(CSV_FILTER)
        # Qt's own dialog: the same behaviour everywhere (and offscreen). Its overwrite
        # question would be a nested QMessageBox.exec(), so it is off (qasync #59).
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        if save:
            dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
            dialog.setOption(QFileDialog.Option.DontConfirmOverwrite, True)
            dialog.setDefaultSuffix("csv")
            dialog.selectFile(default_name)
        else:
            dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(then)
        dialog.finished.connect(dialog.deleteLater)
        self.file_dialog = dialog
        dialog.open()

    def _report(
        self, summary: str, details: Sequence[str], title: str = "Import positions"
    ) -> None:
        """Status-bar summary; bad rows or a failure also in a non-modal box (open())."""
        self.message_shown.emit(summary + (f" ({details[0]})" if details else ""))
        failed = summary.startswith(("Not ", "Table not", "Positions not"))
        if not details and not failed:
            return
        shown = list(details[:SHOWN_ERRORS])
        if len(details) > SHOWN_ERRORS:
            shown.append(f"\u2026 and {len(details) - SHOWN_ERRORS} more")
        box = QMessageBox(self._window)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(title)
        box.setText(summary)
        box.setObjectName("fileReportBox")
        box.setInformativeText("\n".join(shown))
        box.finished.connect(box.deleteLater)
        self.report_box = box
        box.open()


def _decode(data: bytes) -> tuple[str, str | None]:
    """(text, None), or ("", why `data` is no text file): NUL or other control bytes
    near its start, or bytes that are not UTF-8."""
    head = data[:4096]
    if b"\x00" in head:
        return "", f"binary data (a NUL byte at byte {head.index(b'\x00'):,})"
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 13))
    if controls > len(head) // 100:  # text has tabs and line ends, hardly anything else
        return "", f"binary data ({controls} control bytes in its first {len(head):,})"
    try:
        return data.decode("utf-8-sig"), None  # -sig: Excel writes a BOM
    except UnicodeDecodeError as exc:
        return "", f"not UTF-8 text (byte {exc.start:,} is not valid)"
