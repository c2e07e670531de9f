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
