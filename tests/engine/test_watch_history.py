"""`tickerdesk-watch --json` with the history backfill (issue 13): per symbol the figures
of engine.market.figures, checked against the simulator's own bars fetched separately;
`--no-history` skips the backfill. A subprocess against the simulator on 127.0.0.1, as
in test_watch.py; the simulator runs on the wall clock's real trading day with no live
trades (rate 0), so its bars do not change between the watch's run and the check."""

from __future__ import annotations

import json
import statistics
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from engine.market.calendar import day_start, to_ns
from engine.simulator import Simulator, SimulatorConfig
from engine.simulator.history import et_date
from tests.engine.simulator.wsclient import ts_ns
from tests.engine.test_watch import _env, _watch, run

FIGURE_KEYS = {
    "open", "vwap", "gap_pct", "high_52w", "low_52w", "avg_volume", "rel_volume",
    "premarket_change_pct", "afterhours_change_pct", "history_minutes", "history",
    "resynced", "prev_close", "range_52w_position", "day_range_position",
}  # fmt: skip
SYMBOLS = ("AAPL", "MSFT")


HALF_DAY_NS = 12 * 3600 * 10**9


def _day(row: dict[str, Any]) -> date:
    """A daily bar's New York date (its stamp is that date's midnight: add half a day)."""
    return et_date(ts_ns(row["t"]) + HALF_DAY_NS)


async def _bars(http: httpx.AsyncClient, timeframe: str, start_ns: int) -> dict[str, list[Any]]:
    """Every bar of the window (all pages) per symbol, as the simulator serves it."""
    start = day_start(et_date(start_ns)).isoformat()
    out: dict[str, list[Any]] = {}
    token = None
    while True:
        params = {"symbols": ",".join(SYMBOLS), "timeframe": timeframe, "limit": "10000",
                  "start": start, **({"page_token": token} if token else {})}  # fmt: skip
        reply = await http.get("/v2/stocks/bars", params=params)
        assert reply.status_code == 200, reply.text
        body = reply.json()
        for symbol, rows in body["bars"].items():
            out.setdefault(symbol, []).extend(rows)
        token = body["next_page_token"]
        if token is None:
            return out


def test_json_carries_the_history_figures_computed_from_the_simulators_bars() -> None:
    async def scenario() -> None:
        config = SimulatorConfig(seed=31, rate=0.0, day=True, symbols=SYMBOLS)
        async with Simulator(config) as sim, httpx.AsyncClient(base_url=sim.rest_url) as http:
            code, out, err = await _watch(
                *SYMBOLS, "--url", sim.ws_url, "--rest-url", sim.rest_url,
                "--seconds", "6", "--json", env=_env(),
            )  # fmt: skip
            assert code == 0, err
            now = sim.now_ns()
            minutes = await _bars(http, "1Min", now - 7 * 86_400 * 10**9)
            days = await _bars(http, "1Day", now - 400 * 86_400 * 10**9)
        doc = json.loads(out)
        assert doc["history"]["text"] == "history loaded", doc["history"]
        assert doc["history"]["calls"] >= 3  # intraday, 15Min and 1Day at least
        for symbol in SYMBOLS:
            entry = doc["symbols"][symbol]
            assert set(entry) >= FIGURE_KEYS
            assert entry["history"] == "loaded"
            # The session day: that of the newest minute bar (the last session if closed).
            session = et_date(ts_ns(minutes[symbol][-1]["t"]))
            today = [r for r in minutes[symbol] if et_date(ts_ns(r["t"])) == session]
            pre = to_ns(day_start(session)) + 4 * 3600 * 10**9
            assert all(ts_ns(r["t"]) >= pre for r in today)  # nothing before 04:00 ET
            assert entry["history_minutes"] == len(today)
            before = [r for r in days[symbol] if _day(r) < session]
            last30 = [r["v"] for r in before[-30:]]
            assert entry["avg_volume"] == pytest.approx(statistics.fmean(last30), rel=1e-12)
            oldest = session - timedelta(days=364)
            year = [r for r in before if _day(r) >= oldest]
            high = max([r["h"] for r in year] + [entry["high"]])
            low = min([r["l"] for r in year] + [entry["low"]])
            assert entry["high_52w"] == pytest.approx(high)
            assert entry["low_52w"] == pytest.approx(low)
            assert entry["high_52w"] >= entry["low_52w"]
            assert entry["gap_pct"] == pytest.approx(
                (entry["open"] - entry["prev_close"]) / entry["prev_close"] * 100
            )
            assert entry["resynced"] is None
            assert entry["rel_volume"] is not None  # loaded, with previous sessions' profile
            assert entry["rel_volume"] > 0

    run(scenario())


def test_no_history_skips_the_backfill() -> None:
    async def scenario() -> None:
        config = SimulatorConfig(seed=32, rate=0.0, day=True, symbols=SYMBOLS)
        async with Simulator(config) as sim:
            code, out, err = await _watch(
                "AAPL", "--url", sim.ws_url, "--rest-url", sim.rest_url,
                "--seconds", "2", "--json", "--no-history", env=_env(),
            )  # fmt: skip
        assert code == 0, err
        doc = json.loads(out)
        assert doc["history"] is None
        entry = doc["symbols"]["AAPL"]
        assert set(entry) >= FIGURE_KEYS
        assert entry["history"] == "off"
        assert entry["history_minutes"] == 0
        assert entry["high_52w"] is None
        assert entry["avg_volume"] is None
        assert entry["rel_volume"] is None
        assert entry["gap_pct"] is not None  # from the snapshot alone

    run(scenario())
