"""The day and history columns (issue 13): values against numbers computed by hand from
bars loaded through PriceHistory's load_* methods, sorting with None last, expiry,
tooltips (history state, resync, how each cell was computed), the resync mark, the
range bar, and default visibility that survives a restart and older saved layouts."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QPixmap

from engine.events import Bar, BarKind, Snapshot, Trade
from engine.market.calendar import EASTERN, day_start, previous_trading_day, to_ns
from engine.market.history import PriceHistory
from engine.market.history_load import HistoryLoad
from engine.market.store import Freshness, MarketDataStore
from gui import formatting as fmt
from gui.settings.persistence import AppSettings
from gui.table import header_layout as hl
from gui.table.cells import DECORATION, CellPresenter
from gui.table.columns import COLUMN_INDEX, COLUMNS, RowState
from gui.table.columns_history import HISTORY_COLUMN_KEYS, RANGE_BAR_KEYS
from gui.table.delegates_range import RangeBarDelegate, marker_x
from gui.table.model import RawValueRole, TickerTableModel

DAY = date(2024, 3, 13)  # a Wednesday, New York on daylight time (UTC-4)
PREV = previous_trading_day(DAY)
EM = fmt.MISSING
DEFAULT_SHOWN = {"rel_volume", "gap_pct", "range_52w_position"}


def et(hour: int, minute: int, second: int = 0, day: date = DAY) -> int:
    return to_ns(datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=EASTERN))


def midnight(day: date) -> int:
    return to_ns(day_start(day))


NOW_NS = et(10, 0, 30)  # minute 360 since 04:00 ET


def minute_bar(symbol: str, ts: int, close: float, volume: int) -> Bar:
    return Bar(BarKind.MINUTE, symbol, close, close, close, close, volume, ts)


def sessions_before(day: date, count: int) -> list[date]:
    days: list[date] = []
    while len(days) < count:
        day = previous_trading_day(day)
        days.append(day)
    return days[::-1]  # oldest first


def load_aapl(store: MarketDataStore, history: PriceHistory) -> None:
    """AAPL on 2024-03-13 at 10:00:30 ET, with every kind of history loaded."""
    store.watch(["AAPL"])
    store.add_observer(history.on_event)
    # Snapshot: today's open 102, high 104, low 85, VWAP 101.2; previous close 100.
    today = Bar(BarKind.DAILY, "AAPL", 102.0, 104.0, 85.0, 101.0, 50_000, midnight(DAY),
                vwap=101.2)  # fmt: skip
    prev = Bar(BarKind.DAILY, "AAPL", 99.0, 101.0, 98.0, 100.0, 40_000, midnight(PREV))
    store.apply(Snapshot("AAPL", daily_bar=today, prev_daily_bar=prev))
    # Daily history: 40 sessions (i = 0 oldest): high 150 + i, low 90 + i, volume
    # 1000 (i + 1); and one session 13 months back (high 500, low 10) outside 52 weeks.
    days = sessions_before(DAY, 40)
    daily = [Bar(BarKind.DAILY, "AAPL", 120.0, 150.0 + i, 90.0 + i, 120.0 + i, 1000 * (i + 1),
                 midnight(d)) for i, d in enumerate(days)]  # fmt: skip
    old = Bar(BarKind.DAILY, "AAPL", 120.0, 500.0, 10.0, 120.0, 10**9, midnight(date(2023, 2, 1)))
    history.load_daily("AAPL", [old, *daily])
    # The two previous sessions' 15-minute bars, 04:00-20:00: 1,500 and 3,000 a bar,
    # i.e. on average 2,250 per 15 minutes = 150 a minute.
    earlier = []
    for session, volume in zip(sessions_before(DAY, 2), (1_500, 3_000), strict=True):
        start = et(4, 0, day=session)
        earlier += [minute_bar("AAPL", start + k * 15 * 60 * 10**9, 100.0, volume)
                    for k in range(64)]  # fmt: skip
    history.load_earlier("AAPL", earlier)
    # Today's minute bars 04:00-09:59, 100 shares each; the last pre-market minute
    # (09:29) closes at 101.25; IEX from 09:45.
    bars = []
    for k in range(360):
        ts = et(4, 0) + k * 60 * 10**9
        close = 101.25 if ts == et(9, 29) else (100.5 if ts < et(9, 30) else 101.0)
        bars.append(minute_bar("AAPL", ts, close, 100))
    history.load_intraday("AAPL", bars, iex_from_ns=et(9, 45))
    history.set_load("AAPL", HistoryLoad.LOADED, "SIP to 09:45 ET, IEX after")
    # Live prints in the 10:00 minute: 300 shares, last 101.50.
    store.apply(Trade("AAPL", 101.0, 100, et(10, 0, 10), 1, "V"))
    store.apply(Trade("AAPL", 101.5, 200, et(10, 0, 20), 2, "V"))


# By hand, from the bars above:
GAP = (102.0 - 100.0) / 100.0 * 100  # open vs previous close
PREMARKET = (101.25 - 100.0) / 100.0 * 100  # 09:29 close vs previous close
HIGH_52W = 189.0  # newest session's high 150 + 39 (today's 104 is lower; 500 is too old)
LOW_52W = 85.0  # today's low beats the oldest session's 90 (10 is too old)
RANGE_52W = (101.5 - 85.0) / (189.0 - 85.0)
AVG_VOLUME = sum(1000 * (i + 1) for i in range(10, 40)) / 30  # the last 30 sessions: 25,500
EXPECTED_BY_NOW = 150 * 361  # cumulative average by the end of minute 360
REL_VOLUME = (360 * 100 + 300) / EXPECTED_BY_NOW  # 04:00 bars + the 10:00 prints
DAY_RANGE = (101.5 - 85.0) / (104.0 - 85.0)


@pytest.fixture
def history(store: MarketDataStore) -> PriceHistory:
    history = PriceHistory()
    load_aapl(store, history)
    return history


def presenter(store: MarketDataStore, history: PriceHistory | None, clock: Any,
              symbols: list[str]) -> CellPresenter:  # fmt: skip
    states = {s: RowState(s, freshness=store.freshness(s)) for s in symbols}
    cells = CellPresenter(store, states, clock)
    cells.history = history
    cells.exchange_ns = lambda: NOW_NS
    return cells


def raw(cells: CellPresenter, symbol: str, key: str) -> Any:
    return cells.raw(symbol, COLUMN_INDEX[key])


def text(cells: CellPresenter, symbol: str, key: str) -> str:
    return cells.display(symbol, COLUMN_INDEX[key])


def test_values_match_the_bars_computed_by_hand(
    store: MarketDataStore, history: PriceHistory, clock: Any
) -> None:
    cells = presenter(store, history, clock, ["AAPL"])
    assert raw(cells, "AAPL", "open") == 102.0
    assert raw(cells, "AAPL", "prev_close") == 100.0
    assert raw(cells, "AAPL", "vwap") == 101.2
    assert raw(cells, "AAPL", "gap_pct") == pytest.approx(GAP)
    assert raw(cells, "AAPL", "premarket_change_pct") == pytest.approx(PREMARKET)
    assert raw(cells, "AAPL", "afterhours_change_pct") is None  # no print after 16:00 yet
    assert raw(cells, "AAPL", "high_52w") == HIGH_52W
    assert raw(cells, "AAPL", "low_52w") == LOW_52W
    assert raw(cells, "AAPL", "range_52w_position") == pytest.approx(RANGE_52W)
    assert raw(cells, "AAPL", "avg_volume") == pytest.approx(AVG_VOLUME)
    assert raw(cells, "AAPL", "rel_volume") == pytest.approx(REL_VOLUME)
    assert raw(cells, "AAPL", "day_range_position") == pytest.approx(DAY_RANGE)
    # What the cells show.
    assert text(cells, "AAPL", "gap_pct") == "+2.00%"
    assert text(cells, "AAPL", "premarket_change_pct") == "+1.25%"
    assert text(cells, "AAPL", "rel_volume") == f"{REL_VOLUME:.2f}x" == "0.67x"
    assert text(cells, "AAPL", "avg_volume") == "25.5K"
    assert text(cells, "AAPL", "high_52w") == "189.00"
    assert text(cells, "AAPL", "range_52w_position") == f"{RANGE_52W * 100:.0f}%" == "16%"
    assert text(cells, "AAPL", "day_range_position") == "87%"
    assert text(cells, "AAPL", "afterhours_change_pct") == EM


def test_after_hours_change_once_there_are_prints_after_the_close(
    store: MarketDataStore, clock: Any
) -> None:
    history = PriceHistory()
    store.watch(["MSFT"])
    store.add_observer(history.on_event)
    prev = Bar(BarKind.DAILY, "MSFT", 1.0, 1.0, 1.0, 400.0, 1, midnight(PREV))
    store.apply(Snapshot("MSFT", prev_daily_bar=prev))
    # Regular session's last minute (15:59) closes at 404; a print at 16:05 at 406.06.
    history.load_intraday("MSFT", [minute_bar("MSFT", et(15, 58), 403.0, 10),
                                   minute_bar("MSFT", et(15, 59), 404.0, 10)])  # fmt: skip
    cells = presenter(store, history, clock, ["MSFT"])
    assert raw(cells, "MSFT", "afterhours_change_pct") is None  # not after the close yet
    store.apply(Trade("MSFT", 406.06, 5, et(16, 5), 9, "V"))
    assert raw(cells, "MSFT", "afterhours_change_pct") == pytest.approx(2.06 / 404.0 * 100)


def test_history_columns_are_empty_without_history_and_rel_volume_waits_for_loaded(
    store: MarketDataStore, history: PriceHistory, clock: Any
) -> None:
    store.watch(["NEW"])
    store.apply(Trade("NEW", 10.0, 100, et(10, 0)))
    cells = presenter(store, history, clock, ["AAPL", "NEW"])
    for key in ("high_52w", "low_52w", "range_52w_position", "avg_volume", "rel_volume"):
        assert raw(cells, "NEW", key) is None, key
        assert text(cells, "NEW", key) == EM
    # A partial day would lie: relative volume only once the history is LOADED.
    history.set_load("AAPL", HistoryLoad.LOADING)
    assert raw(cells, "AAPL", "rel_volume") is None
    history.set_load("AAPL", HistoryLoad.LOADED, "SIP")
    assert raw(cells, "AAPL", "rel_volume") == pytest.approx(REL_VOLUME)
    # No PriceHistory at all (e.g. a table without one): None, never a crash.
    bare = presenter(store, None, clock, ["AAPL"])
    assert raw(bare, "AAPL", "high_52w") is None
    assert raw(bare, "AAPL", "gap_pct") == pytest.approx(GAP)  # the snapshot's own


def test_expired_rows_hide_every_history_column(
    store: MarketDataStore, history: PriceHistory, clock: Any
) -> None:
    clock.advance(1_900)
    cells = presenter(store, history, clock, ["AAPL"])
    assert cells._states["AAPL"].freshness is Freshness.EXPIRED
    for key in HISTORY_COLUMN_KEYS:
        assert raw(cells, "AAPL", key) is None, key
    tip = cells.tooltip("AAPL", COLUMN_INDEX["range_52w_position"]) or ""
    assert "52-wk low" not in tip  # an expired row's numbers are not offered as current


def test_sorting_on_raw_values_with_missing_last(
    qapp: Any, store: MarketDataStore, history: PriceHistory, clock: Any
) -> None:
    # ZZZ has no daily history (None), BBB a higher position in the 52-week range.
    store.watch(["BBB", "ZZZ"])
    days = sessions_before(DAY, 10)
    history.load_daily("BBB", [Bar(BarKind.DAILY, "BBB", 1.0, 20.0, 10.0, 15.0, 500 + i,
                                   midnight(d)) for i, d in enumerate(days)])  # fmt: skip
    store.apply(Trade("BBB", 19.0, 100, et(10, 0, 5)))  # (19 - 10) / (20 - 10) = 0.9
    store.apply(Trade("ZZZ", 50.0, 100, et(10, 0, 6)))
    model = TickerTableModel(store, clock=clock, flush_interval_ms=0)
    model.history = history
    model.set_symbols(["ZZZ", "AAPL", "BBB"])
    model.flush()
    column = COLUMN_INDEX["range_52w_position"]
    assert model.data(model.index(2, column), RawValueRole) == pytest.approx(0.9)
    model.sort_now(column, Qt.SortOrder.AscendingOrder)
    assert model.symbols() == ["AAPL", "BBB", "ZZZ"]  # 0.16, 0.9, None
    model.sort_now(column, Qt.SortOrder.DescendingOrder)
    assert model.symbols() == ["BBB", "AAPL", "ZZZ"]  # None stays last
    volume = COLUMN_INDEX["avg_volume"]
    model.sort_now(volume, Qt.SortOrder.AscendingOrder)
    assert model.symbols() == ["BBB", "AAPL", "ZZZ"]  # 504.5, 25,500, None


def test_tooltips_say_history_state_resync_and_how_the_cell_was_computed(
    store: MarketDataStore, history: PriceHistory, clock: Any
) -> None:
    store.watch(["NEW"])
    store.apply(Trade("NEW", 10.0, 100, et(10, 0)))
    cells = presenter(store, history, clock, ["AAPL", "NEW"])
    symbol_tip = cells.tooltip("AAPL", COLUMN_INDEX["symbol"]) or ""
    assert "history loaded (SIP to 09:45 ET, IEX after)" in symbol_tip
    assert "history pending" in (cells.tooltip("NEW", COLUMN_INDEX["symbol"]) or "")
    # The 52-week bar says low, high, last and the position.
    tip = cells.tooltip("AAPL", COLUMN_INDEX["range_52w_position"]) or ""
    assert tip.splitlines()[0] == (
        "52-wk range: 52-wk low 85.00, high 189.00, last 101.50: 16% of the range"
    )
    rel_tip = cells.tooltip("AAPL", COLUMN_INDEX["rel_volume"]) or ""
    assert "Expected by 10:00 ET: 54.1K" in rel_tip
    assert "Minute bars: SIP to 09:45 ET, IEX after" in rel_tip
    gap_tip = cells.tooltip("AAPL", COLUMN_INDEX["gap_pct"]) or ""
    assert "Open 102.00 vs previous close 100.00: +2.00%" in gap_tip
    # A resync: its words on every cell's tooltip, a mark on the Symbol cell only.
    assert cells.decoration("AAPL", COLUMN_INDEX["symbol"]) is None
    gap = [minute_bar("AAPL", et(9, 50) + k * 60 * 10**9, 101.0, 100) for k in range(3)]
    history.fill_gap("AAPL", gap, None, et(9, 50), et(9, 50, 38), et(10, 0, 25))
    resync = history.get("AAPL").resync  # type: ignore[union-attr]
    assert resync is not None
    assert resync.text() in (cells.tooltip("AAPL", COLUMN_INDEX["last"]) or "")
    assert isinstance(cells.decoration("AAPL", COLUMN_INDEX["symbol"]), QPixmap)
    assert cells.decoration("AAPL", COLUMN_INDEX["last"]) is None
    assert cells.decoration("NEW", COLUMN_INDEX["symbol"]) is None


def test_every_history_column_has_words_and_sits_in_the_chooser(
    make_window: Any, tmp_path: Path
) -> None:
    keys = {c.key for c in COLUMNS}
    assert set(HISTORY_COLUMN_KEYS) <= keys
    for column in COLUMNS:
        if column.key in HISTORY_COLUMN_KEYS:
            assert len(column.tooltip) > 40, column.key
            assert column.expires, column.key
    # Every figure names where it comes from.
    for key in ("rel_volume", "range_52w_position", "avg_volume", "premarket_change_pct"):
        tooltip = COLUMNS[COLUMN_INDEX[key]].tooltip
        assert "SIP" in tooltip, key
    assert "IEX" in COLUMNS[COLUMN_INDEX["rel_volume"]].tooltip
    window = make_window(tmp_path / "chooser.ini")
    from PySide6.QtWidgets import QMenu

    menu = QMenu()
    window.table.fill_columns_menu(menu)
    titles = [a.text() for a in menu.actions()]
    for key in HISTORY_COLUMN_KEYS:
        assert COLUMNS[COLUMN_INDEX[key]].header in titles


def _shown(window: Any) -> set[str]:
    header = window.table.horizontalHeader()
    return {c.key for i, c in enumerate(COLUMNS) if not header.isSectionHidden(i)}


def test_defaults_are_uncluttered_and_the_users_choice_survives_a_restart(
    make_window: Any, tmp_path: Path
) -> None:
    path = tmp_path / "defaults.ini"
    window = make_window(path)
    shown = _shown(window)
    assert set(HISTORY_COLUMN_KEYS) & shown == DEFAULT_SHOWN
    assert window.table.itemDelegateForColumn(COLUMN_INDEX["range_52w_position"]) is (
        window.table.range_bars
    )
    # The user hides Rel volume and shows Avg volume and VWAP; then restarts.
    window.table.set_column_visible(COLUMN_INDEX["rel_volume"], False)
    window.table.set_column_visible(COLUMN_INDEX["avg_volume"], True)
    window.table.set_column_visible(COLUMN_INDEX["vwap"], True)
    window.shutdown()
    again = _shown(make_window(path))
    assert set(HISTORY_COLUMN_KEYS) & again == {"gap_pct", "range_52w_position", "avg_volume",
                                                "vwap"}  # fmt: skip


def test_a_layout_saved_before_these_columns_gets_their_defaults(
    make_window: Any, tmp_path: Path
) -> None:
    path = tmp_path / "older.ini"
    before = [c.key for c in COLUMNS if c.key not in HISTORY_COLUMN_KEYS]
    qs = QSettings(str(path), QSettings.Format.IniFormat)
    # The user had hidden Bid size; Volume was dragged to the front.
    order = ["volume", *[k for k in before if k != "volume"]]
    qs.setValue("table/layout", hl.HeaderLayout(tuple(order), frozenset({"bid_size"})).to_json())
    qs.sync()
    window = make_window(path)
    shown = _shown(window)
    assert set(HISTORY_COLUMN_KEYS) & shown == DEFAULT_SHOWN
    assert "bid_size" not in shown  # the user's own choice kept
    header = window.table.horizontalHeader()
    # Rel volume appears right after Volume, its declared predecessor.
    assert header.visualIndex(COLUMN_INDEX["rel_volume"]) == 1
    window.shutdown()
    saved, problems = hl.parse_layout(AppSettings(path).header_layout() or "")
    assert saved is not None
    assert problems == []
    assert "open" in saved.hidden
    assert "rel_volume" not in saved.hidden


def test_reconcile_gives_only_unseen_columns_their_default() -> None:
    saved = hl.HeaderLayout(("a", "b"), frozenset({"b"}))
    fitted = hl.reconcile(saved, ["a", "b", "c", "d"], default_hidden={"b", "d"})
    assert fitted.order == ("a", "b", "c", "d")
    assert fitted.hidden == {"b", "d"}
    shown_before = hl.HeaderLayout(("a", "d"), frozenset())
    assert hl.reconcile(shown_before, ["a", "d"], default_hidden={"d"}).hidden == frozenset()


def test_range_bar_is_painted_from_the_raw_position(
    qapp: Any, store: MarketDataStore, history: PriceHistory, clock: Any
) -> None:
    from PySide6.QtWidgets import QTableView

    assert marker_x(0.25, 10.0, 100.0) == 35.0
    assert marker_x(-1.0, 10.0, 100.0) == 10.0  # clamped to the track
    assert marker_x(7.0, 10.0, 100.0) == 110.0
    model = TickerTableModel(store, clock=clock, flush_interval_ms=0)
    model.history = history
    model.set_symbols(["AAPL"])
    model.flush()
    view = QTableView()
    view.setModel(model)
    delegate = RangeBarDelegate(view)
    for key in RANGE_BAR_KEYS:
        view.setItemDelegateForColumn(COLUMN_INDEX[key], delegate)
    view.resize(3000, 120)
    view.grab()  # renders every visible cell once
    assert delegate.painted == 2  # both bars of the one row
    view.deleteLater()


def test_formatters() -> None:
    assert fmt.format_ratio(1.84) == "1.8x"
    assert fmt.format_ratio(0.456) == "0.46x"
    assert fmt.format_ratio(150.2) == "150x"
    assert fmt.format_ratio(None) == EM
    assert fmt.format_ratio(float("nan")) == EM
    assert fmt.format_position(0.634) == "63%"
    assert fmt.format_position(1.0) == "100%"
    assert fmt.format_position(None) == EM


def test_decoration_role_passes_the_model_tester(
    qtmodeltester: Any, store: MarketDataStore, history: PriceHistory, clock: Any
) -> None:
    history.fill_gap("AAPL", [], None, et(9, 50), et(9, 51), et(10, 0))
    model = TickerTableModel(store, clock=clock, flush_interval_ms=0)
    model.history = history
    model.set_symbols(["AAPL", "MSFT"])
    model.flush()
    assert isinstance(model.data(model.index(0, 0), DECORATION), QPixmap)
    qtmodeltester.check(model)
