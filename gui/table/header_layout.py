"""The ticker table's column layout, saved by column key so it survives a changed column set.

QHeaderView.saveState() is index-based: after columns were inserted mid-table (the
"15 min" sparkline and three position columns), an old state restores into the wrong
columns (Qt accepts it; measured on 6.12). So the layout is stored as JSON of keys
(visual order, hidden set, widths) and `reconcile` fits it to the declared columns:
unknown keys are dropped, missing ones are inserted after their declared predecessor.
An old binary state is read once (`read_legacy`), its column set told by its section count.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QHeaderView

FORMAT_VERSION = 1
MAX_WIDTH_PX = 5_000
# Column sets of builds that saved QHeaderView states, frozen here (not gui.table.columns, which
# moves on): the 15-column table before sparklines/positions, then the 19-column one (builds
# 17e86d8..87e5f5e; it was filed under 20 and so read as "unknown", the user's layout lost:
# tests/gui/settings/fixtures/v2_tabs_positions_view.ini, docs/reliability.md "Bad input").
V1_KEYS = ("symbol", "last", "change", "change_pct", "bid", "ask", "spread", "bid_size",
           "ask_size", "volume", "high", "low", "trade_time", "age", "status")  # fmt: skip
V2_KEYS = (*V1_KEYS[:4], "spark", "market_value", "day_pnl", "total_pnl", *V1_KEYS[4:])
LEGACY_KEYS: Mapping[int, tuple[str, ...]] = MappingProxyType({15: V1_KEYS, 19: V2_KEYS})


@dataclass(frozen=True, slots=True)
class HeaderLayout:
    """Visual order (left to right), hidden columns and widths in px, all by column key."""

    order: tuple[str, ...]
    hidden: frozenset[str] = frozenset()
    widths: Mapping[str, int] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({
            "version": FORMAT_VERSION, "order": list(self.order),
            "hidden": sorted(self.hidden), "widths": dict(sorted(self.widths.items())),
        })  # fmt: skip


def parse_layout(text: str) -> tuple[HeaderLayout | None, list[str]]:
    """(layout or None, problems) from saved JSON; bad entries are dropped, each named."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, [f"column layout is not JSON ({exc.msg})"]
    if not isinstance(data, dict) or not isinstance(data.get("order"), list):
        return None, ["column layout has no column order"]
    if data.get("version") != FORMAT_VERSION:
        return None, [f"column layout version {data.get('version')!r} is not {FORMAT_VERSION}"]
    problems: list[str] = []
    order = [k for k in data["order"] if isinstance(k, str)]
    if len(order) != len(data["order"]):
        problems.append("column layout: ignored non-text column keys")
    hidden_raw = data.get("hidden", [])
    if not isinstance(hidden_raw, list):
        hidden_raw = []
        problems.append("column layout: hidden columns are not a list; showing all")
    hidden = {k for k in hidden_raw if isinstance(k, str)}
    if len(hidden) < len({repr(k) for k in hidden_raw}):
        problems.append("column layout: ignored non-text hidden-column keys")
    widths: dict[str, int] = {}
    widths_raw = data.get("widths", {})
    for key, width in widths_raw.items() if isinstance(widths_raw, dict) else ():
        if isinstance(width, int) and not isinstance(width, bool) and 0 < width <= MAX_WIDTH_PX:
            widths[key] = width
        else:
            problems.append(f"column layout: ignored width {width!r} of {key!r}")
    return HeaderLayout(tuple(order), frozenset(hidden), widths), problems


def reconcile(
    layout: HeaderLayout, declared: Sequence[str], default_hidden: Iterable[str] = ()
) -> HeaderLayout:
    """Fit `layout` to the declared columns: drop unknown/duplicate keys, insert missing ones
    right after their nearest declared predecessor (first if none), visible unless they
    are in `default_hidden` (a column the layout never saw gets its default; one it saw
    keeps the user's choice)."""
    known = set(declared)
    order = list(dict.fromkeys(k for k in layout.order if k in known))
    saw = set(order)
    for i, key in enumerate(declared):
        if key in order:
            continue
        before = next((p for p in reversed(declared[:i]) if p in order), None)
        order.insert(0 if before is None else order.index(before) + 1, key)
    new_hidden = (set(default_hidden) & known) - saw
    chosen = (layout.hidden & known) | new_hidden
    if all(key in chosen for key in order):  # an all-hidden table looks broken
        hidden = frozenset(chosen - {order[0]})
    else:
        hidden = frozenset(chosen)
    widths = {k: w for k, w in layout.widths.items() if k in known}
    return HeaderLayout(tuple(order), hidden, widths)


def legacy_section_count(state: bytes) -> int | None:
    """Section count recorded in a QHeaderView.saveState() blob (Qt 5/6 layout), or None."""
    # Stream: marker, version, orientation, sort order, sort section (int32 each), sort
    # shown (bool), visual and logical index lists, hidden QBitArray, hidden-size QHash,
    # length, sectionCount (qheaderview.cpp, QHeaderViewPrivate::write). Big-endian.
    try:
        marker, _version = struct.unpack_from(">ii", state, 0)
        if marker != 0xFF:
            return None
        pos = 21
        for _ in range(2):  # visualIndices, logicalIndices
            (n,) = struct.unpack_from(">i", state, pos)
            pos += 4 + 4 * n
        (bits,) = struct.unpack_from(">I", state, pos)
        pos += 4 + (bits + 7) // 8
        (pairs,) = struct.unpack_from(">I", state, pos)
        pos += 4 + 8 * pairs
        _length, count = struct.unpack_from(">ii", state, pos)
    except struct.error:
        return None
    return count if count >= 0 else None


def read_legacy(state: QByteArray, hidden: Iterable[str] | None) -> HeaderLayout | None:
    """A layout from an old index-based header state (None if its column set is unknown).

    `hidden` is the key list saved beside it (already key-based); without it the state's
    own hidden bits are used."""
    keys = LEGACY_KEYS.get(legacy_section_count(bytes(state.data())) or -1)
    if keys is None:
        return None
    model = QStandardItemModel(0, len(keys))
    header = QHeaderView(Qt.Orientation.Horizontal)
    header.setModel(model)
    try:
        if not header.restoreState(state) or header.count() != len(keys):
            return None
        order = tuple(keys[header.logicalIndex(v)] for v in range(header.count()))
        bits = {keys[i] for i in range(len(keys)) if header.isSectionHidden(i)}
        for i in range(len(keys)):  # a hidden section reports size 0: show it to measure
            header.setSectionHidden(i, False)
        widths = {keys[i]: header.sectionSize(i) for i in range(len(keys))}
    finally:
        header.setModel(None)
        header.deleteLater()
        model.deleteLater()
    chosen = bits if hidden is None else set(hidden)
    widths = {k: w for k, w in widths.items() if 0 < w <= MAX_WIDTH_PX}
    return HeaderLayout(order, frozenset(chosen), widths)


def legacy_sort_key(column: int, keys: Sequence[str]) -> str | None:
    """The key an old index-based sort column meant in the column set `keys`."""
    return keys[column] if 0 <= column < len(keys) else None


def capture(
    header: QHeaderView, keys: Sequence[str], known_widths: Mapping[str, int]
) -> HeaderLayout:
    """The header's current layout; hidden sections (size 0) keep their last known width."""
    order = tuple(keys[header.logicalIndex(v)] for v in range(header.count()))
    hidden = frozenset(k for i, k in enumerate(keys) if header.isSectionHidden(i))
    widths = dict(known_widths)
    for i, key in enumerate(keys):
        if not header.isSectionHidden(i) and header.sectionSize(i) > 0:
            widths[key] = header.sectionSize(i)
    return HeaderLayout(order, hidden, {k: w for k, w in widths.items() if k in set(keys)})


def apply(header: QHeaderView, layout: HeaderLayout, keys: Sequence[str]) -> None:
    """Move, size and hide the header's sections as `layout` says (reconciled to `keys`)."""
    index = {key: i for i, key in enumerate(keys)}
    for visual, key in enumerate(layout.order):
        header.moveSection(header.visualIndex(index[key]), visual)
    for key, width in layout.widths.items():
        header.resizeSection(index[key], width)
    for key, i in index.items():
        header.setSectionHidden(i, key in layout.hidden)
