"""TickerTableModel and TickerFilterProxy: model contract, ranged flushes, TTL, sorting."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import (
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem, QTableView

from engine.events import Bar, BarKind, Luld, Snapshot, Trade, TradingStatus
from engine.market.store import MarketDataStore
from gui.table.columns import COLUMN_INDEX
from gui.table.model import (
    AGE_CHUNK_ROWS,
    AGE_ROLES,
    ROW_ROLES,
    RawValueRole,
    TickerFilterProxy,
    TickerTableModel,
    contiguous_blocks,
)

NS = 1_700_000_000_000_000_000
EM = "\u2014"
DISPLAY = Qt.ItemDataRole.DisplayRole
SYMBOLS = ["AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "SPY"]
LAST = COLUMN_INDEX["last"]
STATUS = COLUMN_INDEX["status"]


class Recorder:
    """Records dataChanged emissions as (top, bottom, left, right, roles)."""

    def __init__(self, model: TickerTableModel) -> None:
        self.calls: list[tuple[int, int, int, int, list[int]]] = []
        model.dataChanged.connect(self._on_data_changed)

    def _on_data_changed(self, top: QModelIndex, bottom: QModelIndex, roles: list[int]) -> None:
        self.calls.append((top.row(), bottom.row(), top.column(), bottom.column(), list(roles)))


@pytest.fixture
def model(qapp: Any, store: MarketDataStore, clock: Any) -> TickerTableModel:
    # flush_interval_ms=0: no timers; each test drives flush()/tick_ages() itself.
    m = TickerTableModel(store, clock=clock, flush_interval_ms=0)
    m.set_symbols(SYMBOLS)
    return m


_seq = iter(range(1, 10**9))


def trade(store: MarketDataStore, symbol: str, price: float) -> None:
    assert store.apply(Trade(symbol, price, 100, NS + next(_seq)))


def cell(model: Any, row: int, column: int, role: Any = DISPLAY) -> Any:
    return model.data(model.index(row, column), role)


def test_model_contract_while_rows_are_added_removed_and_ticking(
    qtmodeltester: Any, model: TickerTableModel, store: MarketDataStore
) -> None:
    proxy = TickerFilterProxy(model)
    # Qt's own tester stays attached and re-checks on every later signal; failures are Qt
    # warnings, which fail the test (qt_log_level_fail = WARNING in pyproject.toml).
    mode = QAbstractItemModelTester.FailureReportingMode.Warning
    live_testers = [QAbstractItemModelTester(model, mode), QAbstractItemModelTester(proxy, mode)]
    for i, symbol in enumerate(SYMBOLS):
        trade(store, symbol, 100.0 + i)
    assert model.flush() == len(SYMBOLS)
    assert model.add_symbols(["AMD", "aapl", "QQQ", "AMD"]) == ["AMD", "QQQ"]
    model.remove_symbols(["MSFT", "META", "NOPE"])
    trade(store, "AMD", 150.0)
    trade(store, "NVDA", 420.0)
    model.flush()
    proxy.set_filter_text("a")
    model.sort(LAST, Qt.SortOrder.DescendingOrder)
    model.move_row(0, model.rowCount() - 1)
    model.set_symbols(["QQQ", "AAPL", "IBM"])
    model.tick_ages()
    qtmodeltester.check(model)
    qtmodeltester.check(proxy)
    assert len(live_testers) == 2
    assert model.symbols() == ["QQQ", "AAPL", "IBM"]
    assert model.rowCount(model.index(0, 0)) == 0
    assert model.columnCount(model.index(0, 0)) == 0


def test_flush_emits_one_range_per_contiguous_block(
    model: TickerTableModel, store: MarketDataStore
) -> None:
    model.flush()  # the initial watch() marked every symbol changed
    recorder = Recorder(model)
    for row in (0, 1, 2, 5):
        trade(store, SYMBOLS[row], 50.0 + row)
    assert model.flush() == 4
    last_column = model.columnCount() - 1
    assert recorder.calls == [(0, 2, 0, last_column, ROW_ROLES), (5, 5, 0, last_column, ROW_ROLES)]
    assert int(DISPLAY) in ROW_ROLES
    assert RawValueRole in ROW_ROLES


def test_latest_value_wins_with_one_emission(
    model: TickerTableModel, store: MarketDataStore
) -> None:
    model.flush()
    recorder = Recorder(model)
    flushed: list[int] = []
    model.flushed.connect(flushed.append)
    for i in range(500):
        trade(store, "NVDA", 400.0 + i / 100)
    assert model.flush() == 1
    assert len(recorder.calls) == 1
    assert recorder.calls[0][:2] == (2, 2)
    assert cell(model, 2, LAST) == "404.99"
    assert cell(model, 2, LAST, RawValueRole) == pytest.approx(404.99)
    assert flushed == [1]
    assert model.flush() == 0  # nothing changed since: nothing emitted
    assert len(recorder.calls) == 1


def test_changes_for_symbols_not_on_the_watchlist_are_ignored(
    model: TickerTableModel, store: MarketDataStore
) -> None:
    model.flush()
    store.set_accept_all(True)
    trade(store, "ZZZZ", 1.0)
    recorder = Recorder(model)
    assert model.flush() == 0
    assert recorder.calls == []


def test_stale_rows_are_grey_with_age_and_expired_values_hidden(
    model: TickerTableModel, store: MarketDataStore, clock: Any
) -> None:
    trade(store, "AAPL", 190.25)
    model.flush()
    fresh_colour = cell(model, 0, COLUMN_INDEX["symbol"], Qt.ItemDataRole.ForegroundRole)
    assert cell(model, 0, STATUS) == "stream"
    clock.advance(301)  # stream data: stale after 300 s (engine.market.store.DEFAULT_TTLS)
    recorder = Recorder(model)
    model.tick_ages()
    assert (0, 0, 0, model.columnCount() - 1, ROW_ROLES) in recorder.calls  # freshness moved
    age_range = (0, len(SYMBOLS) - 1, COLUMN_INDEX["age"], STATUS, AGE_ROLES)
    assert age_range in recorder.calls
    assert len(recorder.calls) == 2  # bounded: one row block + one Age/Status range
    grey = cell(model, 0, COLUMN_INDEX["symbol"], Qt.ItemDataRole.ForegroundRole)
    assert grey is not None
    assert grey != fresh_colour
    assert cell(model, 0, STATUS) == "STALE"
    assert cell(model, 0, LAST) == "190.25"  # stale is shown, greyed, with its age
    assert cell(model, 0, COLUMN_INDEX["age"]) == "5 m"
    clock.advance(1_500)  # expired after 1800 s
    model.tick_ages()
    assert cell(model, 0, LAST) == EM
    assert cell(model, 0, LAST, RawValueRole) is None
    assert cell(model, 0, STATUS) == "EXPIRED"
    assert cell(model, 0, COLUMN_INDEX["age"]) == "30 m"


def test_stream_disconnect_greys_rows_on_the_next_flush(
    model: TickerTableModel, store: MarketDataStore
) -> None:
    trade(store, "AAPL", 190.0)
    model.flush()
    store.set_stream_connected(False)
    assert model.flush() == 1
    assert cell(model, 0, STATUS) == "STALE"


def test_tick_ages_refreshes_age_and_status_in_bounded_chunks(
    model: TickerTableModel,
) -> None:
    model.add_symbols([f"S{i:03d}" for i in range(150)])  # 158 rows
    recorder = Recorder(model)
    model.tick_ages()
    age, status = COLUMN_INDEX["age"], STATUS
    expected = [(0, AGE_CHUNK_ROWS - 1), (AGE_CHUNK_ROWS, 2 * AGE_CHUNK_ROWS - 1)]
    expected.append((2 * AGE_CHUNK_ROWS, 157))
    assert recorder.calls == [(a, b, age, status, AGE_ROLES) for a, b in expected]


def test_halted_row_is_marked_with_reason_and_luld_in_tooltip(
    model: TickerTableModel, store: MarketDataStore
) -> None:
    trade(store, "TSLA", 250.0)
    model.flush()
    normal = cell(model, 6, 0, Qt.ItemDataRole.BackgroundRole)
    store.apply(TradingStatus("TSLA", "H", "Trading Halt", "LUDP", "Volatility Trading Pause", NS))
    store.apply(Luld("TSLA", 262.5, 237.5, "B", NS))
    model.flush()
    assert cell(model, 6, STATUS) == "HALTED"
    halted = cell(model, 6, LAST, Qt.ItemDataRole.BackgroundRole)
    assert halted is not None
    assert halted != normal
    tip = cell(model, 6, LAST, Qt.ItemDataRole.ToolTipRole)
    assert "Volatility Trading Pause" in tip
    assert "237.50" in tip
    assert "262.50" in tip


def test_tick_flashes_then_clears_on_a_later_flush(
    model: TickerTableModel, store: MarketDataStore, clock: Any
) -> None:
    trade(store, "MSFT", 400.0)
    model.flush()
    assert cell(model, 1, LAST, Qt.ItemDataRole.BackgroundRole) is None  # first value: no flash
    trade(store, "MSFT", 401.0)
    model.flush()
    up = cell(model, 1, LAST, Qt.ItemDataRole.BackgroundRole)
    assert up is not None
    trade(store, "MSFT", 399.0)
    model.flush()
    down = cell(model, 1, LAST, Qt.ItemDataRole.BackgroundRole)
    assert down is not None
    assert down != up
    clock.advance(0.7)
    recorder = Recorder(model)
    assert model.flush() == 1  # no store change, but the flash ended: repaint that row
    assert recorder.calls[0][:2] == (1, 1)
    assert cell(model, 1, LAST, Qt.ItemDataRole.BackgroundRole) is None
    assert model.flush() == 0


def test_data_serves_declared_roles_only(model: TickerTableModel) -> None:
    assert cell(model, 0, 0) == "AAPL"
    assert cell(model, 0, LAST) == EM  # no data yet
    assert cell(model, 0, 0, Qt.ItemDataRole.DecorationRole) is None
    assert cell(model, 0, 0, Qt.ItemDataRole.SizeHintRole) is None
    right = cell(model, 0, LAST, Qt.ItemDataRole.TextAlignmentRole)
    assert right & Qt.AlignmentFlag.AlignRight
    assert model.data(QModelIndex()) is None
    horizontal = Qt.Orientation.Horizontal
    assert model.headerData(LAST, horizontal, DISPLAY) == "Last"
    assert model.headerData(LAST, horizontal, Qt.ItemDataRole.ToolTipRole)
    assert model.headerData(0, Qt.Orientation.Vertical, DISPLAY) is None


def test_delegate_reusing_its_role_span_gets_no_colour_from_the_previous_cell(
    model: TickerTableModel, store: MarketDataStore
) -> None:
    # Qt's item delegate asks multiData() for all roles of a cell through one span it
    # reuses for every cell: a role the model leaves empty must come back invalid, not
    # as the previous cell's flash colour (that painted whole rows in the dark theme).
    trade(store, "MSFT", 400.0)
    model.flush()
    trade(store, "MSFT", 401.0)
    model.flush()
    delegate = QStyledItemDelegate()
    styles = []
    for column in (LAST, 0, LAST, STATUS):
        option = QStyleOptionViewItem()
        delegate.initStyleOption(option, model.index(1, column))
        styles.append((option.text, option.backgroundBrush.style()))
    solid, none = Qt.BrushStyle.SolidPattern, Qt.BrushStyle.NoBrush
    assert styles[0] == ("401.00", solid)  # the Last cell flashes
    assert styles[1] == ("MSFT", none)  # Symbol, painted right after it, does not
    assert styles[2] == ("401.00", solid)
    assert styles[3][1] == none


def _prices(model: TickerTableModel, store: MarketDataStore, prices: dict[str, float]) -> None:
    for symbol, price in prices.items():
        trade(store, symbol, price)
    model.flush()


def test_sort_uses_raw_values_with_none_last(
    model: TickerTableModel, store: MarketDataStore
) -> None:
    model.set_symbols(["A", "B", "C", "D"])
    _prices(model, store, {"A": 10.5, "B": 9.8, "D": 100.0})  # C has no price
    model.sort_now(LAST, Qt.SortOrder.AscendingOrder)
    assert model.symbols() == ["B", "A", "D", "C"]  # 9.8 < 10.5 < 100 numerically
    model.sort_now(LAST, Qt.SortOrder.DescendingOrder)
    assert model.symbols() == ["D", "A", "B", "C"]  # None stays last
    assert [model.row_of(s) for s in "DABC"] == [0, 1, 2, 3]


def test_sort_is_stable_and_keeps_the_selection(
    model: TickerTableModel, store: MarketDataStore
) -> None:
    _prices(model, store, {s: (20.0 if s in ("MSFT", "TSLA") else 10.0) for s in SYMBOLS})
    selection = QItemSelectionModel(model)
    flags = (
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
    )
    selection.select(model.index(6, 0), flags)
    current = QPersistentModelIndex(model.index(6, 0))
    layouts: list[int] = []
    model.layoutChanged.connect(lambda *_: layouts.append(1))
    model.sort(LAST, Qt.SortOrder.DescendingOrder)
    assert model.symbols()[:2] == ["MSFT", "TSLA"]  # equal keys keep their order
    assert model.symbols()[2:] == ["AAPL", "NVDA", "AMZN", "GOOGL", "META", "SPY"]
    assert current.row() == 1
    assert [i.row() for i in selection.selectedRows()] == [1]
    assert model.sort_column() == LAST
    _prices(model, store, {"AAPL": 10.0})  # ticks do not move rows ...
    assert model.symbols()[2] == "AAPL"
    model.sort_now(LAST, Qt.SortOrder.DescendingOrder)  # ... and a no-op sort emits nothing
    assert len(layouts) == 1
    _prices(model, store, {"SPY": 30.0})
    model.sort_now(LAST, Qt.SortOrder.DescendingOrder)
    assert model.symbols()[0] == "SPY"
    assert current.row() == 2
    assert [model.symbols()[i.row()] for i in selection.selectedRows()] == ["TSLA"]
    model.sort(-1, Qt.SortOrder.AscendingOrder)
    assert model.sort_column() == -1


def test_proxy_filters_by_symbol_and_header_click_sorts_the_source(
    qtmodeltester: Any, model: TickerTableModel, store: MarketDataStore
) -> None:
    model.add_symbols(["AAL"])
    _prices(model, store, {"AAPL": 190.0, "AAL": 12.0, "MSFT": 400.0, "AMZN": 180.0})
    proxy = TickerFilterProxy(model)
    qtmodeltester.check(proxy)
    view = QTableView()
    view.setModel(proxy)
    proxy.set_filter_text("  aa ")
    assert [proxy.index(r, 0).data() for r in range(proxy.rowCount())] == ["AAPL", "AAL"]
    view.selectRow(0)
    view.setSortingEnabled(True)
    view.sortByColumn(LAST, Qt.SortOrder.AscendingOrder)
    assert model.sort_column() == LAST
    assert [proxy.index(r, 0).data() for r in range(proxy.rowCount())] == ["AAL", "AAPL"]
    selected = view.selectionModel().selectedRows()
    assert [proxy.data(i) for i in selected] == ["AAPL"]  # selection followed the symbol
    model.add_symbols(["IBM", "BAAB"])  # rows added later are filtered too
    assert [proxy.index(r, 0).data() for r in range(proxy.rowCount())] == ["AAL", "AAPL", "BAAB"]
    proxy.set_filter_text("")
    assert proxy.rowCount() == model.rowCount()
    view.deleteLater()


def test_rows_with_snapshots_from_rest_show_change(
    model: TickerTableModel, store: MarketDataStore
) -> None:
    prev = Bar(BarKind.DAILY, "SPY", 500, 505, 495, 500.0, 10, NS - 86_400 * 10**9)
    store.apply(Snapshot("SPY", latest_trade=Trade("SPY", 505.0, 10, NS), prev_daily_bar=prev))
    model.flush()
    row = model.row_of("SPY")
    assert row is not None
    assert cell(model, row, COLUMN_INDEX["change"]) == "+5.00"
    assert cell(model, row, COLUMN_INDEX["change_pct"]) == "+1.00%"
    assert cell(model, row, STATUS) == "REST"


def test_contiguous_blocks() -> None:
    assert contiguous_blocks([5, 0, 2, 1, 2]) == [(0, 2), (5, 5)]
    assert contiguous_blocks([]) == []


def test_timers_flush_and_resort_by_themselves(
    qtbot: Any, store: MarketDataStore, clock: Any
) -> None:
    model = TickerTableModel(store, clock=clock, flush_interval_ms=20)
    model.set_symbols(["A", "B"])
    _prices(model, store, {"A": 1.0, "B": 2.0})
    model.sort(LAST, Qt.SortOrder.AscendingOrder)
    assert model.symbols() == ["A", "B"]
    with qtbot.waitSignal(model.flushed, timeout=5_000, check_params_cb=lambda n: n == 1):
        trade(store, "A", 3.0)  # the flush timer picks this up
    assert cell(model, model.row_of("A") or 0, LAST) == "3.00"
    # The ~1 Hz re-sort timer moves A below B (a ticking price never does by itself).
    qtbot.waitUntil(lambda: model.symbols() == ["B", "A"], timeout=5_000)
