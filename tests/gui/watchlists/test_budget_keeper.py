"""WatchlistSet.priority and BudgetKeeper: the budget's split follows tabs and rows, and a
405 lowers it (no sockets: the stream and poller are recorded calls)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from engine.events import ServerError, Subscription
from engine.market.store import MarketDataStore
from engine.plan import MarketDataPlan, PlanLimit, SymbolBudget
from engine.protocol.session import Refusal, Request
from gui.watchlists.book import WatchlistSet
from gui.watchlists.budget import BudgetKeeper, watchlist_owned

TAB_A = [f"A{i:02d}" for i in range(20)]
TAB_B = [f"B{i:02d}" for i in range(14)]


class FakePoller:
    def __init__(self) -> None:
        self.kept: list[tuple[str, ...]] = []

    def keep_alive(self, symbols: Iterable[str]) -> None:
        self.kept.append(tuple(symbols))


def _keeper(lists: WatchlistSet, budget: SymbolBudget, state: dict[str, Any]) -> BudgetKeeper:
    def stream(symbols: Sequence[str]) -> None:
        state["streamed"].append(list(symbols))

    keeper = BudgetKeeper(
        lists, budget, stream=stream, refusal=lambda: state["refusal"],
        confirmed=lambda: state["confirmed"],
    )  # fmt: skip
    keeper.set_poller(state["poller"])
    return keeper


def _state() -> dict[str, Any]:
    return {"streamed": [], "refusal": None, "confirmed": Subscription(), "poller": FakePoller()}


def test_priority_is_the_visible_tab_then_the_others_in_tab_order(
    qapp: Any, store: MarketDataStore
) -> None:
    lists = WatchlistSet(store)
    changes: list[None] = []
    lists.priority_changed.connect(lambda: changes.append(None))
    lists.load([("A", ["X", "Y"]), ("B", ["Z", "X"]), ("C", ["W"])], active=1)
    assert lists.priority() == ["Z", "X", "Y", "W"]
    before = len(changes)
    lists.set_active(2)
    assert lists.priority() == ["W", "X", "Y", "Z"]
    lists.move_list(0, 1)  # tab order B, A, C
    assert lists.priority() == ["W", "Z", "X", "Y"]
    lists.set_symbols(2, ["V", "W"])  # a row reorder/add in the visible tab
    assert lists.priority()[:2] == ["V", "W"]
    assert len(changes) >= before + 3
    assert sorted(lists.union()) == sorted(lists.priority())  # same symbols, other order


def test_keeper_streams_the_first_30_and_polls_the_rest_and_follows_tab_switches(
    qapp: Any, store: MarketDataStore
) -> None:
    lists = WatchlistSet(store)
    lists.load([("A", TAB_A), ("B", TAB_B)])
    state = _state()
    keeper = _keeper(lists, SymbolBudget(PlanLimit()), state)
    split = keeper.apply()
    assert state["streamed"][-1] == TAB_A + TAB_B[:10]
    assert state["poller"].kept[-1] == tuple(TAB_B[10:])
    assert split.polled == tuple(TAB_B[10:])
    calls = len(state["streamed"])
    keeper.apply()  # nothing moved: nobody is told again
    assert len(state["streamed"]) == calls
    lists.set_active(1)
    assert state["streamed"][-1] == TAB_B + TAB_A[:16]
    assert state["poller"].kept[-1] == tuple(TAB_A[16:])
    lists.set_symbols(0, TAB_A[:10])  # fewer symbols: all stream, none polled
    assert state["poller"].kept[-1] == ()
    assert sorted(state["streamed"][-1]) == sorted(TAB_B + TAB_A[:10])
    keeper.stop()


def test_keeper_learns_from_a_405_once_per_refusal(qapp: Any, store: MarketDataStore) -> None:
    lists = WatchlistSet(store)
    lists.load([("A", TAB_A), ("B", TAB_B)])
    state = _state()
    budget = SymbolBudget(PlanLimit(MarketDataPlan.BASIC))
    keeper = _keeper(lists, budget, state)
    keeper.apply()
    asked = Subscription(trades=frozenset(TAB_A + TAB_B[:10]))
    confirmed = frozenset(TAB_A + TAB_B[:5])
    state["confirmed"] = Subscription(trades=confirmed, quotes=confirmed)
    refused = ServerError(405, "symbol limit exceeded")
    state["refusal"] = Refusal(refused, Request("subscribe", asked))
    keeper.check_refusal()
    assert budget.limit == 25
    assert state["streamed"][-1] == TAB_A + TAB_B[:5]
    assert state["poller"].kept[-1] == tuple(TAB_B[5:])
    calls = len(state["streamed"])
    keeper.check_refusal()  # the same refusal again: nothing more to learn
    assert len(state["streamed"]) == calls
    keeper.stop()


def test_the_stream_clients_view_of_the_store_leaves_watching_to_the_watchlists(
    store: MarketDataStore,
) -> None:
    store.watch(["AAPL", "MSFT"])
    view = watchlist_owned(store)
    view.unwatch(["MSFT"])  # no longer streamed, still watched: REST keeps the row
    view.watch(["NEW"])
    assert store.symbols() == ["AAPL", "MSFT"]
    assert view.get("AAPL") is store.get("AAPL")
    assert view.apply_stream == store.apply_stream  # the hot path is the store's own
