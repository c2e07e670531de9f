"""`tickerdesk-watch --account --json` (issue 14): the account, positions with live P&L
and open orders for scripts, read from the simulator's Trading API and trade_updates
stream over 127.0.0.1 in a subprocess, with the key from the environment; the secret
appears nowhere in the output, and a key without trading access is explained in words."""

from __future__ import annotations

import json

import pytest

from engine.simulator import Simulator, SimulatorConfig
from tests.engine.test_watch import _env, _watch, run

KEY, SECRET = "PKWATCHTEST", "s3cr3t-watch-account"


def _args(sim: Simulator) -> tuple[str, ...]:
    return (
        "AAPL", "MSFT", "SPY", "--url", sim.ws_url, "--rest-url", sim.rest_url,
        "--trading-url", sim.rest_url, "--account", "--no-history", "--json", "--seconds", "4",
    )  # fmt: skip


def test_account_positions_and_open_orders_for_scripts() -> None:
    async def scenario() -> None:
        config = SimulatorConfig(seed=14, rate=200.0, key=KEY, secret=SECRET)
        async with Simulator(config) as sim:
            env = _env(APCA_API_KEY_ID=KEY, APCA_API_SECRET_KEY=SECRET)
            code, out, err = await _watch(*_args(sim), env=env)
        assert code == 0, err
        assert SECRET not in out
        assert SECRET not in err
        doc = json.loads(out)
        account = doc["account"]
        assert account["paper"] is True
        assert account["equity"] > 0
        assert account["buying_power"] > 0
        positions = {p["symbol"]: p for p in doc["positions"]}
        assert set(positions) == {"AAPL", "MSFT", "SPY"}
        assert positions["SPY"]["qty"] == -10
        assert positions["SPY"]["side"] == "short"
        for p in positions.values():
            # Watched symbols: the store's live price, and P&L from it.
            assert p["price_source"] == "stream"
            expected = (p["price"] - p["avg_entry_price"]) * p["qty"]
            assert p["unrealized_pl"] == pytest.approx(expected, abs=0.01)
            assert p["market_value"] == pytest.approx(p["price"] * p["qty"], abs=0.01)
        orders = {o["symbol"]: o for o in doc["open_orders"]}
        assert {"NVDA"} <= set(orders)  # the demo's resting order
        nvda = orders["NVDA"]
        assert (nvda["side"], nvda["qty"], nvda["filled_qty"]) == ("buy", 10.0, 0.0)
        assert nvda["status"] in ("new", "accepted")
        assert doc["account_stream"]["state"] == "streaming"
        assert doc["account_error"] is None

    run(scenario())


def test_a_key_without_trading_access_is_said_in_words() -> None:
    async def scenario() -> None:
        config = SimulatorConfig(
            seed=14, rate=50.0, key=KEY, secret=SECRET, trading_forbidden_keys=(KEY,)
        )
        async with Simulator(config) as sim:
            env = _env(APCA_API_KEY_ID=KEY, APCA_API_SECRET_KEY=SECRET)
            code, out, err = await _watch(*_args(sim), env=env)
        assert code == 0, err  # market data still works
        doc = json.loads(out)
        assert doc["account"] is None
        assert "no access to the Trading API (HTTP 403)" in (doc["account_error"] or "")
        assert doc["symbols"]["AAPL"]["last"] is not None
        assert SECRET not in out
        assert SECRET not in err

    run(scenario())
