"""The crash folder (docs/reliability.md, "Crash reports"): the reports in it, which
ones the user has been told about (`seen.txt`), and the next start's look at runs that
ended by a fatal signal (their faulthandler output becomes a report). Qt-free; the
writer is engine.core.crashreport.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from engine.core.files import write_text_atomic

__all__ = ["CrashReport", "mark_seen", "pending_reports"]

LOG_LINES = 200  # log lines kept for a report
KEEP_REPORTS = 20  # older reports are deleted when a new one is written
SEEN_FILE = "seen.txt"  # names of reports the user has been told about
FATAL_MARK = "--- faulthandler ---\n"  # in a run's .fatal file: its traceback follows


@dataclass(frozen=True)
class CrashReport:
    """A report on disk: when, what kind, whether the app stopped."""

    path: Path
    at: datetime  # local time of the crash
    kind: str
    stopped: bool

    def text(self) -> str:
        return self.path.read_text(encoding="utf-8", errors="replace")


def local(at: float) -> str:
    return datetime.fromtimestamp(at).astimezone().isoformat(" ", "seconds")


def lock(handle: IO[str]) -> None:
    """Hold this run's fatal file: the next start knows a run is alive by the lock."""
    if sys.platform != "win32":  # Windows: an open file cannot be renamed (_owner_gone)
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def _owner_gone(path: Path) -> bool:
    """True when the run that wrote `path` has ended (its lock is free)."""
    try:
        if sys.platform == "win32":  # a rename fails while the owner holds the file open
            moved = path.with_name(path.name + ".ended")
            os.replace(path, moved)
            os.replace(moved, path)
            return True
        import fcntl

        with path.open("rb") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
    except OSError:
        return False


def _collect_fatal(folder: Path, redact: Callable[[str], str]) -> None:
    """Turn an ended run's faulthandler output into a report; drop its other files."""
    for fatal in sorted(folder.glob(".run-*.fatal")):
        if not _owner_gone(fatal):
            continue  # another instance, still running
        mirror = fatal.with_suffix(".log")
        with contextlib.suppress(OSError, UnicodeDecodeError):
            header, _, traceback_text = fatal.read_text("utf-8", "replace").partition(FATAL_MARK)
            if traceback_text.strip():
                at = fatal.stat().st_mtime
                stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(at))
                when = local(at)
                header = header.replace("Time: \n", f"Time: {when}\n", 1)
                lines = mirror.read_text("utf-8", "replace").splitlines() if mirror.exists() else []
                lines = lines[-LOG_LINES:]
                body = (
                    "\n== Health counters ==\n  (not recorded: a fatal signal ends the process "
                    "before Python code can run)\n"
                    f"\n== Traceback ==\n{traceback_text.rstrip()}\n"
                    f"\n== Last {len(lines)} log lines ==\n" + "".join(f"{ln}\n" for ln in lines)
                )
                pid = fatal.stem.removeprefix(".run-")
                write_text_atomic(folder / f"crash-{stamp}-{pid}-fatal.txt",
                                  redact(header + body))  # fmt: skip
        for path in (fatal, mirror):
            with contextlib.suppress(OSError):
                path.unlink()


def _read_report(path: Path) -> CrashReport | None:
    try:
        head = path.read_text("utf-8", "replace")[:2000]
    except OSError:
        return None
    fields = dict(line.split(": ", 1) for line in head.splitlines()[1:8] if ": " in line)
    try:
        at = datetime.fromisoformat(fields.get("Time", ""))
    except ValueError:
        at = datetime.fromtimestamp(path.stat().st_mtime).astimezone()
    return CrashReport(path, at, fields.get("Kind", "?"), fields.get("The app") == "stopped")


def pending_reports(
    folder: Path, redact: Callable[[str], str] = lambda text: text
) -> list[CrashReport]:
    """Reports the user has not been told about (oldest first), after turning ended
    runs' fatal-signal tracebacks into reports."""
    if not folder.is_dir():
        return []
    _collect_fatal(folder, redact)
    seen = set(_seen(folder))
    reports = [_read_report(p) for p in sorted(folder.glob("crash-*.txt")) if p.name not in seen]
    return sorted((r for r in reports if r is not None), key=lambda r: r.at)


def mark_seen(folder: Path, reports: Iterable[CrashReport]) -> None:
    """The user has been told: these are never announced again."""
    names = [*_seen(folder), *(r.path.name for r in reports)]
    present = {p.name for p in folder.glob("crash-*.txt")}
    kept = [n for n in dict.fromkeys(names) if n in present]  # bounded by the reports kept
    with contextlib.suppress(OSError):
        write_text_atomic(folder / SEEN_FILE, "".join(f"{n}\n" for n in kept))


def _seen(folder: Path) -> list[str]:
    try:
        return (folder / SEEN_FILE).read_text("utf-8").split()
    except OSError:
        return []


def prune(folder: Path) -> None:
    for old in sorted(folder.glob("crash-*.txt"))[:-KEEP_REPORTS]:
        with contextlib.suppress(OSError):
            old.unlink()
