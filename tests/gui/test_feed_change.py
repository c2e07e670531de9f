"""Issue #12, defect 5: a feed change that moves the data's timeline resets the market data.

delayed_sip runs 15 minutes behind the real-time feeds (docs/protocol.md, "Endpoints").
The store never lets older data overwrite newer (docs/design.md, "engine/"), so rows kept
from iex or sip would reject every delayed message as out of order and freeze for about
15 minutes. Switching feed therefore forgets the market data (never the watchlists) and
asks REST for fresh snapshots. Driven through the real app and simulator on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from engine.events import Quote, Trade
from engine.market.store import Source
from engine.net.health import ConnectionState
from engine.simulator import Simulator, SimulatorConfig
from gui.runtime import Runtime, RuntimeOptions
from gui.settings.dialog import StreamSettings
from gui.settings.persistence import AppSettings
from tests.waits import until

OFFSCREEN_SHOW = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
SYMBOLS = ["AAPL", "MSFT", "SPY"]
DELAY_NS = 15 * 60 * 1_000_000_000


@OFFSCREEN_SHOW
def test_switching_to_delayed_sip_and_back_never_freezes_the_rows(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    # The data feed only: no account (the simulator's demo watchlist would be a tab).
    AppSettings(tmp_path / "feed.ini").set_trading_api("off")

    async def scenario() -> None:
        async with Simulator(SimulatorConfig(seed=5, rate=300.0)) as sim:
            options = RuntimeOptions(
                url=sim.ws_url, rest_url=sim.rest_url, symbols=SYMBOLS, feed="iex",
                settings_path=tmp_path / "feed.ini", env={}, use_keyring=False,
            )  # fmt: skip
            session = Runtime(options, asyncio.Event())
            try:
                await session.start()
                window, store = session.window, session.store
                assert window is not None
                assert store is not None
                await until(lambda: not session.symbols_without_data(), "iex data")
                # What a real-time feed leaves in the rows: prints a full delay newer than
                # anything delayed_sip will send (stamped ahead of the simulator's clock,
                # so the test does not depend on how the simulator delays its feed).
                ahead = time.time_ns() + DELAY_NS
                for symbol in SYMBOLS:
                    store.apply(Trade(symbol, 500.0, 100, ahead), source=Source.STREAM)
                    store.apply(Quote(symbol, 499.9, 1, 500.1, 1, ahead), source=Source.STREAM)

                window.feed_combo.setCurrentText("delayed_sip")

                def delayed_rows_move() -> bool:
                    for symbol in SYMBOLS:
                        snap = store.get(symbol)
                        if snap is None or snap.quote_ns is None or snap.quote_ns >= ahead:
                            return False
                        if snap.last_trade_ns is None or snap.last_trade_ns >= ahead:
                            return False
                    return True

                await until(delayed_rows_move, "delayed_sip data in every row")
                assert session.health.feed == "delayed_sip"
                # REST snapshots (and now history) of the new feed may move the rows
                # before the stream's handshake ends: the stream must get there too.
                streaming = ConnectionState.STREAMING
                await until(lambda: session.health.state is streaming, "streaming delayed_sip")
                assert window.all_symbols() == SYMBOLS  # the watchlist stays

                # Snapshots were asked for again: previous close and day stats are back.
                def prev_closes() -> bool:
                    snaps = [store.get(symbol) for symbol in SYMBOLS]
                    return all(s is not None and s.prev_close is not None for s in snaps)

                await until(prev_closes, "previous close from REST after the switch")

                # And back, through the Settings dialog: the delayed rows are forgotten too.
                for symbol in SYMBOLS:
                    store.apply(Trade(symbol, 500.0, 100, ahead), source=Source.STREAM)
                back = StreamSettings(None, "iex", "json", 50)
                await session.apply_settings(back)
                await until(delayed_rows_move, "iex data in every row after switching back")
                assert session.health.feed == "iex"
                assert window.all_symbols() == SYMBOLS
            finally:
                await session.close()
        assert len(session.tasks) == 0

    qloop.run_until_complete(scenario())


@OFFSCREEN_SHOW
def test_quick_feed_switches_end_on_the_last_choice(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """sip -> delayed_sip -> iex in quick succession: the delayed_sip switch (a new
    timeline, so queued) must not land after the iex choice and leave the app streaming
    delayed_sip while the feed list shows iex."""
    AppSettings(tmp_path / "quick.ini").set_trading_api("off")

    async def scenario() -> None:
        async with Simulator(SimulatorConfig(seed=6, rate=300.0)) as sim:
            options = RuntimeOptions(
                url=sim.ws_url, rest_url=sim.rest_url, symbols=SYMBOLS, feed="sip",
                settings_path=tmp_path / "quick.ini", env={}, use_keyring=False,
            )  # fmt: skip
            session = Runtime(options, asyncio.Event())
            try:
                await session.start()
                window, client = session.window, session.client
                assert window is not None
                assert client is not None
                await until(lambda: not session.symbols_without_data(), "sip data")
                window.feed_combo.setCurrentText("delayed_sip")
                window.feed_combo.setCurrentText("iex")  # before the first switch ran
                streaming = ConnectionState.STREAMING
                await until(
                    lambda: session.health.state is streaming and client.config.feed == "iex",
                    "streaming iex",
                )
                await asyncio.sleep(0.5)  # a late switch would land now
                assert client.config.feed == "iex"
                assert session.health.feed == "iex"
                assert window.feed_combo.currentText() == "iex"
            finally:
                await session.close()
        assert len(session.tasks) == 0

    qloop.run_until_complete(scenario())
