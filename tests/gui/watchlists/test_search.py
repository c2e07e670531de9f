"""Symbol search in the add-symbols field (gui/watchlists/search.py, bar.py) over the
simulator's /v2/assets on 127.0.0.1: "app" lists AAPL Apple Inc. first and Enter adds it,
several comma-separated symbols, focus kept, validation from the list with no request."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from engine.account.assets_cache import SymbolDirectory
from engine.account.client import TradingRest
from engine.config import Credentials
from engine.core.tasks import TaskSet
from engine.net.rest import RestClient, RestConfig
from engine.simulator import Simulator, SimulatorConfig
from gui.watchlists.bar import WatchlistBar
from gui.watchlists.search import SYMBOL_ROLE, replace_token, token_at
from tests.waits import until

# The offscreen platform cannot raise a popup or grab the keyboard for it; it says so.
OFFSCREEN_SHOW = pytest.mark.qt_log_ignore(
    "This plugin does not support propagateSizeHints",
    r"This plugin does not support raise\(\)",
    "This plugin does not support grabbing the keyboard",
)
KEY = Credentials("PKSEARCH", "search-secret")


@pytest.mark.parametrize(
    ("text", "cursor", "token"),
    [
        ("app", 3, "app"),
        ("AAPL, ms", 8, "ms"),
        ("AAPL, ms", 2, "AAPL"),
        ("AAPL, ms", 5, ""),  # between the comma and the space
        ("AAPL ms;goo", 11, "goo"),
        ("", 0, ""),
        ("AAPL, ms", 99, "ms"),  # clamped
    ],
)
def test_token_under_the_cursor(text: str, cursor: int, token: str) -> None:
    start, end = token_at(text, cursor)
    assert text[start:end] == token


@pytest.mark.parametrize(
    ("text", "cursor", "more", "result", "new_cursor"),
    [
        ("app", 3, False, "AAPL", 4),
        ("app", 3, True, "AAPL, ", 6),
        ("AAPL, ms", 8, True, "AAPL, MSFT, ", 12),
        ("ms, IBM", 1, True, "MSFT, IBM", 4),  # mid-text: nothing added
        ("AAPL, ms   ", 8, True, "AAPL, MSFT, ", 12),
    ],
)
def test_completion_replaces_only_that_token(
    text: str, cursor: int, more: bool, result: str, new_cursor: int
) -> None:
    symbol = "AAPL" if text.startswith("app") else "MSFT"
    assert replace_token(text, cursor, symbol, more=more) == (result, new_cursor)


@dataclass
class Probe:
    sim: Simulator
    bar: WatchlistBar
    directory: SymbolDirectory
    accepted: list[list[str]]
    checked: list[list[str]] = field(default_factory=list)  # the REST checker's calls

    @property
    def requests(self) -> int:
        return self.sim.stats.rest_requests


@asynccontextmanager
async def bar_on_sim(
    qtbot: Any, *, load: bool = True, forbid: bool = False
) -> AsyncIterator[Probe]:
    async with Simulator(SimulatorConfig(seed=5, rate=0.0)) as sim:
        if forbid:
            sim.faults.forbid_trading(KEY.key_id)
        rest = TradingRest(RestClient(RestConfig(sim.rest_url, credentials=KEY)))
        snapshots = RestClient(RestConfig(sim.rest_url, credentials=KEY))
        tasks = TaskSet()
        watched = ["SPY"]
        checked: list[list[str]] = []

        async def checker(symbols: list[str]) -> set[str]:  # the REST snapshot check
            checked.append(symbols)
            return set(await snapshots.snapshots(symbols))

        bar = WatchlistBar(tasks, lambda: watched, checker)
        qtbot.addWidget(bar)
        accepted: list[list[str]] = []
        bar.symbols_accepted.connect(accepted.append)
        bar.symbols_accepted.connect(watched.extend)
        directory = SymbolDirectory()
        bar.set_directory(directory)
        bar.show()
        qtbot.waitExposed(bar)
        bar.activateWindow()
        bar.add_field.setFocus()
        if load or forbid:
            directory.start(rest, None)
        probe = Probe(sim, bar, directory, accepted, checked)
        try:
            if load:
                await until(lambda: directory.assets is not None, "asset list loaded")
            yield probe
        finally:
            await directory.stop()
            await tasks.cancel_all()
            await rest.aclose()
            await snapshots.aclose()


def rows(bar: WatchlistBar) -> list[str]:
    model = bar.add_field.popup.model()
    return [model.index(r, 0).data() for r in range(model.rowCount())]


def focused(bar: WatchlistBar) -> bool:
    return QApplication.focusWidget() is bar.add_field


@OFFSCREEN_SHOW
def test_app_lists_apple_first_and_enter_adds_it_without_a_request(
    qloop: asyncio.AbstractEventLoop, qtbot: Any
) -> None:
    async def scenario() -> None:
        async with bar_on_sim(qtbot) as p:
            field = p.bar.add_field
            loaded = p.requests  # the one /v2/assets request
            assert loaded == 1
            qtbot.keyClicks(field, "app")
            assert field.popup_visible()
            assert rows(p.bar)[0] == "AAPL  Apple Inc."
            assert field.popup.currentIndex().data(SYMBOL_ROLE) == "AAPL"  # highlighted
            assert focused(p.bar)  # the popup never takes the keyboard
            assert field.text() == "app"
            qtbot.keyClick(field, Qt.Key.Key_Return)
            assert p.accepted == [["AAPL"]]
            assert p.bar.message.text() == "Added AAPL"
            assert field.text() == ""
            assert not field.popup_visible()
            assert p.checked == []  # the list decided: no snapshot check ...
            assert p.requests == loaded  # ... and no request of any kind

    qloop.run_until_complete(scenario())


@OFFSCREEN_SHOW
def test_unknown_symbol_is_refused_at_once_from_the_list(
    qloop: asyncio.AbstractEventLoop, qtbot: Any
) -> None:
    async def scenario() -> None:
        async with bar_on_sim(qtbot) as p:
            field = p.bar.add_field
            loaded = p.requests
            qtbot.keyClicks(field, "ZZZZ")
            assert not field.popup_visible()  # nothing matches
            qtbot.keyClick(field, Qt.Key.Key_Return)
            assert not p.bar.busy  # refused at once, nothing pending
            assert p.bar.message.text() == "Not added — ZZZZ: not a tradable US stock on Alpaca"
            assert p.bar.message_is_error
            assert field.text() == "ZZZZ"  # kept for fixing
            field.clear()
            qtbot.keyClicks(field, "NVDA ZZZZ")
            field.hide_popup()
            qtbot.keyClick(field, Qt.Key.Key_Return)
            assert "ZZZZ: not a tradable US stock on Alpaca" in p.bar.message.text()
            # Changed deliberately (issue 18, #4): was "all or nothing" (accepted == []).
            # One unknown ticker now costs only itself: NVDA is added, ZZZZ named and
            # left in the field to fix.
            assert p.accepted == [["NVDA"]]
            assert p.bar.message.text().startswith("Added NVDA · not added — ZZZZ")
            assert field.text() == "ZZZZ"
            assert p.checked == []
            assert p.requests == loaded

    qloop.run_until_complete(scenario())


@OFFSCREEN_SHOW
def test_several_comma_separated_symbols_complete_token_by_token(
    qloop: asyncio.AbstractEventLoop, qtbot: Any
) -> None:
    async def scenario() -> None:
        async with bar_on_sim(qtbot) as p:
            field = p.bar.add_field
            qtbot.keyClicks(field, "AAPL, micro")
            assert rows(p.bar)[0] == "MSFT  Microsoft Corporation"
            qtbot.keyClick(field, Qt.Key.Key_Tab)  # completes, the field keeps focus
            assert field.text() == "AAPL, MSFT, "
            assert focused(p.bar)
            assert not field.popup_visible()
            qtbot.keyClicks(field, "goo")
            assert [r.split()[0] for r in rows(p.bar)][:2] == ["GOOG", "GOOGL"]
            qtbot.keyClick(field, Qt.Key.Key_Down)  # the second row
            qtbot.keyClick(field, Qt.Key.Key_Return)
            assert p.accepted == [["AAPL", "MSFT", "GOOGL"]]
            assert p.checked == []

    qloop.run_until_complete(scenario())


@OFFSCREEN_SHOW
def test_keys_through_the_popup_and_escape(qloop: asyncio.AbstractEventLoop, qtbot: Any) -> None:
    async def scenario() -> None:
        async with bar_on_sim(qtbot) as p:
            field = p.bar.add_field
            qtbot.keyClicks(field, "goo")
            popup = field.popup
            # While open, Qt sends keys to the popup; QCompleter's filter passes them on.
            qtbot.keyClick(popup, Qt.Key.Key_Down)
            assert field.current_symbol() == "GOOGL"
            qtbot.keyClick(popup, Qt.Key.Key_Up)
            assert field.current_symbol() == "GOOG"
            qtbot.keyClick(popup, Qt.Key.Key_G)  # typing goes on into the field
            assert field.text() == "goog"
            assert field.popup_visible()
            qtbot.keyClick(popup, Qt.Key.Key_Escape)
            assert not field.popup_visible()
            assert field.text() == "goog"  # Escape only closes the popup
            qtbot.keyClicks(field, "l")
            assert field.popup_visible()
            qtbot.keyClick(popup, Qt.Key.Key_Return)
            assert p.accepted == [["GOOGL"]]
            assert focused(p.bar)

    qloop.run_until_complete(scenario())


@OFFSCREEN_SHOW
def test_without_a_list_the_snapshot_check_decides(
    qloop: asyncio.AbstractEventLoop, qtbot: Any
) -> None:
    async def scenario() -> None:
        async with bar_on_sim(qtbot, load=False) as p:
            field = p.bar.add_field
            qtbot.keyClicks(field, "app")
            assert not field.popup_visible()  # no list, no suggestions
            field.clear()
            qtbot.keyClicks(field, "ZZZZQ")
            qtbot.keyClick(field, Qt.Key.Key_Return)
            await until(lambda: not p.bar.busy, "REST check")
            assert p.checked == [["ZZZZQ"]]
            assert "unknown symbol: ZZZZQ" in p.bar.message.text()
            assert p.requests == 1  # the snapshot request

    qloop.run_until_complete(scenario())


@OFFSCREEN_SHOW
def test_a_list_that_cannot_load_is_said_once_and_rest_checks(
    qloop: asyncio.AbstractEventLoop, qtbot: Any
) -> None:
    async def scenario() -> None:
        async with bar_on_sim(qtbot, load=False, forbid=True) as p:
            await until(lambda: p.directory.failures >= 1, "the list failed")
            text = p.bar.message.text()
            assert text.startswith("Symbol list not loaded (this key pair has no access")
            assert "checked over REST" in text
            assert p.directory.note is None  # taken: said once
            assert "not loaded" in p.bar.add_field.toolTip()
            qtbot.keyClicks(p.bar.add_field, "NVDA")
            qtbot.keyClick(p.bar.add_field, Qt.Key.Key_Return)
            await until(lambda: not p.bar.busy, "REST check")
            assert p.accepted == [["NVDA"]]
            assert p.checked == [["NVDA"]]

    qloop.run_until_complete(scenario())
