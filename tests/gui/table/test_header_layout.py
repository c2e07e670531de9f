"""Saved column layout by key: old index-based states migrate once, new columns appear."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QHeaderView

from gui.main_window import MainWindow
from gui.settings.persistence import AppSettings
from gui.table import header_layout as hl
from gui.table.columns import COLUMNS

KEYS = [c.key for c in COLUMNS]
NEW_SINCE_V1 = ["spark", "market_value", "day_pnl", "total_pnl"]


def old_state(count: int, moves: list[tuple[int, int]], sizes: dict[int, int],
              hidden: list[int]) -> QByteArray:  # fmt: skip
    """A QHeaderView.saveState() as an older build wrote it, for `count` columns."""
    model = QStandardItemModel(0, count)
    header = QHeaderView(Qt.Orientation.Horizontal)
    header.setModel(model)
    for src, dst in moves:
        header.moveSection(src, dst)
    for index, size in sizes.items():
        header.resizeSection(index, size)
    for index in hidden:
        header.setSectionHidden(index, True)
    state = header.saveState()
    header.setModel(None)
    return state


def write_ini(path: Path, values: dict[str, object]) -> None:
    qs = QSettings(str(path), QSettings.Format.IniFormat)
    for key, value in values.items():
        qs.setValue(key, value)
    qs.sync()


def visible_order(window: MainWindow) -> list[str]:
    header = window.table.horizontalHeader()
    return [KEYS[header.logicalIndex(v)] for v in range(header.count())
            if not header.isSectionHidden(header.logicalIndex(v))]  # fmt: skip


# --- pure parts -----------------------------------------------------------------------


def test_reconcile_drops_unknown_keys_and_inserts_new_ones_in_declared_place() -> None:
    saved = hl.HeaderLayout(("last", "symbol", "gone", "change", "change_pct", "bid", "last"),
                            frozenset({"gone", "bid"}), {"gone": 80, "last": 99})  # fmt: skip
    fitted = hl.reconcile(saved, ["symbol", "last", "change", "change_pct", "spark", "bid"])
    assert fitted.order == ("last", "symbol", "change", "change_pct", "spark", "bid")
    assert fitted.hidden == {"bid"}
    assert fitted.widths == {"last": 99}
    # A new first column goes first; everything hidden is not allowed to stay so.
    alone = hl.reconcile(hl.HeaderLayout(("b",), frozenset({"b"})), ["a", "b"])
    assert alone.order == ("a", "b")
    assert alone.hidden == {"b"}
    all_hidden = hl.reconcile(hl.HeaderLayout(("a", "b"), frozenset({"a", "b"})), ["a", "b"])
    assert all_hidden.hidden == {"b"}


def test_layout_json_round_trips_and_bad_entries_are_named() -> None:
    layout = hl.HeaderLayout(("symbol", "last"), frozenset({"last"}), {"symbol": 70})
    parsed, problems = hl.parse_layout(layout.to_json())
    assert parsed == layout
    assert problems == []
    assert hl.parse_layout("{nope")[0] is None
    assert "not JSON" in hl.parse_layout("{nope")[1][0]
    assert "no column order" in hl.parse_layout('{"version": 1}')[1][0]
    assert "version 7" in hl.parse_layout('{"version": 7, "order": []}')[1][0]
    text = '{"version": 1, "order": ["a", 3], "hidden": [null], "widths": {"a": -5, "b": 60}}'
    parsed, problems = hl.parse_layout(text)
    assert parsed == hl.HeaderLayout(("a",), frozenset(), {"b": 60})
    assert len(problems) == 3
    assert "width -5 of 'a'" in problems[2]


def test_legacy_state_is_read_by_its_column_set(qapp: Any) -> None:
    state = old_state(15, [(1, 4)], {2: 151}, [3])
    assert hl.legacy_section_count(bytes(state.data())) == 15
    assert hl.legacy_section_count(b"\x00junk") is None
    layout = hl.read_legacy(state, None)
    assert layout is not None
    assert layout.order[:5] == ("symbol", "change", "change_pct", "bid", "last")
    assert layout.hidden == {"change_pct"}
    assert layout.widths["change"] == 151
    assert layout.widths["change_pct"] > 0
    assert hl.read_legacy(old_state(11, [], {}, []), None) is None  # unknown column set


# --- in the window ----------------------------------------------------------------------


def test_old_15_column_state_restores_into_the_right_columns(
    make_window: Any, tmp_path: Path
) -> None:
    path = tmp_path / "old.ini"
    # Old build: "Last" (1) dragged after "Bid" (4), "Change" (2) widened, "Volume"
    # (old index 9) hidden, sorted by "Volume" descending; hidden list saved by key.
    write_ini(path, {
        "table/header_state": old_state(15, [(1, 4)], {2: 151}, [9]),
        "table/hidden_columns": ["volume"],
        "table/sort_column": 9, "table/sort_descending": True,
    })  # fmt: skip
    window = make_window(path)
    header = window.table.horizontalHeader()
    order = visible_order(window)
    # No column lost, the new ones present (positions hidden until a position exists).
    assert set(order) | {"volume", *NEW_SINCE_V1[1:]} == set(KEYS)
    assert order[:6] == ["symbol", "change", "change_pct", "spark", "bid", "last"]
    assert header.isSectionHidden(KEYS.index("volume"))
    assert not header.isSectionHidden(KEYS.index("bid"))
    assert header.sectionSize(KEYS.index("change")) == 151
    assert header.sortIndicatorSection() == KEYS.index("volume")  # old index 9 -> "volume"
    assert header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
    # Migrated once: the key-based form is written and wins from now on.
    settings = AppSettings(path)
    assert settings.sort_key() == ("volume", True)
    saved, problems = hl.parse_layout(settings.header_layout() or "")
    assert saved is not None
    assert problems == []
    assert saved.order[:6] == ("symbol", "change", "change_pct", "spark", "market_value",
                               "day_pnl")  # fmt: skip
    window.shutdown()
    again = make_window(path)
    assert visible_order(again) == order
    assert again.table.horizontalHeader().sortIndicatorSection() == KEYS.index("volume")


def test_layout_and_sort_survive_a_change_of_column_set(make_window: Any, tmp_path: Path) -> None:
    path = tmp_path / "keys.ini"
    write_ini(path, {
        "table/layout": hl.HeaderLayout(
            ("status", "symbol", "retired_column", "last"), frozenset({"last"}),
            {"symbol": 93, "retired_column": 40},
        ).to_json(),
        "table/sort_key": "status", "table/sort_descending": False,
        "table/sort_column": 3,  # an index from an older build: the key wins
    })  # fmt: skip
    window = make_window(path)
    header = window.table.horizontalHeader()
    order = visible_order(window)
    assert order[0] == "status"
    assert "retired_column" not in order
    assert header.isSectionHidden(KEYS.index("last"))
    assert header.sectionSize(KEYS.index("symbol")) == 93
    assert header.sortIndicatorSection() == KEYS.index("status")
    assert header.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder
    header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # the user clears the sort
    assert AppSettings(path).sort_key() == ("", False)


def test_unreadable_layout_is_reported_and_defaults_used(
    make_window: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "bad.ini"
    write_ini(path, {"table/layout": "{broken", "table/header_state": QByteArray(b"\xff" * 9)})
    with caplog.at_level(logging.WARNING, logger="gui.table.view"):
        window = make_window(path)
    problems = window.table.layout_problems
    assert len(problems) == 2
    assert "not JSON" in problems[0]
    assert "unknown version" in problems[1]
    assert "not JSON" in caplog.text
    assert visible_order(window)[:4] == ["symbol", "last", "change", "change_pct"]
