"""Alpaca's own SDK (alpaca-py StockDataStream, url_override) through a simulated day.

Pre-market trades reach the SDK's typed models with the extended-hours condition `T`,
and a Nasdaq halt arrives as trading statuses `H`, `Q`, `T` in that order. The SDK runs
on the test's loop (its run() calls asyncio.run: see test_alpaca_sdk_compat.py), and the
session clock is moved by hand, so nothing here depends on timing.
"""

from __future__ import annotations

import asyncio
import contextlib
import warnings
from typing import Any

from engine.simulator import Simulator, SimulatorConfig
from tests.engine.simulator.wsclient import ManualClock, advance_to, et, run, until

with warnings.catch_warnings():
    # alpaca-py imports websockets.legacy, deprecated since websockets 14; only that.
    warnings.filterwarnings("ignore", "websockets.legacy is deprecated", DeprecationWarning)
    from alpaca.data.enums import DataFeed
    from alpaca.data.live import StockDataStream
    from alpaca.data.models import Trade, TradingStatus

S = 10**9


def test_sdk_sees_form_t_premarket_trades_and_a_halt_h_q_t() -> None:
    async def main() -> None:
        clock = ManualClock(et(2026, 11, 20, 8, 0))  # Friday pre-market
        config = SimulatorConfig(
            seed=8,
            rate=2000.0,
            day=True,
            symbols=("AAPL", "MSFT"),
            halt_probability=0.0,
            key="SDKKEY",
            secret="sdk-secret",
        )
        async with Simulator(config, clock=clock.session) as sim:
            stream = StockDataStream(
                "SDKKEY", "sdk-secret", feed=DataFeed.IEX, url_override=f"{sim.ws_url}/v2/iex"
            )
            trades: list[Trade] = []
            statuses: list[TradingStatus] = []

            async def on_trade(t: Any) -> None:
                trades.append(t)

            async def on_status(s: Any) -> None:
                statuses.append(s)

            stream.subscribe_trades(on_trade, "AAPL")
            stream.subscribe_trading_statuses(on_status, "AAPL")
            task = asyncio.get_running_loop().create_task(stream._run_forever())
            await until(lambda: "AAPL" in sim.market.active, within=20)
            now = et(2026, 11, 20, 8, 0)
            while not trades:
                now += 60 * S
                await advance_to(sim, clock, now)
                await asyncio.sleep(0.01)
            assert all("T" in (t.conditions or []) for t in trades)  # Form T, pre-market
            await advance_to(sim, clock, et(2026, 11, 20, 10, 0))
            assert sim.faults.halt("AAPL", "T1", quote_after_s=120, resume_after_s=240)
            now = et(2026, 11, 20, 10, 0)
            while len(statuses) < 3 and now < et(2026, 11, 20, 10, 10):
                now += 30 * S
                await advance_to(sim, clock, now)
                await asyncio.sleep(0.01)
            await until(lambda: len(statuses) >= 3, within=20)
            assert [s.status_code for s in statuses[:3]] == ["H", "Q", "T"]
            assert statuses[0].reason_code == "T1"

            async def keep_time_moving() -> None:  # the SDK polls with 5 s receive timeouts
                moving = now
                while True:
                    moving += 10 * S
                    clock.set(moving)
                    await asyncio.sleep(0.02)

            mover = asyncio.get_running_loop().create_task(keep_time_moving())
            try:
                await stream.stop_ws()
                await asyncio.wait_for(task, 20)
            finally:
                mover.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await mover

    run(main())
