"""The session clock (engine.simulator.clock) and its command-line options."""

from __future__ import annotations

import subprocess
import sys

import pytest

from engine.market.calendar import MarketSession
from engine.simulator import Plan, Simulator, SimulatorConfig
from engine.simulator.cli import _config, _parser
from engine.simulator.clock import SessionClock, parse_start
from tests.engine.simulator.wsclient import et

S = 10**9


def test_wall_clock_by_default_and_start_plus_elapsed_times_speed() -> None:
    mono = [5 * S]
    wall = SessionClock(wall_ns=lambda: 123, monotonic_ns=lambda: mono[0])
    assert wall.now_ns() == 123
    assert not wall.simulated
    start = et(2026, 11, 20, 3, 55)
    fast = SessionClock(start, 60.0, monotonic_ns=lambda: mono[0])
    assert fast.simulated
    assert fast.now_ns() == start
    mono[0] += 5 * S  # five real seconds = five simulated minutes
    assert fast.now_ns() == et(2026, 11, 20, 4, 0)
    assert fast.session().session is MarketSession.PRE_MARKET
    assert fast.now().isoformat() == "2026-11-20T09:00:00+00:00"
    # no start but a speed: today, faster
    sped = SessionClock(None, 2.0, wall_ns=lambda: 1_000 * S, monotonic_ns=lambda: mono[0])
    mono[0] += S
    assert sped.now_ns() == 1_002 * S
    with pytest.raises(ValueError, match="speed"):
        SessionClock(start, 0.0)


def test_default_simulator_runs_on_wall_time() -> None:
    sim = Simulator(SimulatorConfig(seed=1))
    assert sim.session_clock() is sim.clock
    assert not sim.clock.simulated
    assert sim.config.day is False  # the always-on market stays the default


def test_parse_start_needs_an_offset() -> None:
    assert parse_start("2026-11-20T03:55-05:00") == et(2026, 11, 20, 3, 55)
    assert parse_start("2026-11-20T08:55Z") == et(2026, 11, 20, 3, 55)
    assert parse_start("2026-11-20T08:55:00.5Z") == et(2026, 11, 20, 3, 55) + S // 2
    with pytest.raises(ValueError, match="offset"):
        parse_start("2026-11-20T03:55")
    with pytest.raises(ValueError, match="RFC 3339"):
        parse_start("tomorrow")


def test_cli_start_speed_and_plan() -> None:
    config = _config(
        _parser().parse_args(
            ["--start", "2026-11-20T03:55-05:00", "--speed", "60", "--plan", "free"]
        )
    )
    assert config.start_ns == et(2026, 11, 20, 3, 55)
    assert config.speed == 60.0
    assert config.day  # a chosen start lives the real day...
    assert config.plan is Plan.FREE
    always = _config(_parser().parse_args(["--start", "2026-11-20T08:55Z", "--session", "always"]))
    assert not always.day  # ...unless told otherwise
    assert not _config(_parser().parse_args([])).day
    assert _config(_parser().parse_args(["--session", "day"])).day
    assert _config(_parser().parse_args(["--rest-limit", "5"])).effective_rest_limit == 5


def test_cli_refuses_a_start_without_offset_and_a_bad_speed() -> None:
    for args in (["--start", "2026-11-20T03:55"], ["--speed", "0"]):
        proc = subprocess.run(
            [sys.executable, "-m", "engine.simulator", "--port", "0", *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 2, args
        assert "tickerdesk-sim:" in proc.stderr
