"""Toolbar with the add-symbols field (syntax checked at once, then existence) and filter.

Validation is two-step: `engine.config.parse_symbols` refuses bad syntax before any
network traffic; then existence. With the account's asset list loaded (a
`SymbolDirectory`, engine.account.assets_cache) the list decides at once, without a
network round trip, and the field suggests symbols by ticker or company name while
typing (gui.watchlists.search). Without a list (no account, not loaded yet) the REST
snapshot endpoint tells which symbols exist, when a checker is available (Alpaca omits
unknown symbols from its answer). Bad syntax refuses the whole text (kept in the field to
fix). Unknown symbols cost only themselves: the good ones of a pasted list are added, the
refused ones are named in the message and left in the field (issue 18, #4).

In the demo (`open_universe`) the simulator makes a market for any well-formed ticker
(engine.simulator.universe): its asset list, loaded at start, is not the last word, so a
ticker the list lacks (COIN, PLTR) goes to the snapshot check, which lists it.

The field is never disabled while a check runs: a disabled widget gives its focus away
(to the Filter field next in the chain, where the next ticker typed filtered the table to
nothing: issue 18, #3). The text being checked leaves the field at once, so the next
ticker can be typed; refused symbols come back into it.

A big paste (10,000 symbols) is bounded, never silently cut: the field holds up to
MAX_FIELD_CHARS (QLineEdit's own default, 32,767, would drop the tail of the paste without
a word); one Enter adds at most PASTE_LIMIT new symbols and leaves the rest in the field,
said in the message, so the next Enter adds the next batch and nothing is lost
(docs/reliability.md, "Bad input"). Messages name a few symbols and count the rest.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Collection

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QLineEdit, QToolBar, QWidget

from engine.account.assets_cache import SymbolDirectory
from engine.account.models import Asset
from engine.config import parse_symbols
from engine.core.tasks import TaskSet
from gui.settings.theme import LIGHT, Palette
from gui.watchlists.filtermark import FilterMark
from gui.watchlists.search import SymbolField

log = logging.getLogger(__name__)

# Returns the subset of the given symbols that exist; raises on network/REST failure.
SymbolChecker = Callable[[list[str]], Awaitable[set[str]]]

PASTE_LIMIT = 500  # new symbols one Enter adds at most (the REST check's batch stays small)
MAX_FIELD_CHARS = 200_000  # ~15,000 symbols; a longer paste is cut here, and said so
NAMED_IN_MESSAGE = 10  # symbols a message names before it counts the rest
MAX_PENDING_CHECKS = 4  # snapshot checks in flight at once (Enter after Enter)


def _message_css(palette: Palette, error: bool) -> str:
    # The status bar's bad/ok levels: AA contrast on the window colour of each theme.
    return f"QLabel {{ color: {palette.levels['bad' if error else 'ok']}; }}"


class WatchlistBar(QToolBar):
    """Emits `symbols_accepted(list)` only for symbols that passed every check."""

    symbols_accepted = Signal(list)
    message_shown = Signal(str)  # every outcome, for the status bar and tests
    filter_changed = Signal(str)

    def __init__(
        self,
        tasks: TaskSet,
        existing: Callable[[], Collection[str]],
        checker: SymbolChecker | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Watchlist", parent)
        self.setObjectName("watchlistBar")
        self._tasks = tasks
        self._existing = existing
        self.checker = checker
        self.directory: SymbolDirectory | None = None
        self.add_field = SymbolField(self)
        self.add_field.setObjectName("addSymbolsField")
        self.add_field.setPlaceholderText("Add symbols: AAPL, BRK.B …  (Ctrl+N)")
        self.add_field.setClearButtonEnabled(True)
        self.add_field.setMaxLength(MAX_FIELD_CHARS)
        self.add_field.setMinimumWidth(240)
        self.add_field.setToolTip(_FIELD_TIP)
        self.add_field.returnPressed.connect(self.submit)
        self.addWidget(self.add_field)
        self.add_action = self.addAction("Add")
        self.add_action.triggered.connect(self.submit)
        self.message = QLabel(self)
        self.message.setObjectName("addSymbolsMessage")
        # Echoes what the user typed: never let Qt's rich-text sniffing render "<h1>…".
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setMinimumWidth(200)
        self.addWidget(self.message)
        self.addSeparator()
        self.filter_field = QLineEdit(self)
        self.filter_field.setObjectName("filterField")
        self.filter_field.setPlaceholderText("Filter (Ctrl+F)")
        self.filter_field.setClearButtonEnabled(True)
        self.filter_field.setMaximumWidth(160)
        self.filter_field.textChanged.connect(self.filter_changed)
        self.addWidget(self.filter_field)
        self.filter_mark = FilterMark(self.filter_field, self)
        self.filter_mark.place_in(self)
        self.clear_filter_action = self.filter_mark.clear_action  # Esc
        # Not toolbar buttons: the window adds them to its menu so the shortcuts work
        # window-wide (an action hidden with setVisible(False) has dead shortcuts).
        self.focus_add_action = QAction("Add symbols…", self)
        self.focus_add_action.setShortcut(QKeySequence("Ctrl+N"))
        self.focus_add_action.triggered.connect(self.focus_add)
        self.focus_filter_action = QAction("Filter…", self)
        self.focus_filter_action.setShortcut(QKeySequence.StandardKey.Find)
        self.focus_filter_action.triggered.connect(self.focus_filter)
        self.pending = 0  # snapshot checks in flight
        # The demo: any well-formed ticker gets a simulated market (module docstring).
        self.open_universe = False
        # Counters (docs/reliability.md, "Bad input"): pastes over the limit, symbols left
        # in the field for a later Enter, pastes cut at MAX_FIELD_CHARS.
        self.over_limit = 0
        self.left_in_field = 0
        self.field_full = 0
        self.palette_in_use = LIGHT
        self.message_is_error = False

    @property
    def busy(self) -> bool:
        """A snapshot check is in flight (the field stays usable meanwhile)."""
        return self.pending > 0

    def set_open_universe(self, on: bool) -> None:
        """The demo's rule: any well-formed ticker is accepted (the simulator lists it)."""
        self.open_universe = on
        self._on_directory()

    def set_directory(self, directory: SymbolDirectory | None) -> None:
        """Search and validate against `directory`'s asset list (None: the REST check)."""
        if self.directory is not None:
            self.directory.remove_listener(self._on_directory)
        self.directory = directory
        self.add_field.search = self._search if directory is not None else None
        if directory is not None:
            directory.add_listener(self._on_directory)
        self._on_directory()

    def _search(self, query: str) -> list[Asset]:
        assets = self.directory.assets if self.directory is not None else None
        return assets.search(query) if assets is not None else []

    def _on_directory(self) -> None:
        directory = self.directory
        tip = _FIELD_TIP
        if directory is not None:
            loaded = directory.assets is not None
            tip = "\n".join([tip, *([_SEARCH_TIP] if loaded else []), directory.describe()])
        if self.open_universe:
            tip = f"{tip}\n{_DEMO_TIP}"
        self.add_field.setToolTip(tip)
        note = directory.take_note() if directory is not None else None
        if note:  # a failed refresh, said once (engine.account.assets_cache)
            self.show_message(note, error=True)

    def focus_add(self) -> None:
        self.add_field.setFocus()
        self.add_field.selectAll()

    def focus_filter(self) -> None:
        self.filter_field.setFocus()
        self.filter_field.selectAll()

    def show_message(self, text: str, error: bool) -> None:
        self.message.setText(text)
        self.message.setToolTip(text)
        self.message_is_error = error
        self.message.setStyleSheet(_message_css(self.palette_in_use, error))
        self.message_shown.emit(text)

    def set_palette(self, palette: Palette) -> None:
        """Re-colour the message (shown or next) in the theme's error/OK colours."""
        self.palette_in_use = palette
        if self.message.text():
            self.message.setStyleSheet(_message_css(palette, self.message_is_error))
        self.filter_mark.set_palette(palette)

    def submit(self) -> None:
        """Validate the field's text; accepted symbols are emitted (maybe after REST)."""
        text = self.add_field.text()
        cut = ""
        if len(text) >= MAX_FIELD_CHARS:  # the paste may have been longer: say so
            self.field_full += 1
            text = _SPLIT_TAIL.sub("", text)  # the last piece may be half a symbol
            cut = f" (the field holds {MAX_FIELD_CHARS:,} characters: the paste was cut there)"
            log.warning("add-symbols field full: a paste was cut at %d characters", MAX_FIELD_CHARS)
        # No limit while parsing (bounded by the field's length): the limit applies to the
        # new symbols, so symbols already watched never use up a paste's share.
        result = parse_symbols(text, limit=MAX_FIELD_CHARS)
        if result.invalid:
            shown = "; ".join(f"{piece}: {reason}" for piece, reason in result.invalid[:3])
            more = f" (+{len(result.invalid) - 3} more)" if len(result.invalid) > 3 else ""
            self.show_message(f"Not added — {shown}{more}{cut}", error=True)
            return
        existing = set(self._existing())
        fresh = [s for s in result.valid if s not in existing]
        if not fresh:
            if result.valid:
                self.show_message(f"Already watched: {_names(result.valid)}{cut}", error=True)
            else:
                self.show_message("Type one or more symbols, e.g. AAPL, MSFT", error=True)
            return
        if self.pending >= MAX_PENDING_CHECKS:  # bounded; the text stays for the next Enter
            self.show_message("Still checking the last symbols: press Enter again in a "
                              "moment", error=True)  # fmt: skip
            return
        new, rest = fresh[:PASTE_LIMIT], fresh[PASTE_LIMIT:]
        note = _rest_note(len(rest)) + cut
        if rest:
            self.over_limit += 1
            self.left_in_field += len(rest)
            log.info("paste of %d new symbols: %d added, %d left in the field",
                     len(fresh), len(new), len(rest))  # fmt: skip
        # What is not added this time goes back into the field: the next Enter adds it.
        self.add_field.hide_popup()
        self.add_field.setText(", ".join(rest))
        assets = self.directory.assets if self.directory is not None else None
        refused = assets.refusals(new) if assets is not None else []
        if assets is not None and not (refused and self.open_universe):
            # The asset list decides, no network round trip.
            good = [s for s in new if s in assets]
            shown = "; ".join(refused[:3])
            more = f" (+{len(refused) - 3} more)" if len(refused) > 3 else ""
            self._settle(good, [s for s in new if s not in assets], f"{shown}{more}", note)
            return
        if self.checker is None:
            self._settle(new, [], "", note)
            return
        self.pending += 1
        self.show_message(f"Checking {_names(new)} …", error=False)
        self._tasks.spawn(self._check(new, note), name="tickerdesk-check-symbols")

    async def _check(self, symbols: list[str], note: str) -> None:
        assert self.checker is not None
        try:
            known = await self.checker(symbols)
        except Exception as exc:  # REST down: the stream itself is the last word
            log.warning("symbol check failed: %s", exc)
            self.pending -= 1
            self._settle(symbols, [], "", f" (not verified: {exc}){note}")
            return
        except BaseException:  # cancelled at shutdown: nothing to say
            self.pending -= 1
            raise
        self.pending -= 1
        unknown = [s for s in symbols if s not in known]
        good = [s for s in symbols if s in known]
        self._settle(good, unknown, f"unknown symbol: {_names(unknown)}", note)

    def _settle(self, good: list[str], refused: list[str], why: str, note: str) -> None:
        """Add `good`; name `refused` (`why`) and put them back in the field to fix."""
        if refused:
            typed = self.add_field.text().strip()  # what was typed meanwhile stays
            self.add_field.setText(", ".join(refused) + (f", {typed}" if typed else ""))
        if not good:
            self.show_message(f"Not added — {why}", error=True)
            return
        tail = f" · not added — {why}" if refused else ""  # the field shows them
        self.show_message(f"Added {_names(good)}{note}{tail}", error=bool(note or refused))
        self.symbols_accepted.emit(good)


_FIELD_TIP = "Comma- or space-separated symbols; Enter adds them"
_DEMO_TIP = "Demo: any well-formed ticker gets a simulated market"
_SEARCH_TIP = "Type a symbol or a company name: Up/Down choose, Tab completes, Enter adds"


_SPLIT_TAIL = re.compile(r"[^\s,;]+$")  # the last piece of a cut paste


def _names(symbols: list[str]) -> str:
    """A few symbols by name ("AAPL, MSFT"), many counted ("1,000 symbols (AAPL, MSFT, …
    ZTS)"): the message stays one short line whatever was pasted."""
    if len(symbols) <= NAMED_IN_MESSAGE:
        return ", ".join(symbols)
    return f"{len(symbols):,} symbols ({', '.join(symbols[:3])} … {symbols[-1]})"


def _rest_note(rest: int) -> str:
    # Say what was left out instead of dropping it: it stays in the field for the next Enter.
    if not rest:
        return ""
    return (f"; {rest:,} more not added (at most {PASTE_LIMIT} at once): "
            "they are left in the field, press Enter to add them")  # fmt: skip
