"""The demo account in the real app (issue 14): the Runtime connects its simulator's
Trading API and trade_updates stream over 127.0.0.1, the positions dock shows live P&L
from the store's prices, the demo's order fills in parts with one notification per
fill, and the status bar says PAPER and how the account stream is."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from engine.demo import DemoOptions, parse_demo_at
from engine.net.health import ConnectionState
from gui.runtime import Runtime, RuntimeOptions
from tests.waits import until

OFFSCREEN_SHOW = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@OFFSCREEN_SHOW
def test_the_demo_account_is_live_read_only_and_notifies_each_fill_once(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    async def scenario() -> None:
        options = RuntimeOptions(
            demo=True, symbols=["AAPL", "MSFT", "SPY", "F"], settings_path=tmp_path / "a.ini",
            simulator_rate=100.0, rest_poll_s=5.0,
            # A Friday morning at 10x: the demo order's three parts come within ~6 s.
            demo_clock=DemoOptions(start_ns=parse_demo_at("2026-11-20T10:30-05:00"), speed=10.0),
        )  # fmt: skip
        runtime = Runtime(options, asyncio.Event())
        try:
            await runtime.start()
            window, account = runtime.window, runtime.account
            assert window is not None
            assert account.panels is not None
            assert account.badge.text() == "PAPER"
            await until(
                lambda: account.health.state is ConnectionState.STREAMING, "account streaming"
            )
            book = account.book
            assert book is not None
            await until(lambda: book.account is not None and len(book.positions) == 3, "account")
            # Live P&L from the store's price, not the REST snapshot of the position.
            positions = account.panels.positions
            store = runtime.store
            assert store is not None

            def priced() -> bool:
                snap = store.get("AAPL")
                return snap is not None and snap.last_price is not None

            await until(priced, "AAPL price")
            account.panels.tick()
            rows = {row.symbol: row for row in positions.model.rows}
            aapl, snap = rows["AAPL"], store.get("AAPL")
            assert snap is not None
            assert snap.last_price is not None
            assert aapl.source == "live"
            assert aapl.last == snap.last_price
            assert aapl.avg_entry is not None
            assert aapl.unrealized_pl is not None
            assert aapl.unrealized_pl == pytest.approx((snap.last_price - aapl.avg_entry) * 50)
            assert rows["SPY"].qty == -10  # the short, signed
            # The demo's F order fills 100 + 100 + 50: three notifications, once each.
            notifier = account.panels.fills

            def filled() -> bool:
                order = next((o for o in book.orders.values() if o.symbol == "F"), None)
                return order is not None and order.filled_qty == 250

            await until(filled, "the demo order filled", limit_s=30.0)
            await until(lambda: notifier.shown == 3, "three fill notifications")
            fills = [f for f in book.recent_fills() if f.symbol == "F"]
            assert sorted(f.qty for f in fills) == [50.0, 100.0, 100.0]
            # A reconnect of the account stream reconciles over REST: no fill twice.
            assert runtime.simulator is not None
            runtime.simulator.faults.drop_trade_streams()
            await until(lambda: account.health.reconnects >= 1, "account stream reconnect")
            await until(lambda: account.health.state is ConnectionState.STREAMING, "account back")
            await asyncio.sleep(0.5)
            assert notifier.shown == 3
            assert len([f for f in book.recent_fills() if f.symbol == "F"]) == 3
            window.status.refresh()
            assert account.indicator.text() == "account: streaming"
            assert positions.isVisibleTo(window)
        finally:
            await runtime.close()
        assert len(runtime.tasks) == 0

    qloop.run_until_complete(scenario())
