"""Start-up: launch of `python -m gui --demo --smoke-test` to the first live row painted.

Each run starts a fresh process (offscreen platform, a fresh settings file, so the
default watchlist) with TICKERDESK_TRACE_STARTUP=1: the app prints when the table first
paints a row holding stream data (gui/startup_trace.py). Two figures per run:
  outside: launch (just before exec) to that stdout line, timed here;
  inside:  the app's own figure, from the kernel's process start time (~10 ms grain);
plus the time to a bare `import gui.runtime` (interpreter + PySide6 + our modules) and
the whole smoke run to exit. Medians of --runs (default 5). Numbers only, no assertions.

Run: /tmp/venv/bin/python tests/benchmarks/bench_startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "startup: first live row painted"


def one_run(settings: Path) -> tuple[float, float, float]:
    """(outside s, inside s, whole smoke run s) for one launch."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", TICKERDESK_TRACE_STARTUP="1")
    for name in ("APCA_API_KEY_ID", "APCA_API_SECRET_KEY", "ALPACA_API_KEY", "ALPACA_API_SECRET"):
        env.pop(name, None)  # demo mode regardless of the caller's credentials
    cmd = [sys.executable, "-m", "gui", "--demo", "--smoke-test", "--settings", str(settings)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            cwd=ROOT, env=env)  # fmt: skip
    assert proc.stdout is not None
    outside = inside = float("nan")
    for line in proc.stdout:
        if line.startswith(PREFIX):
            outside = time.perf_counter() - t0
            inside = float(line.split()[5])
    proc.wait(60)
    return outside, inside, time.perf_counter() - t0


def import_time() -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import gui.runtime"], check=True, cwd=ROOT,
                   env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))  # fmt: skip
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()[0]:.2f}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        import_time()  # warm the OS file cache and __pycache__ once, like a second launch
        imports = [import_time() for _ in range(args.runs)]
        for i in range(args.runs):
            rows.append(one_run(Path(tmp) / f"startup{i}.ini"))
    for i, (outside, inside, whole) in enumerate(rows, 1):
        print(f"run {i}: first live row {outside:.3f} s (app's own figure {inside:.3f} s), "
              f"smoke run to exit {whole:.3f} s")  # fmt: skip
    med = [statistics.median(r[i] for r in rows) for i in range(3)]
    print(f"median of {args.runs}: launch -> first live row painted {med[0]:.3f} s "
          f"(app's own figure {med[1]:.3f} s); import gui.runtime "
          f"{statistics.median(imports):.3f} s; smoke run to exit {med[2]:.3f} s")  # fmt: skip


if __name__ == "__main__":
    main()
