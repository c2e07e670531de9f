"""Watchlist sync rules as data in, data out (sans-I/O; docs/account-and-history.md,
"Watchlists in sync (how the app merges)").

A tab synced with an Alpaca watchlist keeps a `Link`: the server list's id and name and
the symbols both sides agreed on at the last sync (the merge base). A sync is a three-way
merge of base, the tab's symbols and the server's symbols:

- only one side changed: that side wins (its order too);
- both changed: additions from either side are kept, a removal on either side is applied,
  and the order is the server's followed by the additions made here.

`PUT /v2/watchlists/{id}` replaces the whole list, so the app always sends the merged full
list, never a stale copy. Alpaca answers 422 "asset not found" for the whole request
without naming the symbol: `RefusalSearch` finds it by bisecting the symbols the server
has not accepted before (those it holds are known good).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "MAX_IGNORED",
    "MAX_REFUSED",
    "Link",
    "Merge",
    "RefusalSearch",
    "links_from_json",
    "links_to_json",
    "merge",
    "merged_message",
    "normalise",
]

MAX_REFUSED = 50  # symbols Alpaca refused, remembered per link (not retried every pass)
MAX_IGNORED = 200  # server lists the user chose not to sync (Alpaca allows 200 lists)
MAX_SEARCH_TRIES = 16  # PUTs spent isolating refused symbols before giving up


def normalise(symbols: Iterable[str]) -> tuple[str, ...]:
    """Stripped, upper-case, unique, order kept (the keys WatchlistSet uses)."""
    return tuple(dict.fromkeys(s for s in (str(raw).strip().upper() for raw in symbols) if s))


@dataclass(frozen=True, slots=True)
class Link:
    """A tab synced with one Alpaca watchlist."""

    tab: str  # the tab's name here (tabs are looked up by name)
    server_id: str
    server_name: str  # the list's name on Alpaca at the last sync
    base: tuple[str, ...] = ()  # the symbols at the last sync: the merge base
    updated_ns: int | None = None  # the server's updated_at at the last sync
    refused: tuple[str, ...] = ()  # kept in the tab, refused by Alpaca: never pushed
    rename_to: str | None = None  # a rename made here, not yet pushed

    def with_(self, **changes: object) -> Link:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Merge:
    """The outcome of one three-way merge."""

    symbols: tuple[str, ...]
    added_remote: tuple[str, ...] = ()
    removed_remote: tuple[str, ...] = ()
    added_local: tuple[str, ...] = ()
    removed_local: tuple[str, ...] = ()
    local_changed: bool = False
    remote_changed: bool = False

    @property
    def conflict(self) -> bool:
        """Changed on both sides since the last sync (and not to the same list)."""
        return self.local_changed and self.remote_changed


def merge(base: Sequence[str], local: Sequence[str], remote: Sequence[str]) -> Merge:
    """Three-way merge of the tab (`local`) and the server list (`remote`) against `base`."""
    b, lo, re = normalise(base), normalise(local), normalise(remote)
    bset, lset, rset = set(b), set(lo), set(re)
    added_remote = tuple(s for s in re if s not in bset)
    removed_remote = tuple(s for s in b if s not in rset)
    added_local = tuple(s for s in lo if s not in bset)
    removed_local = tuple(s for s in b if s not in lset)
    local_changed, remote_changed = lo != b, re != b
    if not remote_changed or lo == re:
        symbols = lo
    elif not local_changed:
        symbols = re
    else:
        # Removals from either side applied: a removal here drops it from the server's
        # list, a removal there is already absent from it. Then the additions made here.
        gone_here = set(removed_local)
        symbols = normalise([*(s for s in re if s not in gone_here), *added_local])
    return Merge(
        symbols, added_remote, removed_remote, added_local, removed_local,
        local_changed and lo != re, remote_changed and lo != re,
    )  # fmt: skip


def _names(symbols: Sequence[str]) -> str:
    shown = ", ".join(symbols[:6])
    return shown + (f" and {len(symbols) - 6} more" if len(symbols) > 6 else "")


def merged_message(name: str, m: Merge) -> str | None:
    """What a sync did to tab `name`, in words (None: nothing to say)."""
    if m.conflict:
        parts = []
        if m.added_remote:
            parts.append(f"added {_names(m.added_remote)} from Alpaca")
        if m.removed_remote:
            parts.append(f"removed {_names(m.removed_remote)} (removed in Alpaca)")
        if m.added_local:
            parts.append(f"kept {_names(m.added_local)} added here")
        if m.removed_local:
            parts.append(f"removed {_names(m.removed_local)} (removed here)")
        return f"{name}: merged \u2014 {', '.join(parts) or 'order from Alpaca'}"
    if m.remote_changed:
        parts = []
        if m.added_remote:
            parts.append(f"added {_names(m.added_remote)}")
        if m.removed_remote:
            parts.append(f"removed {_names(m.removed_remote)}")
        return f"{name}: updated from Alpaca \u2014 {', '.join(parts) or 'new order'}"
    return None


class RefusalSearch:
    """Which symbols made Alpaca answer 422 "asset not found" to a whole-list PUT.

    Symbols the server already holds are known good; the others (suspects) are tried in
    groups, halving a refused group until the refused symbols stand alone. Drive it:
    `attempt()` gives the list to PUT next (None: done), then `accepted()` or `refused()`.
    Bounded: after MAX_SEARCH_TRIES attempts `gave_up` is set.
    """

    def __init__(self, wanted: Sequence[str], known_good: Iterable[str]) -> None:
        self.wanted = normalise(wanted)
        good = set(normalise(known_good))
        self._good = {s for s in self.wanted if s in good}
        suspects = [s for s in self.wanted if s not in good]
        self._pending: list[list[str]] = [suspects] if suspects else []
        self.refused_symbols: list[str] = []
        self.tries = 0
        self.gave_up = False
        self._last_accepted: tuple[str, ...] | None = None
        self._trying: tuple[str, ...] | None = None

    @property
    def final(self) -> tuple[str, ...]:
        """The wanted list without the refused symbols."""
        bad = set(self.refused_symbols)
        return tuple(s for s in self.wanted if s not in bad)

    def attempt(self) -> tuple[str, ...] | None:
        if self.gave_up:
            return None
        if self.tries >= MAX_SEARCH_TRIES:
            self.gave_up = True
            return None
        if self._pending:
            group = set(self._pending[0])
            self._trying = tuple(s for s in self.wanted if s in self._good or s in group)
        elif self._last_accepted != self.final:
            self._trying = self.final
        else:
            return None
        self.tries += 1
        return self._trying

    def accepted(self) -> None:
        self._last_accepted = self._trying
        if self._pending:
            self._good.update(self._pending.pop(0))

    def refused(self) -> None:
        if not self._pending:  # the final list (only known-good symbols) refused: give up
            self.gave_up = True
            return
        group = self._pending.pop(0)
        if len(group) == 1:
            self.refused_symbols.append(group[0])
        else:
            half = len(group) // 2
            self._pending[:0] = [group[:half], group[half:]]


# --- persistence (the settings hold one JSON text; gui.settings.persistence) ---------------


def links_to_json(links: Iterable[Link], ignored: Iterable[str]) -> str:
    data = {
        "links": [
            {
                "tab": link.tab, "id": link.server_id, "name": link.server_name,
                "base": list(link.base), "updated_ns": link.updated_ns,
                "refused": list(link.refused), "rename_to": link.rename_to,
            }
            for link in links
        ],
        "ignored": list(ignored)[-MAX_IGNORED:],
    }  # fmt: skip
    return json.dumps(data)


def _strs(value: object) -> tuple[str, ...]:
    return normalise(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def links_from_json(text: str | None) -> tuple[list[Link], list[str], list[str]]:
    """(links, ignored server ids, problems in words); never raises."""
    if not text:
        return [], [], []
    try:
        data = json.loads(text)
    except ValueError as exc:
        return [], [], [f"watchlist sync settings unreadable ({exc}); no tab is synced"]
    if not isinstance(data, dict):
        return [], [], ["watchlist sync settings are not an object; no tab is synced"]
    links: list[Link] = []
    problems: list[str] = []
    seen_tabs: set[str] = set()
    raw_links = data.get("links")
    for item in raw_links if isinstance(raw_links, list) else []:
        tab = item.get("tab") if isinstance(item, dict) else None
        wid = item.get("id") if isinstance(item, dict) else None
        if not (isinstance(tab, str) and tab and isinstance(wid, str) and wid) or tab in seen_tabs:
            problems.append(f"skipped a bad watchlist sync entry: {str(item)[:80]}")
            continue
        assert isinstance(item, dict)
        seen_tabs.add(tab)
        name, updated, rename = item.get("name"), item.get("updated_ns"), item.get("rename_to")
        links.append(Link(
            tab, wid, name if isinstance(name, str) else tab, _strs(item.get("base")),
            updated if isinstance(updated, int) and not isinstance(updated, bool) else None,
            _strs(item.get("refused"))[:MAX_REFUSED],
            rename if isinstance(rename, str) and rename else None,
        ))  # fmt: skip
    raw_ignored = data.get("ignored")
    ignored = (
        [v for v in raw_ignored if isinstance(v, str)] if isinstance(raw_ignored, list) else []
    )
    return links, ignored[-MAX_IGNORED:], problems
