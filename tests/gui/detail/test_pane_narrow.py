"""The detail pane at narrow widths (issue 18 #6 follow-up, docs/ui.md "Narrow panels").

At the width the table leaves it in a 1024 or 1366 px window (about 290 px) and at the
narrowest a dock gets (260 px) every value is readable: nothing is cut or elided, long
texts wrap, each value carries its full text as a tooltip; a 300-character halt reason
still never widens the pane.
"""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel

from engine.events import Bar, BarKind, Luld, Quote, Trade, TradingStatus
from engine.market.history import NS
from engine.market.store import MarketDataStore, Source

OFFSCREEN_SHOW = pytest.mark.qt_log_ignore("This plugin does not support")
T0 = 1_750_000_000 * NS
HALT_300 = ("Trading halted: news pending; volatility trading pause " * 6)[:300]
WIDTHS = (260, 290, 420)


def demo_day(store: MarketDataStore, symbol: str = "AAPL", price: float = 1_234.56) -> None:
    """What the demo's simulator gives a symbol: a day bar, prints, a quote, LULD band and a
    status, all from Source.SIMULATOR (a four-digit price and large sizes: the widest)."""
    sim = Source.SIMULATOR
    store.watch([symbol])
    day = Bar(BarKind.DAILY, symbol, price - 5, price + 7.5, price - 9.25, price - 3.5, 25_500_000,
              T0 - 3600 * NS, vwap=price - 1.2)  # fmt: skip
    store.apply(day, source=sim)
    store.apply(Trade(symbol, price, 12_345, T0 + 604_000_000, 1, "D"), source=sim)
    store.apply(Quote(symbol, price - 0.02, 12_345, price + 0.03, 8_800, T0 + 743_000_000),
                source=sim)  # fmt: skip
    store.apply(Luld(symbol, price * 1.05, price * 0.95, "B", T0 + NS), source=sim)
    store.apply(TradingStatus(symbol, "T", "Trading Resumption", "", "", T0 + 2 * NS), source=sim)


def _show(window: Any, qtbot: Any, size: tuple[int, int], width: int) -> None:
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    for _ in range(4):  # the window's first-show layout (gui/window/geometry.py) first
        QApplication.processEvents()
    window.resizeDocks([window.detail], [width], Qt.Orientation.Horizontal)
    qtbot.waitUntil(lambda: abs(window.detail.width() - width) <= 2, timeout=3000)
    for _ in range(3):
        QApplication.processEvents()


def cut_values(labels: dict[str, QLabel]) -> list[str]:
    """Values whose text does not fit their label: a word wider than the label (a word is
    never wrapped in a real value), or wrapped lines taller than the label."""
    cut = []
    for name, label in labels.items():
        text = label.text()
        metrics = label.fontMetrics()
        widest = max((metrics.horizontalAdvance(word) for word in text.split()), default=0)
        tall = label.heightForWidth(label.width()) if label.wordWrap() else metrics.height()
        if widest > label.width() or tall > label.height() or label.width() <= 0:
            cut.append(f"{name}={text!r} in {label.width()}x{label.height()}")
    return cut


@OFFSCREEN_SHOW
@pytest.mark.parametrize("size", [(1024, 600), (1366, 768)])
@pytest.mark.parametrize("width", WIDTHS)
def test_every_value_is_readable_at_narrow_widths(
    make_window: Any, qtbot: Any, store: MarketDataStore, size: tuple[int, int], width: int
) -> None:
    window = make_window(demo=True)
    demo_day(store)
    _show(window, qtbot, size, width)
    window.detail.show_symbol("AAPL")
    for _ in range(3):
        QApplication.processEvents()
    detail = window.detail
    assert abs(detail.width() - width) <= 2
    values = detail.values
    assert values["Bid x size"].text() == "1,234.54 x 12,345"
    assert values["Status"].text().startswith("simulated session")
    assert cut_values(values) == []  # nothing cut or elided, at any of the widths
    for name, label in values.items():  # the whole text in the tooltip, too
        assert label.text() in label.toolTip(), name
    # Nothing needs a sideways scroll either.
    scroll = detail.widget()
    assert scroll.horizontalScrollBar().maximum() == 0


@OFFSCREEN_SHOW
@pytest.mark.parametrize("width", WIDTHS)
def test_a_300_character_halt_reason_wraps_and_keeps_the_pane_width(
    make_window: Any, qtbot: Any, store: MarketDataStore, width: int
) -> None:
    window = make_window(demo=True)
    demo_day(store)
    _show(window, qtbot, (1024, 600), width)
    window.detail.show_symbol("AAPL")
    QApplication.processEvents()
    before = window.detail.width()
    snap = store.get("AAPL")
    assert snap is not None
    snap.halted, snap.halt_reason = True, HALT_300
    window.detail.show_symbol("AAPL")
    for _ in range(3):
        QApplication.processEvents()
    status = window.detail.values["Status"]
    assert status.text() == f"HALTED — {HALT_300}"
    assert window.detail.width() == before
    assert status.toolTip().startswith(status.text())
    assert cut_values({"Status": status}) == []  # wrapped onto lines it has room for
    assert status.height() > 3 * status.fontMetrics().height()


def test_a_word_longer_than_the_line_may_break_anywhere(qtbot: Any) -> None:
    from gui.detail.pane_fields import ValueLabel

    label = ValueLabel()
    qtbot.addWidget(label)
    label.set_value("HALTED — " + "X" * 300)
    assert label.text() == "HALTED — " + "X" * 300  # as given, for copy and tests
    assert label.toolTip() == label.text()
    assert label.heightForWidth(120) > 5 * label.fontMetrics().height()


def test_the_grid_shape_follows_the_room_not_the_values(qtbot: Any) -> None:
    from gui.detail.pane_fields import PAIRS_1, PAIRS_2, STACKED, FieldGrid

    grid = FieldGrid(["Last", "Trade time (ET)", "Day range", "Status"], {"Last": "why"})
    qtbot.addWidget(grid)
    grid.fit(1000)
    assert grid.mode == PAIRS_2
    grid.fit(grid.needs[PAIRS_2] - 1)
    assert grid.mode == PAIRS_1
    grid.fit(grid.needs[PAIRS_1] - 1)
    assert grid.mode == STACKED
    grid.values["Status"].set_value("x " * 200)
    grid.fit(grid.needs[PAIRS_2])
    assert grid.mode == PAIRS_2  # a long value changes nothing but its own lines
    assert grid.values["Last"].toolTip() == "—\n\nwhy"
