"""FlushPacer: the table's flush interval stretches while ticks come late, and recovers."""

from __future__ import annotations

from typing import Any

from gui.pacing import FlushPacer


def _tick_after(pacer: FlushPacer, clock: Any, seconds: float) -> int | None:
    clock.advance(seconds)
    return pacer.tick()


def test_late_ticks_stretch_up_to_the_cap_and_on_time_ticks_recover(clock: Any) -> None:
    pacer = FlushPacer(50, max_factor=4, recover_after=3, clock=clock)
    assert pacer.tick() is None  # first tick: nothing to compare with
    assert _tick_after(pacer, clock, 0.050) is None  # on time
    assert _tick_after(pacer, clock, 0.120) == 100  # 70 ms late: the loop is saturated
    assert _tick_after(pacer, clock, 0.200) == 200
    assert _tick_after(pacer, clock, 0.400) is None  # capped at 4 x
    assert pacer.interval_ms == 200
    assert pacer.stretched == 2
    assert _tick_after(pacer, clock, 0.200) is None
    assert _tick_after(pacer, clock, 0.200) is None
    assert _tick_after(pacer, clock, 0.200) == 100  # three on-time ticks: halve
    assert _tick_after(pacer, clock, 0.100) is None
    assert _tick_after(pacer, clock, 0.135) is None  # somewhat late: no recovery credit
    assert _tick_after(pacer, clock, 0.100) is None
    assert _tick_after(pacer, clock, 0.100) is None
    assert _tick_after(pacer, clock, 0.100) == 50
    assert pacer.factor == 1


def test_a_disabled_flush_interval_never_changes(clock: Any) -> None:
    pacer = FlushPacer(0, clock=clock)
    assert pacer.tick() is None
    assert _tick_after(pacer, clock, 5.0) is None
    assert pacer.interval_ms == 0
