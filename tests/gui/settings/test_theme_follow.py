"""Chart, time & sales, sparklines and the add-symbols message follow the theme switch."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QImage

from engine.events import Quote, Trade
from engine.market.history import NS
from engine.market.store import MarketDataStore
from gui.detail.chart import chart_colours
from gui.main_window import MainWindow
from gui.settings.theme import DARK, DARK_CB, LIGHT, LIGHT_CB, PALETTES, ThemeMode, contrast_ratio
from gui.table.columns import COLUMN_INDEX, Tone

T0 = 1_750_000_000 * NS
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def window(
    make_window: Any, qapp: Any, store: MarketDataStore, clock: Any, tmp_path: Path
) -> Iterator[MainWindow]:
    win = make_window(tmp_path / "t.ini", symbols=["UPPY", "DOWNY"])
    # UPPY rises, DOWNY falls over the sparkline's 15 minutes: one line each way, the
    # cell's full width (the line sits on a time axis: issue 18 #10g).
    for i in range(90):
        t = T0 + i * 10 * NS
        store.apply(Trade("UPPY", 10.0 + i * 0.05, 100, t, 2 * i + 1, "V"))
        store.apply(Trade("DOWNY", 50.0 - i * 0.05, 100, t, 2 * i + 2, "V"))
    store.apply(Quote("UPPY", 14.40, 3, 14.50, 2, T0 + 900 * NS))
    win.model.flush()
    clock.advance(2.0)  # let the tick flash end, so cells have their plain background
    win.model.flush()
    win.resize(1400, 800)
    win.show()
    win.select_symbol("UPPY")
    win.detail.show_symbol("UPPY")
    yield win  # make_window shuts it down
    # The QApplication palette is app-wide: back to light.
    win.theme.set_mode(ThemeMode.LIGHT)
    win.theme.set_colour_blind(False)


def hue_pixels(image: QImage, rect: QRect, channel: int) -> int:
    """Pixels in `rect` whose `channel` (0 r, 1 g, 2 b) dominates the others clearly."""
    hits = 0
    for x in range(rect.left(), rect.right() + 1):
        for y in range(rect.top(), rect.bottom() + 1):
            c = image.pixelColor(x, y)
            rgb = (c.red(), c.green(), c.blue())
            hits += all(rgb[channel] > rgb[i] + 40 for i in range(3) if i != channel)
    return hits


def near_pixels(image: QImage, colour: QColor, tolerance: int = 24) -> int:
    hits = 0
    for x in range(image.width()):
        for y in range(image.height()):
            c = image.pixelColor(x, y)
            hits += (abs(c.red() - colour.red()) + abs(c.green() - colour.green())
                     + abs(c.blue() - colour.blue())) <= tolerance  # fmt: skip
    return hits


def render_sparks(win: MainWindow) -> tuple[QImage, QRect, QRect]:
    view = win.table
    view.clearSelection()  # the selection's highlight would tint the cells
    image = QImage(view.viewport().size(), QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    view.viewport().render(image)
    spark = COLUMN_INDEX["spark"]
    up = view.visualRect(win.proxy.index(0, spark))
    down = view.visualRect(win.proxy.index(1, spark))
    return image, up, down


def test_chart_colours_follow_theme_and_colour_blind(window: MainWindow, qapp: Any) -> None:
    chart = window.detail.chart
    theme = window.theme
    theme.set_mode(ThemeMode.LIGHT)
    assert chart.colours["bid"] == QColor(LIGHT.tones[Tone.UP])
    assert chart.colours["ask"] == QColor(LIGHT.tones[Tone.DOWN])
    light = chart.grab().toImage()
    assert near_pixels(light, chart.colours["trade"]) > 20  # the dark-navy trade line
    theme.set_mode(ThemeMode.DARK)
    theme.set_colour_blind(True)
    assert chart.colours["bid"] == QColor(DARK_CB.tones[Tone.UP])  # blue, not green
    assert chart.colours["ask"] == QColor(DARK_CB.tones[Tone.DOWN])  # orange, not red
    assert chart.colours["trade"] != QColor(chart_colours(LIGHT)["trade"])
    qapp.processEvents()  # Qt posts the app palette change to widgets (grab paints now)
    dark = chart.grab().toImage()
    # Navy on near-black would be invisible: the dark theme draws a light trade line.
    assert near_pixels(dark, QColor(chart_colours(LIGHT)["trade"])) == 0
    assert near_pixels(dark, chart.colours["trade"]) > 20
    assert near_pixels(dark, QColor(DARK.base), 0) > light.width() * 10  # themed background


def test_chart_line_colours_read_on_their_theme() -> None:
    for palette in PALETTES:
        colours = chart_colours(palette)
        for key in ("close", "trade", "vwap", "prev", "bid", "ask", "luld", "axis"):
            assert contrast_ratio(colours[key].name(), palette.base) >= 4.5, (palette.name, key)
        assert contrast_ratio(colours["bar"].name(), palette.base) >= 3.0, palette.name
        # Colour-blind: VWAP and previous close do not reuse the up/down hues.
        if palette in (LIGHT_CB, DARK_CB):
            assert colours["vwap"] not in (colours["bid"], colours["ask"])


def test_sparklines_and_time_sales_follow_colour_blind_switch(window: MainWindow) -> None:
    theme = window.theme
    tape = window.detail.time_sales_model
    theme.set_mode(ThemeMode.LIGHT)
    image, up, down = render_sparks(window)
    assert hue_pixels(image, up, 1) > 30  # green up-line
    assert hue_pixels(image, down, 0) > 30  # red down-line
    window.detail.refresh_live()
    assert tape.rowCount() > 2
    price = tape.index(0, 1)
    assert tape.data(price, Qt.ItemDataRole.ForegroundRole).color() == QColor(LIGHT.tones[Tone.UP])
    theme.set_colour_blind(True)
    image, up, down = render_sparks(window)
    assert hue_pixels(image, up, 1) == 0  # no green left ...
    assert hue_pixels(image, up, 2) > 30  # ... the up-line is blue
    assert hue_pixels(image, down, 2) == 0
    assert window.sparklines.colours[-1] == QColor(LIGHT_CB.tones[Tone.DOWN])
    assert tape.data(price, Qt.ItemDataRole.ForegroundRole).color() == QColor(
        LIGHT_CB.tones[Tone.UP]
    )
    theme.set_mode(ThemeMode.DARK)
    assert window.sparklines.colours[1] == QColor(DARK_CB.tones[Tone.UP])
    assert tape.up.color() == QColor(DARK_CB.tones[Tone.UP])
    assert tape.void.color() == QColor(DARK_CB.placeholder)


def test_add_symbols_message_colour_follows_theme(window: MainWindow) -> None:
    bar = window.watchlist_bar
    theme = window.theme
    theme.set_mode(ThemeMode.LIGHT)
    bar.show_message("Not added — nope", error=True)
    assert LIGHT.levels["bad"] in bar.message.styleSheet()
    theme.set_mode(ThemeMode.DARK)  # the message on screen is re-coloured
    assert DARK.levels["bad"] in bar.message.styleSheet()
    bar.show_message("Added X", error=False)
    assert DARK.levels["ok"] in bar.message.styleSheet()
    for palette in PALETTES:  # readable on the toolbar (window colour)
        for level in ("bad", "ok"):
            assert contrast_ratio(palette.levels[level], palette.window) >= 4.5
