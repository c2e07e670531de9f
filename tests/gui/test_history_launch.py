"""The demo at launch: full-day charts and sparklines, history columns filled, progress
in the status bar, and a reconnect's gap filled and marked (issue 13).

The real Runtime runs offscreen with its embedded simulator on 127.0.0.1, on a simulated
Friday late morning; the backfill goes over REST to that simulator like it would to
Alpaca, and every figure is compared with the simulator's own bars.
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from engine.demo import DemoOptions, parse_demo_at
from engine.market.calendar import EASTERN
from engine.market.figures import avg_volume, high_52w, rel_volume
from engine.market.history_load import HistoryLoad
from engine.market.minute_bars import MINUTE_NS
from engine.net.health import ConnectionState
from engine.protocol.timestamps import format_rfc3339_ns, parse_rfc3339_ns
from gui.runtime import Runtime, RuntimeOptions
from tests.waits import until

OFFSCREEN_SHOW = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
SYMBOLS = ["AAPL", "MSFT", "SPY", "NVDA"]
START = "2026-11-20T11:00-05:00"  # a Friday, regular session
PRE_OPEN = "2026-11-20T04:00:00-05:00"
SPEED = 40.0  # a second of outage is 40 simulated seconds


async def _sim_minutes(runtime: Runtime, symbol: str, end_ns: int) -> list[int]:
    """The simulator's own 1Min bar times for `symbol` from 04:00 ET to `end_ns`."""
    assert runtime.simulator is not None
    times: list[int] = []
    token: str | None = None
    async with httpx.AsyncClient(base_url=runtime.simulator.rest_url) as client:
        while True:
            params = {
                "symbols": symbol, "timeframe": "1Min", "limit": "10000", "feed": "sip",
                "start": format_rfc3339_ns(parse_rfc3339_ns(PRE_OPEN)),
                "end": format_rfc3339_ns(end_ns),
            }  # fmt: skip
            if token:
                params["page_token"] = token
            reply = await client.get(
                "/v2/stocks/bars", params=params,
                headers={"APCA-API-KEY-ID": "k", "APCA-API-SECRET-KEY": "s"},
            )  # fmt: skip
            reply.raise_for_status()
            body = reply.json()
            times += [parse_rfc3339_ns(b["t"]) for b in (body["bars"] or {}).get(symbol, [])]
            token = body["next_page_token"]
            if not token:
                return times


@OFFSCREEN_SHOW
def test_the_demo_starts_with_a_full_day_and_fills_a_reconnects_gap(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    async def scenario() -> None:
        options = RuntimeOptions(
            demo=True, symbols=SYMBOLS, settings_path=tmp_path / "history.ini",
            simulator_rate=100.0,
            demo_clock=DemoOptions(start_ns=parse_demo_at(START), speed=SPEED),
            rest_poll_s=5.0,
        )  # fmt: skip
        runtime = Runtime(options, asyncio.Event())
        try:
            await runtime.start()
            window = runtime.window
            assert window is not None
            history = runtime.parts.history
            indicator = window.status.history
            indicator.refresh()
            # Progress in words while the bars load.
            assert re.fullmatch(r"history [0-3] of 4 symbols", indicator.text()), indicator.text()
            assert indicator.isVisibleTo(window)

            def loaded() -> bool:
                return all(
                    (h := history.get(s)) is not None and h.load is HistoryLoad.LOADED
                    for s in SYMBOLS
                )

            await until(loaded, "history of every symbol")
            await until(lambda: not runtime.symbols_without_data(), "live data")

            def indicator_hidden() -> bool:  # done, nothing failed: out of the way
                indicator.refresh()
                return not indicator.isVisibleTo(window)

            await until(indicator_hidden, "the history indicator hidden once done")

            now_ns = runtime.exchange_ns()
            pre_open = parse_rfc3339_ns(PRE_OPEN)
            for symbol in SYMBOLS:
                hist = history.get(symbol)
                assert hist is not None
                times = list(hist.bars.times)
                assert times == sorted(set(times))  # no duplicate minute, in order
                # The whole day since 04:00 ET, minute for minute as the simulator has it.
                served = await _sim_minutes(runtime, symbol, times[-1])
                assert served
                assert pre_open <= served[0] < pre_open + 30 * MINUTE_NS
                assert set(served) <= set(times), symbol
                assert times[0] == served[0]
                # Full sparkline at once: the last 15 minutes, not only since launch.
                buckets, _prices = hist.prices.points()
                # (a thin minute at the window's start may have no bar: 12 of the 15 is "full")
                assert buckets[-1] - buckets[0] >= 12 * MINUTE_NS, symbol
                # A year of daily bars and the previous sessions' 15-minute bars.
                assert len(hist.daily) >= 240
                assert len(hist.earlier) > 0
                assert hist.earlier.times[-1] < pre_open
                snap = runtime.store.get(symbol) if runtime.store else None
                assert snap is not None
                assert high_52w(snap, hist) is not None
                assert avg_volume(hist) is not None
                assert rel_volume(snap, hist, now_ns) is not None
                # The table shows the figures (raw sort values) for the row.
                model = window.model
                row = model.symbols().index(symbol)
                keys = [c.key for c in model.columns]
                for key in ("rel_volume", "gap_pct", "range_52w_position"):
                    index = model.index(row, keys.index(key))
                    assert model.data(index) not in ("", "\u2014", None), (symbol, key)

            # A ~40 s outage of the stream (a second at 40x), then the gap is filled.
            assert runtime.client is not None
            assert runtime.simulator is not None
            await runtime.client.stop()
            await asyncio.sleep(1.0)
            runtime.tasks.add(runtime.client.start())
            await until(
                lambda: runtime.health.state is ConnectionState.STREAMING, "streaming again"
            )

            def resynced() -> bool:
                return all((h := history.get(s)) is not None and h.resync for s in SYMBOLS)

            await until(resynced, "every row resynced")
            for symbol in SYMBOLS:
                hist = history.get(symbol)
                assert hist is not None
                assert hist.resync is not None
                text = hist.resync.text()
                found = re.fullmatch(r"resynced \d\d:\d\d:\d\d after a (\d+) s outage .*", text)
                assert found, text
                assert 30 <= int(found[1]) < 120, text  # ~1 s of wall time at 40x
                times = list(hist.bars.times)
                assert times == sorted(set(times))
                served = await _sim_minutes(runtime, symbol, times[-1])
                assert set(served) <= set(times), symbol
                assert times[0] == served[0]
            # All of it on the simulated Friday, whatever day the machine's clock says.
            moment = datetime.fromtimestamp(runtime.exchange_ns() / 1e9, EASTERN)
            assert moment.date().isoformat() == "2026-11-20"
        finally:
            await runtime.close()
        assert len(runtime.tasks) == 0

    qloop.run_until_complete(scenario())
