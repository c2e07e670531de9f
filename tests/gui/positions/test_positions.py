"""Positions: the pure P&L math and CSV format, and in the window the columns, the dialog,
the footer totals, import with bad rows, export and persistence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.events import Bar, BarKind, Snapshot, Trade
from engine.market.store import MarketDataStore
from gui.main_window import MainWindow
from gui.positions.book import (
    POSITION_COLUMN_KEYS,
    Position,
    apply_import,
    day_pnl,
    format_pnl,
    format_positions_csv,
    market_value,
    parse_positions_csv,
    sum_values,
    total_pnl,
)
from gui.settings.persistence import AppSettings
from gui.table.columns import COLUMN_INDEX
from gui.table.model import RawValueRole, TickerTableModel

NS = 1_700_000_000_000_000_000
DAY = 86_400 * 10**9
OFFSCREEN_SHOW = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


# --- pure math ------------------------------------------------------------------------------


def test_pnl_of_long_and_short_positions() -> None:
    long = Position(100, 150.0)
    short = Position(-20, 260.0)
    assert market_value(long, 231.5) == 23_150.0
    assert day_pnl(long, 231.5, 230.0) == 150.0
    assert total_pnl(long, 231.5) == 8_150.0
    assert market_value(short, 250.0) == -5_000.0
    assert day_pnl(short, 250.0, 251.0) == 20.0  # price fell: a short gains
    assert total_pnl(short, 250.0) == 200.0


def test_pnl_is_none_when_anything_is_missing() -> None:
    pos = Position(10, None)
    assert market_value(None, 100.0) is None
    assert market_value(pos, None) is None
    assert day_pnl(pos, 100.0, None) is None  # no previous close yet
    assert day_pnl(pos, None, 99.0) is None
    assert total_pnl(pos, 100.0) is None  # no cost basis
    assert total_pnl(None, 100.0) is None


def test_sums_count_missing_values() -> None:
    total = sum_values([10.0, None, -2.5])
    assert (total.value, total.counted, total.missing) == (7.5, 2, 1)
    assert sum_values([None, None]).value is None
    assert sum_values([]).value is None
    assert format_pnl(1234.5) == "+1,234.50"
    assert format_pnl(-0.001) == "0.00"
    assert format_pnl(None) == "\u2014"


def test_csv_import_keeps_good_rows_and_reports_bad_ones_by_line() -> None:
    text = (
        "symbol,quantity,cost_basis\n"
        "aapl,100,150.25\n"
        "TSLA,-20,260\n"
        "\n"
        "1BAD,5,1\n"
        "MSFT,ten,300\n"
        "SPY,50,\n"
        "NVDA,10,-1\n"
        "AMD\n"
        "QQQ,0,400\n"
        "IBM,1,2,3\n"
        "GOOGL,nan,1\n"
    )
    result = parse_positions_csv(text)
    assert result.positions == {
        "AAPL": Position(100, 150.25),
        "TSLA": Position(-20, 260.0),
        "SPY": Position(50, None),
        "QQQ": None,  # quantity 0: clear the position
    }
    lines = [line for line, _ in result.errors]
    assert lines == [5, 6, 8, 9, 11, 12]
    messages = dict(result.errors)
    assert "bad symbol '1BAD'" in messages[5]
    assert "quantity is not a number: 'ten'" in messages[6]
    assert "cost_basis must not be negative" in messages[8]
    assert "got 1 column" in messages[9]
    assert "at most 3 columns" in messages[11]
    assert "finite" in messages[12]
    book = apply_import({"QQQ": Position(1, 1.0), "IBM": Position(2, 3.0)}, result)
    assert set(book) == {"AAPL", "TSLA", "SPY", "IBM"}


def test_csv_export_round_trips() -> None:
    book = {"TSLA": Position(-20, 260.0), "AAPL": Position(12.5, None)}
    text = format_positions_csv(book)
    assert text == "symbol,quantity,cost_basis\nAAPL,12.5,\nTSLA,-20,260\n"
    result = parse_positions_csv(text)
    assert result.positions == book
    assert not result.errors


@given(st.text(max_size=300))
def test_any_text_imports_without_an_exception(text: str) -> None:
    result = parse_positions_csv(text)
    assert all(isinstance(line, int) and message for line, message in result.errors)


# --- model ------------------------------------------------------------------------------------


def test_model_shows_position_columns_and_stays_a_valid_model(
    qtmodeltester: Any, qapp: Any, store: MarketDataStore, clock: Any
) -> None:
    model = TickerTableModel(store, clock=clock, flush_interval_ms=0)
    model.set_symbols(["AAPL", "MSFT"])
    _price(store, "AAPL", 200.0, prev_close=190.0)
    model.flush()
    changed: list[int] = []
    model.dataChanged.connect(lambda top, bottom, roles: changed.append(top.row()))
    model.set_positions({"AAPL": Position(10, 150.0)})
    assert changed == [0]  # only the row whose position changed repaints
    row = model.row_of("AAPL")
    assert row == 0

    def raw(key: str) -> Any:
        return model.data(model.index(0, COLUMN_INDEX[key]), RawValueRole)

    assert (raw("market_value"), raw("day_pnl"), raw("total_pnl")) == (2000.0, 100.0, 500.0)
    assert model.data(model.index(1, COLUMN_INDEX["day_pnl"]), RawValueRole) is None
    qtmodeltester.check(model)


def _price(store: MarketDataStore, symbol: str, last: float, prev_close: float) -> None:
    store.watch([symbol])
    prev = Bar(BarKind.DAILY, symbol, prev_close, prev_close, prev_close, prev_close, 10, NS - DAY)
    trade = Trade(symbol, last, 10, NS)
    assert store.apply(Snapshot(symbol, latest_trade=trade, prev_daily_bar=prev))


# --- window -----------------------------------------------------------------------------------


@pytest.fixture
def window_symbols() -> list[str]:
    return ["AAPL", "TSLA", "SPY"]


def _hidden(window: MainWindow) -> set[str]:
    header = window.table.horizontalHeader()
    return {k for k in POSITION_COLUMN_KEYS if header.isSectionHidden(COLUMN_INDEX[k])}


@OFFSCREEN_SHOW
def test_set_position_dialog_columns_footer_and_persistence(
    make_window: Any, store: MarketDataStore, tmp_path: Path
) -> None:
    path = tmp_path / "pos.ini"
    window = make_window(path)
    window.show()
    _price(store, "AAPL", 200.0, 190.0)
    _price(store, "TSLA", 250.0, 251.0)
    window.model.flush()
    assert _hidden(window) == set(POSITION_COLUMN_KEYS)  # no positions: columns hidden
    assert window.portfolio.footer.isHidden()

    window.select_symbol("AAPL")
    dialog = window.portfolio.open_position_dialog()
    assert dialog is not None
    assert dialog.isVisible()
    assert dialog.symbol == "AAPL"
    dialog.quantity_field.setText("ten")
    dialog.accept()
    assert "quantity is not a number" in dialog.error.text()
    assert dialog.isVisible()  # stays open to be fixed
    dialog.quantity_field.setText("10")
    dialog.cost_field.setText("150")
    dialog.accept()
    assert not dialog.isVisible()
    assert window.portfolio.book == {"AAPL": Position(10, 150.0)}
    assert _hidden(window) == set()  # the first position shows the columns

    window.portfolio.open_position_dialog("TSLA")
    second = window.portfolio.position_dialog
    assert second is not None
    second.quantity_field.setText("-20")
    second.cost_field.setText("260")
    second.accept()
    footer = window.portfolio.footer
    footer.refresh()
    assert not footer.isHidden()
    assert footer.label == "Total (2 positions)"
    assert footer.texts() == {
        "market_value": "-3,000.00",  # 2,000 - 5,000
        "day_pnl": "+120.00",  # 10 x 10 + (-20) x (-1)
        "total_pnl": "+700.00",  # 10 x 50 + (-20) x (-10)
    }
    window.proxy.set_filter_text("TSLA")  # the footer sums the rows shown
    footer.refresh()
    assert footer.label == "Total (1 position)"
    assert footer.texts()["total_pnl"] == "+200.00"
    window.proxy.set_filter_text("")

    # Written at once; a new window reads the book back.
    assert AppSettings(path).positions() == {"AAPL": (10.0, 150.0), "TSLA": (-20.0, 260.0)}
    again = make_window(path)
    assert again.portfolio.book == {"AAPL": Position(10, 150.0), "TSLA": Position(-20, 260.0)}

    window.portfolio.open_position_dialog("AAPL")
    clear = window.portfolio.position_dialog
    assert clear is not None
    clear.clear_button.click()
    assert set(window.portfolio.book) == {"TSLA"}


@OFFSCREEN_SHOW
def test_import_applies_good_rows_and_reports_bad_ones(
    make_window: Any, tmp_path: Path, qtbot: Any
) -> None:
    window = make_window()
    window.show()
    csv_path = tmp_path / "in.csv"
    csv_path.write_text("\ufeffsymbol,quantity,cost_basis\nAAPL,5,100\nBAD!,1,1\nSPY,2,\n")
    with qtbot.waitSignal(window.portfolio.message_shown) as message:
        result = window.portfolio.import_positions_from(csv_path)
    assert result is not None
    assert window.portfolio.book == {"AAPL": Position(5, 100.0), "SPY": Position(2, None)}
    assert "Imported 2 position rows from in.csv; 1 bad row (line 3:" in message.args[0]
    box = window.portfolio.report_box
    assert box is not None
    assert box.isVisible()
    assert "line 3" in box.informativeText()
    assert window.portfolio.import_errors == 1
    missing = window.portfolio.import_positions_from(tmp_path / "nope.csv")
    assert missing is None
    # Export writes what a later import reads back.
    out = tmp_path / "out.csv"
    assert window.portfolio.export_positions_to(out) == 2
    assert out.read_text() == "symbol,quantity,cost_basis\nAAPL,5,100\nSPY,2,\n"
    assert window.portfolio.export_positions_to(tmp_path) == -1  # a directory: reported


@OFFSCREEN_SHOW
def test_import_through_the_file_menu_dialog(make_window: Any, tmp_path: Path) -> None:
    window = make_window()
    window.show()
    csv_path = tmp_path / "menu.csv"
    csv_path.write_text("TSLA,3,200\n")
    window.portfolio.import_action.trigger()
    dialog = window.portfolio.file_dialog
    assert dialog is not None
    assert dialog.isVisible()
    dialog.fileSelected.emit(str(csv_path))  # what choosing the file and Open do
    assert window.portfolio.book == {"TSLA": Position(3, 200.0)}
