"""Theme colours per instance: each model and sparkline delegate paints its own palette."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor

from engine.events import Trade
from engine.market.store import MarketDataStore
from gui.settings.theme import DARK, DARK_CB, LIGHT, LIGHT_CB
from gui.table.columns import COLUMN_INDEX, Tone
from gui.table.delegates import UP, SparklineDelegate
from gui.table.model import TickerFilterProxy, TickerTableModel
from gui.table.roles import PALETTE_ROLES

NS = 1_700_000_000_000_000_000
LAST = COLUMN_INDEX["last"]
FG, BG = Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.BackgroundRole


def ticking_model(clock: Any, **kwargs: Any) -> TickerTableModel:
    """A model on its own store (a flush drains the store's changes) where UPPY ticked
    up and DOWNY down, so both Last cells are coloured and flashing."""
    store = MarketDataStore(clock=clock)
    model = TickerTableModel(store, clock=clock, flush_interval_ms=0, **kwargs)
    model.set_symbols(["UPPY", "DOWNY"])
    prices = [("UPPY", 10.0), ("DOWNY", 10.0), ("UPPY", 11.0), ("DOWNY", 9.0)]
    for seq, (symbol, price) in enumerate(prices):
        assert store.apply(Trade(symbol, price, 100, NS + seq))
        model.flush()
    return model


def colour(model: Any, row: int, role: Qt.ItemDataRole) -> str:
    brush = model.data(model.index(row, LAST), role)
    assert brush is not None
    return str(brush.color().name())


def test_models_paint_light_by_default_and_each_its_own_palette(qapp: Any, clock: Any) -> None:
    plain = ticking_model(clock)
    themed = ticking_model(clock, palette=DARK)
    assert colour(plain, 0, FG) == LIGHT.tones[Tone.UP]
    assert colour(plain, 1, FG) == LIGHT.tones[Tone.DOWN]
    assert colour(plain, 0, BG) == LIGHT.tones[Tone.FLASH_UP]
    assert colour(themed, 0, FG) == DARK.tones[Tone.UP]
    assert colour(themed, 1, BG) == DARK.tones[Tone.FLASH_DOWN]
    themed.set_palette(LIGHT_CB)  # one model's theme switch leaves the other alone
    assert colour(themed, 0, FG) == LIGHT_CB.tones[Tone.UP]
    assert colour(plain, 0, FG) == LIGHT.tones[Tone.UP]
    proxy = TickerFilterProxy(themed)  # the proxy forwards the same brushes
    assert colour(proxy, 1, FG) == LIGHT_CB.tones[Tone.DOWN]


def test_set_palette_repaints_every_row_once_for_colours_only(
    qapp: Any, store: MarketDataStore, clock: Any
) -> None:
    model = ticking_model(clock)
    ranges: list[tuple[int, int, int, int, list[int]]] = []

    def record(top: QModelIndex, bottom: QModelIndex, roles: list[int]) -> None:
        ranges.append((top.row(), bottom.row(), top.column(), bottom.column(), list(roles)))

    model.dataChanged.connect(record)
    model.set_palette(DARK_CB)
    assert ranges == [(0, 1, 0, model.columnCount() - 1, PALETTE_ROLES)]
    empty = TickerTableModel(store, clock=clock, flush_interval_ms=0)
    empty.dataChanged.connect(record)
    empty.set_palette(DARK)  # no rows: nothing to repaint
    assert len(ranges) == 1


def test_sparkline_delegates_keep_their_own_colours(qapp: Any) -> None:
    first, second = SparklineDelegate(), SparklineDelegate(palette=DARK)
    assert first.colours[1] == UP
    assert first.colours[1] is not UP  # a copy: nothing module-wide to change
    assert second.colours[1] == QColor(DARK.tones[Tone.UP])
    first.set_palette(DARK_CB)
    assert first.colours[-1] == QColor(DARK_CB.tones[Tone.DOWN])
    assert first.colours[0] == QColor(DARK_CB.placeholder)
    assert second.colours[-1] == QColor(DARK.tones[Tone.DOWN])
    assert QColor(LIGHT.tones[Tone.UP]) == UP
