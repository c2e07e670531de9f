"""Load shedding for the table's repaint: stretch the flush interval while the loop runs late.

Every received message still reaches the store (DESIGN: applying is cheap); only the
UI coalesces. A full repaint of a 1400x900 table costs ~25-35 ms in Qt's item-view text
rendering (measured, tests/benchmarks/bench_app_firehose.py), so at 20 flushes a second
a firehose that touches every visible row spends most of the one GUI thread painting.
When the flush timer fires late (the loop is saturated) the interval doubles, up to
`max_factor` x the configured one; after `recover_after` on-time ticks it halves again.
"""

from __future__ import annotations

import time
from collections.abc import Callable

MAX_FACTOR = 4  # 50 ms configured -> at most 200 ms (5 Hz) under overload
RECOVER_AFTER = 10  # on-time ticks before the interval shrinks again


class FlushPacer:
    """Decides the flush timer's interval from how late its previous ticks were."""

    def __init__(
        self,
        base_ms: int,
        max_factor: int = MAX_FACTOR,
        recover_after: int = RECOVER_AFTER,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.base_ms = base_ms
        self.factor = 1
        self.stretched = 0  # how many times the interval grew (benchmarks, diagnostics)
        self._max = max_factor
        self._recover_after = recover_after
        self._clock = clock
        self._last: float | None = None
        self._on_time = 0

    @property
    def interval_ms(self) -> int:
        return self.base_ms * self.factor

    def tick(self) -> int | None:
        """Call on each timer tick; returns a new interval (ms) when it should change."""
        now = self._clock()
        last, self._last = self._last, now
        if last is None or self.base_ms <= 0:
            return None
        interval = self.interval_ms / 1000
        late = now - last - interval
        if late > interval / 2:
            self._on_time = 0
            if self.factor < self._max:
                self.factor *= 2
                self.stretched += 1
                return self.interval_ms
            return None
        if late > interval / 4:
            self._on_time = 0
            return None
        self._on_time += 1
        if self.factor > 1 and self._on_time >= self._recover_after:
            self._on_time = 0
            self.factor //= 2
            return self.interval_ms
        return None
