"""Watchlist sync over the Trading API: one pass at a time, on a timer or when poked.

The rules are sans-I/O (engine.account.watchsync); this module spends the requests. All
of them go through `TradingRest`, so through the key's one request budget, with a 429's
Retry-After honoured there (docs/account-and-history.md, "Plans and limits"). A pass:

1. `GET /v2/watchlists` (ids, names, updated_at; no symbols);
2. each linked tab: its list by id, else by its last name (a list deleted and made again,
   or the demo simulator's fresh ids after a restart), else it is unlinked, in words;
3. tabs the user asked to sync: linked to the server list of the same name (merged from an
   empty base, so nothing is lost), else a new server list is created;
4. server lists no tab is linked to (and the user did not decline): new tabs;
5. each link whose tab or server list changed since the last sync: `GET` the list, merge,
   and `PUT` the merged full list if the server's differs (docs/account-and-history.md,
   "Watchlists (server side)": PUT replaces the whole list).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from engine.account.client import TradingRest
from engine.account.models import ServerWatchlist
from engine.account.watchsync import (
    MAX_REFUSED,
    Link,
    RefusalSearch,
    merge,
    merged_message,
    normalise,
)
from engine.core.tasks import TaskSet, cancel_and_wait
from engine.net.rest import RestError

__all__ = ["Outcome", "PassRequest", "SyncLoop", "push_list", "run_pass"]

log = logging.getLogger(__name__)

MAX_IMPORTS = 50  # new tabs per pass: an account with 200 lists does not spend a minute's budget


@dataclass(frozen=True, slots=True)
class PassRequest:
    """What the tabs look like when a pass starts."""

    links: tuple[tuple[Link, tuple[str, ...]], ...] = ()  # each synced tab and its symbols
    opt_in: tuple[tuple[str, tuple[str, ...]], ...] = ()  # tabs to start syncing (name, symbols)
    import_new: bool = False  # make tabs of server lists no tab is linked to
    ignored: frozenset[str] = frozenset()  # server list ids not to import


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a pass did for one tab; the GUI applies it (rebasing edits made meanwhile)."""

    tab: str  # the tab's name when the pass started (an import: the server list's name)
    link: Link | None  # the link now; None: the tab is no longer synced (see `message`)
    local_sent: tuple[str, ...] = ()  # the tab's symbols the pass started from
    symbols: tuple[str, ...] | None = None  # what the tab holds now (None: leave it)
    message: str | None = None  # in words, for the status bar
    error: str | None = None
    new_tab: bool = False  # an imported list: make its tab
    refused: tuple[str, ...] = ()  # refused by Alpaca in this pass ("asset not found")


def _asset_not_found(exc: RestError) -> bool:
    return exc.status == 422 and "asset not found" in exc.message.lower()


async def push_list(
    rest: TradingRest,
    watchlist_id: str,
    name: str,
    wanted: Sequence[str],
    known_good: Sequence[str],
) -> tuple[ServerWatchlist | None, list[str], str | None]:
    """PUT `wanted` (the merged full list); on 422 "asset not found", find the refused
    symbols and PUT the rest. (last list the server accepted, refused symbols, error)."""
    search = RefusalSearch(wanted, known_good)
    accepted: ServerWatchlist | None = None
    while (attempt := search.attempt()) is not None:
        try:
            accepted = await rest.put_watchlist(watchlist_id, name, attempt)
        except RestError as exc:
            if not _asset_not_found(exc):
                raise
            search.refused()
            continue
        search.accepted()
    if search.gave_up:
        return accepted, search.refused_symbols, (
            f"Alpaca refused the list (asset not found) and the symbol could not be found "
            f"after {search.tries} tries"
        )  # fmt: skip
    return accepted, search.refused_symbols, None


def _refused_words(name: str, refused: Sequence[str]) -> str:
    which = ", ".join(refused)
    return (
        f"{name}: Alpaca refused {which} (asset not found); kept here, not synced, "
        f"the rest is synced"
    )


async def sync_link(
    rest: TradingRest, link: Link, local: Sequence[str], remote: ServerWatchlist
) -> Outcome:
    """Merge one synced tab with its server list (fetched by the caller) and push."""
    local_t = normalise(local)
    refused = tuple(s for s in link.refused if s in local_t)
    pushable = tuple(s for s in local_t if s not in refused)
    m = merge(link.base, pushable, remote.symbols)
    name = link.rename_to or remote.name
    messages = [text] if (text := merged_message(link.tab, m)) else []
    server = remote
    new_refused: list[str] = []
    error = None
    if m.symbols != remote.symbols or name != remote.name:
        accepted, new_refused, error = await push_list(
            rest, remote.id, name, m.symbols, remote.symbols
        )
        server = accepted or remote
        if new_refused:
            messages.append(_refused_words(link.tab, new_refused))
    all_refused = normalise([*refused, *new_refused])[:MAX_REFUSED]
    symbols = normalise([*server.symbols, *(s for s in local_t if s in all_refused)])
    new_link = link.with_(
        server_id=server.id, server_name=server.name, base=server.symbols,
        updated_ns=server.updated_ns, refused=all_refused,
        rename_to=None if server.name == name else link.rename_to,
    )  # fmt: skip
    if error:
        messages.append(f"{link.tab}: {error}")
    return Outcome(
        link.tab, new_link, local_t, symbols, "; ".join(messages) or None, error,
        refused=tuple(new_refused),
    )  # fmt: skip


async def _opt_in(
    rest: TradingRest, tab: str, local: Sequence[str], by_name: dict[str, ServerWatchlist]
) -> Outcome:
    existing = by_name.get(tab)
    if existing is None:
        created = await rest.create_watchlist(tab, [])
        link = Link(tab, created.id, created.name, (), created.updated_ns)
        remote = created
    else:
        link = Link(tab, existing.id, existing.name)
        remote = await rest.watchlist(existing.id)
    outcome = await sync_link(rest, link, local, remote)
    words = "created" if existing is None else "linked to the existing list"
    note = f"{tab}: synced with Alpaca ({words} \u201c{remote.name}\u201d)"
    message = f"{note}; {outcome.message}" if outcome.message else note
    return Outcome(
        tab, outcome.link, outcome.local_sent, outcome.symbols, message, outcome.error,
        refused=outcome.refused,
    )  # fmt: skip


async def run_pass(rest: TradingRest, request: PassRequest) -> list[Outcome]:
    """One sync pass (see the module doc); a failure of one tab does not stop the others.
    A failure of the first request (the list of lists) raises RestError."""
    server = await rest.watchlists()
    by_id = {w.id: w for w in server}
    by_name = {w.name: w for w in server}
    out: list[Outcome] = []
    linked: set[str] = set()
    for link, local in request.links:
        remote = by_id.get(link.server_id) or by_name.get(link.server_name)
        if remote is None:
            out.append(Outcome(link.tab, None, local, None,
                f"Alpaca watchlist \u201c{link.server_name}\u201d no longer exists: "
                f"\u201c{link.tab}\u201d stays here as a local list"))  # fmt: skip
            continue
        linked.add(remote.id)
        fresh = link.with_(server_id=remote.id) if remote.id != link.server_id else link
        unchanged_here = tuple(s for s in normalise(local) if s not in fresh.refused) == fresh.base
        if (
            unchanged_here and fresh.rename_to is None and remote.id == link.server_id
            and remote.updated_ns is not None and remote.updated_ns == link.updated_ns
        ):  # fmt: skip
            continue  # nothing changed on either side: no request spent
        out.append(await _guarded(link.tab, local, fresh, rest.watchlist(remote.id), rest))
    for tab, local in request.opt_in:
        taken = by_name.get(tab)
        if taken is not None and taken.id in linked:
            out.append(Outcome(tab, None, local, None,
                f"{tab}: not synced: Alpaca watchlist \u201c{tab}\u201d is synced with "
                f"another tab already", "already synced"))  # fmt: skip
            continue
        try:
            outcome = await _opt_in(rest, tab, local, by_name)
        except RestError as exc:
            outcome = Outcome(tab, None, local, None, f"{tab}: not synced: {exc.message}",
                              exc.message)  # fmt: skip
        if outcome.link is not None:
            linked.add(outcome.link.server_id)
        out.append(outcome)
    if request.import_new:
        fresh_lists = [w for w in server if w.id not in linked and w.id not in request.ignored]
        for listed in fresh_lists[:MAX_IMPORTS]:
            try:
                remote = await rest.watchlist(listed.id)
            except RestError as exc:
                log.warning("watchlist %r not imported: %s", listed.name, exc.message)
                continue
            link = Link(remote.name, remote.id, remote.name, remote.symbols, remote.updated_ns)
            words = f"Imported Alpaca watchlist \u201c{remote.name}\u201d"
            out.append(Outcome(remote.name, link, (), remote.symbols, words, new_tab=True))
    return out


async def _guarded(
    tab: str, local: tuple[str, ...], link: Link, fetch: Awaitable[ServerWatchlist],
    rest: TradingRest,
) -> Outcome:  # fmt: skip
    try:
        remote = await fetch
        return await sync_link(rest, link, local, remote)
    except RestError as exc:
        if exc.status == 422 and link.rename_to is not None:
            # The new name was refused (e.g. another Alpaca list has it): the symbols
            # still sync at the next pass, under the list's old name.
            return Outcome(tab, link.with_(rename_to=None), local, None,
                f"{tab}: Alpaca kept the name “{link.server_name}”: {exc.message}",
                exc.message)  # fmt: skip
        return Outcome(tab, link, local, None, f"{tab}: sync failed: {exc.message}", exc.message)


@dataclass
class SyncLoop:
    """Runs `run` once per `interval_s`, and sooner when poked; never two at once.

    `poke(delay_s)` asks for a pass within `delay_s` (a local edit debounced, a window
    focus at once); pokes made while a pass runs are kept for after it.
    """

    run: Callable[[], Awaitable[None]]
    tasks: TaskSet
    interval_s: float = 180.0
    passes: int = 0
    failures: int = 0
    last_error: str | None = None
    running: bool = False
    _due: float | None = None
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None

    def start(self, first_delay_s: float = 0.0) -> None:
        if self._task is None:
            self._due = None
            self._task = self.tasks.spawn(self._main(first_delay_s), name="watchlist-sync")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            await cancel_and_wait(task)

    @property
    def started(self) -> bool:
        return self._task is not None

    def poke(self, delay_s: float = 0.0) -> None:
        now = asyncio.get_event_loop().time()
        due = now + max(0.0, delay_s)
        self._due = due if self._due is None else min(self._due, due)
        self._wake.set()

    async def _main(self, first_delay_s: float) -> None:
        loop = asyncio.get_running_loop()
        self._due = loop.time() + first_delay_s
        while True:
            now = loop.time()
            due = self._due if self._due is not None else now + self.interval_s
            if due > now:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=due - now)
                    continue  # a poke: recompute when
                except TimeoutError:
                    pass
            self._due = None
            self.running = True
            try:
                await self.run()
                self.last_error = None
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # one failed pass must not end syncing
                self.failures += 1
                self.last_error = str(exc)[:200]
                log.warning("watchlist sync pass failed: %s", self.last_error)
            finally:
                self.running = False
                self.passes += 1
            if self._due is None:
                self._due = loop.time() + self.interval_s
