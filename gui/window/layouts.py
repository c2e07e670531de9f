"""Several windows and named layouts: the Window menu's commands.

`WindowLayouts` opens a watchlist tab or the detail chart in its own top-level window
(gui.window.detached; one process, one store, one connection), links windows by colour
(gui.window.links), and captures the whole arrangement as one JSON-ready dict: the main
window's geometry and docks, its table columns and link colour, the tab order and the tab
shown, the position columns per tab, and every detached window. Named layouts and the
session's windows are kept in the settings file (gui.settings.layouts_store).
"Reset layout" is always in the Window menu and has a key (gui.shortcuts).
"""

from __future__ import annotations

from typing import Any, cast

from PySide6.QtCore import QByteArray, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QInputDialog, QMainWindow, QMenu, QWidget

from gui.settings.layouts_store import LayoutsStore
from gui.shortcuts import apply_shortcuts
from gui.window.detached import (
    DetachedChart,
    DetachedWatchlist,
    DetachedWindow,
    restore_geometry,
)
from gui.window.host import WindowHost
from gui.window.links import NONE, LinkChip, LinkHub, valid_colour
from gui.window.menus import Entry, Submenu
from gui.window.panes import PaneCycle
from gui.window.tab_columns import PositionColumnsByTab, apply_header_text, header_text

LAYOUT_VERSION = 1
MAX_WINDOWS = 20  # detached windows a layout may open (a bad file cannot open hundreds)


def _b64(data: QByteArray) -> str:
    return bytes(data.toBase64().data()).decode("ascii")


def _unb64(text: object) -> QByteArray | None:
    if not isinstance(text, str) or not text:
        return None
    data = QByteArray.fromBase64(text.encode("ascii"))
    return data if not data.isEmpty() else None


class WindowLayouts(QObject):
    """Detached windows, link colours and layouts of one MainWindow."""

    message_shown = Signal(str)

    def __init__(self, window: WindowHost, flush_ms: int) -> None:
        main = cast(QMainWindow, window)  # a MainWindow: a QMainWindow with these parts
        super().__init__(main)
        self._window = window
        self._main = main
        self._flush_ms = flush_ms
        self.store = LayoutsStore(window.settings)
        self.hub = LinkHub(self)
        self.windows: list[DetachedWindow] = []
        self._closing = False
        self.chip = LinkChip(NONE, main)
        self.chip.colour_chosen.connect(self._on_main_colour_chosen)
        main.menuBar().setCornerWidget(self.chip, Qt.Corner.TopRightCorner)
        self.hub.join(window, NONE, window.select_symbol)
        self.positions = PositionColumnsByTab(
            window.table, window.watchlists.lists, lambda: window.portfolio.book, self.store, self
        )
        window.watchlists.tabs.menu_hooks.append(self._add_tab_menu_entry)
        window.theme.theme_changed.connect(self._on_palette)
        self.save_dialog: QInputDialog | None = None
        self.panes = PaneCycle(main, self._pane_widgets)  # F6 / Shift+F6
        self._build_actions()

    def _build_actions(self) -> None:
        window = self._window
        self.open_watchlist_action = QAction("Open watchlist in new window", self)
        self.open_watchlist_action.triggered.connect(
            lambda: self.open_watchlist(window.watchlists.lists.active())
        )
        self.open_chart_action = QAction("Open chart in new window", self)
        self.open_chart_action.triggered.connect(lambda: self.open_chart(window.current_symbol()))
        self.save_action = QAction("Save layout as…", self)
        self.save_action.triggered.connect(self.ask_layout_name)
        self.reset_action = QAction("Reset layout", self)
        self.reset_action.setToolTip("Back to the default windows, docks and columns")
        self.reset_action.triggered.connect(self.reset)

    def menu_entries(self) -> list[Entry]:
        return [
            self.open_watchlist_action,
            self.open_chart_action,
            Submenu("Open windows", on_show=self._fill_windows_menu),
            # The chip in the menu bar's corner takes no focus: its colours, reachable.
            Submenu("Link colour", [self.chip.colour_group.actions()]),
            None,
            self.save_action,
            Submenu("Layouts", on_show=self._fill_layouts_menu),
            Submenu("Delete layout", on_show=self._fill_delete_menu),
            None,
            self.panes.next_action,
            self.panes.previous_action,
            None,
            self.reset_action,
        ]

    def shortcut_actions(self) -> dict[str, QAction]:
        """Ids in gui.shortcuts of the Window menu's actions."""
        return {
            "reset_layout": self.reset_action,
            "next_pane": self.panes.next_action,
            "previous_pane": self.panes.previous_action,
        }

    def _pane_widgets(self) -> list[tuple[str, QWidget]]:
        """What F6 cycles through (gui.window.panes), in order."""
        window = self._window
        return [
            ("Table", window.table),
            ("Add symbols", window.watchlist_bar.add_field),
            ("Detail chart", window.detail.chart),
            ("Time & sales", window.detail.time_sales_panel.view),
            ("Alerts", window.alerts.panel.view),
        ]

    def _fill_windows_menu(self, menu: QMenu) -> None:
        """One entry per detached window (brings it forward), then "Close all"."""
        menu.clear()
        for detached in self.windows:
            action = menu.addAction(detached.windowTitle().removeprefix("Tickerdesk — "))
            action.triggered.connect(lambda _=False, d=detached: _bring_forward(d))
        if not self.windows:
            menu.addAction("No other windows").setEnabled(False)
            return
        menu.addSeparator()
        menu.addAction("Close all other windows").triggered.connect(self.close_all)

    def _fill_layouts_menu(self, menu: QMenu) -> None:
        menu.clear()
        names = self.store.names()
        for name in names:
            menu.addAction(name).triggered.connect(lambda _=False, n=name: self.restore(n))
        if not names:
            menu.addAction("No saved layouts").setEnabled(False)

    def _fill_delete_menu(self, menu: QMenu) -> None:
        menu.clear()
        names = self.store.names()
        for name in names:
            menu.addAction(name).triggered.connect(lambda _=False, n=name: self.delete(n))
        menu.setEnabled(bool(names))

    def _add_tab_menu_entry(self, menu: QMenu, index: int) -> None:
        menu.addSeparator()
        action = menu.addAction("Open in new window")
        action.triggered.connect(lambda: self.open_watchlist(index))

    # --- links --------------------------------------------------------------------------

    def main_selected(self, *_args: object) -> None:
        """The main table's current row moved: windows of the main window's colour follow."""
        self.hub.publish(self._window, self._window.current_symbol())

    def set_main_header(self, text: str | None) -> None:
        """The main table's columns from a layout's JSON (None: the defaults), saved."""
        apply_header_text(self._window.table, text)
        self._window.table.save_layout()

    def _on_main_colour_chosen(self, colour: str) -> None:
        self.hub.set_colour(self._window, colour)
        self.save_session()

    def set_main_colour(self, colour: str) -> None:
        self.chip.set_colour(colour)
        self.hub.set_colour(self._window, self.chip.colour)

    # --- detached windows ---------------------------------------------------------------

    def open_watchlist(
        self, index: int, header: str | None = None, colour: str | None = None
    ) -> DetachedWatchlist | None:
        window = self._window
        names = window.watchlists.lists.names()
        if not 0 <= index < len(names):
            return None
        detached = DetachedWatchlist(
            names[index], window.watchlists.lists, window.store, window.settings, self.hub,
            history=window.history, book=lambda: window.portfolio.book,
            header=header or header_text(window.table),
            colour=self.chip.colour if colour is None else colour,
            clock=window.clock, flush_ms=self._flush_ms,
            exchange_ns=lambda: window.model.cells.exchange_ns(),  # the main table's, late
        )  # fmt: skip
        self._adopt(detached)
        return detached

    def open_chart(
        self, symbol: str | None, colour: str | None = None, style: str | None = None
    ) -> DetachedChart:
        window = self._window
        chart = DetachedChart(
            symbol, window.store, window.history, self.hub,
            colour=self.chip.colour if colour is None else colour, style=style,
        )  # fmt: skip
        self._adopt(chart)
        return chart

    def _adopt(self, detached: DetachedWindow) -> None:
        detached.set_palette(self._window.theme.palette)
        close = QAction("Close window", detached)  # Ctrl+W: back to the main window
        close.triggered.connect(detached.close)
        apply_shortcuts({"close_window": close})
        detached.addAction(close)
        detached.closed.connect(self._on_closed)
        detached.colour_changed.connect(self.save_session)
        self.windows.append(detached)
        detached.show()
        self.save_session()

    def _on_closed(self, detached: DetachedWindow) -> None:
        if detached in self.windows:
            self.windows.remove(detached)
        if not self._closing:
            self.save_session()

    def close_all(self) -> None:
        for detached in list(self.windows):
            detached.close()

    def _on_palette(self, palette: object) -> None:
        for detached in self.windows:
            detached.set_palette(palette)  # type: ignore[arg-type]

    # --- capture / apply ----------------------------------------------------------------

    def capture(self) -> dict[str, Any]:
        window = self._window
        lists = window.watchlists.lists
        self.positions.remember()
        return {
            "version": LAYOUT_VERSION,
            "main": {
                "geometry": _b64(self._main.saveGeometry()),
                "state": _b64(self._main.saveState()),
                "link": self.chip.colour,
                "header": header_text(window.table),
                "tabs": lists.names(),
                "active_tab": lists.names()[lists.active()],
            },
            "position_columns": dict(self.positions.choices),
            "windows": [d.capture() for d in self.windows],
        }

    def apply(self, layout: dict[str, Any]) -> None:
        """Put windows, docks, tabs and columns as `layout` says; what it names that no
        longer exists (a deleted tab) is skipped."""
        window = self._window
        self.close_all()
        main = layout.get("main")
        main = main if isinstance(main, dict) else {}
        geometry, state = _unb64(main.get("geometry")), _unb64(main.get("state"))
        if geometry is not None:
            self._main.restoreGeometry(geometry)
        if state is not None and self._main.restoreState(state):
            QTimer.singleShot(0, window.geometry_keeper, window.geometry_keeper.limit_docks)
        self.set_main_colour(valid_colour(main.get("link")))
        header = main.get("header")
        if isinstance(header, str):
            self.set_main_header(header)
        self.positions.pause()
        self._apply_tabs(main.get("tabs"), main.get("active_tab"))
        choices = layout.get("position_columns")
        self.positions.set_choices(choices if isinstance(choices, dict) else {})
        self.open_windows(layout.get("windows"))
        window.save_now()

    def _apply_tabs(self, order: object, active: object) -> None:
        lists = self._window.watchlists.lists
        if isinstance(order, list):
            for target, name in enumerate(n for n in order if isinstance(n, str)):
                index = lists.index_of(name)
                if index is not None and target < lists.count():
                    lists.move_list(index, target)
        index = lists.index_of(active) if isinstance(active, str) else None
        if index is not None:
            lists.set_active(index)

    def open_windows(self, entries: object) -> None:
        if not isinstance(entries, list):
            return
        lists = self._window.watchlists.lists
        for entry in entries[:MAX_WINDOWS]:
            if not isinstance(entry, dict):
                continue
            colour = valid_colour(entry.get("link"))
            detached: DetachedWindow | None = None
            if entry.get("kind") == "watchlist" and isinstance(entry.get("list"), str):
                index = lists.index_of(entry["list"])
                header = entry.get("header")
                if index is not None:
                    detached = self.open_watchlist(
                        index, header if isinstance(header, str) else None, colour
                    )
            elif entry.get("kind") == "chart":
                symbol, style = entry.get("symbol"), entry.get("style")
                detached = self.open_chart(
                    symbol if isinstance(symbol, str) else None,
                    colour,
                    style if isinstance(style, str) else None,
                )
            if detached is not None:
                restore_geometry(detached, entry.get("geometry"))

    def reset(self) -> None:
        """The default layout: no detached windows, default docks, size and columns."""
        window = self._window
        keeper = window.geometry_keeper
        self.close_all()
        self.set_main_colour(NONE)
        keeper.restore_default_state()
        if not (self._main.isMaximized() or self._main.isFullScreen()):
            keeper.default_size()
        self.set_main_header(None)
        self.positions.pause()
        self.positions.set_choices({})
        QTimer.singleShot(0, keeper, keeper.default_docks)
        window.save_now()
        self.message_shown.emit("Layout reset")

    # --- named layouts and the session --------------------------------------------------

    def ask_layout_name(self) -> None:
        """Ask for a name in a non-modal dialog (open(), never exec(): docs/qt.md)."""
        dialog = QInputDialog(self._main)
        dialog.setObjectName("saveLayoutDialog")
        dialog.setWindowTitle("Save layout")
        dialog.setLabelText("Name of this layout (windows, docks, tabs, columns, links):")
        dialog.textValueSelected.connect(self.save_as)
        dialog.finished.connect(dialog.deleteLater)
        self.save_dialog = dialog
        dialog.open()

    def save_as(self, name: str) -> bool:
        problem = self.store.save(name, self.capture())
        if problem is not None:
            self.message_shown.emit(f"Layout not saved: {problem}")
            return False
        self.message_shown.emit(f"Saved layout \u201c{name.strip()}\u201d")
        return True

    def restore(self, name: str) -> bool:
        layout = self.store.get(name)
        if layout is None:
            self.message_shown.emit(f"No layout named \u201c{name}\u201d")
            return False
        self.apply(layout)
        self.message_shown.emit(f"Layout \u201c{name}\u201d restored")
        return True

    def delete(self, name: str) -> None:
        if self.store.delete(name):
            self.message_shown.emit(f"Deleted layout \u201c{name}\u201d")

    def save_session(self) -> None:
        """The detached windows now open, reopened at the next start."""
        windows = [d.capture() for d in self.windows]
        self.store.set_session({"windows": windows, "link": self.chip.colour})

    def restore_session(self) -> None:
        session = self.store.session()
        if session is not None:
            self.set_main_colour(valid_colour(session.get("link")))
            self.open_windows(session.get("windows"))

    def shutdown(self) -> None:
        self.save_session()
        self._closing = True
        self.close_all()


def _bring_forward(window: QWidget) -> None:
    if window.isMinimized():
        window.showNormal()
    window.raise_()
    window.activateWindow()
