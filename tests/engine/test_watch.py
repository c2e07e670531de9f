"""`tickerdesk-watch` as a user runs it: a subprocess, its JSON contract and exit codes."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import Awaitable
from typing import Any

from engine.simulator import Simulator, SimulatorConfig

SECRET = "watch-test-secret-9f8e"
CREDENTIAL_VARS = {"APCA_API_KEY_ID", "APCA_API_SECRET_KEY", "ALPACA_API_KEY", "ALPACA_API_SECRET"}


def run(coro: Awaitable[None]) -> None:
    async def guarded() -> None:
        await asyncio.wait_for(coro, timeout=90)

    asyncio.run(guarded())


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CREDENTIAL_VARS}
    env.update(extra)
    return env


async def _watch(
    *args: str, env: dict[str, str], stop_after: float | None = None
) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "engine.watch", *args,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    if stop_after is not None:
        await asyncio.sleep(stop_after)
        proc.send_signal(signal.SIGTERM)
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def _check_contract(doc: dict[str, Any], symbols: set[str]) -> None:
    health = doc["health"]
    assert health["state"] == "streaming"
    assert health["messages"] > 0
    assert health["reconnects"] == 0
    assert health["decode_errors"] == 0
    assert health["last_error"] is None
    assert set(doc["symbols"]) == symbols
    for entry in doc["symbols"].values():
        assert isinstance(entry["bid"], float)
        assert isinstance(entry["ask"], float)
        assert isinstance(entry["bid_size"], int)
        assert isinstance(entry["quote_time_ns"], int)
        assert entry["quote_time_ns"] > 1_600_000_000 * 10**9
        assert entry["freshness"] == "fresh"
        assert entry["source"] in {"stream", "rest", "simulator"}
        assert entry["halted"] in (True, False)
        for key in ("last", "last_size", "volume", "prev_close", "trade_time_ns"):
            assert key in entry


def test_json_contract_against_a_simulator() -> None:
    async def scenario() -> None:
        async with Simulator(SimulatorConfig(seed=21, rate=300.0)) as sim:
            code, out, err = await _watch(
                "AAPL", "msft", "--url", sim.ws_url, "--rest-url", sim.rest_url,
                "--seconds", "2.5", "--json", env=_env(),
            )  # fmt: skip
        assert code == 0, err
        _check_contract(json.loads(out), {"AAPL", "MSFT"})

    run(scenario())


def test_msgpack_mode_and_sigterm_end_cleanly() -> None:
    async def scenario() -> None:
        async with Simulator(SimulatorConfig(seed=22, rate=300.0)) as sim:
            code, out, err = await _watch(
                "SPY", "--url", sim.ws_url, "--msgpack", "--json", env=_env(), stop_after=3.0
            )
        assert code == 0, err
        _check_contract(json.loads(out), {"SPY"})

    run(scenario())


def test_without_credentials_it_starts_the_embedded_simulator() -> None:
    async def scenario() -> None:
        code, out, err = await _watch("AAPL", "--seconds", "3", "--json", env=_env())
        assert code == 0, err
        assert "embedded simulator" in err
        doc = json.loads(out)
        _check_contract(doc, {"AAPL"})
        assert doc["health"]["endpoint"].startswith("ws://127.0.0.1:")
        assert doc["symbols"]["AAPL"]["source"] in {"simulator", "rest"}

    run(scenario())


def test_auth_failure_exits_nonzero_with_reason_and_no_secret() -> None:
    async def scenario() -> None:
        async with Simulator(SimulatorConfig(seed=23, key="GOODKEY", secret="other")) as sim:
            code, out, err = await _watch(
                "AAPL", "--url", sim.ws_url, "--seconds", "20", "--json",
                env=_env(APCA_API_KEY_ID="GOODKEY", APCA_API_SECRET_KEY=SECRET),
            )  # fmt: skip
        assert code == 3
        assert "402" in err
        assert SECRET not in err
        assert SECRET not in out
        assert json.loads(out)["health"]["state"] == "failed"

    run(scenario())


def test_invalid_symbols_only_is_a_usage_error() -> None:
    async def scenario() -> None:
        code, _out, err = await _watch("123", "<script>", "--seconds", "1", env=_env())
        assert code == 2
        assert "invalid symbol" in err

    run(scenario())


def test_basic_plan_streams_30_of_35_and_keeps_5_alive_from_rest() -> None:
    """Issue #12: against a Basic-plan simulator, 35 symbols: 30 stream, 5 come from REST
    snapshots, and both outputs say why (docs/account-and-history.md, "Plans and limits")."""
    from engine.simulator.config import Plan
    from engine.simulator.universe import synthetic_symbols

    symbols = list(synthetic_symbols(35))

    async def scenario() -> None:
        config = SimulatorConfig(seed=24, rate=1500.0, plan=Plan.FREE, symbols=tuple(symbols))
        async with Simulator(config) as sim:
            common = ("--url", sim.ws_url, "--rest-url", sim.rest_url, "--rest-interval", "1")
            code, out, err = await _watch(
                *symbols, *common, "--seconds", "3", "--json", env=_env()
            )  # default --plan: basic on iex
            assert code == 0, err
            doc = json.loads(out)
            text_code, text, text_err = await _watch(
                *symbols, *common, "--plan", "basic", "--seconds", "2", env=_env()
            )
        health = doc["health"]
        assert health["state"] == "streaming"
        assert health["last_error"] is None  # nothing refused: no 405
        budget = doc["budget"]
        assert budget["plan"] == "basic"
        assert budget["limit"] == 30
        assert budget["streamed"] == symbols[:30]
        assert budget["polled"] == symbols[30:]
        assert budget["confirmed"] == 30  # what the server confirmed on trades+quotes
        assert budget["rest_polled"] == 5
        assert budget["message"] == "streaming 30 of 35 symbols: Alpaca's free plan allows 30"
        assert set(doc["symbols"]) == set(symbols)  # nothing dropped
        for symbol in symbols[30:]:
            entry = doc["symbols"][symbol]
            assert entry["streamed"] is False
            assert entry["source"] == "rest"
            assert entry["updates"] > 0
            assert entry["age_s"] is not None
        streamed = [doc["symbols"][s] for s in symbols[:30]]
        assert all(entry["streamed"] for entry in streamed)
        assert any(entry["source"] == "stream" for entry in streamed)
        assert "streaming 30 of 35 symbols: Alpaca's free plan allows 30" in err
        # The text output: a SOURCE column and the same reason, naming the REST symbols.
        assert text_code == 0, text_err
        assert "SOURCE" in text
        assert "streaming 30 of 35 symbols: Alpaca's free plan allows 30" in text
        assert f"kept alive from REST snapshots: {', '.join(symbols[30:])}" in text
        rows = {line.split()[0]: line for line in text.splitlines() if line[:1].isalpha()}
        assert all(" rest " in rows[s] for s in symbols[30:])

    run(scenario())


def test_plan_and_demo_options_are_checked() -> None:
    async def scenario() -> None:
        code, _out, err = await _watch("AAPL", "--plan", "gold", "--seconds", "1", env=_env())
        assert code == 2
        assert "unknown plan" in err
        code, _out, err = await _watch(
            "AAPL", "--demo-at", "2026-11-20T09:25", "--seconds", "1", env=_env()
        )
        assert code == 2
        assert "no UTC offset" in err

    run(scenario())


def test_embedded_simulator_on_a_simulated_day_and_plan() -> None:
    """--demo-at / --demo-speed / --plan reach the embedded simulator: a Basic-plan day."""
    symbols = ["AAPL", "MSFT", "SPY"]

    async def scenario() -> None:
        code, out, err = await _watch(
            *symbols, "--demo-at", "2026-11-20T10:00-05:00", "--demo-speed", "2",
            "--plan", "2", "--seconds", "3", "--json", env=_env(),
        )  # fmt: skip
        assert code == 0, err
        assert "embedded simulator" in err
        doc = json.loads(out)
        budget = doc["budget"]
        assert budget["plan"] == "2"
        assert budget["streamed"] == ["AAPL", "MSFT"]
        assert budget["polled"] == ["SPY"]
        assert budget["confirmed"] == 2  # the simulator enforces the limit it was given
        assert doc["health"]["last_error"] is None
        assert doc["symbols"]["SPY"]["streamed"] is False

    run(scenario())


def test_demo_clock_implies_the_embedded_simulator_even_with_credentials() -> None:
    """--demo-at with credentials set: the simulated day, never live Alpaca with the clock
    silently ignored (the app's --demo-at implies --demo too)."""

    async def scenario() -> None:
        code, out, err = await _watch(
            "AAPL", "--demo-at", "2026-11-20T10:00-05:00", "--seconds", "2", "--json",
            env=_env(APCA_API_KEY_ID="PKTEST", APCA_API_SECRET_KEY="not-a-real-secret"),
        )  # fmt: skip
        assert code == 0, err
        assert "--demo-at/--demo-speed; using the embedded simulator" in err
        assert json.loads(out)["symbols"]["AAPL"]["last"] is not None

    run(scenario())
