"""FlushPacer: the table's flush interval stretches while ticks come late, and recovers."""

from __future__ import annotations

from typing import Any

from gui.table.pacing import MAX_BUSY, MAX_PAINT_SHARE, FlushPacer


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


class CpuClock:
    """process_time stand-in: the test says how busy each period was."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _busy_tick(
    pacer: FlushPacer, clock: Any, cpu: CpuClock, seconds: float, busy: float, paint: float
) -> int | None:
    pacer.note_paint(seconds * paint)
    cpu.now += seconds * busy
    return _tick_after(pacer, clock, seconds)


def test_a_busy_process_that_paints_a_lot_stretches_before_ticks_come_late(clock: Any) -> None:
    cpu = CpuClock()
    pacer = FlushPacer(50, max_factor=4, recover_after=2, clock=clock, cpu_clock=cpu)
    pacer.tick()
    # Painting 20 % of an otherwise quiet thread: the configured 20 Hz stays.
    assert _busy_tick(pacer, clock, cpu, 0.050, busy=0.3, paint=0.2) is None
    # A firehose on top: 90 % busy, painting a real part of it -> stretch, on time or not,
    # from its second period on (one busy period alone is a hiccup).
    assert _busy_tick(pacer, clock, cpu, 0.050, busy=0.9, paint=0.15) is None
    assert _busy_tick(pacer, clock, cpu, 0.050, busy=0.9, paint=0.15) == 100
    assert pacer.busy_share > MAX_BUSY
    # Busy, but painting is not the cost (the socket is): no point shedding paints.
    assert _busy_tick(pacer, clock, cpu, 0.100, busy=0.95, paint=0.05) is None
    # Not busy, but the table alone paints over its share (every visible row changes).
    assert _busy_tick(pacer, clock, cpu, 0.100, busy=0.4, paint=0.3) is None
    assert _busy_tick(pacer, clock, cpu, 0.100, busy=0.4, paint=0.3) == 200
    assert pacer.paint_share > MAX_PAINT_SHARE
    for _ in range(4):  # 12 % painting: halving the interval would paint 24 %: hold
        assert _busy_tick(pacer, clock, cpu, 0.200, busy=0.3, paint=0.12) is None
    for _ in range(4):  # 70 % busy + 8 % painting: one more 8 % nears the bound: hold
        assert _busy_tick(pacer, clock, cpu, 0.200, busy=0.7, paint=0.08) is None
    assert pacer.interval_ms == 200
    for expected in (None, 100):  # the firehose stops: recover
        assert _busy_tick(pacer, clock, cpu, 0.200, busy=0.2, paint=0.05) == expected
    assert pacer.interval_ms == 100


def test_the_view_reports_its_paints_to_the_models_pacer(
    qapp: Any, qtbot: Any, tmp_path: Any, store: Any, clock: Any
) -> None:
    from gui.settings.persistence import AppSettings
    from gui.table.model import TickerFilterProxy, TickerTableModel
    from gui.table.view import TickerView

    model = TickerTableModel(store, clock=clock, flush_interval_ms=0)
    model.set_symbols(["AAPL", "MSFT"])
    view = TickerView(model, TickerFilterProxy(model), AppSettings(tmp_path / "v.ini"))
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    model.pacer = recorder = FlushPacer(50, clock=clock)
    view.viewport().update()  # as a flush's dataChanged does
    qtbot.waitUntil(lambda: recorder._painted_s > 0)


def test_one_hiccup_keeps_the_rate_and_two_late_ticks_in_a_row_stretch(clock: Any) -> None:
    """A single tick 35 ms late (a garbage collection, one burst read) is not a saturated
    loop: the configured rate stays. Two such ticks in a row, or one a whole interval
    late, stretch it (docs/performance.md, "Pacing and the garbage collector")."""
    pacer = FlushPacer(50, max_factor=4, recover_after=3, clock=clock)
    pacer.tick()
    assert _tick_after(pacer, clock, 0.085) is None  # 35 ms late once: a hiccup
    assert _tick_after(pacer, clock, 0.050) is None
    assert _tick_after(pacer, clock, 0.085) is None
    assert _tick_after(pacer, clock, 0.085) == 100  # late again, in a row: saturated
    assert _tick_after(pacer, clock, 0.100) is None
    assert _tick_after(pacer, clock, 0.205) == 200  # a whole interval late: at once
    assert pacer.stretched == 2


def test_one_busy_period_is_a_hiccup_two_in_a_row_stretch(clock: Any) -> None:
    """Under a firehose at 1,000 symbols the process had single 50 ms periods at 85-100 %
    CPU every second or two (a burst read, a collection), each doubling the interval
    for a second or more: wire-to-cell p99 went from ~60 to ~100 ms. One such period
    is a hiccup; a sustained load is two in a row."""
    cpu = CpuClock()
    pacer = FlushPacer(50, max_factor=4, recover_after=2, clock=clock, cpu_clock=cpu)
    pacer.tick()
    for _ in range(3):  # a busy period now and then, quiet ones between: 20 Hz stays
        assert _busy_tick(pacer, clock, cpu, 0.050, busy=0.95, paint=0.15) is None
        assert _busy_tick(pacer, clock, cpu, 0.050, busy=0.4, paint=0.08) is None
    assert pacer.stretched == 0
    assert _busy_tick(pacer, clock, cpu, 0.050, busy=0.95, paint=0.15) is None
    assert _busy_tick(pacer, clock, cpu, 0.050, busy=0.95, paint=0.15) == 100
