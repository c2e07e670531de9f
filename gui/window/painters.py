"""Who repaints on a theme switch: one signal, each painter keeps its own colours.

ThemeController.theme_changed carries the palette; no colour lives in a module global and
no painter is listed twice (docs/qt.md). Detached windows follow through
gui.window.layouts.
"""

from __future__ import annotations

from gui.window.host import WindowHost


def connect_painters(window: WindowHost) -> None:
    changed = window.theme.theme_changed
    changed.connect(window.model.set_palette)
    changed.connect(window.sparklines.set_palette)
    changed.connect(window.detail.chart.set_palette)
    changed.connect(window.detail.time_sales_model.set_palette)
    changed.connect(window.watchlist_bar.set_palette)
    changed.connect(window.status.set_palette)
    changed.connect(window.alerts.banner.set_palette)
    # Sparkline pens changed; the cells say nothing, so the table repaints itself.
    changed.connect(lambda _palette: window.table.viewport().update())
