"""Issue 18 table behaviour as a user meets it: rows hold still under the pointer and
while the row menu is open (#1), the third header click returns to the hand-made order
(#9b), the "15 min" sparkline is on a time axis (#10g), type a ticker to jump to it and
Enter opens the detail (keyboard-first)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QContextMenuEvent, QEnterEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from engine.events import Trade
from engine.market.history import NS, SymbolHistory
from engine.market.store import MarketDataStore
from gui.table.columns import COLUMN_INDEX
from gui.table.delegates import SparklineDelegate, build_polygon

# Offscreen Qt warns that it cannot show, raise or grab for a popup: not a defect here.
pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints", "raise", "grabbing")
LAST = COLUMN_INDEX["last"]
T0 = 1_750_000_000 * NS


@pytest.fixture
def window_symbols() -> list[str]:
    return ["MSFT", "AAPL", "NVDA", "AMZN", "NFLX"]


def trade(store: MarketDataStore, symbol: str, price: float, n: int) -> None:
    store.apply(Trade(symbol, price, 100, T0 + n * NS, n, "V"))


def enter(widget: Any) -> None:
    QApplication.sendEvent(widget, QEnterEvent(QPointF(5, 5), QPointF(5, 5), QPointF(5, 5)))


def leave(widget: Any) -> None:
    QApplication.sendEvent(widget, QEvent(QEvent.Type.Leave))


def shown(make_window: Any, qtbot: Any) -> Any:  # offscreen: "propagateSizeHints" warns
    window = make_window()
    window.resize(1200, 600)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_right_click_during_a_pending_resort_acts_on_the_row_under_the_pointer(
    make_window: Any, qtbot: Any, store: MarketDataStore
) -> None:
    window = shown(make_window, qtbot)
    for n, (symbol, price) in enumerate(
        [("MSFT", 400.0), ("AAPL", 200.0), ("NVDA", 120.0), ("AMZN", 180.0), ("NFLX", 600.0)]
    ):
        trade(store, symbol, price, n + 1)
    window.model.flush()
    window.table.sortByColumn(LAST, Qt.SortOrder.DescendingOrder)
    assert window.model.symbols() == ["NFLX", "MSFT", "AAPL", "AMZN", "NVDA"]
    viewport = window.table.viewport()
    aapl = window.table.visualRect(window.proxy.index(2, 0)).center()
    enter(viewport)  # the pointer is over the table, aiming at AAPL
    trade(store, "AMZN", 250.0, 10)  # AMZN now belongs above AAPL: a re-sort is pending
    window.model.flush()
    window.model._on_sort_timer_timeout()  # the ~1 Hz re-sort comes due
    assert window.model.symbols()[2] == "AAPL"  # held still under the pointer
    QTest.mouseClick(viewport, Qt.MouseButton.RightButton, pos=aapl)
    # QTest sends no context-menu event: the window system does, after the press.
    reason = QContextMenuEvent.Reason.Mouse
    QApplication.sendEvent(viewport, QContextMenuEvent(reason, aapl, viewport.mapToGlobal(aapl)))
    menu = QApplication.activePopupWidget()
    assert menu is not None
    assert menu.isVisible()
    assert window.selected_symbols() == ["AAPL"]
    window.model._on_sort_timer_timeout()
    assert window.model.symbols()[2] == "AAPL"  # the menu is open: still held
    leave(viewport)  # the pointer went onto the menu
    assert window.model.symbols()[2] == "AAPL"
    menu.close()
    # Menu closed, pointer gone: the rows re-sort, and those that moved are marked.
    assert window.model.symbols() == ["NFLX", "MSFT", "AMZN", "AAPL", "NVDA"]
    assert window.table.moved_symbols() == {"AMZN", "AAPL"}
    assert window.selected_symbols() == ["AAPL"]


def test_alert_banner_overlays_the_table_instead_of_pushing_rows_down(
    make_window: Any, qtbot: Any
) -> None:
    window = shown(make_window, qtbot)
    top = window.table.mapTo(window, QPoint(0, 0)).y()
    window.alerts.banner.show_message("AAPL crossed 200")
    QApplication.processEvents()
    assert window.alerts.banner.isVisible()
    assert window.table.mapTo(window, QPoint(0, 0)).y() == top
    assert window.alerts.banner.parentWidget() is window.table


def test_third_header_click_returns_to_the_hand_made_order(
    make_window: Any, qtbot: Any, store: MarketDataStore
) -> None:
    window = shown(make_window, qtbot)
    window.model.move_row(4, 0)  # drag NFLX to the top: the hand-made order
    hand = ["NFLX", "MSFT", "AAPL", "NVDA", "AMZN"]
    assert window.model.symbols() == hand
    for n, (symbol, price) in enumerate(
        [("MSFT", 400.0), ("AAPL", 200.0), ("NVDA", 120.0), ("AMZN", 180.0), ("NFLX", 600.0)]
    ):
        trade(store, symbol, price, n + 1)
    window.model.flush()
    header = window.table.horizontalHeader()
    x = header.sectionViewportPosition(LAST) + header.sectionSize(LAST) // 2
    orders = []
    for _ in range(3):
        QTest.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
        orders.append(window.model.symbols())
    assert orders[0] != hand  # sorted one way,
    assert orders[1] != hand  # then the other
    assert orders[2] == hand  # the third click: no sort, the hand-made order back
    assert window.model.sort_column() == -1
    assert window.watchlists.lists.active_symbols() == hand  # kept in the watchlist


def test_sparkline_x_positions_follow_time(qapp: Any) -> None:
    history = SymbolHistory("AAA", NS, 900, 10, 10)
    for second in range(120):  # two minutes of prints in a 15-minute window
        history.prices.add(T0 + second * NS, 100.0 + second % 7, second + 1)
    polygon, _ = build_polygon(history, 181, 16)
    xs = [p.x() for p in polygon.toList()]
    assert xs[-1] == pytest.approx(180.0)  # the newest print at the right edge
    assert xs[0] == pytest.approx(180.0 * (1 - 119 / 900), abs=0.01)  # 2 min = 2/15 of it
    assert xs[60] - xs[0] == pytest.approx(60 * 180 / 900, abs=0.01)  # evenly in time
    delegate = SparklineDelegate()
    delegate.now_ns = lambda: T0 + (119 + 300) * NS  # five quiet minutes later
    assert delegate._shift(history, 91, None) == pytest.approx(300 * 90 / 900)
    # An hour without prints (the market closed): the line slides only until its oldest
    # point reaches the left edge, so the last stretch stays in sight on its time axis.
    delegate.now_ns = lambda: T0 + (119 + 3600) * NS
    assert delegate._shift(history, 91, None) == pytest.approx((900 - 119) * 90 / 900)


def test_typing_a_ticker_jumps_to_it_and_enter_shows_the_detail(
    make_window: Any, qtbot: Any, store: MarketDataStore
) -> None:
    window = shown(make_window, qtbot)
    for n, symbol in enumerate(window.model.symbols()):
        trade(store, symbol, 100.0 + n, n + 1)
    window.model.flush()
    table = window.table
    table.setFocus()
    table.setCurrentIndex(window.proxy.index(0, LAST))  # the cursor in "Last", not Symbol
    QTest.keyClicks(table, "nv")
    assert window.current_symbol() == "NVDA"
    assert window.selected_symbols() == ["NVDA"]
    window.detail.hide()
    QTest.keyClick(table, Qt.Key.Key_Return)
    assert window.detail.isVisible()
    assert window.detail.symbol == "NVDA"


def test_ending_a_sort_after_a_tab_switch_returns_to_that_tabs_own_order(
    make_window: Any, qtbot: Any, store: MarketDataStore
) -> None:
    """Issue 18 #9b across tabs: the sort applies to every tab; ending it on another tab
    gives that tab its own hand-made order, not the first tab's (nor the sorted one)."""
    window = shown(make_window, qtbot)
    lists = window.watchlists.lists
    second = ["TSLA", "AMD", "SPY"]
    lists.add_list("Second", second)
    assert lists.active() == 0
    for n, (symbol, price) in enumerate(
        [("MSFT", 400.0), ("AAPL", 200.0), ("NVDA", 120.0), ("AMZN", 180.0), ("NFLX", 600.0),
         ("TSLA", 250.0), ("AMD", 150.0), ("SPY", 570.0)]
    ):  # fmt: skip
        trade(store, symbol, price, n + 1)
    window.model.flush()
    header = window.table.horizontalHeader()
    x = header.sectionViewportPosition(LAST) + header.sectionSize(LAST) // 2

    def click() -> None:
        QTest.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))

    click()  # sorted on the first tab
    lists.set_active(1)
    assert window.model.symbols() != second  # the sort applies to this tab too
    click()  # the other way
    click()  # no sort: this tab's own order back
    assert window.model.sort_column() == -1
    assert window.model.symbols() == second
    assert lists.active_symbols() == second


@pytest.mark.parametrize(
    ("key", "modifier"),
    [
        (Qt.Key.Key_Menu, Qt.KeyboardModifier.NoModifier),
        (Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier),
    ],
    ids=["menu-key", "shift-f10"],
)
def test_the_row_menu_opens_from_the_keyboard_at_the_current_row_and_acts_on_it(
    make_window: Any,
    qtbot: Any,
    store: MarketDataStore,
    key: Qt.Key,
    modifier: Qt.KeyboardModifier,
) -> None:
    """Keyboard-first (issue 18): the Menu key and Shift+F10 open the row menu (Set
    position, Remove, Add alert, ...) at the current row, for that row, rows held."""
    window = shown(make_window, qtbot)
    for n, (symbol, price) in enumerate(
        [("MSFT", 400.0), ("AAPL", 200.0), ("NVDA", 120.0), ("AMZN", 180.0), ("NFLX", 600.0)]
    ):
        trade(store, symbol, price, n + 1)
    window.model.flush()
    window.table.sortByColumn(LAST, Qt.SortOrder.DescendingOrder)
    table = window.table
    table.setFocus()
    QTest.keyClicks(table, "nv")  # NVDA: current and selected
    assert window.selected_symbols() == ["NVDA"]
    # Ctrl+Up moves the current row without selecting: AMZN current, NVDA selected.
    QTest.keyClick(table, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    assert table.current_symbol() == "AMZN"

    def open_menu() -> Any:
        QTest.keyClick(table, key, modifier)
        menu = QApplication.activePopupWidget()
        assert menu is not None
        assert menu.isVisible()
        return menu

    menu = open_menu()
    assert window.selected_symbols() == ["AMZN"]  # the menu is for the current row
    row = table.visualRect(table.currentIndex())
    top = table.viewport().mapToGlobal(row.topLeft())
    bottom = table.viewport().mapToGlobal(row.bottomRight())
    assert top.y() <= menu.y() <= bottom.y() + 1  # opens at the row, not at the pointer
    assert top.x() <= menu.x() <= bottom.x()
    trade(store, "AMZN", 900.0, 20)  # a re-sort comes due while the menu is open
    window.model.flush()
    window.model._on_sort_timer_timeout()
    assert window.model.symbols()[3] == "AMZN"  # held: the menu still points at AMZN
    actions = {a.text(): a for a in menu.actions()}
    actions["Set position…"].trigger()
    menu.close()
    dialog = window.portfolio.position_dialog
    assert dialog is not None
    assert dialog.symbol == "AMZN"
    dialog.close()
    assert window.model.symbols()[0] == "AMZN"  # menu closed: re-sorted
    menu = open_menu()
    next(a for a in menu.actions() if a.text() == "Remove").trigger()
    menu.close()
    assert "AMZN" not in window.model.symbols()
    assert "NVDA" in window.model.symbols()


CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def active(make_window: Any, qtbot: Any) -> Any:
    """Shown and active: a window's keys (QAction shortcuts) reach its active window only."""
    window = shown(make_window, qtbot)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    return window


def test_move_rows_up_and_down_by_keyboard_in_the_hand_made_order(
    make_window: Any, qtbot: Any, store: MarketDataStore
) -> None:
    """Keyboard-first (issue 18): rows move without a drag (Ctrl+Shift+Up / Down), the
    row stays current and selected, the watchlist keeps the order; while a sort is on
    the key says why it does nothing instead of doing nothing silently."""
    window = active(make_window, qtbot)
    table = window.table
    table.setFocus()
    QTest.keyClicks(table, "nv")  # NVDA, the third row
    QTest.keyClick(table, Qt.Key.Key_Up, CTRL_SHIFT)
    assert window.model.symbols() == ["MSFT", "NVDA", "AAPL", "AMZN", "NFLX"]
    assert table.current_symbol() == "NVDA"
    assert window.selected_symbols() == ["NVDA"]
    QTest.keyClick(table, Qt.Key.Key_Up, CTRL_SHIFT)
    QTest.keyClick(table, Qt.Key.Key_Up, CTRL_SHIFT)  # at the top already: stays
    assert window.model.symbols() == ["NVDA", "MSFT", "AAPL", "AMZN", "NFLX"]
    QTest.keyClick(table, Qt.Key.Key_Down, CTRL_SHIFT)
    assert window.model.symbols() == ["MSFT", "NVDA", "AAPL", "AMZN", "NFLX"]
    assert window.watchlists.lists.active_symbols() == window.model.symbols()
    for n, symbol in enumerate(window.model.symbols()):
        trade(store, symbol, 100.0 + n, n + 1)
    window.model.flush()
    table.sortByColumn(LAST, Qt.SortOrder.DescendingOrder)
    sorted_order = window.model.symbols()
    QTest.keyClick(table, Qt.Key.Key_Down, CTRL_SHIFT)
    assert window.model.symbols() == sorted_order  # the sort's place, not moved
    assert "Sorted by Last" in window.statusBar().currentMessage()
    assert "Hand-made order" in window.statusBar().currentMessage()


def test_move_the_current_column_by_keyboard_past_hidden_ones(make_window: Any, qtbot: Any) -> None:
    window = active(make_window, qtbot)
    table = window.table
    header = table.horizontalHeader()

    def shown_order() -> list[int]:
        logical = [header.logicalIndex(v) for v in range(header.count())]
        return [i for i in logical if not header.isSectionHidden(i)]

    hidden = shown_order()[shown_order().index(LAST) + 1]
    header.setSectionHidden(hidden, True)  # a hidden column between Last and the next
    before = shown_order()
    after = before[before.index(LAST) + 1]
    table.setFocus()
    table.setCurrentIndex(window.proxy.index(0, LAST))
    QTest.keyClick(table, Qt.Key.Key_Right, CTRL_SHIFT)
    moved = shown_order()
    assert moved.index(LAST) == before.index(LAST) + 1  # one shown place to the right,
    assert moved.index(after) == before.index(LAST)  # past its shown neighbour
    assert table.currentIndex().column() == LAST  # the cursor goes with it
    QTest.keyClick(table, Qt.Key.Key_Left, CTRL_SHIFT)
    assert shown_order() == before


def test_tab_leaves_the_table_and_the_arrows_move_between_cells(
    make_window: Any, qtbot: Any
) -> None:
    window = active(make_window, qtbot)
    table = window.table
    table.setFocus()
    table.setCurrentIndex(window.proxy.index(0, COLUMN_INDEX["symbol"]))
    QTest.keyClick(table, Qt.Key.Key_Right)
    assert table.currentIndex().column() != COLUMN_INDEX["symbol"]  # arrows: cell to cell
    assert table.hasFocus()
    QTest.keyClick(table, Qt.Key.Key_Tab)
    assert not table.hasFocus()  # Tab: the next control, not the next cell
