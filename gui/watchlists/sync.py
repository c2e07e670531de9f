"""Watchlist tabs in sync with the account's Alpaca watchlists (issue 14; per tab, opt-in).

The account's lists are imported as tabs (a sync icon, a tooltip naming the Alpaca list);
a tab's context menu offers "Sync with Alpaca" / "Stop syncing", so a local-only tab stays
local. Edits here are pushed (debounced); edits made elsewhere are pulled when the app
becomes active (at most once per `focus_gap_s`) and every `interval_s`. A pass is one
engine.account.watchsync_io.run_pass over the TradingRest (the key's one request budget);
the rules are engine.account.watchsync (docs/account-and-history.md, "Watchlists in sync").
What a pass did is said in words on the status bar (the tabs' message_shown), e.g.
"Demo: merged — added NVDA from Alpaca, kept TSLA added here".

Links (tab -> server list id and name, the merge base) persist in the settings, so a
restart merges against the last synced list instead of overwriting either side.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Sequence

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMenu

from engine.account.client import TradingRest
from engine.account.watchsync import (
    MAX_IGNORED,
    Link,
    links_from_json,
    links_to_json,
    merge,
    normalise,
)
from engine.account.watchsync_io import Outcome, PassRequest, SyncLoop, run_pass
from engine.core.tasks import TaskSet
from gui.settings.persistence import AppSettings
from gui.watchlists.controller import WatchlistController

log = logging.getLogger(__name__)

SYNC_INTERVAL_S = 180.0  # pull changes made elsewhere (issue 14: "every few minutes")
PUSH_DEBOUNCE_S = 1.5  # an edit burst (drag of rows, several adds) becomes one PUT
FOCUS_GAP_S = 30.0  # alt-tabbing does not spend the request budget
MAX_MESSAGES = 20


class WatchlistSync(QObject):
    """Keeps the synced tabs and their Alpaca watchlists alike. start() / await stop()."""

    def __init__(
        self,
        watchlists: WatchlistController,
        rest: TradingRest,
        settings: AppSettings,
        tasks: TaskSet | None = None,
        *,
        interval_s: float = SYNC_INTERVAL_S,
        debounce_s: float = PUSH_DEBOUNCE_S,
        focus_gap_s: float = FOCUS_GAP_S,
        import_lists: bool = True,
    ) -> None:
        super().__init__(watchlists)
        self.controller = watchlists
        self.lists = watchlists.lists
        self.tabs = watchlists.tabs
        self.rest = rest
        self.settings = settings
        self.loop = SyncLoop(self._run_pass, tasks or TaskSet(), interval_s)
        self.debounce_s = debounce_s
        self.focus_gap_s = focus_gap_s
        self.links: dict[str, Link] = {}  # tab name -> its link
        self.ignored: list[str] = []  # server list ids the user chose not to sync (bounded)
        self.messages: deque[str] = deque(maxlen=MAX_MESSAGES)  # newest last
        self.notes: dict[str, str] = {}  # tab name -> the last thing a sync said (tooltip)
        self._opt_in: set[str] = set()  # tabs to link in the next pass
        self._import = import_lists
        self._renames: dict[str, str] = {}  # during a pass: old tab name -> new
        self._last_focus_pull: float | None = None
        self._started = False

    # --- life ---------------------------------------------------------------------------

    def start(self) -> None:
        """Load the links, mark the tabs, run a first pass now (import, pull, push)."""
        if self._started:
            return
        self._started = True
        links, self.ignored, problems = links_from_json(self.settings.watchlist_sync())
        for problem in problems:
            self._say(problem)
        names = set(self.lists.names())
        self.links = {link.tab: link for link in links if link.tab in names}
        self.lists.lists_changed.connect(self._on_lists_changed)
        self.lists.renamed.connect(self._on_renamed)
        self.lists.removed.connect(self._on_removed)
        self.tabs.menu_hooks.append(self._fill_menu)
        app = QGuiApplication.instance()
        if isinstance(app, QGuiApplication):
            app.applicationStateChanged.connect(self._on_application_state)
        self._mark()
        self.loop.start()

    async def stop(self) -> None:
        """Stop syncing for now (the account went away); the links stay saved."""
        if not self._started:
            return
        self._started = False
        await self.loop.stop()
        self.lists.lists_changed.disconnect(self._on_lists_changed)
        self.lists.renamed.disconnect(self._on_renamed)
        self.lists.removed.disconnect(self._on_removed)
        if self._fill_menu in self.tabs.menu_hooks:
            self.tabs.menu_hooks.remove(self._fill_menu)
        app = QGuiApplication.instance()
        if isinstance(app, QGuiApplication):
            app.applicationStateChanged.disconnect(self._on_application_state)
        self.tabs.set_marks({})

    # --- user actions -------------------------------------------------------------------

    def sync_tab(self, index: int) -> None:
        """Opt tab `index` in: linked to the Alpaca list of its name, else a new one."""
        names = self.lists.names()
        if 0 <= index < len(names) and names[index] not in self.links:
            self._opt_in.add(names[index])
            self._say(f"{names[index]}: syncing with Alpaca\u2026")
            self.loop.poke()

    def stop_syncing(self, index: int) -> None:
        """Tab `index` becomes local only; the Alpaca list stays as it is."""
        names = self.lists.names()
        if not 0 <= index < len(names):
            return
        name = names[index]
        self._opt_in.discard(name)
        link = self.links.pop(name, None)
        if link is None:
            return
        self._ignore(link.server_id)
        self.notes.pop(name, None)
        self._save()
        self._mark()
        self._say(
            f"{name}: no longer synced; the Alpaca watchlist \u201c{link.server_name}\u201d "
            f"stays as it is"
        )

    def import_lists(self) -> None:
        """Make tabs for every Alpaca list no tab is synced with (declined ones too)."""
        self.ignored.clear()
        self._import = True  # from now on: lists made elsewhere become tabs at each pass
        self._save()
        self.loop.poke()

    def sync_now(self) -> None:
        self.loop.poke()

    def _fill_menu(self, menu: QMenu, index: int) -> None:
        names = self.lists.names()
        if not 0 <= index < len(names):
            return
        menu.addSeparator()
        if names[index] in self.links:
            menu.addAction("Stop syncing").triggered.connect(lambda: self.stop_syncing(index))
            menu.addAction("Sync now").triggered.connect(self.sync_now)
        else:
            action = menu.addAction("Sync with Alpaca")
            action.setEnabled(names[index] not in self._opt_in)
            action.triggered.connect(lambda: self.sync_tab(index))
        menu.addAction("Import watchlists from Alpaca").triggered.connect(self.import_lists)

    # --- what changes here ----------------------------------------------------------------

    def _on_lists_changed(self) -> None:
        for name, link in self.links.items():
            index = self.lists.index_of(name)
            if index is None:
                continue
            pushable = tuple(s for s in self.lists.symbols(index) if s not in link.refused)
            if pushable != link.base:
                self.loop.poke(self.debounce_s)
                return

    def _on_renamed(self, old: str, new: str) -> None:
        if self.loop.running:
            self._renames[old] = new
        if old in self._opt_in:
            self._opt_in.discard(old)
            self._opt_in.add(new)
        link = self.links.pop(old, None)
        if link is None:
            return
        self.links[new] = link.with_(tab=new, rename_to=new)
        note = self.notes.pop(old, None)
        if note is not None:
            self.notes[new] = note
        self._save()
        self._mark()
        self.loop.poke(self.debounce_s)

    def _on_removed(self, name: str) -> None:
        self._opt_in.discard(name)
        link = self.links.pop(name, None)
        if link is not None:  # deleting the tab does not delete the Alpaca list
            self._ignore(link.server_id)
            self.notes.pop(name, None)
            self._save()
            self._mark()

    def _on_application_state(self, state: Qt.ApplicationState) -> None:
        if state == Qt.ApplicationState.ApplicationActive:
            self.on_focus()

    def on_focus(self) -> None:
        """The window became active: pull, unless a pull ran less than focus_gap_s ago."""
        if not self._started or not self.links:
            return
        now = asyncio.get_event_loop().time()
        last = self._last_focus_pull
        if last is None or now - last >= self.focus_gap_s:
            self._last_focus_pull = now
            self.loop.poke()

    # --- a pass -------------------------------------------------------------------------

    async def _run_pass(self) -> None:
        linked = []
        for name, link in self.links.items():
            index = self.lists.index_of(name)
            if index is not None:
                linked.append((link, tuple(self.lists.symbols(index))))
        opt_in = tuple(
            (n, tuple(self.lists.symbols(i)))
            for n in sorted(self._opt_in)
            if (i := self.lists.index_of(n)) is not None
        )
        request = PassRequest(tuple(linked), opt_in, self._import, frozenset(self.ignored))
        self._renames.clear()
        try:
            outcomes = await run_pass(self.rest, request)
        except Exception as exc:
            self._say(f"Watchlist sync with Alpaca failed: {exc}")
            raise
        for outcome in outcomes:
            self._apply(outcome, opt_in=any(outcome.tab == n for n, _ in opt_in))
        self._renames.clear()
        self._save()
        self._mark()

    def _current_name(self, name: str) -> str:
        for _ in range(len(self._renames) + 1):  # bounded: follows a chain of renames
            if name not in self._renames:
                break
            name = self._renames[name]
        return name

    def _apply(self, outcome: Outcome, *, opt_in: bool) -> None:
        if outcome.message:
            self._say(outcome.message)
        if outcome.new_tab:
            self._add_imported(outcome)
            return
        name = self._current_name(outcome.tab)
        if opt_in:
            if name not in self._opt_in:
                return  # deleted or opted out while the pass ran
            self._opt_in.discard(name)
        elif name not in self.links:
            return  # no longer synced (stopped or deleted while the pass ran)
        index = self.lists.index_of(name)
        if index is None:
            return
        if outcome.message:
            self.notes[name] = outcome.message
        if outcome.link is None:
            if not opt_in:
                self.links.pop(name, None)
            return
        current = self.links.get(name)
        renamed_meanwhile = current is not None and name != outcome.tab
        rename_to = current.rename_to if renamed_meanwhile and current else outcome.link.rename_to
        self.links[name] = outcome.link.with_(tab=name, rename_to=rename_to)
        if outcome.symbols is not None:
            here = normalise(self.lists.symbols(index))
            wanted = outcome.symbols
            if here != outcome.local_sent:  # edited while the pass ran: keep those edits
                wanted = merge(outcome.local_sent, here, outcome.symbols).symbols
            self.controller.set_list_symbols(index, wanted)
        if outcome.link.server_id in self.ignored:
            self.ignored.remove(outcome.link.server_id)

    def _add_imported(self, outcome: Outcome) -> None:
        link = outcome.link
        if link is None or any(x.server_id == link.server_id for x in self.links.values()):
            return
        name = outcome.tab
        if self.lists.name_problem(name) is not None:  # a local tab has that name: keep both
            name = self.lists.unique_name(name.strip()[:30] or "Alpaca")
        index = self.lists.add_list(name, outcome.symbols or ())
        name = self.lists.names()[index]
        self.links[name] = link.with_(tab=name)

    # --- state shown and saved ------------------------------------------------------------

    def _ignore(self, server_id: str) -> None:
        if server_id not in self.ignored:
            self.ignored.append(server_id)
            del self.ignored[:-MAX_IGNORED]

    def _save(self) -> None:
        self.settings.set_watchlist_sync(links_to_json(self.links.values(), self.ignored))

    def _mark(self) -> None:
        marks = {}
        for name, link in self.links.items():
            words = f"synced with Alpaca watchlist \u201c{link.server_name}\u201d"
            if link.refused:
                words += f"; not on Alpaca (refused): {', '.join(link.refused)}"
            if note := self.notes.get(name):
                words += f"\nLast sync: {note}"
            marks[name] = words
        self.tabs.set_marks(marks)

    def _say(self, text: str) -> None:
        log.info("%s", text)
        self.messages.append(text)
        self.tabs.message_shown.emit(text)

    def synced_names(self) -> Sequence[str]:
        return list(self.links)
