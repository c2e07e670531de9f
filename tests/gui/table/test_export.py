"""Export of what the table shows: CSV file (visible columns in visual order, rows in view
order, raw numbers) through the File menu's dialog, and Ctrl+C as tab-separated rows."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from engine.events import Quote, Trade
from engine.market.store import MarketDataStore
from gui.main_window import MainWindow
from gui.table.columns import COLUMN_INDEX, COLUMNS
from gui.table.export import number_text, to_tsv

NS = 1_700_000_000_000_000_000
OFFSCREEN_SHOW = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
KEEP = ("symbol", "last", "volume", "trade_time", "status")


@pytest.fixture
def window(make_window: Any, store: MarketDataStore, clock: Any, tmp_path: Path) -> MainWindow:
    win: MainWindow = make_window(tmp_path / "e.ini", symbols=["AAPL", "MSFT", "SPY", "AMD"])
    prices = {"AAPL": 1234.5, "MSFT": 412.25, "SPY": 9.8, "AMD": 150.0}
    for i, (symbol, price) in enumerate(prices.items()):
        store.apply(Trade(symbol, price, 100, NS + i, i + 1, "V"), clock())
        store.apply(Quote(symbol, price - 0.01, 1, price + 0.01, 1, NS + i), clock())
    win.model.flush()
    # Show only a few columns, with Volume dragged in front of Last.
    header = win.table.horizontalHeader()
    for column in COLUMNS:
        win.table.set_column_visible(COLUMN_INDEX[column.key], column.key in KEEP)
    header.moveSection(header.visualIndex(COLUMN_INDEX["volume"]), 1)
    return win


def test_numbers_are_plain_for_spreadsheets() -> None:
    assert number_text(412.5) == "412.5"
    assert number_text(0.1 + 0.2) == "0.3"
    assert number_text(-0.0000001) == "0"
    assert number_text(1_200_000) == "1200000"
    assert to_tsv(["A", "B"], [["x\ty", "1"]]) == "A\tB\nx y\t1\n"


@OFFSCREEN_SHOW  # the write error opens a (non-modal) message box
def test_export_table_writes_visible_columns_in_view_order(
    window: MainWindow, tmp_path: Path
) -> None:
    window.proxy.set_filter_text("a")  # AAPL and AMD stay; SPY has no "a"
    header = window.table.horizontalHeader()
    header.setSortIndicator(COLUMN_INDEX["last"], Qt.SortOrder.AscendingOrder)
    path = tmp_path / "table.csv"
    assert window.portfolio.export_table_to(path) == window.proxy.rowCount()
    rows = list(csv.reader(path.read_text().splitlines()))
    assert rows[0] == ["Symbol", "Volume", "Last", "Last trade time", "Source"]
    symbols = [r[0] for r in rows[1:]]
    assert symbols == [window.proxy.index(r, 0).data() for r in range(window.proxy.rowCount())]
    assert "SPY" not in symbols
    assert "AAPL" in symbols
    assert "AMD" in symbols
    lasts = [float(r[2]) for r in rows[1:]]
    assert lasts == sorted(lasts)  # sorted by value, as the view shows
    aapl = rows[1 + symbols.index("AAPL")]
    assert aapl[2] == "1234.5"  # raw number, not "1,234.50"
    assert ":" in aapl[3]  # a time stays readable text, not epoch nanoseconds
    assert window.portfolio.export_table_to(tmp_path) == -1  # a directory: reported
    box = window.portfolio.report_box
    assert box is not None
    assert "Table not exported" in box.text()


@OFFSCREEN_SHOW
def test_export_table_through_the_file_menu_dialog(window: MainWindow, tmp_path: Path) -> None:
    window.show()
    window.portfolio.export_table_action.trigger()
    dialog = window.portfolio.file_dialog
    assert dialog is not None
    assert dialog.isVisible()
    target = tmp_path / "chosen.csv"
    dialog.selectFile(str(target))
    dialog.accept()  # the dialog's own Save button
    assert target.exists()
    assert len(target.read_text().splitlines()) == 1 + window.proxy.rowCount()


@OFFSCREEN_SHOW
def test_ctrl_c_copies_selected_rows_with_a_header(window: MainWindow, qtbot: Any) -> None:
    window.show()
    with qtbot.waitActive(window):
        window.activateWindow()
    window.table.setFocus()
    window.table.clearSelection()
    window.table.selectRow(window.proxy.mapFromSource(window.model.index(1, 0)).row())
    qtbot.keyClick(window.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    lines = QApplication.clipboard().text().splitlines()
    assert lines[0] == "Symbol\tVolume\tLast\tLast trade time\tSource"
    assert len(lines) == 2
    assert lines[1].startswith("MSFT\t\t412.25\t")  # no day volume yet: empty
    window.table.clearSelection()
    assert window.portfolio.copy_selection() == 0
