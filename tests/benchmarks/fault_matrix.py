"""Fault matrix: drive the real app (offscreen) through every fault and print a table.

    python tests/benchmarks/fault_matrix.py [--outage 30] [--runs 3] [--only NAME]

Per fault: recovered?, time to recover (fault start -> every watched symbol streaming
and shown fresh again; median of --runs), data gap (longest interval with no stream
data for any watched symbol; median), reconnects, and what the status bar said.
Harness: tests/reliability/fault_harness.py (shared with the CI test); the network rows
(latency, bandwidth cap, tiny segments, stall mid-frame, reset mid-handshake, blackhole)
put tests/reliability/netproxy.py between app and simulator (network_faults.py).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
from pathlib import Path

from PySide6.QtWidgets import QApplication  # before qasync: it binds the first Qt imported

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo root: import tests.*

import qasync

from tests.reliability.fault_harness import (
    FAULTS,
    FaultApp,
    FaultResult,
    TracebackCatcher,
    run_fault,
)
from tests.reliability.network_faults import NETWORK_FAULTS, make_app

ALL_FAULTS = (*FAULTS, *NETWORK_FAULTS)  # server faults, then the network's (netproxy.py)


async def _one(name: str, outage: float, folder: Path) -> FaultResult:
    fault = next(f for f in ALL_FAULTS if f.name == name)
    app = (
        make_app(fault, folder / "fault.ini")
        if fault in NETWORK_FAULTS
        else (FaultApp(folder / "fault.ini"))
    )
    await app.start(show=True)
    try:
        return await run_fault(app, fault, outage)
    finally:
        await app.close()


def _fmt(values: list[float | None]) -> str:
    got = [v for v in values if v is not None]
    return f"{statistics.median(got):.2f}" if got else "-"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outage", type=float, default=30.0, help="server-gone seconds")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", action="append", help="fault name (repeatable)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    catcher = TracebackCatcher()
    logging.getLogger().addHandler(catcher)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    names = args.only or [f.name for f in ALL_FAULTS]
    rows = []
    failed = False
    for name in names:
        results = []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as folder:
                coro = _one(name, args.outage, Path(folder))
                results.append(asyncio.run(coro, loop_factory=lambda: qasync.QEventLoop(app)))
        ok = all(r.recovered and r.watchlist_after == r.watchlist_before for r in results)
        failed |= not ok
        last = results[-1]
        shown = (last.seen_errors[-1] if last.seen_errors else last.seen_connection[-1])[:60]
        rows.append((
            name, "yes" if ok else "NO",
            _fmt([r.recover_s for r in results]) if last.disconnected else "no outage",
            _fmt([r.gap_s for r in results]),
            str(max(r.reconnects for r in results)),
            shown if last.disconnected else f"streaming throughout ({last.note})"[:60],
        ))  # fmt: skip
    header = ("fault", "recovered?", "time to recover (s)", "data gap (s)", "reconnects",
              "status bar during the fault")  # fmt: skip
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"
    print(f"outage {args.outage:g} s, {args.runs} run(s) per fault, medians")
    print(line)
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    tracebacks = catcher.describe()
    print(f"tracebacks/errors logged: {len(tracebacks)}")
    for text in tracebacks[:10]:
        print(f"  {text}")
    return 1 if failed or tracebacks else 0


if __name__ == "__main__":
    sys.exit(main())
