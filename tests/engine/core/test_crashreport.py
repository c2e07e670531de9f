"""Crash reports, in-process (engine.core.crashreport, engine.core.crashfolder): what a
report holds, redaction, bounds, the hooks, the folder's bookkeeping. The real app's
crashes (a Qt slot, a task, a fatal signal) are in tests/gui/test_crash_reports.py."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.core import crashfolder
from engine.core.crashfolder import FATAL_MARK, LOG_LINES, mark_seen, pending_reports
from engine.core.crashreport import REPORTS_PER_RUN, CrashReporter, LogRing, Redactor

KEY = "PKCRASHTESTKEY01"
SECRET = "crash-test-secret-Zx81"


@pytest.fixture
def reporter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CrashReporter]:
    monkeypatch.setenv("APCA_API_KEY_ID", KEY)
    monkeypatch.setenv("APCA_API_SECRET_KEY", SECRET)
    # The interpreter's own hooks underneath (pytest and pytest-qt put theirs there, and
    # would fail the test for the exceptions raised here on purpose).
    monkeypatch.setattr(sys, "excepthook", sys.__excepthook__)
    monkeypatch.setattr(threading, "excepthook", threading.__excepthook__)
    crash = CrashReporter(tmp_path / "crashes", "tickerdesk 9.9.9")
    crash.install(fatal=False)  # pytest owns faulthandler; the fatal path is a subprocess test
    try:
        yield crash
    finally:
        crash.close()


def _boom() -> RuntimeError:
    try:
        raise RuntimeError(f"boom with key {KEY} and secret {SECRET}")
    except RuntimeError as exc:
        return exc


def test_redactor_removes_known_values_and_field_shapes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APCA_API_SECRET_KEY", SECRET)
    monkeypatch.delenv("APCA_API_KEY_ID", raising=False)
    redact = Redactor()
    redact.add(lambda: ["other-secret-value", None, "ab"])  # too short: never redacted
    text = redact(
        f"secret {SECRET}; other-secret-value; ab; "
        '{"action":"auth","key":"PKANYTHING","secret":"whatever"}; '
        "APCA_API_KEY_ID=PKFROMSHELL {'APCA-API-SECRET-KEY': 'hdr-secret'}"
    )
    for leaked in (SECRET, "other-secret-value", "PKANYTHING", "whatever", "PKFROMSHELL",
                   "hdr-secret"):  # fmt: skip
        assert leaked not in text
    assert "ab;" in text
    assert text.count("<redacted>") == 6


def test_a_broken_secret_source_does_not_stop_redaction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APCA_API_SECRET_KEY", SECRET)

    def broken() -> list[str]:
        raise RuntimeError("no credentials yet")

    redact = Redactor()
    redact.add(broken)
    assert redact(f"x {SECRET}") == "x <redacted>"


def test_log_ring_keeps_the_last_lines_redacted_and_its_mirror_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APCA_API_SECRET_KEY", SECRET)
    mirror = tmp_path / "ring.log"
    ring = LogRing(Redactor(), mirror)
    logger = logging.getLogger("test.crashreport.ring")
    logger.propagate = False
    logger.addHandler(ring)
    logger.setLevel(logging.DEBUG)
    try:
        for n in range(5 * LOG_LINES + 7):
            logger.info("line %d secret %s", n, SECRET)
    finally:
        logger.removeHandler(ring)
        ring.close()
    assert len(ring.lines) == LOG_LINES
    assert ring.lines[-1].endswith(f"line {5 * LOG_LINES + 6} secret <redacted>")
    on_disk = mirror.read_text().splitlines()
    assert LOG_LINES <= len(on_disk) <= 2 * LOG_LINES
    assert on_disk[-1] == ring.lines[-1]
    assert SECRET not in mirror.read_text()


def test_report_holds_version_platform_sections_traceback_and_log(
    reporter: CrashReporter,
) -> None:
    reporter.add_section("Health counters", lambda: {"state": "streaming", "messages": 42})
    reporter.add_section("Broken", lambda: 1 / 0)  # type: ignore[arg-type,return-value]
    logging.getLogger("test.crashreport").warning("before the crash, key %s", KEY)
    path = reporter.report("unit test", "Traceback (most recent call last):\n  boom", False)
    assert path is not None
    text = path.read_text()
    assert text.startswith("Tickerdesk crash report\n")
    assert "Version: tickerdesk 9.9.9" in text
    assert "Python: " in text
    assert "Platform: " in text
    assert "The app: went on running" in text
    assert "== Health counters ==\n  state: streaming\n  messages: 42" in text
    assert "== Broken ==\n(not available: ZeroDivisionError" in text
    assert "== Traceback ==\nTraceback (most recent call last):\n  boom" in text
    assert "before the crash, key <redacted>" in text
    assert KEY not in text


def test_excepthook_reports_redacted_and_still_prints(
    reporter: CrashReporter, capsys: pytest.CaptureFixture[str]
) -> None:
    exc = _boom()
    sys.excepthook(type(exc), exc, exc.__traceback__)
    [path] = reporter.written
    text = path.read_text()
    assert "Kind: unhandled exception (sys.excepthook" in text
    assert "RuntimeError: boom with key <redacted> and secret <redacted>" in text
    assert "test_crashreport.py" in text  # the traceback, with its frames
    assert SECRET not in text
    assert KEY not in text
    err = capsys.readouterr().err
    assert "RuntimeError: boom with key <redacted>" in err  # as the default hook, redacted
    assert SECRET not in err


def test_thread_exception_is_reported(
    reporter: CrashReporter, capsys: pytest.CaptureFixture[str]
) -> None:
    def fail() -> None:
        raise _boom()

    thread = threading.Thread(target=fail, name="crash-test-thread")
    thread.start()
    thread.join()
    [path] = reporter.written
    text = path.read_text()
    assert "Kind: unhandled exception in thread crash-test-thread" in text
    assert SECRET not in text
    err = capsys.readouterr().err
    assert "Exception in thread crash-test-thread" in err
    assert SECRET not in err


def test_loop_exception_handler_reports(reporter: CrashReporter) -> None:
    loop = asyncio.new_event_loop()
    try:
        reporter.attach_loop(loop)

        def fail() -> None:
            raise _boom()

        loop.call_soon(fail)
        loop.run_until_complete(asyncio.sleep(0.01))
    finally:
        loop.close()
    [path] = reporter.written
    text = path.read_text()
    assert "Kind: asyncio loop: Exception in callback" in text
    assert "RuntimeError: boom with key <redacted>" in text


def test_reports_per_run_and_reports_kept_are_bounded(
    reporter: CrashReporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(REPORTS_PER_RUN + 3):
        reporter.report("again", "same", False)
    assert len(reporter.written) == REPORTS_PER_RUN
    monkeypatch.setattr(crashfolder, "KEEP_REPORTS", 3)
    other = CrashReporter(reporter.folder, "v")
    for _ in range(4):
        other.report("more", "x", False)
    assert len(list(reporter.folder.glob("crash-*.txt"))) == 3


def test_close_unhooks_and_removes_an_empty_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.__excepthook__)
    before = sys.excepthook, threading.excepthook
    crash = CrashReporter(tmp_path / "crashes", "v").install(fatal=False)
    assert sys.excepthook != before[0]
    crash.close()
    assert (sys.excepthook, threading.excepthook) == before
    assert not (tmp_path / "crashes").exists()


def test_an_exception_out_of_the_run_is_a_report_that_says_stopped(tmp_path: Path) -> None:
    folder = tmp_path / "crashes"
    with pytest.raises(RuntimeError), CrashReporter(folder, "v").install(fatal=False):
        raise _boom()
    [report] = pending_reports(folder)
    assert report.stopped
    assert "Kind: unhandled exception: the app stopped" in report.text()


def _fatal_file(folder: Path, pid: int, traceback_text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f".run-{pid}.fatal"
    header = "Tickerdesk crash report\nTime: \nKind: fatal signal (faulthandler)\n"
    path.write_text(header + "The app: stopped\n" + FATAL_MARK + traceback_text)
    (folder / f".run-{pid}.log").write_text("12:00 WARNING x: last words\n")
    return path


def test_an_ended_runs_fatal_traceback_becomes_a_report_once(tmp_path: Path) -> None:
    folder = tmp_path / "crashes"
    _fatal_file(folder, 4242, "Fatal Python error: Segmentation fault\n  File x.py\n")
    _fatal_file(folder, 4343, "")  # ended without a fatal error (e.g. SIGKILL): no report
    [report] = pending_reports(folder)
    assert report.stopped
    assert report.kind == "fatal signal (faulthandler)"
    text = report.text()
    assert "Segmentation fault" in text
    assert "12:00 WARNING x: last words" in text
    assert "Time: 20" in text  # filled in from the file's time
    assert list(folder.glob(".run-*")) == []
    mark_seen(folder, [report])
    assert pending_reports(folder) == []
    assert (folder / crashfolder.SEEN_FILE).read_text() == f"{report.path.name}\n"


@pytest.mark.skipif(sys.platform == "win32", reason="flock: POSIX")
def test_a_running_instances_files_are_left_alone(tmp_path: Path) -> None:
    folder = tmp_path / "crashes"
    path = _fatal_file(folder, os.getpid() + 1, "Fatal Python error: Aborted\n")
    with path.open("r+") as handle:
        crashfolder.lock(handle)
        assert pending_reports(folder) == []
        assert path.exists()
    assert len(pending_reports(folder)) == 1
