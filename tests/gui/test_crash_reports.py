"""Crash reports from the real app (issue 17, item 1; docs/reliability.md "Crash reports").

The app runs as a subprocess (offscreen, demo) with a key id and secret in its
environment and the test hook TICKERDESK_TEST_CRASH (gui.crash_notice) crashing it: an
exception in a Qt slot, in an asyncio task, in a thread, a fatal signal (faulthandler),
a qFatal. Each leaves one report beside the settings file, with the traceback and the
health counters, and neither the key id nor the secret in it (nor on stderr). The next
start announces it once (non-modal: the app streams meanwhile). The notice's own
behaviour is tested in-process at the end.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from engine.core.crashfolder import CrashReport
from engine.core.crashreport import CrashReporter
from gui.crash_notice import TEST_HOOK_ENV, CrashNotice, crash_folder, notice_text, show_pending

ROOT = Path(__file__).resolve().parents[2]
KEY = "PKCRASHREPORTKEY7"
SECRET = "crash-report-secret-Qw93z"
LIMIT_S = 60.0
_CRED_VARS = ("APCA_API_KEY_ID", "APCA_API_SECRET_KEY", "ALPACA_API_KEY", "ALPACA_API_SECRET")


def _env(crash: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _CRED_VARS and k != TEST_HOOK_ENV}
    env.update(QT_QPA_PLATFORM="offscreen", APCA_API_KEY_ID=KEY, APCA_API_SECRET_KEY=SECRET)
    if crash:
        env[TEST_HOOK_ENV] = crash
    return env


def _no_core_dump() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _start(settings: Path, crash: str | None, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "gui", "--demo", "--symbols", "AAPL,MSFT", "--settings",
         str(settings), *extra],
        cwd=ROOT, env=_env(crash), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=_no_core_dump,
    )  # fmt: skip


def _reports(folder: Path) -> list[Path]:
    return sorted(folder.glob("crash-*.txt"))


def _assert_no_secret(folder: Path, *outputs: str) -> None:
    for path in folder.iterdir():
        data = path.read_bytes()
        assert SECRET.encode() not in data, path.name
        assert KEY.encode() not in data, path.name
    for output in outputs:
        assert SECRET not in output
        assert KEY not in output


def _second_start(settings: Path) -> subprocess.CompletedProcess[str]:
    """The next start (no crash): it streams, shows the notice, exits 0."""
    return subprocess.run(
        [sys.executable, "-m", "gui", "--demo", "--symbols", "AAPL", "--smoke-test",
         "--settings", str(settings)],
        cwd=ROOT, env=_env(None), capture_output=True, text=True, timeout=LIMIT_S,
    )  # fmt: skip


def _seen(folder: Path) -> list[str]:
    return (folder / "seen.txt").read_text().split()


@pytest.mark.slow
@pytest.mark.timeout(180)
@pytest.mark.parametrize(
    ("kind", "where"),
    [
        ("slot", "Kind: unhandled exception (sys.excepthook: a Qt slot or the main thread)"),
        ("task", "Kind: asyncio loop: Task exception was never retrieved"),
        ("thread", "Kind: unhandled exception in thread test-crash"),
    ],
)
def test_an_exception_the_app_survives_leaves_one_report(
    tmp_path: Path, kind: str, where: str
) -> None:
    settings = tmp_path / "app.ini"
    folder = crash_folder(settings)
    assert folder == tmp_path / "crashes"
    process = _start(settings, kind)
    try:
        deadline = time.monotonic() + LIMIT_S
        while not _reports(folder):
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, "no crash report written"
            time.sleep(0.1)
        time.sleep(0.5)  # the app goes on running after it
        assert process.poll() is None
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=LIMIT_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    [path] = _reports(folder)
    text = path.read_text()
    assert where in text
    assert "The app: went on running" in text
    assert "Version: tickerdesk" in text
    assert f"RuntimeError: test crash in a {kind}: key <redacted> secret <redacted>" in text
    assert "Traceback (most recent call last)" in text
    assert "crash_notice.py" in text  # the frames of the traceback
    assert "== Health counters ==" in text
    assert "messages: " in text
    assert "reconnects: " in text
    assert f"test crash ({kind}) coming; key <redacted> secret <redacted>" in text  # log line
    assert [p.name for p in folder.iterdir()] == [path.name]  # this run's own files removed
    assert "test crash" in err  # the traceback is still printed, redacted
    _assert_no_secret(folder, out, err)


@pytest.mark.slow
@pytest.mark.timeout(180)
@pytest.mark.parametrize(
    ("kind", "status", "where"),
    [
        ("signal", -signal.SIGSEGV, "Fatal Python error: Segmentation fault"),
        ("qfatal", -signal.SIGABRT, "test crash: qFatal with key <redacted> secret <redacted>"),
    ],
)
def test_a_fatal_crash_is_reported_and_announced_at_the_next_start(
    tmp_path: Path, kind: str, status: int, where: str
) -> None:
    settings = tmp_path / "app.ini"
    folder = crash_folder(settings)
    process = _start(settings, kind)
    try:
        out, err = process.communicate(timeout=LIMIT_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == status, err
    _assert_no_secret(folder, out, err)
    again = _second_start(settings)
    assert again.returncode == 0, again.stderr
    assert "smoke test ok" in again.stdout  # the notice did not block the app
    [path] = _reports(folder)  # one report per crash: qFatal's abort is not a second one
    text = path.read_text()
    assert where in text
    assert "The app: stopped" in text
    assert "Version: tickerdesk" in text
    assert "crash_notice.py" in text  # where it happened (faulthandler's or Python's stack)
    assert _seen(folder) == [path.name]  # the notice was shown: never again
    _assert_no_secret(folder, again.stdout, again.stderr)
    third = _second_start(settings)
    assert third.returncode == 0, third.stderr
    assert _seen(folder) == [path.name]
    assert _reports(folder) == [path]


# --- the notice, in-process ---------------------------------------------------------------


def _report(folder: Path, name: str, stopped: bool, at: datetime) -> CrashReport:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    state = "stopped" if stopped else "went on running"
    when = at.isoformat(" ", "seconds")
    path.write_text(f"Tickerdesk crash report\nTime: {when}\nKind: test\nThe app: {state}\n")
    return CrashReport(path, at, "test", stopped)


def test_notice_text_says_when_and_what() -> None:
    today = datetime(2026, 11, 17, 15, 0).astimezone()
    at = today.replace(hour=10, minute=41)
    stopped = CrashReport(Path("a"), at, "k", True)
    survived = CrashReport(Path("b"), at - timedelta(days=1), "k", False)
    assert notice_text([stopped], today) == (
        "Tickerdesk stopped unexpectedly at 10:41; a report was saved."
    )
    assert notice_text([stopped, survived], today) == (
        "Tickerdesk hit an unexpected error at Mon 16 Nov 10:41; a report was saved. "
        "It went on running. (2 reports since the last notice.)"
    )


@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
def test_notice_is_non_modal_opens_the_folder_copies_the_report_and_shows_once(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "crashes"
    report = _report(folder, "crash-1.txt", True, datetime.now().astimezone())
    parent = QWidget()
    qtbot.addWidget(parent)
    notice = show_pending(CrashReporter(folder, "v"), parent)
    assert isinstance(notice, CrashNotice)
    qtbot.addWidget(notice)
    assert notice.isVisible()
    assert not notice.isModal()
    assert "stopped unexpectedly" in notice.label.text()
    notice.copy_button.click()
    assert QGuiApplication.clipboard().text() == report.text()
    assert notice.copy_button.text() == "Copied"
    assert notice.isVisible()  # copying does not close it
    opened: list[QUrl] = []

    def open_url(url: QUrl) -> bool:
        opened.append(url)
        return True

    monkeypatch.setattr(QDesktopServices, "openUrl", open_url)
    notice.open_button.click()
    assert opened == [QUrl.fromLocalFile(str(folder))]
    assert show_pending(CrashReporter(folder, "v"), parent) is None  # seen: not again
