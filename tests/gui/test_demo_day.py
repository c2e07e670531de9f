"""`--demo-at` / `--demo-speed` / `--plan` in the app: the demo's simulator lives a chosen
moment of a real trading day, the status bar's market session follows the SIMULATED
clock (labelled as such), and a plan makes the simulator enforce its symbol limit."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from engine.demo import DemoOptions, parse_demo_at
from engine.market.calendar import EASTERN, MarketSession, session_at_ns
from engine.net.health import ConnectionState
from engine.plan import PlanLimit
from engine.simulator.universe import synthetic_symbols
from gui.app import build_parser, options_from_args
from gui.runtime import Runtime, RuntimeOptions
from gui.settings.persistence import AppSettings
from tests.waits import until

OFFSCREEN_SHOW = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def test_demo_clock_and_plan_options() -> None:
    args = build_parser().parse_args(
        ["--demo-at", "2026-11-20T09:25-05:00", "--demo-speed", "60", "--plan", "basic"]
    )
    options = options_from_args(args)
    assert options.demo  # a simulated moment needs the built-in simulator
    assert options.demo_clock == DemoOptions(parse_demo_at("2026-11-20T09:25-05:00"), 60.0)
    assert options.plan == PlanLimit()
    # A plain demo lives a real session too: now when the market is open, else the last
    # trading day's morning (engine.demo.default_demo_start), never "always open".
    plain = options_from_args(build_parser().parse_args([])).demo_clock
    assert plain.day
    assert plain.speed == 1.0
    assert plain.start_ns is not None
    assert session_at_ns(plain.start_ns).session is MarketSession.REGULAR
    # Against an endpoint of the user's (--url) the clock is not the app's to choose.
    remote = build_parser().parse_args(["--url", "ws://127.0.0.1:1"])
    assert options_from_args(remote).demo_clock == DemoOptions()
    for bad, words in (
        (["--demo-at", "09:25"], "not an RFC 3339 time"),
        (["--demo-at", "2026-11-20T09:25"], "no UTC offset"),
        (["--demo-speed", "0"], "demo speed"),
        (["--plan", "gold"], "unknown plan"),
        (["--demo-at", "2026-11-20T09:25Z", "--url", "ws://127.0.0.1:1"], "built-in simulator"),
    ):
        with pytest.raises(SystemExit, match=words):
            options_from_args(build_parser().parse_args(bad))


@OFFSCREEN_SHOW
def test_status_bar_follows_the_simulated_clock_and_the_demo_plan(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    symbols = list(synthetic_symbols(34))
    start_ns = parse_demo_at("2026-11-20T10:00-05:00")  # a Friday, regular session

    async def scenario() -> None:
        options = RuntimeOptions(
            demo=True, symbols=symbols, settings_path=tmp_path / "day.ini",
            simulator_rate=300.0, plan=PlanLimit(), demo_clock=DemoOptions(start_ns=start_ns),
            rest_poll_s=1.0,
        )  # fmt: skip
        # The plan's split of these 34 symbols only: no demo account, whose watchlist
        # would be imported as a tab and join the budget (gui.runtime_account).
        AppSettings(tmp_path / "day.ini").set_trading_api("off")
        session = Runtime(options, asyncio.Event())
        try:
            await session.start()
            window = session.window
            assert window is not None
            assert session.simulator is not None
            assert session.account.service is None
            market = window.status.market_session
            market.refresh()
            # Whatever the machine's clock says, the session is the simulated day's.
            assert re.fullmatch(
                r"Simulated · Regular session · closes in (5h 59m|6h 00m)", market.text()
            ), market.text()
            assert market.state is not None
            assert market.state.at.astimezone(EASTERN).date().isoformat() == "2026-11-20"
            assert market.toolTip().startswith("Simulated clock (demo)")
            # --plan basic in a demo: the simulator enforces 30, the budget follows.
            await until(lambda: session.budget.last.total == 34, "budget split")
            await until(lambda: not session.symbols_without_data(), "data for all 34")
            assert session.health.state is ConnectionState.STREAMING
            assert session.health.last_error is None
            assert len(session.budget.last.streamed) == 30
            window.status.refresh()
            assert window.status.budget.text() == (
                "streaming 30 of 34 symbols: Alpaca's free plan allows 30"
            )
            assert "Demo: the built-in simulator allows 30 symbols." in (
                window.stream_settings.plan_note
            )
        finally:
            await session.close()
        assert len(session.tasks) == 0

    qloop.run_until_complete(scenario())
