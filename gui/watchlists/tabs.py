"""Tab strip over a WatchlistSet: switch, create (+ / Ctrl+T), rename (double-click), delete, drag.

Keys (bound from gui.shortcuts): Ctrl+Tab / Ctrl+PgDn next, Ctrl+Shift+Tab / Ctrl+PgUp
previous, Alt+1..9 the n-th tab. The Alt+n actions stay enabled even past the last tab
(saying so in words): a disabled action would let Alt+1 reach a focused line edit, which
types "1" into it (issue 18, #3: it landed in the Filter field).

All dialogs are non-modal and opened with open(), never exec(): a nested event loop under
qasync fails with "Cannot enter into task" (qasync #59, docs/qt.md).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint, QSize, Qt, Signal
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLineEdit,
    QMenu,
    QMessageBox,
    QStyle,
    QTabBar,
    QToolButton,
    QWidget,
)

from gui.watchlists.book import WatchlistSet
from gui.window.mnemonics import MnemonicMenu

GOTO_TABS = 9  # Alt+1 .. Alt+9


class FittedTabBar(QTabBar):
    """A tab bar that can be as narrow as its tabs.

    With scroll buttons on (the default), QTabBar.minimumSizeHint() is a fixed
    2 x scroll-button width + 75 px, wider than one short tab: the layout then gave the
    bar that much and the document-mode base line ran on past the only tab, an empty
    tab-shaped gap before the "+" button. Capped at sizeHint(), the bar hugs its tabs and
    still shrinks to scroll buttons when many tabs do not fit.
    """

    def minimumSizeHint(self) -> QSize:
        minimum, natural = super().minimumSizeHint(), self.sizeHint()
        return QSize(min(minimum.width(), natural.width()), minimum.height())


class WatchlistTabs(QWidget):
    """One tab per list, kept in step with the WatchlistSet both ways."""

    message_shown = Signal(str)  # outcomes for the status bar (and tests)

    def __init__(self, lists: WatchlistSet, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("watchlistTabs")
        self.lists = lists
        self.rename_dialog: QInputDialog | None = None
        self.delete_box: QMessageBox | None = None
        self._syncing = False
        # Tabs synced with an Alpaca watchlist: name -> words for the tooltip (set by
        # gui.watchlists.sync); they show a sync icon. Hooks add to a tab's context menu.
        self.marks: dict[str, str] = {}
        self.menu_hooks: list[Callable[[QMenu, int], None]] = []
        self.tab_menu: QMenu | None = None
        self.tab_bar = FittedTabBar(self)
        self.tab_bar.setObjectName("watchlistTabBar")
        self.tab_bar.setMovable(True)  # drag to reorder; tabMoved -> WatchlistSet.move_list
        self.tab_bar.setExpanding(False)
        self.tab_bar.setDocumentMode(True)
        self.tab_bar.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys belong to the table
        self.tab_bar.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tab_bar.customContextMenuRequested.connect(self._on_tab_bar_menu)
        self.add_button = QToolButton(self)
        self.add_button.setObjectName("newWatchlistButton")
        self.add_button.setText("+")
        self.add_button.setAutoRaise(True)
        self.add_button.setToolTip("New watchlist (Ctrl+T)")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.tab_bar)
        layout.addWidget(self.add_button)
        layout.addStretch(1)
        self._build_actions()
        self.tab_bar.currentChanged.connect(self._on_tab_bar_current_changed)
        self.tab_bar.tabMoved.connect(self._on_tab_bar_tab_moved)
        self.tab_bar.tabBarDoubleClicked.connect(self.open_rename)
        self.tab_bar.tabCloseRequested.connect(self.confirm_delete)
        self.add_button.clicked.connect(self.new_list)
        lists.lists_changed.connect(self._sync_tabs)
        lists.active_changed.connect(self._sync_tabs)
        self._sync_tabs()

    def _build_actions(self) -> None:
        # The window puts these in its menu so the shortcuts work window-wide.
        self.new_action = QAction("New watchlist", self)
        self.new_action.setShortcut(QKeySequence("Ctrl+T"))
        self.new_action.triggered.connect(self.new_list)
        self.rename_action = QAction("Rename watchlist…", self)
        self.rename_action.triggered.connect(lambda: self.open_rename(self.lists.active()))
        self.delete_action = QAction("Delete watchlist…", self)
        self.delete_action.triggered.connect(lambda: self.confirm_delete(self.lists.active()))
        self.next_action = QAction("Next watchlist", self)
        self.next_action.setShortcut(QKeySequence("Ctrl+Tab"))
        self.next_action.triggered.connect(lambda: self.lists.step_active(1))
        self.previous_action = QAction("Previous watchlist", self)
        # Shift+Tab arrives as Key_Backtab; list both spellings.
        self.previous_action.setShortcuts(
            [QKeySequence("Ctrl+Shift+Tab"), QKeySequence("Ctrl+Shift+Backtab")]
        )
        self.previous_action.triggered.connect(lambda: self.lists.step_active(-1))
        self.goto_actions: list[QAction] = []
        for n in range(1, GOTO_TABS + 1):
            action = QAction(f"Watchlist {n}", self)
            action.setShortcut(QKeySequence(f"Alt+{n}"))
            action.triggered.connect(lambda _=False, i=n - 1: self.show_list(i))
            self.goto_actions.append(action)
        # Window-wide while the tabs are shown; not in a menu (nine rows of clutter).
        self.addActions(self.goto_actions)

    def shortcut_actions(self) -> dict[str, QAction]:
        """gui.shortcuts ids -> the tabs' actions."""
        return {
            "new_watchlist": self.new_action,
            "next_watchlist": self.next_action,
            "previous_watchlist": self.previous_action,
            **{f"watchlist_{i + 1}": a for i, a in enumerate(self.goto_actions)},
        }

    def show_list(self, index: int) -> bool:
        """Show list `index` (Alt+1 is index 0); past the last tab, say so."""
        count = self.lists.count()
        if not 0 <= index < count:
            self.message_shown.emit(
                f"There is no watchlist {index + 1} ({count} tab{'s' if count != 1 else ''})"
            )
            return False
        self.lists.set_active(index)
        return True

    def actions_for_menu(self) -> list[QAction]:
        return [
            self.new_action,
            self.rename_action,
            self.delete_action,
            self.next_action,
            self.previous_action,
        ]

    # --- keeping tabs and lists in step -------------------------------------------------

    def _sync_tabs(self, *_args: object) -> None:
        self._syncing = True
        try:
            names = self.lists.names()
            bar = self.tab_bar
            while bar.count() > len(names):
                bar.removeTab(bar.count() - 1)
            while bar.count() < len(names):
                bar.addTab("")
            sync_icon = self.style().standardIcon(QStyle.StandardPixmap.SP_BrowserReload)
            for i, name in enumerate(names):
                count = len(self.lists.symbols(i))
                mark = self.marks.get(name)
                bar.setTabText(i, name)
                bar.setTabIcon(i, sync_icon if mark else QIcon())
                words = f"{name}: {count} symbol{'s' if count != 1 else ''}"
                if mark:
                    words += f" — {mark}"
                bar.setTabToolTip(i, f"{words} (double-click to rename)")
            bar.setCurrentIndex(self.lists.active())
            several = len(names) > 1
            bar.setTabsClosable(several)  # the last list cannot be deleted
            self.delete_action.setEnabled(several)
            self.next_action.setEnabled(several)
            self.previous_action.setEnabled(several)
        finally:
            self._syncing = False

    def _on_tab_bar_current_changed(self, index: int) -> None:
        if not self._syncing and index >= 0:
            self.lists.set_active(index)

    def _on_tab_bar_tab_moved(self, src: int, dst: int) -> None:
        if not self._syncing:
            self.lists.move_list(src, dst)

    def set_marks(self, marks: dict[str, str]) -> None:
        """Which tabs are synced (name -> tooltip words); the others look local."""
        if marks != self.marks:
            self.marks = dict(marks)
            self._sync_tabs()

    def context_menu(self, index: int) -> QMenu:
        """The context menu of tab `index`: rename, delete, and what hooks add (sync)."""
        menu = MnemonicMenu("", self)  # a letter for each entry (docs/keyboard.md)
        menu.setObjectName("watchlistTabMenu")
        self.fill_tab_menu(menu, index)
        return menu

    def fill_tab_menu(self, menu: QMenu, index: int) -> None:
        """Tab `index`'s entries into `menu`: the tab's context menu, and Watchlists >
        This watchlist for the tab shown (the tab bar takes no focus: this is how the
        keyboard reaches what its context menu offers)."""
        menu.addAction("Rename watchlist…").triggered.connect(lambda: self.open_rename(index))
        delete = menu.addAction("Delete watchlist…")
        delete.setEnabled(self.lists.count() > 1)
        delete.triggered.connect(lambda: self.confirm_delete(index))
        # Dragging a tab has a keyboard twin here (the tab bar takes no focus).
        for words, step in (("Move tab left", -1), ("Move tab right", 1)):
            move = menu.addAction(words)
            move.setEnabled(0 <= index + step < self.lists.count())
            move.triggered.connect(lambda _=False, s=step: self.lists.move_list(index, index + s))
        for hook in self.menu_hooks:
            hook(menu, index)

    def fill_active_tab_menu(self, menu: QMenu) -> None:
        """Refill `menu` (on each show) with the entries of the tab shown."""
        menu.clear()
        self.fill_tab_menu(menu, self.lists.active())

    def _on_tab_bar_menu(self, pos: QPoint) -> None:
        index = self.tab_bar.tabAt(pos)
        if index < 0:
            return
        menu = self.context_menu(index)
        menu.aboutToHide.connect(menu.deleteLater)
        self.tab_menu = menu
        menu.popup(self.tab_bar.mapToGlobal(pos))

    # --- user actions -------------------------------------------------------------------

    def new_list(self) -> int:
        """Add an empty list with a default name and show it; returns its index."""
        index = self.lists.add_list()
        self.lists.set_active(index)
        self.message_shown.emit(
            f"New watchlist \u201c{self.lists.names()[index]}\u201d: double-click its tab to rename"
        )
        return index

    def open_rename(self, index: int) -> None:
        """Ask for a new name in a non-modal input dialog."""
        names = self.lists.names()
        if not 0 <= index < len(names):
            return
        old = names[index]
        dialog = QInputDialog(self)
        dialog.setObjectName("renameWatchlistDialog")
        dialog.setWindowTitle("Rename watchlist")
        dialog.setLabelText(f"New name for \u201c{old}\u201d:")
        dialog.setTextValue(old)
        # Wide enough for its title and label, never clipped (issue 18 #10c), within 640 px.
        text = max(dialog.labelText(), "Rename watchlist" + " " * 12, key=len)
        wanted = dialog.fontMetrics().horizontalAdvance(text) + 64
        field = dialog.findChild(QLineEdit)  # the layout sizes the dialog from its parts
        if field is not None:
            field.setMinimumWidth(max(300, min(wanted, 640)) - 24)
        dialog.textValueSelected.connect(lambda text: self.rename(old, text))
        dialog.finished.connect(dialog.deleteLater)
        self.rename_dialog = dialog
        dialog.open()

    def rename(self, old: str, new: str) -> bool:
        """Rename the list now called `old` (looked up by name: tabs may move meanwhile)."""
        index = self.lists.index_of(old)
        if index is None:
            self.message_shown.emit(f"Watchlist \u201c{old}\u201d no longer exists")
            return False
        problem = self.lists.rename(index, new)
        if problem is not None:
            self.message_shown.emit(f"Not renamed: {problem}")
            return False
        self.message_shown.emit(f"Renamed \u201c{old}\u201d to \u201c{new.strip()}\u201d")
        return True

    def confirm_delete(self, index: int) -> None:
        """Ask (non-modal message box) before deleting list `index`."""
        names = self.lists.names()
        if not 0 <= index < len(names):
            return
        if len(names) <= 1:
            self.message_shown.emit("The last watchlist cannot be deleted")
            return
        name = names[index]
        count = len(self.lists.symbols(index))
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Delete watchlist",
            f"Delete the watchlist \u201c{name}\u201d ({count} symbol{'s' if count != 1 else ''})?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setObjectName("deleteWatchlistBox")
        box.setInformativeText("Symbols that are also in other lists keep streaming.")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(lambda _result: self._on_delete_box_finished(box, name))
        self.delete_box = box
        box.open()

    def _on_delete_box_finished(self, box: QMessageBox, name: str) -> None:
        box.deleteLater()
        if self.delete_box is box:
            self.delete_box = None
        if box.clickedButton() is not box.button(QMessageBox.StandardButton.Yes):
            return
        index = self.lists.index_of(name)
        if index is not None and self.lists.remove_list(index):
            self.message_shown.emit(f"Deleted watchlist \u201c{name}\u201d")
