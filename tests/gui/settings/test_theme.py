"""Themes: WCAG contrast maths, AA for every coloured text, light/dark/system, colour-blind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from engine.events import Trade
from engine.market.store import MarketDataStore
from gui.settings.persistence import AppSettings
from gui.settings.theme import (
    DARK,
    DARK_CB,
    LIGHT,
    LIGHT_CB,
    PALETTES,
    WCAG_AA_TEXT,
    ThemeController,
    ThemeMode,
    contrast_ratio,
    palette_for,
    readable_text_on,
    relative_luminance,
    resolve_dark,
)
from gui.statusbar.style import Level
from gui.table.columns import COLUMN_INDEX, Tone

T0 = 1_700_000_000 * 1_000_000_000


@pytest.fixture(autouse=True)
def back_to_light(qapp: QApplication) -> Iterator[None]:
    """The QApplication palette is app-wide (painters keep their own): restore light after."""
    yield
    from gui.settings.theme import qpalette

    qapp.setPalette(qpalette(LIGHT))


def test_contrast_ratio_matches_wcag_reference_values() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#777777") == pytest.approx(1.0)
    # WebAIM's checker: #767676 on white is the lightest grey that passes AA (4.54:1).
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    assert contrast_ratio("#ffffff", "#767676") == contrast_ratio("#767676", "#ffffff")
    assert relative_luminance("#ffffff") == pytest.approx(1.0)
    with pytest.raises(ValueError, match="#rrggbb"):
        relative_luminance("red")


@pytest.mark.parametrize("palette", PALETTES, ids=lambda p: p.name)
def test_coloured_text_meets_aa_on_every_background(palette: Any) -> None:
    for tone in (Tone.UP, Tone.DOWN, Tone.MUTED):
        for background in palette.text_backgrounds():
            ratio = contrast_ratio(palette.tones[tone], background)
            assert ratio >= WCAG_AA_TEXT, (palette.name, tone, background, ratio)
    for level, colour in palette.levels.items():  # status bar text on the window colour
        assert contrast_ratio(colour, palette.window) >= WCAG_AA_TEXT, (palette.name, level)
        assert contrast_ratio(readable_text_on(colour), colour) >= WCAG_AA_TEXT  # as a badge
    assert contrast_ratio(palette.text, palette.base) >= 7.0


def test_colour_blind_palettes_use_blue_up_and_orange_down() -> None:
    for palette in (LIGHT_CB, DARK_CB):
        up, down = QColor(palette.tones[Tone.UP]), QColor(palette.tones[Tone.DOWN])
        assert 190 <= up.hslHue() <= 230  # blue
        assert 20 <= down.hslHue() <= 40  # orange
    for palette in (LIGHT, DARK):
        assert 90 <= QColor(palette.tones[Tone.UP]).hslHue() <= 160  # green
    assert palette_for(dark=True, colour_blind=True) is DARK_CB
    assert palette_for(dark=False, colour_blind=False) is LIGHT


def test_explicit_choice_beats_the_system_scheme() -> None:
    dark, light, unknown = Qt.ColorScheme.Dark, Qt.ColorScheme.Light, Qt.ColorScheme.Unknown
    assert resolve_dark(ThemeMode.SYSTEM, dark)
    assert not resolve_dark(ThemeMode.SYSTEM, light)
    assert not resolve_dark(ThemeMode.SYSTEM, unknown)
    assert not resolve_dark(ThemeMode.LIGHT, dark)
    assert resolve_dark(ThemeMode.DARK, light)


def test_controller_follows_system_changes_only_in_system_mode(qapp: QApplication) -> None:
    scheme = [Qt.ColorScheme.Light]
    controller = ThemeController(qapp, ThemeMode.SYSTEM, scheme=lambda: scheme[0])
    seen: list[Any] = []
    controller.theme_changed.connect(seen.append)
    assert controller.apply() is LIGHT
    scheme[0] = Qt.ColorScheme.Dark
    qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)  # as the OS would
    assert controller.palette is DARK
    assert qapp.palette().color(QPalette.ColorRole.Base) == QColor(DARK.base)
    controller.set_mode(ThemeMode.LIGHT)
    qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert controller.palette is LIGHT  # manual override holds
    assert [p.name for p in seen] == ["light", "dark", "light"]
    assert qapp.style().name().lower() == "fusion"
    controller.deleteLater()


def test_window_theme_menu_recolours_table_and_status_and_persists(
    make_window: Any, qtbot: Any, tmp_path: Path, store: MarketDataStore, clock: Any
) -> None:
    window = make_window(tmp_path / "t.ini")
    store.apply(Trade("AAPL", 100.0, 1, T0, trade_id=1))
    store.apply(Trade("AAPL", 101.0, 1, T0 + 1, trade_id=2))  # up-tick
    window.model.flush()
    index = window.model.index(0, COLUMN_INDEX["last"])

    def fg() -> str:
        return str(window.model.data(index, Qt.ItemDataRole.ForegroundRole).color().name())

    assert fg() == LIGHT.tones[Tone.UP]
    theme = window.theme
    theme.mode_actions[ThemeMode.DARK].trigger()
    assert fg() == DARK.tones[Tone.UP]
    assert window.status.connection.colours[Level.OK] == DARK.levels["ok"]
    theme.colour_blind_action.trigger()
    assert fg() == DARK_CB.tones[Tone.UP]
    window.shutdown()

    settings = AppSettings(tmp_path / "t.ini")
    assert (settings.theme(), settings.colour_blind()) == ("dark", True)
    again = make_window(tmp_path / "t.ini")
    assert again.theme.palette is DARK_CB
    assert again.theme.mode_actions[ThemeMode.DARK].isChecked()
    again.shutdown()
