"""Alpaca's own Python SDK (alpaca-py) against the simulator: proof it speaks Alpaca.

The SDK connects with `Content-Type: application/msgpack`, authenticates by message,
subscribes with one msgpack message in 32 KiB fragments, and parses typed models
(rejecting objects whose first key is not `T`, converting Timestamp extensions).
Its run() calls asyncio.run, so we drive its internal `_run_forever()` on the test's
own loop, next to the simulator, and stop it with `stop_ws()`.
"""

from __future__ import annotations

import asyncio
import warnings
from datetime import datetime
from typing import Any

import msgpack

from engine.simulator import Plan, Simulator, SimulatorConfig

with warnings.catch_warnings():
    # alpaca-py imports websockets.legacy, deprecated since websockets 14; only that.
    warnings.filterwarnings("ignore", "websockets.legacy is deprecated", DeprecationWarning)
    from alpaca.data.enums import DataFeed
    from alpaca.data.live import StockDataStream
    from alpaca.data.models import Quote, Trade

KEY, SECRET = "SDKKEY", "sdk-secret"


async def drive(
    sim: Simulator, *, raw: bool, want: int, feed: DataFeed = DataFeed.IEX
) -> tuple[list[Any], list[Any]]:
    """Run the SDK until it has `want` quotes and `want` trades, then stop it cleanly."""
    stream = StockDataStream(
        KEY, SECRET, raw_data=raw, feed=feed, url_override=f"{sim.ws_url}/v2/{feed.value}"
    )
    quotes: list[Any] = []
    trades: list[Any] = []
    enough = asyncio.Event()

    async def on_quote(q: Any) -> None:
        quotes.append(q)
        if len(quotes) >= want and len(trades) >= want:
            enough.set()

    async def on_trade(t: Any) -> None:
        trades.append(t)
        if len(quotes) >= want and len(trades) >= want:
            enough.set()

    stream.subscribe_quotes(on_quote, "AAPL", "MSFT")
    stream.subscribe_trades(on_trade, "AAPL")
    task = asyncio.get_running_loop().create_task(stream._run_forever())
    try:
        await asyncio.wait_for(enough.wait(), 20)
    finally:
        await stream.stop_ws()
        # data keeps flowing, so the SDK's 5 s receive poll returns promptly
        await asyncio.wait_for(task, 20)
    return quotes, trades


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 60))


def test_sdk_typed_models_in_default_msgpack_mode() -> None:
    async def main() -> None:
        async with Simulator(SimulatorConfig(seed=5, rate=2000.0, key=KEY, secret=SECRET)) as sim:
            quotes, trades = await drive(sim, raw=False, want=10)
            assert sim.stats.authenticated == 1
            assert sim.stats.bad_client_messages == 0
            async with asyncio.timeout(10):  # the SDK closed its connection on stop
                while True:
                    if not sim.sessions:
                        break
                    await asyncio.sleep(0.01)
        assert all(isinstance(q, Quote) for q in quotes)
        assert all(isinstance(t, Trade) for t in trades)
        assert {q.symbol for q in quotes} <= {"AAPL", "MSFT"}
        assert {t.symbol for t in trades} == {"AAPL"}
        for q in quotes:
            assert q.bid_price < q.ask_price
            assert q.ask_size > 0
            assert isinstance(q.timestamp, datetime)
            assert q.timestamp.tzinfo is not None
        for t in trades:
            assert t.price > 0
            assert t.size > 0
            assert t.exchange
            assert t.id

    run(main())


def test_sdk_raw_mode_sees_msgpack_timestamps_with_nanoseconds() -> None:
    async def main() -> None:
        async with Simulator(SimulatorConfig(seed=6, rate=2000.0)) as sim:
            quotes, trades = await drive(sim, raw=True, want=20)
        for m in quotes + trades:
            assert next(iter(m)) == "T"
            assert isinstance(m["t"], msgpack.Timestamp)
        assert {m["T"] for m in quotes} == {"q"}
        assert {m["T"] for m in trades} == {"t"}
        assert any(m["t"].nanoseconds % 1000 for m in quotes + trades)

    run(main())


def test_sdk_stops_on_insufficient_subscription() -> None:
    async def main() -> None:
        async with Simulator(SimulatorConfig(seed=7, rate=100.0, plan=Plan.FREE)) as sim:
            stream = StockDataStream(
                KEY, SECRET, feed=DataFeed.SIP, url_override=f"{sim.ws_url}/v2/sip"
            )

            async def on_quote(q: Any) -> None:  # pragma: no cover - never called
                raise AssertionError(q)

            stream.subscribe_quotes(on_quote, "AAPL")
            # the SDK gives up for good on 409 ("insufficient subscription")
            await asyncio.wait_for(stream._run_forever(), 20)
            assert sim.stats.errors_sent[409] == 1

    run(main())
