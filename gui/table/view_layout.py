"""The ticker table's header layout: first-run widths, saved and restored by column key.

Column order, widths, visibility and the sort indicator are written to AppSettings
when they change (debounced: header drags fire per pixel), so a crash loses nothing.
They are stored by column key (gui.table.header_layout), never by index: the column set grows.
Columns declared `shown_by_default=False` start hidden, in a fresh table and in a saved
layout from before they existed; once the user shows or hides one, the layout keeps it.

`HeaderLayoutKeeper` is the TickerView's helper for all of this (gui.table.view keeps the
public methods and hands them here), split out so the view stays about rows and keys.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QPoint, Qt, QTimer
from PySide6.QtWidgets import QMenu, QTableView

from gui.formatting import menu_text
from gui.settings.persistence import AppSettings
from gui.table import header_layout as hl
from gui.table.column_types import ColumnDef
from gui.table.header_room import make_room_for_arrow, title_width
from gui.window.mnemonics import MnemonicMenu

__all__ = ["COLUMN_SAMPLES", "SAVE_DEBOUNCE_MS", "HeaderLayoutKeeper"]

SAVE_DEBOUNCE_MS = 400
# Typical widest values per column key, for first-run column widths.
COLUMN_SAMPLES = {
    "symbol": "BRK.B ",
    "change_pct": "+88.88%",
    "bid_size": "88,888",
    "ask_size": "88,888",
    "volume": "888.8M",
    "trade_time": "00:00:00.000",
    "market_value": "8,888,888.88",
    "day_pnl": "+888,888.88",
    "total_pnl": "+888,888.88",
    "age": "88.8 s",
    "status": "EXPIRED",
    "spark": "8888888888888",  # sparkline: ~100 px of polyline
    "rel_volume": "88.8x",
    "gap_pct": "+88.88%",
    "range_52w_position": "88888888",  # a bar: ~60 px
    "day_range_position": "88888888",
    "avg_volume": "888.8M",
    "premarket_change_pct": "+88.88%",
    "afterhours_change_pct": "+88.88%",
}
_DEFAULT_SAMPLE = "88,888.88"
# Named as before the split: warnings about a saved layout come from the table view.
log = logging.getLogger("gui.table.view")


class HeaderLayoutKeeper(QObject):
    """Saves and restores one view's header layout and sort in `settings` (see above)."""

    def __init__(
        self, view: QTableView, columns: tuple[ColumnDef, ...], settings: AppSettings
    ) -> None:
        super().__init__(view)
        self._view = view
        self._columns = columns
        self._settings = settings
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(SAVE_DEBOUNCE_MS)
        self._save_timer.timeout.connect(self.save)
        self._widths: dict[str, int] = {}  # last known width per key (hidden ones too)
        self.problems: list[str] = []  # what was wrong with the saved layout

    def keys(self) -> list[str]:
        return [column.key for column in self._columns]

    def default_hidden(self) -> frozenset[str]:
        """Columns a fresh table hides (the column chooser shows them)."""
        return frozenset(c.key for c in self._columns if not c.shown_by_default)

    def restore(self) -> None:
        """Apply the saved layout and sort by column key (old index-based state read once)."""
        header = self._view.horizontalHeader()
        keys = self.keys()
        self.size_columns_to_samples()  # columns the saved layout lacks keep these widths
        layout, legacy_keys = self._saved_layout()
        migrated = layout is not None and self._settings.header_layout() is None
        if layout is not None:
            # An index-based state from a 15/20-column build shows every column it lacked
            # (tests/gui/table/test_header_layout.py pins that); a key-based layout gives
            # the columns it never saw their default.
            defaults = frozenset() if migrated else self.default_hidden()
            layout = hl.reconcile(layout, keys, defaults)
            hl.apply(header, layout, keys)
            self._widths = dict(layout.widths)
        else:
            # A fresh table, or a hidden-key list from a build before the layout JSON
            # (which had none of the default-hidden columns): defaults added either way.
            hidden = set(self._settings.hidden_columns() or ()) | self.default_hidden()
            for i, key in enumerate(keys):
                header.setSectionHidden(i, key in hidden)
        sort = self._saved_sort(legacy_keys)
        if sort is not None and sort[0] in keys:
            order = Qt.SortOrder.DescendingOrder if sort[1] else Qt.SortOrder.AscendingOrder
            header.setSortIndicator(keys.index(sort[0]), order)  # the view then sorts
        if migrated:  # write the key-based form now: the old state is read only once
            self.save()
            self._on_sort_changed(header.sortIndicatorSection(), header.sortIndicatorOrder())
        # Connected after restoring, so restoring does not write straight back.
        header.customContextMenuRequested.connect(self._on_header_menu)
        header.sectionMoved.connect(self._on_header_changed)
        header.sectionResized.connect(self._on_header_changed)
        header.sortIndicatorChanged.connect(self._on_sort_changed)

    def _saved_layout(self) -> tuple[hl.HeaderLayout | None, tuple[str, ...]]:
        """(layout, column keys an old index-based sort refers to)."""
        text = self._settings.header_layout()
        if text is not None:
            layout, problems = hl.parse_layout(text)
            self._report(problems)
            if layout is not None:
                return layout, hl.V2_KEYS
        state = self._settings.header_state()
        if state is None:
            return None, hl.V2_KEYS
        legacy = hl.read_legacy(state, self._settings.hidden_columns())
        if legacy is None:
            self._report(["saved column layout is from an unknown version; using defaults"])
            return None, hl.V2_KEYS
        return legacy, hl.LEGACY_KEYS[len(legacy.order)]

    def _saved_sort(self, legacy_keys: tuple[str, ...]) -> tuple[str, bool] | None:
        by_key = self._settings.sort_key()
        if by_key is not None:
            return by_key if by_key[0] else None
        by_index = self._settings.sort()  # older builds saved the column index
        if by_index is None:
            return None
        key = hl.legacy_sort_key(by_index[0], legacy_keys)
        return None if key is None else (key, by_index[1])

    def _report(self, problems: list[str]) -> None:
        for problem in problems:
            log.warning("%s (settings %s)", problem, self._settings.path)
        self.problems += problems

    def size_columns_to_samples(self) -> None:
        """Widths from typical values, once (never ResizeToContents on live data)."""
        header = self._view.horizontalHeader()
        metrics = self._view.fontMetrics()
        for i, column in enumerate(self._columns):
            sample = COLUMN_SAMPLES.get(column.key, _DEFAULT_SAMPLE)
            width = max(metrics.horizontalAdvance(sample) + 12, title_width(header, column.header))
            header.resizeSection(i, width)

    def save(self) -> None:
        self._save_timer.stop()
        layout = hl.capture(self._view.horizontalHeader(), self.keys(), self._widths)
        self._widths = dict(layout.widths)
        self._settings.set_header_layout(layout.to_json())
        # Also by key under the old name: builds that predate the layout JSON read it.
        # Columns hidden by default are left out: those builds never had them, and the
        # fallback that reads this list (restore) hides them anyway.
        defaults = self.default_hidden()
        self._settings.set_hidden_columns(
            [k for k in layout.order if k in layout.hidden and k not in defaults]
        )

    def stop(self) -> None:
        """Flush a pending debounced save (shutdown)."""
        if self._save_timer.isActive():
            self.save()

    def fill_columns_menu(self, menu: QMenu) -> None:
        """Checkable show/hide entry per column (the chooser of header and View menu)."""
        menu.clear()
        header = self._view.horizontalHeader()
        visible = sum(not header.isSectionHidden(i) for i in range(header.count()))
        for i, column in enumerate(self._columns):
            # "&&": a title's "&" is data ("Day P&L" showed as "Day PL", issue 18 #10a).
            action = menu.addAction(menu_text(column.header))
            action.setCheckable(True)
            action.setChecked(not header.isSectionHidden(i))
            action.setToolTip(column.tooltip)
            # The last visible column cannot be hidden: an empty table looks broken.
            action.setEnabled(header.isSectionHidden(i) or visible > 1)
            action.toggled.connect(lambda on, col=i: self.set_column_visible(col, on))

    def set_column_visible(self, column: int, visible: bool) -> None:
        self._view.horizontalHeader().setSectionHidden(column, not visible)
        self.save()

    def _on_header_menu(self, pos: QPoint) -> None:
        menu = MnemonicMenu("", self._view)  # a letter per entry (docs/keyboard.md)
        self.fill_columns_menu(menu)
        menu.popup(self._view.horizontalHeader().mapToGlobal(pos))

    def _on_header_changed(self, *_args: int) -> None:
        self._save_timer.start()

    def _on_sort_changed(self, column: int, order: Qt.SortOrder) -> None:
        make_room_for_arrow(self._view.horizontalHeader(), column)  # issue 18 #10b
        keys = self.keys()
        key = keys[column] if 0 <= column < len(keys) else ""
        self._settings.set_sort_key(key, order == Qt.SortOrder.DescendingOrder)
