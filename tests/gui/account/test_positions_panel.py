"""Account positions dock: live P&L from the store's price, stale marking, totals, header."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor

from engine.account.book import AccountBook
from engine.market.store import MarketDataStore
from gui.account.figures import READ_ONLY_NOTE, PriceSource, position_row
from gui.account.positions_model import HEADERS, RAW_ROLE, AccountPositionsModel
from gui.account.positions_panel import AccountPositionsPanel
from gui.settings.theme import DARK, LIGHT
from gui.tone import Tone
from tests.conftest import FakeClock
from tests.gui.account.factories import account, loaded_book, position, trade

DISPLAY = int(Qt.ItemDataRole.DisplayRole)
TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
COL = {name: i for i, name in enumerate(HEADERS)}


@pytest.fixture
def book() -> AccountBook:
    return loaded_book([
        position("AAPL", 50, 150.0, 185.0, 180.0),
        position("SPY", -10, 460.0, 452.0, 450.0),  # a short: qty negative, as Alpaca sends it
    ])  # fmt: skip


@pytest.fixture
def panel(qtbot: Any, book: AccountBook, store: MarketDataStore, clock: FakeClock) -> Any:
    panel = AccountPositionsPanel(book, store, paper=True, clock=clock)
    qtbot.addWidget(panel)
    return panel


def cell(model: AccountPositionsModel, symbol: str, column: str, role: int = DISPLAY) -> Any:
    row = [r.symbol for r in model.rows].index(symbol)
    return model.data(model.index(row, COL[column]), role)


def brush_colour(value: Any) -> str | None:
    return value.color().name() if isinstance(value, QBrush) else None


def test_pnl_is_live_from_the_store_price(
    panel: AccountPositionsPanel, store: MarketDataStore, qtmodeltester: Any
) -> None:
    trade(store, "AAPL", 190.0)
    trade(store, "SPY", 440.0)
    panel.refresh()
    model = panel.model
    qtmodeltester.check(model)
    assert cell(model, "AAPL", "Last") == "190.00"
    assert cell(model, "AAPL", "Market value", RAW_ROLE) == 9_500.0  # 50 x 190
    assert cell(model, "AAPL", "Unrealized P&L", RAW_ROLE) == 2_000.0  # (190 - 150) x 50
    assert cell(model, "AAPL", "Day P&L", RAW_ROLE) == 500.0  # (190 - 180) x 50
    assert cell(model, "AAPL", "Unrealized P&L") == "+2,000.00"
    # The short gains as the price falls: (440 - 460) x -10.
    assert cell(model, "SPY", "Unrealized P&L", RAW_ROLE) == 200.0
    assert cell(model, "SPY", "Day P&L", RAW_ROLE) == 100.0
    assert cell(model, "SPY", "Market value") == "-4,400.00"
    up = LIGHT.tones[Tone.UP]
    assert brush_colour(cell(model, "AAPL", "Day P&L", FOREGROUND)) == up
    # The next print moves every figure; only the changed row repaints.
    changes: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda a, b, *_: changes.append((a.row(), b.row())))
    trade(store, "AAPL", 170.0)
    assert panel.refresh() == 1
    assert changes == [(0, 0)]
    assert cell(model, "AAPL", "Day P&L", RAW_ROLE) == -500.0
    assert brush_colour(cell(model, "AAPL", "Day P&L", FOREGROUND)) == LIGHT.tones[Tone.DOWN]
    assert panel.refresh() == 0  # nothing moved: nothing repainted


def test_a_stale_price_says_so_and_an_expired_one_falls_back_to_rest(
    panel: AccountPositionsPanel, store: MarketDataStore, clock: FakeClock
) -> None:
    trade(store, "AAPL", 190.0)
    panel.refresh()
    model = panel.model
    assert cell(model, "AAPL", "Unrealized P&L") == "+2,000.00"
    assert cell(model, "AAPL", "Unrealized P&L", FOREGROUND) is not None
    clock.advance(301)  # stream data is stale after 300 s (engine/market/freshness.py)
    panel.refresh()
    assert cell(model, "AAPL", "Unrealized P&L") == "+2,000.00 stale"
    assert cell(model, "AAPL", "Last") == "190.00 stale"
    assert brush_colour(cell(model, "AAPL", "Day P&L", FOREGROUND)) == LIGHT.tones[Tone.MUTED]
    assert cell(model, "AAPL", "Day P&L", TOOLTIP) == "AAPL: stale: price 5 min 01 s old"
    assert "1 on stale prices" in panel.summary.text()
    clock.advance(1_500)  # expired after 1800 s: never used; the account's REST price is
    panel.refresh()
    assert cell(model, "AAPL", "Last") == "185.00 REST"
    assert cell(model, "AAPL", "Unrealized P&L", RAW_ROLE) == 1_750.0  # (185 - 150) x 50
    assert "REST" in cell(model, "AAPL", "Unrealized P&L", TOOLTIP)
    assert "expired" in cell(model, "AAPL", "Unrealized P&L", TOOLTIP)


def test_a_symbol_the_store_does_not_watch_uses_the_rest_price(
    store: MarketDataStore, clock: FakeClock
) -> None:
    row = position_row(position("MSFT", 20, 300.0, 410.0, 400.0), store, clock())
    assert (row.source, row.last, row.day_pl) == (PriceSource.REST, 410.0, 200.0)
    bare = position_row(position("XYZ", 5, None, None, None), store, clock())
    assert (bare.source, bare.market_value, bare.unrealized_pl) == (PriceSource.NONE, None, None)


def test_day_pnl_per_position_and_in_total(
    panel: AccountPositionsPanel, book: AccountBook, store: MarketDataStore
) -> None:
    trade(store, "AAPL", 190.0)
    trade(store, "SPY", 440.0)
    panel.refresh()
    assert panel.totals is not None
    assert panel.totals.day_pl.value == 600.0  # 500 + 100
    assert panel.totals.unrealized_pl.value == 2_200.0
    assert panel.totals.market_value.value == 9_500.0 - 4_400.0
    text = panel.summary.text()
    assert "2 positions" in text
    assert "day P&L +600.00" in text
    assert "unrealized +2,200.00" in text
    # A position without a previous close is left out of the day total, and said so.
    book.reconcile(None, [*book.positions.values(), position("NEW", 1, 10.0, 11.0, None)], None, [])
    panel.refresh()
    assert panel.totals.day_pl.value == 600.0
    assert "1 without a price or previous close" in panel.summary.text()


def test_header_flags_and_read_only_note(panel: AccountPositionsPanel, book: AccountBook) -> None:
    assert panel.header.text() == (
        "Equity 101,000.00 · Buying power 200,000.00 · Day P&L +1,000.00 (+1.00%)"
    )
    assert panel.flags.isHidden()
    assert READ_ONLY_NOTE in panel.note.text()
    assert "Manual positions (other brokers)" in panel.note.text()
    book.reconcile(account(pattern_day_trader=True, trading_blocked=True), None, None, [])
    panel.refresh()
    assert not panel.flags.isHidden()
    assert panel.flags.text() == "Trading blocked · Pattern day trader (PDT rules apply)"
    assert LIGHT.levels["bad"] in panel.flags.styleSheet()  # nothing can trade
    book.reconcile(account(pattern_day_trader=True), None, None, [])
    panel.refresh()
    assert panel.flags.text() == "Pattern day trader (PDT rules apply)"
    assert LIGHT.levels["warn"] in panel.flags.styleSheet()  # worth knowing, not an error
    book.reconcile(account(equity=100_000.001), None, None, [])
    panel.refresh()
    assert panel.header.text().endswith("Day P&L 0.00 (0.00%)")  # never "-0.00%"
    book.reconcile(account(equity=None), None, None, [])
    panel.refresh()
    assert "Equity \u2014" in panel.header.text()
    assert "Day P&L \u2014" in panel.header.text()
    assert panel.windowTitle() == "Account positions (paper)"
    panel.set_paper(False)
    assert panel.windowTitle() == "Account positions (LIVE)"


def test_theme_switch_recolours_the_figures(
    panel: AccountPositionsPanel, store: MarketDataStore
) -> None:
    trade(store, "AAPL", 190.0)
    panel.refresh()
    panel.set_palette(DARK)
    colour = brush_colour(cell(panel.model, "AAPL", "Day P&L", FOREGROUND))
    assert colour == QColor(DARK.tones[Tone.UP]).name()


def test_equity_and_day_pnl_move_with_the_stream_prices(
    panel: AccountPositionsPanel, store: MarketDataStore
) -> None:
    # Only AAPL priced: the header keeps Alpaca's own equity (no mixing of moments).
    trade(store, "AAPL", 190.0)
    panel.refresh()
    assert panel.header.text().startswith("Equity 101,000.00 · ")
    # Every position priced by the stream: cash + 50 x 190 - 10 x 440, against the
    # equity at the previous close (100,000).
    trade(store, "SPY", 440.0)
    panel.refresh()
    assert panel.header.text() == (
        "Equity 55,100.00 live · Buying power 200,000.00 · Day P&L -44,900.00 (-44.90%)"
    )
    trade(store, "AAPL", 191.0)
    panel.refresh()
    assert panel.header.text().startswith("Equity 55,150.00 live · ")
