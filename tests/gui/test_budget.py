"""The symbol budget in the running app, against a Basic-plan simulator over 127.0.0.1.

Alpaca's free plan streams 30 symbols over trades and quotes on the one connection every
tab shares (docs/account-and-history.md, "Plans and limits"). With 34 symbols in two tabs
the visible tab streams first, the rest of the budget goes to the other tab in row order,
and the last 4 are kept alive from REST snapshots (Source "REST" with an age); the status
bar says why; a tab switch re-prioritises. Nothing is refused (no 405), nothing wedges.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from engine.market.store import Source
from engine.net.health import ConnectionState
from engine.plan import counted_symbols
from engine.simulator import Simulator, SimulatorConfig
from engine.simulator.config import Plan
from engine.simulator.universe import synthetic_symbols
from gui.runtime import Runtime, RuntimeOptions
from gui.settings.persistence import AppSettings
from gui.table.columns import COLUMN_INDEX
from tests.waits import until

OFFSCREEN_SHOW = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
UNIVERSE = synthetic_symbols(34)
TAB_A, TAB_B = list(UNIVERSE[:20]), list(UNIVERSE[20:])


def _streamed(session: Runtime) -> frozenset[str]:
    """What the server confirmed on trades and quotes (the truth: docs/design.md, inv. 8)."""
    assert session.client is not None
    sub = session.client.subscription
    return frozenset(sub.trades | sub.quotes)


def _rest_rows(session: Runtime, symbols: list[str]) -> bool:
    assert session.store is not None
    for symbol in symbols:
        snap = session.store.get(symbol)
        if snap is None or snap.source is not Source.REST or snap.received_at is None:
            return False
    return True


def _cell(session: Runtime, symbol: str, key: str) -> Any:
    window = session.window
    assert window is not None
    row = window.model.row_of(symbol)
    assert row is not None, f"{symbol} not in the visible tab"
    return window.model.index(row, COLUMN_INDEX[key]).data()


@OFFSCREEN_SHOW
def test_basic_plan_streams_the_visible_tab_first_and_polls_the_rest(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    ini = tmp_path / "budget.ini"
    AppSettings(ini).set_watchlists([("Tab A", TAB_A), ("Tab B", TAB_B)], active=0)
    # These tabs only: no account (the simulator's demo watchlist would be a third tab).
    AppSettings(ini).set_trading_api("off")

    async def scenario() -> None:
        config = SimulatorConfig(seed=12, rate=400.0, plan=Plan.FREE, symbols=UNIVERSE)
        async with Simulator(config) as sim:
            options = RuntimeOptions(
                url=sim.ws_url, rest_url=sim.rest_url, settings_path=ini, env={},
                use_keyring=False, rest_poll_s=1.0,
            )  # fmt: skip
            session = Runtime(options, asyncio.Event())
            try:
                await session.start()
                window = session.window
                assert window is not None
                # Tab A (visible) first in row order, then Tab B: 30 stream, 4 polled.
                first = frozenset(TAB_A + TAB_B[:10])
                await until(lambda: _streamed(session) == first, "30 symbols confirmed")
                assert session.health.state is ConnectionState.STREAMING
                assert session.budget.last.polled == tuple(TAB_B[10:])
                await until(lambda: _rest_rows(session, TAB_B[10:]), "4 rows kept from REST")
                assert session.health.last_error is None  # nothing refused: no 405
                assert len(window.all_symbols()) == 34  # no watchlist entry lost
                status = window.status
                status.refresh()
                assert status.budget.text() == (
                    "streaming 30 of 34 symbols: Alpaca's free plan allows 30"
                )
                assert not status.budget.isHidden()
                assert "From REST snapshots every 1 s:" in status.budget.toolTip()
                assert ", ".join(TAB_B[10:]) in status.budget.toolTip()

                # Switch to Tab B: it streams first now, Tab A's last 4 go to REST.
                window.watchlists.lists.set_active(1)
                second = frozenset(TAB_B + TAB_A[:16])
                await until(lambda: _streamed(session) == second, "re-prioritised")
                assert session.budget.last.polled == tuple(TAB_A[16:])
                await until(lambda: _rest_rows(session, TAB_A[16:]), "Tab A's tail from REST")
                # The table's Source and Age columns show it (visible tab: Tab B, streamed).
                await until(lambda: _cell(session, TAB_B[-1], "status") in {"stream"}, "src")
                window.watchlists.lists.set_active(0)
                await until(lambda: _streamed(session) == first, "back to Tab A first")
                await until(lambda: _rest_rows(session, TAB_B[10:]), "Tab B's tail REST again")
                window.watchlists.lists.set_active(1)
                await until(lambda: _cell(session, TAB_B[-1], "status") == "REST", "REST cell")
                assert _cell(session, TAB_B[-1], "age") not in (None, "", "\u2014")
                # Removing symbols frees budget: everything streams, the indicator hides.
                window.model.remove_symbols(TAB_B[10:])
                await until(lambda: len(_streamed(session)) == 30, "all 30 left stream")
                await until(lambda: session.budget.last.polled == (), "nothing polled")
                status.refresh()
                assert status.budget.isHidden()
                assert session.client is not None
                assert counted_symbols(session.client.subscription) == 30
                assert session.health.state is ConnectionState.STREAMING
            finally:
                await session.close()
        assert len(session.tasks) == 0

    qloop.run_until_complete(scenario())


@OFFSCREEN_SHOW
def test_a_refusal_within_the_plan_lowers_the_budget_instead_of_wedging(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """The key's real limit is lower than the plan chosen (a server limit of 25): the 405
    answers the 30 asked for, the budget learns, streams what works, and says why."""
    ini = tmp_path / "learn.ini"
    AppSettings(ini).set_trading_api("off")  # no account: its watchlist would join
    AppSettings(ini).set_watchlists([("Tab A", TAB_A), ("Tab B", TAB_B)], active=0)

    async def scenario() -> None:
        config = SimulatorConfig(
            seed=13, rate=200.0, plan=Plan.FREE, symbol_limit=25, symbols=UNIVERSE
        )
        async with Simulator(config) as sim:
            options = RuntimeOptions(
                url=sim.ws_url, rest_url=sim.rest_url, settings_path=ini, env={},
                use_keyring=False, rest_poll_s=1.0,
            )  # fmt: skip
            session = Runtime(options, asyncio.Event())
            try:
                await session.start()
                window = session.window
                assert window is not None
                await until(lambda: session.budget.learned is not None, "the 405 learned")
                wanted = session.budget.last.streamed
                assert 0 < len(wanted) <= 25
                await until(lambda: _streamed(session) == frozenset(wanted), "confirmed")
                assert session.health.state is ConnectionState.STREAMING
                await until(
                    lambda: _rest_rows(session, list(session.budget.last.polled)),
                    "the rest kept alive from REST",
                )
                window.status.refresh()
                text = window.status.budget.text()
                assert text.startswith(f"streaming {len(wanted)} of 34 symbols: Alpaca refused 30")
                assert "error 405" in text
                assert len(window.all_symbols()) == 34  # nothing dropped from a watchlist
            finally:
                await session.close()

    qloop.run_until_complete(scenario())
