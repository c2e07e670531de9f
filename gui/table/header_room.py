"""Header sections wide enough for their title and the sort arrow (issue 18, #10b).

Fusion draws the sort indicator at the right end of the section, over a right-aligned
title (the numeric columns'): `ArrowRoomStyle` takes the arrow's room off the title's
rect of a sorted section, and room for the arrow is part of a section's width, at the
start and whenever the sort moves to a section a user made narrow.
"""

from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtWidgets import (
    QHeaderView,
    QProxyStyle,
    QStyle,
    QStyleOption,
    QStyleOptionHeader,
    QWidget,
)

_PADDING = 16  # the section's own margins around the title


def arrow_room(header: QHeaderView) -> int:
    """Pixels the style's sort arrow takes, with its margins."""
    style = header.style()
    mark = style.pixelMetric(QStyle.PixelMetric.PM_HeaderMarkSize, None, header)
    margin = style.pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, header)
    return mark + 2 * margin


def title_width(header: QHeaderView, title: str) -> int:
    """The width a section needs to show `title` and a sort arrow without overlap."""
    return header.fontMetrics().horizontalAdvance(title) + _PADDING + arrow_room(header)


def make_room_for_arrow(header: QHeaderView, section: int) -> None:
    """Widen the newly sorted `section` if its arrow would cover its title."""
    if section < 0:
        return
    title = header.model().headerData(section, header.orientation()) if header.model() else ""
    need = title_width(header, str(title or ""))
    if header.sectionSize(section) < need:
        header.resizeSection(section, need)


class ArrowRoomStyle(QProxyStyle):
    """The application's style, but a sorted section's title ends before its arrow."""

    def subElementRect(
        self, element: QStyle.SubElement, option: QStyleOption, widget: QWidget | None = None
    ) -> QRect:
        # Qt may pass no widget (None); PySide's QProxyStyle stub wants one, QCommonStyle's not.
        rect = super().subElementRect(element, option, widget)  # type: ignore[arg-type]
        if (
            element == QStyle.SubElement.SE_HeaderLabel
            and isinstance(option, QStyleOptionHeader)
            and option.sortIndicator != QStyleOptionHeader.SortIndicator.None_
            and isinstance(widget, QHeaderView)
        ):
            rect.setRight(rect.right() - arrow_room(widget))
        return rect
