"""Tab strip geometry: the "+" button sits right after the last tab, however many lists."""

from __future__ import annotations

from typing import Any

import pytest

from gui.watchlists.book import WatchlistSet
from gui.watchlists.tabs import WatchlistTabs

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def gap_after_last_tab(tabs: WatchlistTabs) -> int:
    """Pixels between the last tab's right edge and the "+" button's left edge."""
    bar = tabs.tab_bar
    last = bar.tabRect(bar.count() - 1)
    right = bar.mapTo(tabs, last.topRight()).x()
    return tabs.add_button.geometry().left() - right


def shown_tabs(qtbot: Any, count: int, width: int) -> WatchlistTabs:
    """A tab bar over `count` watchlists (the set starts with one), shown `width` px wide."""
    lists = WatchlistSet()
    for _ in range(count - 1):
        lists.add_list()
    tabs = WatchlistTabs(lists)
    qtbot.addWidget(tabs)
    tabs.resize(width, 40)
    tabs.show()
    qtbot.waitExposed(tabs)
    return tabs


@pytest.mark.parametrize("count", [1, 3])
def test_plus_button_follows_the_last_tab(qtbot: Any, count: int) -> None:
    tabs = shown_tabs(qtbot, count, width=900)
    bar = tabs.tab_bar
    assert bar.count() == count
    # The bar is exactly as wide as its tabs: no empty tab-shaped area before "+".
    assert bar.width() == sum(bar.tabRect(i).width() for i in range(count))
    layout = tabs.layout()
    assert layout is not None
    assert 0 < gap_after_last_tab(tabs) <= layout.spacing() + 1
    assert bar.minimumSizeHint().width() <= bar.sizeHint().width()


def test_many_tabs_still_shrink_to_scroll_buttons(qtbot: Any) -> None:
    tabs = shown_tabs(qtbot, 31, width=400)
    assert tabs.tab_bar.sizeHint().width() > 400
    assert tabs.tab_bar.width() < 400  # squeezed; QTabBar shows its scroll buttons
    assert tabs.add_button.isVisible()


def test_the_rename_dialog_is_wide_enough_for_its_label(qtbot: Any) -> None:
    """Issue 18 #10c: the rename dialog clipped its text."""
    tabs = shown_tabs(qtbot, 2, 600)
    long_name = "Semiconductors and equipment"
    assert tabs.rename(tabs.lists.names()[1], long_name)
    tabs.open_rename(1)
    dialog = tabs.rename_dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    label = dialog.fontMetrics().horizontalAdvance(dialog.labelText())
    assert dialog.width() >= label + 40, (dialog.width(), label)
    assert dialog.width() >= 320  # the title "Rename watchlist" is not cut either
    dialog.reject()
