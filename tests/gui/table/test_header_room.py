"""Issue 18 #10b: the sort arrow never covers a column's title.

Sections start wide enough for their title plus the style's sort arrow, and a section
made narrow by hand is widened when the sort moves to it. The arrow's own rect, as the
style computes it, must not overlap the title's text.
"""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from gui.table.header_room import arrow_room, title_width

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


def shown(make_window: Any, qtbot: Any) -> Any:
    window = make_window()
    window.resize(1200, 600)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_every_sorted_section_has_room_for_its_title_and_arrow(
    make_window: Any, qtbot: Any
) -> None:
    window = shown(make_window, qtbot)
    header = window.table.horizontalHeader()
    assert arrow_room(header) > 0
    for section in range(header.count()):
        if header.isSectionHidden(section):
            continue
        title = str(header.model().headerData(section, Qt.Orientation.Horizontal) or "")
        window.table.sortByColumn(section, Qt.SortOrder.AscendingOrder)
        text = header.fontMetrics().horizontalAdvance(title)
        # The title, its margins and the arrow side by side: no overlap.
        assert header.sectionSize(section) >= text + 16 + arrow_room(header), title
        assert header.sectionSize(section) >= title_width(header, title)


def test_a_section_made_narrow_by_hand_widens_when_sorted(make_window: Any, qtbot: Any) -> None:
    window = shown(make_window, qtbot)
    header = window.table.horizontalHeader()
    last = next(
        s for s in range(header.count())
        if header.model().headerData(s, Qt.Orientation.Horizontal) == "Last"
    )  # fmt: skip
    header.resizeSection(last, 30)  # narrower than "Last" and its arrow
    window.table.sortByColumn(last, Qt.SortOrder.DescendingOrder)
    assert header.sectionSize(last) >= title_width(header, "Last")


def test_a_sorted_titles_rect_ends_before_the_arrow(make_window: Any, qtbot: Any) -> None:
    from PySide6.QtCore import QRect
    from PySide6.QtWidgets import QStyle, QStyleOptionHeader

    window = shown(make_window, qtbot)
    header = window.table.horizontalHeader()
    style = header.style()
    option = QStyleOptionHeader()
    option.initFrom(header)
    option.rect = QRect(0, 0, 80, header.height())
    option.state |= QStyle.StateFlag.State_Horizontal
    option.sortIndicator = QStyleOptionHeader.SortIndicator.SortDown
    label = style.subElementRect(QStyle.SubElement.SE_HeaderLabel, option, header)
    arrow = style.subElementRect(QStyle.SubElement.SE_HeaderArrow, option, header)
    assert label.right() < arrow.left() or label.right() <= 80 - arrow_room(header)
    option.sortIndicator = QStyleOptionHeader.SortIndicator.None_
    plain = style.subElementRect(QStyle.SubElement.SE_HeaderLabel, option, header)
    assert plain.right() - label.right() >= arrow_room(header)  # only sorted titles give room
