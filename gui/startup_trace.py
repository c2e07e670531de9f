"""Start-up timing (hidden, for tests/benchmarks/bench_startup.py): first live row painted.

With TICKERDESK_TRACE_STARTUP=1 in the environment, `gui.app` installs a paint watcher
on the ticker table's viewport and prints one stdout line the first time the table
paints while a watchlist symbol holds stream data:
    startup: first live row painted 0.812 s after process start
"Process start" is the kernel's start time of this process (/proc, 10 ms grain).

It then prints the way there, one line: the marks the app set on its path (`mark`:
imports done, QApplication, Runtime.start() and its steps, window shown), the stream's
state changes (from its StreamHealth), the first flush carrying live data and the paint,
each in seconds after process start:
    startup: breakdown imports 0.412, qapplication 0.431, ..., paint 0.598
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject

from engine.market.store import Source

if TYPE_CHECKING:
    from gui.runtime import Runtime

ENV = "TICKERDESK_TRACE_STARTUP"
PREFIX = "startup: first live row painted"
BREAKDOWN = "startup: breakdown"
_MARKS_KEPT = 32  # bounded: marks are set once each on the start path

_marks: list[tuple[str, float]] = []  # (name, time.monotonic())


def enabled() -> bool:
    return os.environ.get(ENV, "") not in ("", "0")


_ON = enabled()


def mark(name: str) -> None:
    """Note that the start path reached `name` now (only while tracing; nearly free)."""
    if _ON and len(_marks) < _MARKS_KEPT:
        _marks.append((name, time.monotonic()))


def process_age_s() -> float:
    """Seconds since this process started, from /proc (10 ms grain); NaN elsewhere.

    Not psutil's create_time: it adds the boot time, which Linux gives in whole seconds,
    so its error is up to a second; uptime minus the start tick is exact to a tick.
    Off Linux the benchmark's own outside timing is the figure.
    """
    try:
        with open("/proc/uptime") as up, open("/proc/self/stat") as st:
            uptime = float(up.read().split()[0])
            # Field 22 (starttime, clock ticks since boot), counted after comm's ")".
            start_ticks = int(st.read().rpartition(")")[2].split()[19])
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return float("nan")


class FirstRowWatcher(QObject):
    """Event filter on the table viewport; reports once, then removes itself."""

    def __init__(self, session: Runtime) -> None:
        super().__init__()
        self._session = session
        self._armed = False  # a flush has put live data into the model
        self.reported_at: float | None = None

    def on_flushed(self, _rows: int) -> None:
        if not self._armed and self._live():
            self._armed = True
            mark("live flush")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self._armed and self.reported_at is None:
            # The first paint after a flush that carried live data: this is the frame.
            self.reported_at = process_age_s()
            print(f"{PREFIX} {self.reported_at:.3f} s after process start", flush=True)
            watched.removeEventFilter(self)
            if _ON:
                print(f"{BREAKDOWN} {self.breakdown()}", flush=True)
        return False

    def breakdown(self) -> str:
        """The marks and the stream's state changes, as seconds after process start."""
        now = time.monotonic()
        age = self.reported_at if self.reported_at is not None else process_age_s()
        events = [*_marks, ("paint", now)]
        health = self._session.health  # same clock (time.monotonic) unless a test's own
        if health.clock is time.monotonic:
            events += [(str(state), at) for at, state in health.transitions]
        events.sort(key=lambda event: event[1])
        return ", ".join(f"{name} {age - (now - at):.3f}" for name, at in events)

    def _live(self) -> bool:
        store = self._session.store
        window = self._session.window
        if store is None or window is None:
            return False
        model = window.model
        for symbol in model.symbols():
            snap = store.get(symbol)
            if snap is not None and snap.updates and snap.source is not Source.REST:
                return model.row_of(symbol) is not None
        return False


def install(session: Runtime) -> FirstRowWatcher | None:
    """Watch the session's table viewport (kept alive by the returned object)."""
    if session.window is None:
        return None
    watcher = FirstRowWatcher(session)
    session.window.model.flushed.connect(watcher.on_flushed)
    session.window.table.viewport().installEventFilter(watcher)
    return watcher
