"""The symbol budget applied: which watched symbols stream, which REST keeps alive.

Alpaca's free plan streams 30 symbols on its one connection (docs/account-and-history.md,
"Plans and limits"); every watchlist shares that connection. `BudgetKeeper` splits the
watchlists' priority order (`WatchlistSet.priority`: the visible list in row order, then
the other lists in tab order) with `engine.plan.SymbolBudget` whenever that order
changes, hands the first part to the stream and the rest to REST polling, and lowers
the budget when the server refuses a subscribe with 405 (docs/protocol.md, "Handshake":
the subscription stays as it was, so asking for less is the only way on). No entry
ever leaves a watchlist because of the budget.

The stream client watches and unwatches the store for the symbols it streams; with a
budget that is only part of what the watchlists hold, so it gets `watchlist_owned`,
a view of the store in which watching belongs to the watchlists (WatchlistSet owns the
watched union) and a symbol moving from streaming to polling keeps its row's data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import QObject, QTimer, Signal

from engine.events import Subscription
from engine.plan import BudgetSplit, SymbolBudget, counted_symbols
from gui.watchlists.book import WatchlistSet

if TYPE_CHECKING:
    from engine.market.store import MarketDataStore
    from engine.net.rest import SnapshotPoller
    from engine.protocol.session import Refusal

REFUSAL_CHECK_MS = 250


class _WatchlistOwnedStore:
    """Everything of the store except watch/unwatch, which the watchlists own."""

    __slots__ = ("_store",)

    def __init__(self, store: MarketDataStore) -> None:
        self._store = store

    def watch(self, symbols: Iterable[str]) -> None:
        """The watchlists watched them already (WatchlistSet before union_changed)."""

    def unwatch(self, symbols: Iterable[str]) -> None:
        """Not streamed is not unwatched: REST keeps the row alive."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def watchlist_owned(store: MarketDataStore) -> MarketDataStore:
    """`store` as the stream client should see it under a symbol budget."""
    return cast("MarketDataStore", _WatchlistOwnedStore(store))


class BudgetKeeper(QObject):
    """Keeps stream and REST polling on the budget's split of the watchlists' priority.

    `stream` gets the symbols to stream (StreamClient.set_symbols); the poller given to
    `set_poller` keeps the rest alive (SnapshotPoller.keep_alive).
    """

    applied = Signal(object)  # the BudgetSplit just handed to stream and REST

    def __init__(
        self,
        lists: WatchlistSet,
        budget: SymbolBudget,
        *,
        stream: Callable[[Sequence[str]], None],
        refusal: Callable[[], Refusal | None],
        confirmed: Callable[[], Subscription],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.lists = lists
        self.budget = budget
        self._stream = stream
        self._poller: SnapshotPoller | None = None
        self._refusal = refusal
        self._confirmed = confirmed
        self._applied: tuple[frozenset[str], frozenset[str]] | None = None
        self._seen: Refusal | None = None
        lists.priority_changed.connect(self.apply)
        # The stream session keeps its last refusal; looking a few times a second costs
        # one attribute read, and no engine object has to know Qt.
        self._timer = QTimer(self)
        self._timer.setInterval(REFUSAL_CHECK_MS)
        self._timer.timeout.connect(self.check_refusal)
        self._timer.start()

    @property
    def split(self) -> BudgetSplit:
        return self.budget.last

    def set_poller(self, poller: SnapshotPoller | None) -> None:
        """REST polling (re)started: it keeps the unstreamed symbols alive from now on."""
        self._poller = poller
        if poller is not None:
            poller.keep_alive(self.budget.last.polled)

    def apply(self, force: bool = False) -> BudgetSplit:
        """Split the priority order now; tell stream and REST if anything moved."""
        split = self.budget.split(self.lists.priority())
        sets = (frozenset(split.streamed), frozenset(split.polled))  # order is the budget's
        if force or sets != self._applied:
            self._applied = sets
            self._stream(list(split.streamed))
            if self._poller is not None:
                self._poller.keep_alive(split.polled)  # fetched at once, then every interval
            self.applied.emit(split)
        return split

    def check_refusal(self) -> None:
        """Learn from a new 405: stream what the server confirmed, poll the rest."""
        refusal = self._refusal()
        if refusal is None or refusal is self._seen:
            return
        self._seen = refusal
        asked = len(self.budget.last.streamed)
        if self.budget.note_refusal(refusal.code, asked, counted_symbols(self._confirmed())):
            self.apply()

    def stop(self) -> None:
        self._timer.stop()
