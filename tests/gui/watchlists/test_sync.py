"""Watchlist tabs in sync with the account's Alpaca watchlists, through the real simulator
over 127.0.0.1 (gui.watchlists.sync): import as a marked tab, push, pull on focus, a
conflict merged and said in words, a 422 for an unknown symbol, opt-in/opt-out per tab,
and a local-only tab that never reaches the server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from engine.account.client import TradingRest
from engine.account.watchsync import links_from_json
from engine.config import Credentials
from engine.core.tasks import TaskSet
from engine.net.rest import RestClient, RestConfig
from engine.simulator import Simulator, SimulatorConfig
from gui.watchlists.sync import WatchlistSync
from tests.waits import until

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

CREDS = Credentials("PKTEST", "s3cr3t-sync-VALUE")
DEMO = ["AAPL", "MSFT", "NVDA", "SPY", "TSLA"]


@dataclass
class Rig:
    window: Any
    sync: WatchlistSync
    broker: httpx.AsyncClient

    @property
    def lists(self) -> Any:
        return self.window.watchlists.lists

    async def server(self, name: str = "Demo") -> list[str] | None:
        r = await self.broker.get("/v2/watchlists:by_name", params={"name": name})
        if r.status_code == 404:
            return None
        assert r.status_code == 200, r.text
        return [a["symbol"] for a in r.json()["assets"]]

    async def server_names(self) -> list[str]:
        r = await self.broker.get("/v2/watchlists")
        return [w["name"] for w in r.json()]

    async def server_edit(self, symbols: list[str], name: str = "Demo") -> None:
        r = await self.broker.put(
            "/v2/watchlists:by_name", params={"name": name},
            json={"name": name, "symbols": symbols},
        )  # fmt: skip
        assert r.status_code == 200, r.text

    def index(self, name: str) -> int:
        index = self.lists.index_of(name)
        assert index is not None, self.lists.names()
        return int(index)

    async def passes(self, n: int = 1) -> None:
        """Wait for `n` more finished passes."""
        target = self.sync.loop.passes + n
        await until(lambda: self.sync.loop.passes >= target and not self.sync.loop.running,
                    f"{n} sync pass(es)")  # fmt: skip


@asynccontextmanager
async def rig(make_window: Callable[..., Any], **sync_kwargs: Any) -> AsyncIterator[Rig]:
    tasks = TaskSet()
    async with Simulator(SimulatorConfig(seed=5, rate=0.0)) as sim:
        rest = TradingRest(RestClient(RestConfig(sim.rest_url, credentials=CREDS)))
        headers = {"APCA-API-KEY-ID": CREDS.key_id, "APCA-API-SECRET-KEY": CREDS.secret}
        async with httpx.AsyncClient(base_url=sim.rest_url, headers=headers) as broker:
            window = make_window(tasks=tasks)
            sync_kwargs.setdefault("interval_s", 3600.0)
            sync_kwargs.setdefault("debounce_s", 0.05)
            sync_kwargs.setdefault("focus_gap_s", 0.0)
            sync = WatchlistSync(window.watchlists, rest, window.settings, tasks, **sync_kwargs)
            sync.start()
            try:
                yield Rig(window, sync, broker)
            finally:
                await sync.stop()
                await tasks.cancel_all()
                await rest.aclose()


def run(qloop: asyncio.AbstractEventLoop, coro: Any) -> None:
    qloop.run_until_complete(asyncio.wait_for(coro, 60.0))


def test_demo_watchlist_imported_as_a_marked_tab(qloop: Any, make_window: Any) -> None:
    async def scenario() -> None:
        async with rig(make_window) as r:
            await until(lambda: r.lists.index_of("Demo") is not None, "Demo imported")
            demo = r.index("Demo")
            assert r.lists.names() == ["Watchlist", "Demo"]
            assert r.lists.symbols(demo) == DEMO
            bar = r.window.watchlists.tabs.tab_bar
            assert "synced with Alpaca watchlist \u201cDemo\u201d" in bar.tabToolTip(demo)
            assert not bar.tabIcon(demo).isNull()
            assert bar.tabIcon(r.index("Watchlist")).isNull()  # local: no mark
            assert "Imported Alpaca watchlist \u201cDemo\u201d" in r.sync.messages
            saved, _ignored, _ = links_from_json(r.window.settings.watchlist_sync())
            assert [(x.tab, x.server_name, list(x.base)) for x in saved] == [("Demo", "Demo", DEMO)]

    run(qloop, scenario())


def test_local_add_is_pushed_and_local_tab_stays_local(qloop: Any, make_window: Any) -> None:
    async def scenario() -> None:
        async with rig(make_window) as r:
            await until(lambda: r.lists.index_of("Demo") is not None, "Demo imported")
            # A local-only tab: its edits never reach the server.
            r.window.watchlists.add_to_list(r.index("Watchlist"), ["IWM", "DIA"])
            r.lists.set_active(r.index("Demo"))
            r.window.add_symbols(["QQQ"])  # as the add field does, on the shown tab
            await until(lambda: r.sync.loop.passes >= 2, "a push")
            await r.passes(0)
            assert await r.server() == [*DEMO, "QQQ"]
            assert await r.server_names() == ["Demo"]
            assert await r.server("Watchlist") is None
            r.sync.sync_now()
            await r.passes()
            assert await r.server_names() == ["Demo"]

    run(qloop, scenario())


def test_server_change_pulled_on_focus(qloop: Any, make_window: Any) -> None:
    async def scenario() -> None:
        async with rig(make_window) as r:
            await until(lambda: r.lists.index_of("Demo") is not None, "Demo imported")
            r.lists.set_active(r.index("Demo"))
            await r.server_edit(["SPY", "AAPL", "MSFT", "NVDA", "TSLA", "IWM"])
            app = QGuiApplication.instance()
            assert isinstance(app, QGuiApplication)
            app.applicationStateChanged.emit(Qt.ApplicationState.ApplicationActive)
            await until(lambda: "IWM" in r.lists.symbols(r.index("Demo")), "pulled")
            assert r.lists.symbols(r.index("Demo")) == ["SPY", "AAPL", "MSFT", "NVDA", "TSLA",
                                                        "IWM"]  # fmt: skip
            assert r.window.symbols() == r.lists.symbols(r.index("Demo"))  # the table too
            assert "Demo: updated from Alpaca \u2014 added IWM" in r.sync.messages

    run(qloop, scenario())


def test_conflict_merges_and_says_so(qloop: Any, make_window: Any) -> None:
    async def scenario() -> None:
        async with rig(make_window, debounce_s=3600.0) as r:  # the push waits for us
            await until(lambda: r.lists.index_of("Demo") is not None, "Demo imported")
            demo = r.index("Demo")
            # Elsewhere: NVDA removed. Here: TSLA removed, QQQ added ... both before a sync.
            await r.server_edit(["AAPL", "MSFT", "SPY", "TSLA", "DIA"])
            r.window.watchlists.set_list_symbols(demo, ["AAPL", "MSFT", "NVDA", "SPY", "QQQ"])
            r.sync.sync_now()
            await r.passes()
            merged = ["AAPL", "MSFT", "SPY", "DIA", "QQQ"]
            assert r.lists.symbols(demo) == merged
            assert await r.server() == merged
            text = (
                "Demo: merged \u2014 added DIA from Alpaca, removed NVDA (removed in Alpaca), "
                "kept QQQ added here, removed TSLA (removed here)"
            )
            assert text in r.sync.messages
            assert r.window.statusBar().currentMessage() == text
            assert text in r.window.watchlists.tabs.tab_bar.tabToolTip(demo)

    run(qloop, scenario())


def test_unknown_symbol_refused_by_name_rest_synced(qloop: Any, make_window: Any) -> None:
    async def scenario() -> None:
        async with rig(make_window) as r:
            await until(lambda: r.lists.index_of("Demo") is not None, "Demo imported")
            demo = r.index("Demo")
            r.window.watchlists.add_to_list(demo, ["ZZZZQ", "QQQ"])
            await until(lambda: any("ZZZZQ" in m for m in r.sync.messages), "refusal said")
            assert await r.server() == [*DEMO, "QQQ"]
            assert any("Alpaca refused ZZZZQ (asset not found)" in m for m in r.sync.messages), (
                r.sync.messages
            )
            assert r.lists.symbols(demo) == [*DEMO, "QQQ", "ZZZZQ"]  # kept here
            tip = r.window.watchlists.tabs.tab_bar.tabToolTip(demo)
            assert "not on Alpaca (refused): ZZZZQ" in tip

    run(qloop, scenario())


def test_opt_in_and_out_from_the_tab_menu(qloop: Any, make_window: Any) -> None:
    async def scenario() -> None:
        async with rig(make_window) as r:
            await until(lambda: r.lists.index_of("Demo") is not None, "Demo imported")
            tabs = r.window.watchlists.tabs
            local = r.index("Watchlist")
            menu = tabs.context_menu(local)
            texts = [a.text() for a in menu.actions()]
            assert "Sync with Alpaca" in texts
            assert "Stop syncing" not in texts
            next(a for a in menu.actions() if a.text() == "Sync with Alpaca").trigger()
            await until(lambda: "Watchlist" in r.sync.links, "linked")
            assert await r.server("Watchlist") == ["AAPL", "MSFT"]
            assert not tabs.tab_bar.tabIcon(local).isNull()
            # Stop syncing: the tab stays, the Alpaca list stays, edits stay here.
            menu = tabs.context_menu(local)
            next(a for a in menu.actions() if a.text() == "Stop syncing").trigger()
            assert "Watchlist" not in r.sync.links
            assert tabs.tab_bar.tabIcon(local).isNull()
            r.window.watchlists.add_to_list(local, ["IWM"])
            r.sync.sync_now()
            await r.passes()
            assert await r.server("Watchlist") == ["AAPL", "MSFT"]
            assert r.lists.names() == ["Watchlist", "Demo"]  # declined: not imported again

    run(qloop, scenario())


def test_rename_pushes_and_delete_keeps_the_server_list(qloop: Any, make_window: Any) -> None:
    async def scenario() -> None:
        async with rig(make_window) as r:
            await until(lambda: r.lists.index_of("Demo") is not None, "Demo imported")
            assert r.window.watchlists.tabs.rename("Demo", "Core")
            await until(lambda: r.sync.links["Core"].server_name == "Core", "rename pushed")
            assert await r.server_names() == ["Core"]
            r.lists.remove_list(r.index("Core"))
            assert r.sync.links == {}
            r.sync.sync_now()
            await r.passes()
            assert await r.server("Core") == DEMO  # deleting a tab deletes nothing there
            assert r.lists.names() == ["Watchlist"]  # and it is not imported again

    run(qloop, scenario())


def test_restart_merges_against_the_saved_base(qloop: Any, make_window: Any) -> None:
    """The links persist: after a restart (here: a new WatchlistSync on the same settings)
    whose server list has a new id (the demo simulator makes fresh ids), the tab is linked
    again by name and merged against the last synced list, not overwritten."""

    async def scenario() -> None:
        async with rig(make_window) as r:
            await until(lambda: r.lists.index_of("Demo") is not None, "Demo imported")
            await r.passes(0)
            await r.sync.stop()
            old_id = r.sync.links["Demo"].server_id
            # While "closed": a change here (SPY removed) and the list made anew there.
            r.window.watchlists.set_list_symbols(r.index("Demo"), [*DEMO[:3], "TSLA"])
            assert (await r.broker.delete(f"/v2/watchlists/{old_id}")).status_code == 204
            made = await r.broker.post(
                "/v2/watchlists", json={"name": "Demo", "symbols": [*DEMO, "IWM"]}
            )
            assert made.status_code == 200
            again = WatchlistSync(
                r.window.watchlists, r.sync.rest, r.window.settings, r.sync.loop.tasks,
                interval_s=3600.0, debounce_s=0.05,
            )  # fmt: skip
            again.start()
            try:
                await until(lambda: again.loop.passes >= 1 and not again.loop.running, "pass")
                merged = ["AAPL", "MSFT", "NVDA", "TSLA", "IWM"]
                assert r.lists.symbols(r.index("Demo")) == merged
                assert await r.server() == merged
                assert again.links["Demo"].server_id == made.json()["id"]
                assert r.lists.names() == ["Watchlist", "Demo"]  # no second Demo tab
            finally:
                await again.stop()
