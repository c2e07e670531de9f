"""What the local gateway and the bus rely on (docs/gateway.md), over a real simulator:
an extra subscription beside the watched symbols, kept across reconnects, and taps that
see every frame after the store applied it, where a failing tap never stops the stream.
"""

from __future__ import annotations

from engine.events import Event, Quote, Subscription, Trade
from tests.engine.net.test_stream import rig, run, until


def test_extra_symbols_stream_without_entering_the_store_and_follow_reconnects() -> None:
    async def scenario() -> None:
        async with rig(symbols=("AAPL",)) as r:
            seen: dict[str, int] = {}
            stored_first: list[bool] = []

            def tap(events: list[Event], received_at: float) -> None:
                for event in events:
                    if isinstance(event, Trade | Quote):
                        seen[event.symbol] = seen.get(event.symbol, 0) + 1
                        if event.symbol == "AAPL":  # applied before the tap is told
                            snap = r.store.get("AAPL")
                            stored_first.append(snap is not None and snap.updates > 0)

            r.client.add_tap(tap)
            extra = Subscription(trades=frozenset({"TSLA"}), quotes=frozenset({"TSLA"}))
            r.client.set_extra_subscription(extra)
            await until(lambda: "TSLA" in r.client.subscription.quotes, what="extra confirmed")
            await until(lambda: seen.get("TSLA", 0) > 3 and seen.get("AAPL", 0) > 3)
            assert r.store.get("TSLA") is None  # other programs' symbols are not rows
            assert all(stored_first)
            assert "AAPL" in r.client.subscription.bars  # the watchlist's own channels
            assert "TSLA" not in r.client.subscription.bars  # only what was asked

            r.sim.faults.drop_all()
            await until(lambda: r.health.reconnects >= 1, what="a reconnect")
            await until(lambda: "TSLA" in r.client.subscription.quotes, what="extra again")
            assert r.client.extra_subscription == extra

            r.client.set_extra_subscription(Subscription())
            await until(lambda: "TSLA" not in r.client.subscription.trades, what="released")
            r.client.remove_tap(tap)

    run(scenario())


def test_a_tap_that_raises_is_counted_and_the_stream_goes_on() -> None:
    async def scenario() -> None:
        async with rig(symbols=("AAPL", "MSFT")) as r:
            calls = {"good": 0}

            def broken(events: list[Event], received_at: float) -> None:
                raise RuntimeError("a sharer's bug")

            def good(events: list[Event], received_at: float) -> None:
                calls["good"] += 1

            r.client.add_tap(broken)
            r.client.add_tap(good)
            await r.streaming()
            await r.data_for(("AAPL", "MSFT"))
            await until(lambda: calls["good"] > 5 and r.health.tap_errors > 5)
            assert r.health.state.value == "streaming"

    run(scenario())
