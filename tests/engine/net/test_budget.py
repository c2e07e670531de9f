"""RequestBudget: one token bucket for all REST calls of a key, with a fake clock."""

from __future__ import annotations

import asyncio

from engine.net.budget import RequestBudget
from engine.plan import MarketDataPlan, PlanLimit


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_basic_budget_bursts_then_spaces_calls_and_never_exceeds_200_in_a_minute() -> None:
    clock = Clock()
    budget = RequestBudget(200, clock=clock)
    assert budget.capacity == 20
    for _ in range(20):
        assert budget.delay_for_next(clock.now) == 0.0
        assert budget.take(clock.now)
    assert not budget.take(clock.now)
    assert abs(budget.delay_for_next(clock.now) - 1 / 3) < 1e-9  # 180 more a minute
    # Drive the bucket for two minutes, taking whenever allowed: count per 60 s window.
    times: list[float] = [0.0] * 20
    while clock.now < 120.0:
        clock.now += budget.delay_for_next(clock.now)
        assert budget.take(clock.now)
        times.append(clock.now)
    for i, t in enumerate(times):
        in_window = sum(1 for u in times[i:] if u < t + 60.0)
        assert in_window <= 200


def test_retry_after_pauses_everyone_then_one_call_goes() -> None:
    clock = Clock()
    budget = RequestBudget(200, clock=clock)
    clock.now = 5.0
    budget.note_retry_after(7.0)
    assert budget.rate_limited == 1
    assert budget.delay_for_next(5.0) == 7.0
    assert not budget.take(11.9)
    assert budget.take(12.0)
    assert budget.delay_for_next(12.0) > 0.0  # then at the refill rate
    budget.note_retry_after(None, now=12.0)  # no Retry-After: a short default pause
    assert budget.delay_for_next(12.0) >= 1.0


def test_plan_rates() -> None:
    assert RequestBudget.for_plan(PlanLimit()).per_minute == 200
    plus = RequestBudget.for_plan(PlanLimit(MarketDataPlan.ALGO_TRADER_PLUS))
    assert plus.per_minute == 10_000
    assert RequestBudget.for_plan(PlanLimit(MarketDataPlan.CUSTOM, 50)).per_minute == 200


def test_acquire_waits_with_the_injected_sleep_in_order() -> None:
    clock = Clock()
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.now += seconds
        await asyncio.sleep(0)

    async def main() -> list[float]:
        budget = RequestBudget(60, burst=2, clock=clock, sleep=fake_sleep)  # 1 a second after
        done: list[float] = []

        async def call() -> None:
            await budget.acquire()
            done.append(clock.now)

        await asyncio.gather(*(call() for _ in range(5)))
        assert budget.calls == 5
        assert budget.waits == 3
        return done

    done = asyncio.run(main())
    assert done[:2] == [0.0, 0.0]
    gap = 60 / 58  # (60 - burst) calls a minute after the burst
    assert [round(t, 6) for t in done[2:]] == [round(k * gap, 6) for k in (1, 2, 3)]
    assert slept
