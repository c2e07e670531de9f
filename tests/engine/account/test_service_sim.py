"""AccountService through the simulator over 127.0.0.1: reconcile after every
(re)connect, never a fill twice, a partial fill then a cancel, 429 honoured
(docs/account-and-history.md, "How Tickerdesk reads the account")."""

from __future__ import annotations

import pytest

from engine.account.models import OrderStatus
from engine.net.budget import RequestBudget
from engine.net.health import ConnectionState
from engine.net.retry import BackoffPolicy
from engine.simulator import SimulatorConfig
from tests.engine.account.simharness import Harness, harness, run
from tests.waits import until

# Reconnects wait 3 s after a drop: time enough for an order to fill meanwhile.
SLOW_RECONNECT = BackoffPolicy(initial=3.0, jitter=0.0)


def test_first_reconcile_reads_the_demo_account_fills_are_history() -> None:
    async def scenario() -> None:
        async with harness() as h:
            service = h.service
            await until(lambda: service.in_sync, "connected and reconciled")
            book = h.book
            assert book.account is not None
            assert book.account.equity is not None
            assert {"AAPL", "MSFT", "SPY"} <= set(book.positions)
            assert book.positions["SPY"].qty < 0
            assert len(book.open_orders()) >= 1
            assert len(book.fills) >= 3  # the demo positions' earlier fills
            assert h.fills == []  # ... which are history, not news
            assert service.paper  # a simulator URL: paper unless configured
            assert service.last_error is None
            assert h.health.state is ConnectionState.STREAMING
            await until(lambda: service.server_clock is not None, "calendar checked")
            assert service.calendar_note is None  # the simulator follows the same rules

    run(scenario())


def test_reconcile_after_a_drop_in_which_a_fill_happened() -> None:
    async def scenario() -> None:
        async with harness(stream_backoff=SLOW_RECONNECT) as h:
            service = h.service
            await until(lambda: service.in_sync, "connected and reconciled")
            connects = service.stream.connects
            assert h.sim.faults.drop_trade_streams() == 1
            order_id = await h.place(symbol="AAPL", qty=10)
            await until_filled(h, order_id)
            # Still disconnected: the fill's event was never sent (no replay), so only
            # the reconcile after the reconnect can bring it.
            assert service.stream.connects == connects
            assert h.fills_of(order_id) == (0, 0)
            await h.in_sync_after(connects)
            assert h.fills_of(order_id) == (1, 1)
            assert h.book.orders[order_id].status is OrderStatus.FILLED
            # Another drop and reconcile: the same fill is not news again.
            connects = service.stream.connects
            h.sim.faults.drop_trade_streams()
            await h.in_sync_after(connects)
            assert h.fills_of(order_id) == (1, 1)
            assert service.reconciles >= 3

    run(scenario())


async def until_filled(h: Harness, order_id: str) -> None:
    status = ""
    for _ in range(500):
        status = await h.order_status(order_id)
        if status == "filled":
            return
    raise AssertionError(f"order never filled: {status}")


def test_fill_on_the_stream_is_notified_once_and_rest_agrees() -> None:
    async def scenario() -> None:
        async with harness() as h:
            service = h.service
            await until(lambda: service.in_sync, "connected and reconciled")
            order_id = await h.place(symbol="MSFT", qty=5, side="sell")
            await until(lambda: h.fills_of(order_id) == (1, 1), "the fill from the stream")
            assert h.fills[-1].key  # the execution id
            connects = service.stream.connects
            h.sim.faults.drop_trade_streams()
            await h.in_sync_after(connects)  # REST lists the same execution: not news
            assert h.fills_of(order_id) == (1, 1)
            await until(lambda: h.book.positions["MSFT"].qty == 15.0, "position from REST")

    run(scenario())


def test_partial_fill_then_cancel() -> None:
    # 100 shares a part, the next part 10 simulated minutes later: a partial fill stays.
    config = SimulatorConfig(seed=6, rate=50.0, fill_slice_qty=100.0, fill_interval_s=600.0)

    async def scenario() -> None:
        async with harness(config) as h:
            service = h.service
            await until(lambda: service.in_sync, "connected and reconciled")
            order_id = await h.place(symbol="AAPL", qty=250)
            await until(lambda: h.fills_of(order_id) == (1, 1), "the partial fill")
            assert h.fills[-1].partial
            assert h.fills[-1].qty == 100.0
            order = h.book.orders[order_id]
            assert order.status is OrderStatus.PARTIALLY_FILLED
            assert order_id in {o.id for o in h.book.open_orders()}
            await h.cancel(order_id)
            await until(
                lambda: h.book.orders[order_id].status is OrderStatus.CANCELED, "the cancel"
            )
            assert h.book.orders[order_id].filled_qty == 100.0
            assert order_id not in {o.id for o in h.book.open_orders()}
            connects = service.stream.connects
            h.sim.faults.drop_trade_streams()
            await h.in_sync_after(connects)
            assert h.fills_of(order_id) == (1, 1)
            assert h.book.orders[order_id].status is OrderStatus.CANCELED

    run(scenario())


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_429_on_positions_is_honoured_then_the_reconcile_succeeds() -> None:
    # Six calls a minute per key; five spent before the service starts: its account call
    # is the sixth, positions the seventh: 429 with Retry-After (about a minute).
    config = SimulatorConfig(seed=7, rate=20.0, rest_limit=6)
    budget = RequestBudget(1_000)  # ours allows more than the server: the server says no

    async def scenario() -> None:
        async with harness(config, budget=budget, start=False) as h:
            service = h.service
            for _ in range(5):
                assert (await h.broker.get("/v2/clock")).status_code == 200
            service.start()
            await until(lambda: service.last_error is not None, "the 429")
            assert "positions request rate-limited (HTTP 429)" in (service.last_error or "")
            assert budget.rate_limited == 1  # the pause every caller now waits out
            await until(lambda: service.in_sync, "reconciled after Retry-After", limit_s=150)
            assert service.last_error is None
            assert h.sim.stats.rest_rate_limited == 1  # asked again only after Retry-After
            assert {"AAPL", "MSFT", "SPY"} <= set(h.book.positions)

    run(scenario(), limit_s=200)
