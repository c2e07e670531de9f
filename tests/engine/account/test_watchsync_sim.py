"""Watchlist sync passes against the real simulator over 127.0.0.1 (no mocks of httpx):
import, push, pull, a conflict, a 422 "asset not found" and the SyncLoop's pokes."""

from __future__ import annotations

import asyncio
from typing import Any

from engine.account.client import TradingRest
from engine.account.watchsync import Link
from engine.account.watchsync_io import Outcome, PassRequest, SyncLoop, run_pass
from engine.core.tasks import TaskSet
from tests.engine.account.simharness import Harness, harness, run
from tests.waits import until

DEMO = ("AAPL", "MSFT", "NVDA", "SPY", "TSLA")


async def server_list(h: Harness, name: str = "Demo") -> tuple[str, list[str]]:
    response = await h.broker.get("/v2/watchlists:by_name", params={"name": name})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body["id"], [a["symbol"] for a in body["assets"]]


async def imported(rest: TradingRest) -> Link:
    outcomes = await run_pass(rest, PassRequest(import_new=True))
    assert [(o.tab, o.new_tab, o.symbols) for o in outcomes] == [("Demo", True, DEMO)]
    link = outcomes[0].link
    assert link is not None
    assert link.base == DEMO
    return link


async def one(rest: TradingRest, link: Link, local: tuple[str, ...]) -> Outcome:
    outcomes = await run_pass(rest, PassRequest(links=((link, local),)))
    assert len(outcomes) == 1, outcomes
    return outcomes[0]


def test_import_then_nothing_changed_spends_no_list_request() -> None:
    async def scenario() -> None:
        async with harness(start=False) as h:
            rest = h.service.rest
            link = await imported(rest)
            assert await run_pass(rest, PassRequest(links=((link, DEMO),))) == []
            # Imported once: a second import pass makes no second tab of a linked list.
            again = await run_pass(rest, PassRequest(links=((link, DEMO),), import_new=True))
            assert again == []

    run(scenario())


def test_a_local_add_is_pushed_as_the_full_list() -> None:
    async def scenario() -> None:
        async with harness(start=False) as h:
            rest = h.service.rest
            link = await imported(rest)
            out = await one(rest, link, (*DEMO, "QQQ"))
            assert out.error is None
            assert out.message is None
            assert out.symbols == (*DEMO, "QQQ")
            assert out.link is not None
            assert out.link.base == (*DEMO, "QQQ")
            assert (await server_list(h))[1] == [*DEMO, "QQQ"]

    run(scenario())


def test_a_change_made_on_the_server_is_pulled() -> None:
    async def scenario() -> None:
        async with harness(start=False) as h:
            rest = h.service.rest
            link = await imported(rest)
            wid, _ = await server_list(h)
            r = await h.broker.delete(f"/v2/watchlists/{wid}/NVDA")
            assert r.status_code == 200
            r = await h.broker.post(f"/v2/watchlists/{wid}", json={"symbol": "IWM"})
            assert r.status_code == 200
            out = await one(rest, link, DEMO)
            assert out.symbols == ("AAPL", "MSFT", "SPY", "TSLA", "IWM")
            assert out.message == "Demo: updated from Alpaca \u2014 added IWM, removed NVDA"
            assert (await server_list(h))[1] == list(out.symbols)

    run(scenario())


def test_changed_on_both_sides_merges_with_nothing_lost() -> None:
    async def scenario() -> None:
        async with harness(start=False) as h:
            rest = h.service.rest
            link = await imported(rest)
            wid, _ = await server_list(h)
            # Elsewhere: NVDA removed, QQQ added. Here: IWM added, TSLA removed.
            r = await h.broker.put(
                f"/v2/watchlists/{wid}", json={"name": "Demo",
                                               "symbols": ["AAPL", "MSFT", "SPY", "TSLA", "QQQ"]},
            )  # fmt: skip
            assert r.status_code == 200
            out = await one(rest, link, ("AAPL", "MSFT", "NVDA", "SPY", "IWM"))
            merged = ("AAPL", "MSFT", "SPY", "QQQ", "IWM")
            assert out.symbols == merged
            assert (await server_list(h))[1] == list(merged)
            assert out.message == (
                "Demo: merged \u2014 added QQQ from Alpaca, removed NVDA (removed in Alpaca), "
                "kept IWM added here, removed TSLA (removed here)"
            )

    run(scenario())


def test_a_refused_symbol_is_named_and_the_rest_synced() -> None:
    async def scenario() -> None:
        async with harness(start=False) as h:
            rest = h.service.rest
            link = await imported(rest)
            local = (*DEMO, "ZZZZQ", "QQQ")
            out = await one(rest, link, local)
            assert out.refused == ("ZZZZQ",)
            assert out.message is not None
            assert "Alpaca refused ZZZZQ (asset not found)" in (out.message)
            assert (await server_list(h))[1] == [*DEMO, "QQQ"]
            assert out.symbols == (*DEMO, "QQQ", "ZZZZQ")  # kept here, marked refused
            assert out.link is not None
            assert out.link.refused == ("ZZZZQ",)
            # The next pass does not try ZZZZQ again: nothing to do at all.
            assert out.symbols is not None
            assert await run_pass(rest, PassRequest(links=((out.link, out.symbols),))) == []

    run(scenario())


def test_opt_in_links_or_creates_and_a_deleted_list_unlinks() -> None:
    async def scenario() -> None:
        async with harness(start=False) as h:
            rest = h.service.rest
            request = PassRequest(opt_in=(("Mine", ("TSLA", "IWM")), ("Demo", ("QQQ",))))
            created, linked = await run_pass(rest, request)
            assert created.link is not None
            assert created.symbols == ("TSLA", "IWM")
            assert (await server_list(h, "Mine"))[1] == ["TSLA", "IWM"]
            assert linked.symbols == (*DEMO, "QQQ")  # linked to the existing list: union
            assert (await server_list(h))[1] == [*DEMO, "QQQ"]
            r = await h.broker.delete(f"/v2/watchlists/{created.link.server_id}")
            assert r.status_code == 204
            (gone,) = await run_pass(rest, PassRequest(links=((created.link, ("TSLA",)),)))
            assert gone.link is None
            assert gone.symbols is None
            assert gone.message == (
                "Alpaca watchlist \u201cMine\u201d no longer exists: \u201cMine\u201d stays "
                "here as a local list"
            )

    run(scenario())


def test_sync_loop_runs_on_poke_and_on_its_interval() -> None:
    async def scenario() -> None:
        passes: list[float] = []
        failures = 0

        async def work() -> None:
            nonlocal failures
            passes.append(asyncio.get_running_loop().time())
            if len(passes) == 2:
                failures += 1
                raise RuntimeError("one pass fails")

        tasks = TaskSet()
        loop = SyncLoop(work, tasks, interval_s=3600.0)
        loop.start()
        await until(lambda: len(passes) == 1, "the first pass at once")
        loop.poke()
        await until(lambda: len(passes) == 2, "a poked pass")
        await until(lambda: loop.failures == 1, "the failure counted")
        assert loop.last_error == "one pass fails"
        loop.poke()
        await until(lambda: len(passes) == 3, "a failure does not end the loop")
        loop.interval_s = 0.05
        loop.poke(3600.0)  # a later poke does not delay what is due sooner
        loop.poke()
        await until(lambda: len(passes) >= 5, "interval passes")
        await loop.stop()
        await tasks.cancel_all()
        assert not loop.started

    run(scenario())
