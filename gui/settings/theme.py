"""Light and dark themes (Fusion + QPalette); up/down colours pass WCAG AA; colour-blind option.

Pure part (no Qt): `Palette` values, `contrast_ratio` (WCAG 2.x relative luminance) and
`palette_for`. Qt part: `ThemeController` applies a palette to the QApplication, follows
the system scheme (QStyleHints.colorScheme / colorSchemeChanged, Qt 6.5+) unless the
user picked Light or Dark (View > Theme, persisted), and emits `theme_changed(Palette)`:
the one signal every painter (table model, sparklines, chart, time & sales, watchlist bar,
status bar, alert banner) connects its `set_palette` slot to. No colour lives in a module
global; each painter keeps the palette it was last given.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QBrush, QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QMenu

from gui.settings.persistence import AppSettings
from gui.tone import Tone

WCAG_AA_TEXT = 4.5  # WCAG 2.1 SC 1.4.3: normal-size text


class ThemeMode(enum.StrEnum):
    """The user's choice; SYSTEM follows the OS light/dark setting."""

    SYSTEM = "system"
    LIGHT = "light"
    DARK = "dark"


def _channel(c: int) -> float:
    s = c / 255.0
    return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """WCAG relative luminance of "#rrggbb" (0 black .. 1 white)."""
    text = colour.lstrip("#")
    if len(text) != 6:
        raise ValueError(f"expected #rrggbb, got {colour!r}")
    r, g, b = (int(text[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG contrast ratio (1..21) of two "#rrggbb" colours; order does not matter."""
    a, b = relative_luminance(foreground), relative_luminance(background)
    light, dark = max(a, b), min(a, b)
    return (light + 0.05) / (dark + 0.05)


def readable_text_on(background: str) -> str:
    """Black or white, whichever reads better on `background` (badges)."""
    white = contrast_ratio("#ffffff", background)
    return "#ffffff" if white >= contrast_ratio("#000000", background) else "#000000"


@dataclass(frozen=True, slots=True)
class Palette:
    """Every colour the app uses, as "#rrggbb"; `tones` feed the table, `levels` the status bar."""

    name: str
    dark: bool
    window: str
    window_text: str
    base: str
    alternate_base: str
    text: str
    button: str
    highlight: str
    highlighted_text: str
    placeholder: str
    tones: Mapping[Tone, str] = field(default_factory=dict)
    levels: Mapping[str, str] = field(default_factory=dict)  # statusbar Level value -> colour

    def text_backgrounds(self) -> tuple[str, ...]:
        """Backgrounds coloured text is drawn on: rows, alternate rows, flashes, halts."""
        t = self.tones
        return (self.base, self.alternate_base, t[Tone.FLASH_UP], t[Tone.FLASH_DOWN],
                t[Tone.HALTED])  # fmt: skip


def _tones(up: str, down: str, muted: str, flash: tuple[str, str, str]) -> Mapping[Tone, str]:
    flash_up, flash_down, halted = flash
    return MappingProxyType({
        Tone.UP: up, Tone.DOWN: down, Tone.MUTED: muted,
        Tone.FLASH_UP: flash_up, Tone.FLASH_DOWN: flash_down, Tone.HALTED: halted,
    })  # fmt: skip


def _levels(ok: str, info: str, warn: str, bad: str) -> Mapping[str, str]:
    return MappingProxyType({"ok": ok, "info": info, "warn": warn, "bad": bad})


def _light(name: str, tones: Mapping[Tone, str]) -> Palette:
    return Palette(
        name, False, window="#efefef", window_text="#1b1b1b", base="#ffffff",
        alternate_base="#f4f5f7", text="#1b1b1b", button="#e6e6e6", highlight="#2f6fd0",
        highlighted_text="#ffffff", placeholder="#6b6b6b", tones=tones,
        levels=_levels(ok="#166c31", info="#5f6368", warn="#8a5a00", bad="#c0262d"),
    )  # fmt: skip


def _dark(name: str, tones: Mapping[Tone, str]) -> Palette:
    return Palette(
        name, True, window="#25272b", window_text="#e6e6e6", base="#1b1c1f",
        alternate_base="#232529", text="#e6e6e6", button="#33363b", highlight="#3d7be0",
        highlighted_text="#ffffff", placeholder="#9a9da3", tones=tones,
        levels=_levels(ok="#4cc38a", info="#a0a4ab", warn="#e3b341", bad="#ff7b72"),
    )  # fmt: skip


_LIGHT_FLASH = ("#e3f4e7", "#fbe6e6", "#fdeec4")
_DARK_FLASH = ("#16301f", "#3a1c1c", "#3a3012")
LIGHT = _light("light", _tones("#17783a", "#c0262d", "#66696e", _LIGHT_FLASH))
DARK = _dark("dark", _tones("#4cc38a", "#ff7b72", "#9a9da3", _DARK_FLASH))
# Colour-blind safe (blue up / orange down): distinguishable under deuteranopia and
# protanopia, where green/red collapse to the same olive (Okabe-Ito hues, darkened for AA).
_CB_LIGHT_FLASH = ("#e2eefa", "#fbeadb", "#fdeec4")
_CB_DARK_FLASH = ("#14263a", "#3a2712", "#3a3012")
LIGHT_CB = _light(
    "light, colour-blind safe", _tones("#0b5cad", "#a84f00", "#66696e", _CB_LIGHT_FLASH)
)
DARK_CB = _dark("dark, colour-blind safe", _tones("#6cb6ff", "#f0a050", "#9a9da3", _CB_DARK_FLASH))
PALETTES = (LIGHT, DARK, LIGHT_CB, DARK_CB)


def palette_for(dark: bool, colour_blind: bool) -> Palette:
    if colour_blind:
        return DARK_CB if dark else LIGHT_CB
    return DARK if dark else LIGHT


def resolve_dark(mode: ThemeMode, system_scheme: Qt.ColorScheme) -> bool:
    """Dark or not: the user's explicit choice wins; SYSTEM follows the OS (Unknown = light)."""
    if mode is ThemeMode.SYSTEM:
        return system_scheme == Qt.ColorScheme.Dark
    return mode is ThemeMode.DARK


def qpalette(p: Palette) -> QPalette:
    """A QPalette for the Fusion style (Fusion honours every role; native styles may not)."""
    pal = QPalette()
    role = QPalette.ColorRole
    for r, value in (
        (role.Window, p.window), (role.WindowText, p.window_text), (role.Base, p.base),
        (role.AlternateBase, p.alternate_base), (role.Text, p.text), (role.Button, p.button),
        (role.ButtonText, p.window_text), (role.Highlight, p.highlight),
        (role.HighlightedText, p.highlighted_text), (role.ToolTipBase, p.base),
        (role.ToolTipText, p.text), (role.PlaceholderText, p.placeholder),
        (role.BrightText, p.levels["bad"]), (role.Link, p.highlight),
    ):  # fmt: skip
        pal.setColor(r, QColor(value))
    disabled = QPalette.ColorGroup.Disabled
    for r in (role.WindowText, role.Text, role.ButtonText):
        pal.setColor(disabled, r, QColor(p.placeholder))
    return pal


def tone_brushes(p: Palette) -> dict[Tone, QBrush]:
    return {tone: QBrush(QColor(colour)) for tone, colour in p.tones.items()}


def system_scheme() -> Qt.ColorScheme:
    return QGuiApplication.styleHints().colorScheme()


class ThemeController(QObject):
    """Owns the current theme; View > Theme actions; re-applies on system scheme changes."""

    theme_changed = Signal(object)  # Palette

    def __init__(
        self,
        app: QApplication,
        mode: ThemeMode = ThemeMode.SYSTEM,
        colour_blind: bool = False,
        parent: QObject | None = None,
        scheme: Callable[[], Qt.ColorScheme] = system_scheme,
        settings: AppSettings | None = None,
    ) -> None:
        super().__init__(parent)
        self._app = app
        self._scheme = scheme  # injectable: offscreen Qt has no settable system scheme
        self._settings = settings  # where each applied choice is saved (None: nowhere)
        self.mode = mode
        self.colour_blind = colour_blind
        self.palette = LIGHT
        app.setStyle("Fusion")  # the one style that draws every QPalette role everywhere
        app.styleHints().colorSchemeChanged.connect(self._on_system_scheme_changed)
        self.mode_group = QActionGroup(self)
        self.mode_actions: dict[ThemeMode, QAction] = {}
        for m, text in ((ThemeMode.SYSTEM, "System"), (ThemeMode.LIGHT, "Light"),
                        (ThemeMode.DARK, "Dark")):  # fmt: skip
            action = QAction(text, self.mode_group)
            action.setCheckable(True)
            action.setChecked(m is mode)
            action.triggered.connect(lambda _=False, m=m: self.set_mode(m))
            self.mode_actions[m] = action
        self.colour_blind_action = QAction("Colour-blind safe (blue/orange)", self)
        self.colour_blind_action.setCheckable(True)
        self.colour_blind_action.setChecked(colour_blind)
        self.colour_blind_action.toggled.connect(self.set_colour_blind)

    @classmethod
    def from_settings(
        cls, app: QApplication, settings: AppSettings, parent: QObject | None = None
    ) -> ThemeController:
        """Starts from the saved mode and colour-blind choice and saves every change back."""
        try:
            mode = ThemeMode(settings.theme())
        except ValueError:
            mode = ThemeMode.SYSTEM
        return cls(app, mode, settings.colour_blind(), parent, settings=settings)

    def fill_menu(self, menu: QMenu) -> None:
        menu.addActions(self.mode_group.actions())
        menu.addSeparator()
        menu.addAction(self.colour_blind_action)

    def set_mode(self, mode: ThemeMode) -> None:
        self.mode = mode
        self.mode_actions[mode].setChecked(True)
        self.apply()

    def set_colour_blind(self, on: bool) -> None:
        self.colour_blind = on
        if self.colour_blind_action.isChecked() != on:
            self.colour_blind_action.setChecked(on)
        self.apply()

    def apply(self) -> Palette:
        """Install the palette for the current mode and system scheme; emits theme_changed."""
        self.palette = palette_for(resolve_dark(self.mode, self._scheme()), self.colour_blind)
        if self._settings is not None:
            self._settings.set_theme(self.mode.value)
            self._settings.set_colour_blind(self.colour_blind)
        self._app.setPalette(qpalette(self.palette))
        self.theme_changed.emit(self.palette)
        return self.palette

    def _on_system_scheme_changed(self, _scheme: Qt.ColorScheme) -> None:
        if self.mode is ThemeMode.SYSTEM:
            self.apply()
