"""The soak script for 60 s (CI): faults at random, a 2,000 msgs/s firehose; it exits
non-zero if memory, fds, tasks or Qt objects grow, the loop stalls, or it ends down."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_soak_60_seconds() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("APCA_", "ALPACA_"))}
    env["QT_QPA_PLATFORM"] = "offscreen"
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "benchmarks" / "soak.py"), "--seconds", "60"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=200,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "soak ok" in result.stdout
    assert "rss_mib" in result.stdout
    assert "Traceback" not in result.stderr
