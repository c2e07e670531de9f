"""Load shedding for the table's repaint: stretch the flush interval while the loop runs late.

Every received message still reaches the store (docs/design.md: applying is cheap); only the
UI coalesces. A full repaint of a 1400x900 table costs ~25-35 ms in Qt's item-view text
rendering (measured, tests/benchmarks/bench_app_firehose.py), so at 20 flushes a second
a firehose that touches every visible row spends most of the one GUI thread painting.
When the flush timer fires late (the loop is saturated: one tick late by a whole interval,
or two in a row by half of one) the interval doubles, up to
`max_factor` x the configured one; after `recover_after` on-time ticks it halves again.

Lateness alone reacts only once the loop is already saturated. The view reports each
repaint of the table (`note_paint`) and the pacer reads the process's CPU time, so the
interval also doubles when painting took more than `MAX_PAINT_SHARE` of the last tick
period (a full repaint costs ~25 ms here: at 20 Hz that is half a core spent on one
widget, beside the trader's charting app), or when the process was busy more than
`MAX_BUSY` and painting is a real part of it, for two tick periods in a row (one such
period alone is a hiccup, as is one late tick). It shrinks again only when twice the
painting would still fit. Few changed rows (small partial repaints) keep the configured
rate; a firehose touching every visible row repaints at 5-10 Hz and leaves the loop its
time for the socket.
"""

from __future__ import annotations

import time
from collections.abc import Callable

MAX_FACTOR = 4  # 50 ms configured -> at most 200 ms (5 Hz) under overload
RECOVER_AFTER = 10  # on-time ticks before the interval shrinks again
MAX_BUSY = 0.8  # share of the tick period the process may spend on CPU before pacing
MIN_PAINT_SHARE = 0.1  # painting below this share is not what to shed
MAX_PAINT_SHARE = 0.25  # the table's repaint may take at most this share of the thread


class FlushPacer:
    """Decides the flush timer's interval from how late its ticks come and how busy the
    process was (CPU time) and with how much painting, over each tick period."""

    def __init__(
        self,
        base_ms: int,
        max_factor: int = MAX_FACTOR,
        recover_after: int = RECOVER_AFTER,
        clock: Callable[[], float] = time.perf_counter,
        cpu_clock: Callable[[], float] = time.process_time,
    ) -> None:
        self.base_ms = base_ms
        self.factor = 1
        self.stretched = 0  # how many times the interval grew (benchmarks, diagnostics)
        self._max = max_factor
        self._recover_after = recover_after
        self._clock = clock
        self._cpu_clock = cpu_clock
        self._cpu_last = 0.0
        self.busy_share = 0.0  # CPU time over the last tick period (diagnostics)
        self._last: float | None = None
        self._on_time = 0
        self._strained_before = False  # the last tick was late by interval/2, or overloaded
        self._painted_s = 0.0  # viewport paint time since the previous tick
        self.paint_share = 0.0  # painting's share of the last tick period (diagnostics)

    def note_paint(self, seconds: float) -> None:
        """The table view spent `seconds` painting its viewport (gui.table.view)."""
        self._painted_s += seconds

    @property
    def interval_ms(self) -> int:
        return self.base_ms * self.factor

    def tick(self) -> int | None:
        """Call on each timer tick; returns a new interval (ms) when it should change."""
        now, cpu = self._clock(), self._cpu_clock()
        last, self._last = self._last, now
        cpu_last, self._cpu_last = self._cpu_last, cpu
        painted, self._painted_s = self._painted_s, 0.0
        if last is None or self.base_ms <= 0 or now <= last:
            return None
        interval = self.interval_ms / 1000
        period = now - last
        late = period - interval
        self.paint_share = share = painted / period
        self.busy_share = busy = (cpu - cpu_last) / period
        overloaded = (busy > MAX_BUSY and share > MIN_PAINT_SHARE) or share > MAX_PAINT_SHARE
        # One strained tick (a little late, or one busy period: a garbage collection, a
        # burst read at once) is a hiccup, not a saturated loop: stretch on a tick late by
        # a whole interval, or on a second strained tick in a row (docs/performance.md,
        # "Pacing and the garbage collector").
        strained = late > interval / 2 or overloaded
        strained_before, self._strained_before = self._strained_before, strained
        if late > interval or (strained and strained_before):
            self._on_time = 0
            if self.factor < self._max:
                self.factor *= 2
                self.stretched += 1
                return self.interval_ms
            return None
        # Not yet on time, or half the interval (twice the painting) would overload again.
        crowded = busy + share > MAX_BUSY * 0.9 or 2 * share > MAX_PAINT_SHARE * 0.8
        if late > interval / 4 or (self.factor > 1 and crowded):
            self._on_time = 0
            return None
        self._on_time += 1
        if self.factor > 1 and self._on_time >= self._recover_after:
            self._on_time = 0
            self.factor //= 2
            return self.interval_ms
        return None
