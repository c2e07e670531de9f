"""Alpaca's own SDK (alpaca-py) against the simulator's Trading API and trade_updates
stream: `TradingClient(url_override=<REST base>)` and `TradingStream(url_override=<ws
base>/stream)` work unchanged (docs/simulator.md, "Trading API and trade_updates").

TradingClient is synchronous (requests): each call runs in a thread while the
simulator serves on the test's loop. TradingStream.run() calls asyncio.run, so, as in
test_alpaca_sdk_compat.py, its internal `_run_forever()` runs on the test's own loop.
"""

from __future__ import annotations

import asyncio
import warnings
from datetime import date
from functools import partial
from typing import Any

import pytest

from engine.simulator import Simulator, SimulatorConfig
from tests.engine.simulator.wsclient import run, until

with warnings.catch_warnings():
    # alpaca-py imports websockets.legacy, deprecated since websockets 14; only that.
    warnings.filterwarnings("ignore", "websockets.legacy is deprecated", DeprecationWarning)
    from alpaca.common.exceptions import APIError
    from alpaca.trading.client import TradingClient
    from alpaca.trading.enums import OrderSide, OrderStatus, QueryOrderStatus, TimeInForce
    from alpaca.trading.models import Order, Position, TradeAccount
    from alpaca.trading.requests import (
        CreateWatchlistRequest,
        GetCalendarRequest,
        GetOrdersRequest,
        LimitOrderRequest,
        MarketOrderRequest,
        StopLossRequest,
        TakeProfitRequest,
    )
    from alpaca.trading.stream import TradingStream

KEY, SECRET = "SDKKEY", "sdk-secret"


async def call(fn: Any, *args: Any, **kw: Any) -> Any:
    return await asyncio.to_thread(partial(fn, *args, **kw))


def test_trading_client_reads_orders_and_watchlists() -> None:
    async def main() -> None:
        cfg = SimulatorConfig(seed=31, rate=200.0, key=KEY, secret=SECRET, fill_interval_s=0.0)
        async with Simulator(cfg) as sim:
            tc = TradingClient(KEY, SECRET, paper=True, url_override=sim.rest_url)
            acct = await call(tc.get_account)
            assert isinstance(acct, TradeAccount)
            assert acct.cash == "100000"
            assert acct.last_equity
            assert acct.equity
            positions = await call(tc.get_all_positions)
            assert {p.symbol: p.qty for p in positions} == {
                "AAPL": "50",
                "MSFT": "20",
                "SPY": "-10",
            }
            assert all(isinstance(p, Position) and p.current_price for p in positions)
            open_orders = await call(tc.get_orders, GetOrdersRequest(status=QueryOrderStatus.OPEN))
            assert {o.symbol for o in open_orders} == {"F", "NVDA"}
            closed = await call(tc.get_orders, GetOrdersRequest(status=QueryOrderStatus.CLOSED))
            assert len(closed) == 4

            market = await call(
                tc.submit_order,
                MarketOrderRequest(
                    symbol="AAPL", qty=2, side=OrderSide.BUY, time_in_force=TimeInForce.DAY
                ),
            )
            assert isinstance(market, Order)
            assert market.status == OrderStatus.NEW
            for _ in range(200):
                got = await call(tc.get_order_by_id, market.id)
                if got.status == OrderStatus.FILLED:
                    break
            assert got.status == OrderStatus.FILLED
            assert float(got.filled_qty) == 2
            st = sim.market.state("MSFT")
            assert st is not None
            resting = await call(
                tc.submit_order,
                LimitOrderRequest(
                    symbol="MSFT",
                    qty=1,
                    side=OrderSide.BUY,
                    time_in_force=TimeInForce.GTC,
                    limit_price=round(st.bid * 0.5, 2),
                ),
            )
            await call(tc.cancel_order_by_id, resting.id)
            assert (await call(tc.get_order_by_id, resting.id)).status == OrderStatus.CANCELED
            bracket = await call(
                tc.submit_order,
                LimitOrderRequest(
                    symbol="MSFT",
                    qty=1,
                    side=OrderSide.BUY,
                    time_in_force=TimeInForce.GTC,
                    limit_price=round(st.bid * 0.5, 2),
                    order_class="bracket",
                    take_profit=TakeProfitRequest(limit_price=round(st.ask * 2, 2)),
                    stop_loss=StopLossRequest(stop_price=round(st.bid * 0.4, 2)),
                ),
            )
            nested = await call(
                tc.get_orders, GetOrdersRequest(status=QueryOrderStatus.OPEN, nested=True)
            )
            parent = next(o for o in nested if o.id == bracket.id)
            assert parent.legs is not None
            assert len(parent.legs) == 2
            with pytest.raises(APIError) as refused:
                await call(
                    tc.submit_order,
                    MarketOrderRequest(
                        symbol="NOPE1", qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.DAY
                    ),
                )
            assert refused.value.status_code == 422

            lists = await call(tc.get_watchlists)
            assert [w.name for w in lists] == ["Demo"]
            wl = await call(
                tc.create_watchlist, CreateWatchlistRequest(name="SDK", symbols=["AAPL"])
            )
            wl = await call(tc.add_asset_to_watchlist_by_id, wl.id, "TSLA")
            assert [a.symbol for a in wl.assets] == ["AAPL", "TSLA"]
            wl = await call(tc.remove_asset_from_watchlist_by_id, wl.id, "AAPL")
            assert [a.symbol for a in wl.assets] == ["TSLA"]

            assets = {a.symbol: a for a in await call(tc.get_all_assets)}
            assert assets["AAPL"].name == "Apple Inc."
            assert assets["AAPL"].tradable
            clock = await call(tc.get_clock)
            assert clock.next_open > clock.timestamp or clock.is_open
            days = await call(
                tc.get_calendar,
                GetCalendarRequest(start=date(2026, 11, 25), end=date(2026, 11, 27)),
            )
            assert [(d.date.isoformat(), d.close.hour) for d in days] == [
                ("2026-11-25", 16),
                ("2026-11-27", 13),
            ]

    run(main())


def test_trading_stream_receives_the_fills_of_an_sdk_order() -> None:
    async def main() -> None:
        cfg = SimulatorConfig(seed=32, rate=200.0, key=KEY, secret=SECRET, fill_interval_s=0.0)
        async with Simulator(cfg) as sim:
            tc = TradingClient(KEY, SECRET, paper=True, url_override=sim.rest_url)
            stream = TradingStream(KEY, SECRET, paper=True, url_override=f"{sim.ws_url}/stream")
            updates: list[Any] = []
            done = asyncio.Event()
            listening = asyncio.Event()
            order_id: list[str] = []

            async def on_update(update: Any) -> None:
                updates.append(update)
                if order_id and str(update.order.id) == order_id[0] and update.event == "fill":
                    done.set()

            stream.subscribe_trade_updates(on_update)
            task = asyncio.get_running_loop().create_task(stream._run_forever())  # type: ignore[no-untyped-call]
            try:
                async with asyncio.timeout(20):
                    await until(
                        lambda: any(s.listening for s in sim.trading.streams.sessions.values()),
                        within=20,
                    )
                    listening.set()
                    placed = await call(
                        tc.submit_order,
                        MarketOrderRequest(
                            symbol="INTC",
                            qty=150,
                            side=OrderSide.BUY,
                            time_in_force=TimeInForce.DAY,
                        ),
                    )
                    order_id.append(str(placed.id))
                    await done.wait()
            finally:
                await stream.stop_ws()
                await asyncio.wait_for(task, 20)  # the SDK's 5 s receive poll returns
        mine = [u for u in updates if str(u.order.id) == order_id[0]]
        assert [u.event for u in mine] == ["new", "partial_fill", "fill"]
        assert [u.qty for u in mine[1:]] == [100.0, 50.0]
        assert mine[-1].order.status == OrderStatus.FILLED
        assert mine[-1].execution_id is not None
        assert mine[-1].position_qty == 150.0
        assert listening.is_set()

    run(main())
