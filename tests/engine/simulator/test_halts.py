"""Halts the way the tapes report them (engine.simulator.halts, docs/protocol.md).

Nasdaq (UTP, tape C): `H` -> `Q` (quotes only) -> `T`; an LULD pause `P` -> `Q` -> `T`.
NYSE (CTA, tapes A/B): `2` -> `3`. Timed in simulated time, driven by
FaultInjector.halt over real sockets with a hand-moved session clock; and the always-on
market's random halts, which count steps, pass through `Q` too.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from engine.simulator import Simulator, SimulatorConfig
from engine.simulator.market import Market
from engine.simulator.wire import Quote, Status, Trade
from tests.engine.simulator.wsclient import (
    ManualClock,
    Msg,
    advance_to,
    et,
    handshake,
    run,
    subscribe,
    sync,
    ts_ns,
)

S = 10**9


def config(**overrides: Any) -> SimulatorConfig:
    base: dict[str, Any] = {
        "seed": 21,
        "rate": 2000.0,
        "day": True,
        "halt_probability": 0.0,
        "symbols": ("AAPL", "JPM", "MSFT"),
    }
    return SimulatorConfig(**{**base, **overrides})


async def walk(sim: Simulator, clock: ManualClock, ws: Any, to_ns: int, step_s: float) -> list[Msg]:
    got: list[Msg] = []
    now = clock.session.now_ns()
    while now < to_ns:
        now = min(to_ns, now + int(step_s * S))
        await advance_to(sim, clock, now)
        got.extend(await sync(ws))
    return got


def windows(msgs: list[Msg], symbol: str, marks: list[int]) -> list[set[str]]:
    """The message types of `symbol` strictly between consecutive status times."""
    out: list[set[str]] = []
    for lo, hi in itertools.pairwise(marks):
        out.append(
            {
                m["T"]
                for m in msgs
                if m["S"] == symbol and m["T"] in "tq" and lo < ts_ns(m["t"]) < hi
            }
        )
    return out


def test_nasdaq_news_halt_goes_h_then_q_then_t_in_simulated_time() -> None:
    async def main() -> None:
        clock = ManualClock(et(2026, 11, 20, 10, 0))
        async with Simulator(config(), clock=clock.session) as sim:
            ws = await handshake(sim)
            await subscribe(ws, ["AAPL", "JPM"])
            before = await walk(sim, clock, ws, et(2026, 11, 20, 10, 1), 20)
            assert {m["T"] for m in before if m["S"] == "AAPL"} >= {"t", "q"}
            assert sim.faults.halt("AAPL", "T1", quote_after_s=60, resume_after_s=180)
            t0 = et(2026, 11, 20, 10, 1)
            got = await walk(sim, clock, ws, t0 + 400 * S, 15)
            statuses = [m for m in got if m["T"] == "s" and m["S"] == "AAPL"]
            assert [(m["sc"], m["rc"]) for m in statuses] == [("H", "T1"), ("Q", "T3"), ("T", "")]
            assert [ts_ns(m["t"]) for m in statuses] == [t0, t0 + 60 * S, t0 + 180 * S]
            assert statuses[0]["sm"] == "Trading Halt"
            assert statuses[0]["z"] == "C"
            halted, quoting, after = windows(
                got, "AAPL", [t0, t0 + 60 * S, t0 + 180 * S, t0 + 400 * S]
            )
            assert halted == set()  # H: no quotes, no trades
            assert quoting == {"q"}  # Q: quotes only
            assert after == {"t", "q"}  # T: trading again
            assert any(
                m["T"] == "l" and m["S"] == "AAPL" and ts_ns(m["t"]) == t0 + 180 * S for m in got
            )  # fmt: skip  (bands again on resumption)
            jpm = {m["T"] for m in got if m["S"] == "JPM" and t0 < ts_ns(m["t"]) < t0 + 60 * S}
            assert "t" in jpm  # the halt is AAPL's alone
            await ws.close()

    run(main())


def test_luld_pause_and_nyse_halt() -> None:
    async def main() -> None:
        clock = ManualClock(et(2026, 11, 20, 11, 0))
        async with Simulator(config(), clock=clock.session) as sim:
            ws = await handshake(sim)
            await subscribe(ws, ["MSFT", "JPM"])
            assert sim.faults.halt("MSFT", "LUDP")  # defaults: P 300 s, then Q 30 s
            assert sim.faults.halt("JPM", "T1", resume_after_s=120)  # CTA: no Q
            t0 = clock.session.now_ns()
            got = await walk(sim, clock, ws, t0 + 420 * S, 30)
            msft = [m for m in got if m["T"] == "s" and m["S"] == "MSFT"]
            assert [(m["sc"], ts_ns(m["t"]) - t0) for m in msft] == [
                ("P", 0),
                ("Q", 300 * S),
                ("T", 330 * S),
            ]
            assert msft[0]["rc"] == "LUDP"
            jpm = [m for m in got if m["T"] == "s" and m["S"] == "JPM"]
            assert [(m["sc"], ts_ns(m["t"]) - t0) for m in jpm] == [("2", 0), ("3", 120 * S)]
            assert jpm[0]["z"] == "A"
            paused, quoting, _ = windows(
                got, "MSFT", [t0, t0 + 300 * S, t0 + 330 * S, t0 + 420 * S]
            )
            assert paused == set()
            assert quoting <= {"q"}
            halted, after = windows(got, "JPM", [t0, t0 + 120 * S, t0 + 420 * S])
            assert halted == set()
            assert "t" in after
            await ws.close()

    run(main())


def test_halt_arguments_are_checked_before_anything_changes() -> None:
    async def main() -> None:
        clock = ManualClock(et(2026, 11, 20, 11, 0))
        async with Simulator(config(), clock=clock.session) as sim:
            with pytest.raises(ValueError, match="reason"):
                sim.faults.halt("AAPL", "XX")
            with pytest.raises(ValueError, match="quote_after_s"):
                sim.faults.halt("AAPL", "T1", quote_after_s=60, resume_after_s=30)
            assert "AAPL" not in sim.market.halts
            assert not sim.faults.halt("not a symbol")
            assert sim.faults.halt("NEWCO")  # a valid-looking name joins the universe
            assert "NEWCO" in sim.market.halts

    run(main())


def test_always_on_random_halts_pass_through_q_and_stay_silent() -> None:
    market = Market(
        ["AAPL", "QQQ", "JPM", "SPY"],
        seed=9,
        start_ns=et(2026, 11, 20, 12),
        rate=0.0,
        halt_probability=0.02,
        halt_steps=(20, 60),
    )
    market.set_active(["AAPL", "QQQ", "JPM", "SPY"])
    out = market.burst(20_000, et(2026, 11, 20, 12))
    for symbol, tape in (("AAPL", "C"), ("QQQ", "C"), ("JPM", "A"), ("SPY", "B")):
        stage = "open"
        codes = []
        for m in out:
            if symbol != m.S:
                continue
            if isinstance(m, Status):
                codes.append(m.sc)
                stage = {"H": "halted", "P": "halted", "2": "halted", "Q": "quoting"}.get(
                    m.sc, "open"
                )
            elif stage == "halted":
                assert not isinstance(m, (Quote, Trade)), (symbol, m)
            elif stage == "quoting":
                assert not isinstance(m, Trade), (symbol, m)
        assert codes, symbol
        text = "".join(codes)
        if tape == "C":
            assert text.replace("HQT", "").replace("PQT", "") in ("", "H", "P", "HQ", "PQ")
        else:
            assert text.replace("23", "") in ("", "2")
