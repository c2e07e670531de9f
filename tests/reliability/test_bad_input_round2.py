"""Bad input, round two (docs/reliability.md, "Bad input"): a paste of 10,000 symbols, a
positions CSV of 1,000,000 rows or binary garbage, alert thresholds NaN / inf / negative /
1e308, a settings file of every earlier format, the font zoom at its limits. Each gets a
specific message in words and a counter; nothing already there is lost. How long each
takes is printed by tests/benchmarks/bench_bad_input.py (no timing here)."""

from __future__ import annotations

import itertools
import json
import os
import random
import shutil
import string
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QFont, QGuiApplication
from pytestqt.qtbot import QtBot

from engine.alerts.book import AlertBook
from engine.core.tasks import TaskSet
from engine.market.store import MarketDataStore
from gui.positions.book import Position
from gui.positions.controller import MAX_IMPORT_ROWS
from gui.settings.display import ZOOM_RANGE
from gui.settings.persistence import AppSettings
from gui.watchlists.bar import MAX_FIELD_CHARS, PASTE_LIMIT, WatchlistBar

OFFSCREEN_SHOW = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
FIXTURES = Path(__file__).resolve().parents[1] / "gui" / "settings" / "fixtures"


def symbols(count: int) -> list[str]:
    return ["".join(p) for p in itertools.islice(
        itertools.product(string.ascii_uppercase, repeat=4), count)]  # fmt: skip


# --- a paste of 10,000 symbols -----------------------------------------------------------


def test_paste_of_10000_symbols_adds_in_batches_and_loses_none(qtbot: QtBot) -> None:
    existing = ["AAPL", "MSFT"]
    bar = WatchlistBar(TaskSet(), lambda: existing)
    qtbot.addWidget(bar)
    bar.symbols_accepted.connect(existing.extend)
    pasted = symbols(10_000)
    new = [s for s in pasted if s != "AAPL"]  # AAAA ... includes AAPL, already watched
    QGuiApplication.clipboard().setText("\n".join(pasted))
    bar.add_field.paste()  # QLineEdit's default limit (32,767 characters) cut this silently
    bar.submit()
    assert existing[:2] == ["AAPL", "MSFT"]  # what was there survives
    assert existing[2:] == new[:PASTE_LIMIT]
    shown = bar.message.text()
    assert f"{len(new) - PASTE_LIMIT:,} more not added" in shown
    assert "left in the field" in shown
    assert len(shown) < 300  # one short line, not 10,000 names
    assert bar.over_limit == 1
    assert bar.left_in_field == len(new) - PASTE_LIMIT
    presses = 1
    while bar.add_field.text():
        bar.submit()
        presses += 1
        assert presses <= 10_000 // PASTE_LIMIT
    assert existing == ["AAPL", "MSFT", *new]  # every pasted symbol, once, in order
    assert bar.message.text().startswith("Added 499 symbols (")


def test_paste_longer_than_the_field_is_said_not_silently_cut(qtbot: QtBot) -> None:
    existing: list[str] = []
    bar = WatchlistBar(TaskSet(), lambda: existing)
    qtbot.addWidget(bar)
    bar.symbols_accepted.connect(existing.extend)
    text = " ".join(symbols(26**4)) + " ZZZZ"  # ~2.3 M characters
    QGuiApplication.clipboard().setText(text)
    bar.add_field.paste()
    assert len(bar.add_field.text()) == MAX_FIELD_CHARS
    bar.submit()
    assert "the paste was cut there" in bar.message.text()
    assert bar.field_full == 1
    assert len(existing) == PASTE_LIMIT
    assert all(len(s) == 4 for s in existing)  # no half symbol from the cut


@OFFSCREEN_SHOW
def test_paste_into_the_window_keeps_the_watchlist(make_window: Any) -> None:
    window = make_window()
    before = window.symbols()
    QGuiApplication.clipboard().setText(",".join(symbols(10_000)))
    window.watchlist_bar.add_field.paste()
    window.watchlist_bar.submit()
    assert window.symbols()[: len(before)] == before
    assert len(window.symbols()) == len(before) + PASTE_LIMIT
    assert window.watchlists.lists.active_symbols() == window.symbols()  # persisted list too
    assert "more not added" in window.statusBar().currentMessage()


# --- a positions CSV of 1,000,000 rows, or binary garbage ---------------------------------

BOOK = {"AAPL": (100.0, 150.25), "TSLA": (-20.0, None)}


@pytest.fixture
def portfolio(make_window: Any, tmp_path: Path) -> Any:
    path = tmp_path / "p.ini"
    AppSettings(path).set_positions(BOOK)
    return make_window(path).portfolio


def _book(portfolio: Any) -> dict[str, Position]:
    return {s: Position(q, c) for s, (q, c) in BOOK.items()}


@OFFSCREEN_SHOW
def test_a_million_row_csv_is_refused_whole_with_the_limit(portfolio: Any, tmp_path: Path) -> None:
    file = tmp_path / "million.csv"
    file.write_text("symbol,quantity,cost_basis\n" + "A,1\n" * 1_000_000)  # 4 MB: under 5 MB
    shown: list[str] = []
    portfolio.message_shown.connect(shown.append)
    assert portfolio.import_positions_from(file) is None
    assert f"at most {MAX_IMPORT_ROWS:,} rows" in shown[-1]
    assert "1,000,002 lines" in shown[-1]
    assert portfolio.book == _book(portfolio)  # untouched
    assert portfolio.imports_refused == 1


@OFFSCREEN_SHOW
def test_binary_garbage_is_refused_even_with_a_row_inside(portfolio: Any, tmp_path: Path) -> None:
    rng = random.Random(17)
    junk = bytes(rng.randrange(0, 128) for _ in range(20_000))  # ASCII-range: valid UTF-8
    file = tmp_path / "garbage.csv"
    file.write_bytes(junk[:9_000] + b"\nMSFT,2\n" + junk[9_000:])
    shown: list[str] = []
    portfolio.message_shown.connect(shown.append)
    assert portfolio.import_positions_from(file) is None
    assert "binary data" in shown[-1]
    assert "positions are unchanged" in shown[-1]
    assert portfolio.book == _book(portfolio)  # no MSFT picked out of the garbage
    file.write_bytes(os.urandom(50_000))
    assert portfolio.import_positions_from(file) is None
    assert "is it a CSV file?" in shown[-1]
    assert portfolio.imports_refused == 2
    assert portfolio.book == _book(portfolio)


@OFFSCREEN_SHOW
def test_a_huge_bad_cell_is_echoed_short(portfolio: Any, tmp_path: Path) -> None:
    file = tmp_path / "wide.csv"
    file.write_text("MSFT," + "9" * 100_000 + "x,1\nNVDA,5,100\n")
    result = portfolio.import_positions_from(file)
    assert result is not None
    assert result.positions == {"NVDA": Position(5.0, 100.0)}
    ((line, why),) = result.errors
    assert line == 1
    assert "quantity is not a number" in why
    assert len(why) < 80
    assert portfolio.book["AAPL"] == Position(100.0, 150.25)


# --- alert thresholds NaN, inf, negative, 1e308 -------------------------------------------


@OFFSCREEN_SHOW
@pytest.mark.parametrize(
    ("kind", "text", "words"),
    [
        ("above", "nan", "Threshold: must be a finite number, not not a number (NaN)"),
        ("above", "inf", "Threshold: must be a finite number, not infinite"),
        ("pct_below", "-inf", "Threshold: must be a finite number, not infinite"),
        ("above", "-5", "Threshold: a price threshold must be above 0"),
        ("above", "1e308", "Threshold: a price threshold must be at most 10,000,000"),
        ("crosses", "1e308", "Threshold: a price threshold must be at most 10,000,000"),
        ("pct_below", "-150", "Threshold: a change must be above -100 %"),
        ("pct_above", "1e308", "Threshold: a change threshold must be at most +10,000 %"),
        ("above", "abc", "Threshold: not a number: 'abc'"),
        ("above", "", "Threshold: type a number"),
    ],
)
def test_bad_thresholds_are_refused_in_words(
    make_window: Any, tmp_path: Path, kind: str, text: str, words: str
) -> None:
    window = make_window(tmp_path / "a.ini")
    panel = window.alerts.panel
    panel.book.add("AAPL", "above", 150.0, note="kept")
    editor = panel.open_editor("MSFT")
    editor.kind_combo.setCurrentIndex(editor.kind_combo.findData(kind))
    editor.threshold_field.setText(text)
    editor.submit()
    assert editor.error.text().startswith(words)
    assert editor.isVisible()  # stays open to be corrected
    assert [a.describe() for a in panel.book.alerts()] == ["AAPL price at or above 150"]
    assert panel.entries_refused == 1
    editor.threshold_field.setText("1,234.5")  # corrected: accepted
    editor.submit()
    assert len(panel.book) == 2


def test_an_old_alerts_file_with_a_huge_threshold_loads_and_shows_short(
    make_window: Any, tmp_path: Path
) -> None:
    path = tmp_path / "h.ini"
    rule = {"id": 1, "symbol": "AAPL", "kind": "above", "threshold": 1e308}
    AppSettings(path).alerts_path().write_text(json.dumps({"version": 1, "alerts": [rule]}))
    window = make_window(path)
    panel = window.alerts.panel
    assert [a.threshold for a in panel.book.alerts()] == [1e308]  # nothing lost
    assert len(panel.model.data(panel.model.index(0, 3))) < 20
    book = AlertBook()
    with pytest.raises(ValueError, match="at most 10,000,000"):
        book.add("AAPL", "above", 1e308)  # entering it now is refused


# --- a settings file from every earlier format ---------------------------------------------

LISTS = [("Tech", ["AAPL", "MSFT", "NVDA", "BRK.B"]), ("ETFs", ["SPY", "QQQ", "IWM"]),
         ("Shorts", ["TSLA"])]  # fmt: skip
POSITIONS = {"AAPL": (100.0, 150.25), "BRK.B": (3.5, 412.0), "TSLA": (-20.0, None)}
# fixture -> the build it came from held these (tests/gui/settings/fixtures/regenerate.py)
V1_HELD = {"lists": ([("Watchlist", ["AAPL", "MSFT", "BRK.B", "SPY", "TSLA"])], 0),
           "positions": {}, "feed": "sip", "view": ("system", False, "compact", 0),
           "extras": (None, "", None, None)}  # fmt: skip
HELD: dict[str, dict[str, Any]] = {
    "v1_single_list": V1_HELD,
    "v2_tabs_positions_view": {"extras": (None, "", None, None)},
    "v3_layout_by_key": {"extras": (None, "", None, None)},
    "v4_plan": {"extras": ("50", "", None, None)},
    "v5_chart_style": {"extras": ("50", "candles:5", None, None)},
    "v6_trading_api": {"extras": ("50", "candles:5", "paper", None)},
    "v7_watchlist_sync": {"extras": ("50", "candles:5", "paper", "wl-7f3a")},
}


def _copy(name: str, tmp_path: Path) -> Path:
    for file in FIXTURES.glob(f"{name}.*"):
        shutil.copy(file, tmp_path / file.name)
    return tmp_path / f"{name}.ini"


def test_every_earlier_format_has_a_fixture() -> None:
    assert sorted(p.stem for p in FIXTURES.glob("*.ini")) == sorted(HELD)


@pytest.mark.parametrize("name", sorted(HELD))
def test_earlier_settings_format_loads_without_loss(name: str, tmp_path: Path) -> None:
    held = HELD[name]
    settings = AppSettings(_copy(name, tmp_path))
    assert settings.last_error is None
    assert settings.watchlists() == held.get("lists", (LISTS, 1))
    assert settings.positions() == held.get("positions", POSITIONS)
    assert (settings.feed(), settings.encoding(), settings.flush_ms()) == (
        held.get("feed", "iex"), "msgpack", 100)  # fmt: skip
    view = (settings.theme(), settings.colour_blind(), settings.row_density(),
            settings.zoom_steps())  # fmt: skip
    assert view == held.get("view", ("dark", True, "comfortable", 3))
    plan = settings.plan()
    sync = settings.watchlist_sync()
    link = None if sync is None else json.loads(sync)["links"][0]["id"]
    extras = (None if plan is None else plan.key(), settings.chart_style(),
              settings.trading_api(), link)  # fmt: skip
    assert extras == held["extras"]
    assert settings.geometry() is not None
    assert settings.window_state() is not None


@OFFSCREEN_SHOW
@pytest.mark.parametrize("name", sorted(HELD))
def test_the_window_restores_an_earlier_format(
    name: str, make_window: Any, tmp_path: Path, store: MarketDataStore
) -> None:
    held = HELD[name]
    window = make_window(_copy(name, tmp_path))
    lists, active = held.get("lists", (LISTS, 1))
    assert window.watchlists.lists.lists() == lists
    assert window.symbols() == lists[active][1]
    book = {s: (p.quantity, p.cost_basis) for s, p in window.portfolio.book.items()}
    assert book == held.get("positions", POSITIONS)
    assert window.display.zoom_steps == held.get("view", (0, 0, 0, 3))[3]
    header = window.table.horizontalHeader()
    keys = [c.key for c in window.model.columns]
    visual = [keys[header.logicalIndex(v)] for v in range(header.count())]
    assert visual.index("change_pct") < visual.index("last")  # the user's move kept
    assert header.isSectionHidden(keys.index("spread"))
    assert keys[header.sortIndicatorSection()] == "change_pct"
    if name == "v2_tabs_positions_view":  # the first build with alerts wrote its file
        rules = [(a.describe(), a.enabled, a.armed) for a in window.alerts.book.alerts()]
        assert rules == [("AAPL price at or above 250", True, False),
                         ("TSLA change % at or below -3.5%", True, True),
                         ("SPY price crosses 560", False, True)]  # fmt: skip
        assert len(window.alerts.book.history()) == 1


# --- the font zoom at its limits -----------------------------------------------------------


@OFFSCREEN_SHOW
def test_zoom_past_its_limits_says_so_and_redoes_nothing(make_window: Any, tmp_path: Path) -> None:
    path = tmp_path / "z.ini"
    window = make_window(path)
    display = window.display
    low, high = ZOOM_RANGE
    for _ in range(high + 5):
        display.zoom_in_action.trigger()
    assert display.zoom_steps == high
    assert display.limit_hits == 5
    assert "Zoom is at its largest" in window.statusBar().currentMessage()
    size = window.table.font().pointSizeF()
    window.settings.set_zoom_steps(0)  # a write behind its back: a no-op zoom must not undo it
    display.zoom_in_action.trigger()
    assert AppSettings(path).zoom_steps() == 0
    assert window.table.font().pointSizeF() == size
    for _ in range(high - low + 2):
        display.zoom_out_action.trigger()
    assert display.zoom_steps == low
    assert "Zoom is at its smallest" in window.statusBar().currentMessage()
    assert display.limit_hits == 5 + 1 + 2


@OFFSCREEN_SHOW
def test_a_saved_zoom_out_of_range_is_clamped_and_counted(make_window: Any, tmp_path: Path) -> None:
    path = tmp_path / "far.ini"
    AppSettings(path).set_zoom_steps(999)
    display = make_window(path).display
    assert display.zoom_steps == ZOOM_RANGE[1]
    assert display.clamped_on_load == 1


@OFFSCREEN_SHOW
def test_zoom_works_on_a_font_set_in_pixels(make_window: Any, qapp: Any) -> None:
    font = QFont(qapp.font())
    old = QFont(qapp.font())
    font.setPixelSize(14)  # pointSizeF() is then -1
    qapp.setFont(font)
    try:
        window = make_window()
        sizes = set()
        for _ in range(3):
            window.display.zoom_in_action.trigger()
            sizes.add(window.table.font().pointSizeF())
        assert len(sizes) == 3  # every step larger, not 6 pt each time
        assert min(sizes) > 6.0
    finally:
        qapp.setFont(old)
