"""The main window's own actions and its menus, declared as data.

`WindowActions` are the few commands the window itself owns (remove, connect, settings,
quit, the feed choice); every room brings its own actions (watchlists, positions, alerts,
theme, display, dialogs). `fill_menu` lays any of them out from a list of entries, so the
window's menu bar reads as one table in gui.main_window.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar, QWidget

from engine.config import FEEDS
from gui.formatting import menu_text
from gui.settings.feeds import FEED_TIPS, FeedCombo, feed_words
from gui.window.mnemonics import MnemonicMenu

# An action, a run of actions, a callable that fills the menu itself (theme, display),
# a submenu, or None for a separator.
type Entry = QAction | Sequence[QAction] | Callable[[QMenu], object] | Submenu | None


@dataclass(frozen=True, slots=True)
class Submenu:
    """A submenu; `on_show` refills it each time it opens (e.g. the Columns list)."""

    title: str
    entries: Sequence[Entry] = ()
    on_show: Callable[[QMenu], object] | None = None


def literal_entries(menu: QMenu) -> None:
    """The menu's action texts are data (column names, list names), never mnemonics."""
    for action in menu.actions():
        if not action.isSeparator() and action.menu() is None:
            action.setText(menu_text(action.text()))


def _refill(menu: QMenu, fill: Callable[[QMenu], object]) -> None:
    fill(menu)
    literal_entries(menu)  # a generated list names data: "Day P&L" must keep its "&"


def fill_menu(menu: QMenu, entries: Iterable[Entry]) -> None:
    for entry in entries:
        if entry is None:
            menu.addSeparator()
        elif isinstance(entry, QAction):
            menu.addAction(entry)
        elif isinstance(entry, Submenu):
            sub = MnemonicMenu(entry.title, menu)  # every entry gets a letter (docs/keyboard.md)
            menu.addMenu(sub)
            fill_menu(sub, entry.entries)
            if entry.on_show is not None:
                sub.aboutToShow.connect(lambda sub=sub, fill=entry.on_show: _refill(sub, fill))
        elif callable(entry):
            entry(menu)
        else:
            menu.addActions(list(entry))


def fill_menu_bar(bar: QMenuBar, menus: dict[str, Sequence[Entry]]) -> None:
    """One top-level menu per key, in order."""
    for title, entries in menus.items():
        menu = MnemonicMenu(title, bar)  # titles bring their own `&`; entries get one each
        bar.addMenu(menu)
        fill_menu(menu, entries)


class WindowActions:
    """Remove, Connect/Disconnect, Settings…, Quit and the feed combo + Stream > Feed group."""

    def __init__(self, parent: QWidget, feed: str) -> None:
        self.remove_action = QAction("Remove", parent)
        self.remove_action.setShortcut(QKeySequence.StandardKey.Delete)
        self.remove_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.remove_action.setToolTip("Remove the selected symbols (Delete)")
        self.connect_action = QAction("Disconnect", parent)
        self.connect_action.setCheckable(True)
        self.connect_action.setChecked(True)
        self.connect_action.setToolTip("Connect to / disconnect from the stream")
        self.settings_action = QAction("Settings…", parent)
        self.settings_action.setShortcut(QKeySequence("Ctrl+,"))
        self.quit_action = QAction("Quit", parent)
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        # Codes as text, words on its face (gui.settings.feeds): "IEX — free, one exchange".
        self.feed_combo = FeedCombo(parent)
        self.feed_combo.setObjectName("feedCombo")
        self.feed_combo.setCurrentText(feed)
        self.feed_group = QActionGroup(parent)
        for name in FEEDS:
            action = QAction(menu_text(feed_words(name)), self.feed_group)
            action.setToolTip(FEED_TIPS.get(name, ""))
            action.setCheckable(True)
            action.setChecked(name == feed)
            action.setData(name)
        # Picking in the menu moves the combo; the combo is the one source of the choice.
        self.feed_group.triggered.connect(lambda a: self.feed_combo.setCurrentText(a.data()))

    def check_feed(self, feed: str) -> None:
        """Stream > Feed follows the combo."""
        for action in self.feed_group.actions():
            action.setChecked(action.data() == feed)

    def set_connect_text(self, connected: bool) -> None:
        self.connect_action.setText("Disconnect" if connected else "Connect")
