"""Crash reports in the app: where they go, the Qt message handler, and the next start's
notice (docs/reliability.md, "Crash reports"; the reporter is engine.core.crashreport).

Reports go to the `crashes` folder beside the settings file (default
~/.config/tickerdesk/crashes on Linux), where the app already keeps its other state (the
alert rules). A run with `--settings FILE` keeps its reports beside FILE.

The test hook: TICKERDESK_TEST_CRASH=slot|task|thread|signal|qfatal makes the app crash
that way a moment after it has started (tests/gui/test_crash_reports.py). It is read
here and nowhere else.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import threading
import traceback
from dataclasses import fields
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QMessageLogContext,
    Qt,
    QTimer,
    QtMsgType,
    QUrl,
    qFatal,
    qInstallMessageHandler,
)
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QVBoxLayout, QWidget

from engine.config import RedactFrames, install_log_redaction
from engine.core.crashfolder import CrashReport, mark_seen, pending_reports
from engine.core.crashreport import CrashReporter
from gui.settings.persistence import default_settings_path

if TYPE_CHECKING:
    from gui.runtime import Runtime

log = logging.getLogger(__name__)

TEST_HOOK_ENV = "TICKERDESK_TEST_CRASH"
TEST_HOOK_DELAY_MS = 300
_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}
_HEALTH_SKIPPED = {"clock", "latency_samples", "transitions", "_rate_buckets"}
_current: CrashReporter | None = None


def crash_folder(settings_path: Path | None) -> Path:
    """`crashes` beside the settings file (the one given, else the default one)."""
    return (settings_path or default_settings_path()).parent / "crashes"


def app_version() -> str:
    try:
        return f"tickerdesk {metadata.version('tickerdesk')}"
    except metadata.PackageNotFoundError:
        return "tickerdesk (version unknown: not installed as a package)"


def install(settings_path: Path | None) -> CrashReporter:
    """The process's reporter, hooked in: log ring, excepthooks, faulthandler, and a Qt
    message handler (after any other one: it chains to it). Use as a context manager
    around the app's run: a clean end removes this run's files."""
    global _current
    reporter = CrashReporter(crash_folder(settings_path), app_version())
    install_log_redaction()
    reporter.ring.addFilter(RedactFrames())
    reporter.install()
    _install_qt_handler(reporter)
    _current = reporter
    return reporter


def _install_qt_handler(reporter: CrashReporter) -> None:
    """Qt's own messages go into the report's log lines; qFatal writes a report first
    (Qt aborts right after the handler returns)."""
    previous = None

    def handler(mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
        record = logging.LogRecord(
            "qt", _QT_LEVELS.get(mode, logging.WARNING), context.file or "", context.line or 0,
            "%s", (message,), None,
        )  # fmt: skip
        reporter.ring.handle(record)
        if mode == QtMsgType.QtFatalMsg:
            stack = "".join(traceback.format_stack())
            reporter.report("Qt fatal message (qFatal)", f"{message}\n\nPython stack:\n{stack}",
                            stopped=True)  # fmt: skip
            reporter.disarm_fatal()  # Qt's abort() next: one report, not two
        message = reporter.redact(message)
        if previous is not None:
            previous(mode, context, message)
        else:
            category = context.category
            prefix = f"{category}: " if category and category != "default" else ""
            print(f"{prefix}{message}", file=sys.stderr)

    previous = qInstallMessageHandler(handler)


def attach(session: Runtime) -> None:
    """Once the app has started: the loop's exception handler, the health counters and
    credentials in use (redacted) for reports, the notice of earlier crashes, and the
    test hook. Nothing when no reporter is installed (the app run in-process by tests)."""
    reporter = _current
    if reporter is None or not reporter.installed:
        return
    reporter.attach_loop(asyncio.get_event_loop())

    def secrets() -> list[str | None]:
        creds = session.credentials
        return [creds.key_id, creds.secret] if creds is not None else []

    reporter.redact.add(secrets)
    reporter.add_section("Health counters", lambda: health_counters(session))
    if session.window is not None:
        show_pending(reporter, session.window)
    kind = os.environ.get(TEST_HOOK_ENV, "").strip()
    if kind:
        QTimer.singleShot(TEST_HOOK_DELAY_MS, lambda: _test_crash(kind, session))


def health_counters(session: Runtime) -> dict[str, object]:
    health = session.health
    counters: dict[str, object] = {
        f.name: getattr(health, f.name) for f in fields(health) if f.name not in _HEALTH_SKIPPED
    }
    counters["state"] = health.state.value
    counters["running tasks"] = len(session.tasks)
    return counters


def show_pending(reporter: CrashReporter, parent: QWidget) -> CrashNotice | None:
    """The notice of reports not yet announced (non-modal), marked seen once shown."""
    reports = pending_reports(reporter.folder, reporter.redact)
    reports = [r for r in reports if r.path not in reporter.written]
    if not reports:
        return None
    notice = CrashNotice(reporter.folder, reports, parent)
    notice.show()
    mark_seen(reporter.folder, reports)
    return notice


def notice_text(reports: list[CrashReport], today: datetime | None = None) -> str:
    """ "Tickerdesk stopped unexpectedly at 10:41; a report was saved" (newest report)."""
    newest = reports[-1]
    now = today or datetime.now().astimezone()
    when = newest.at.strftime("%H:%M" if newest.at.date() == now.date() else "%a %d %b %H:%M")
    what = "stopped unexpectedly" if newest.stopped else "hit an unexpected error"
    text = f"Tickerdesk {what} at {when}; a report was saved."
    if not newest.stopped:
        text += " It went on running."
    if len(reports) > 1:
        text += f" ({len(reports)} reports since the last notice.)"
    return text


class CrashNotice(QDialog):
    """Non-modal: the app runs while it is open. Open folder, Copy report, Close."""

    def __init__(self, folder: Path, reports: list[CrashReport], parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Tickerdesk: crash report")
        self.setModal(False)
        self.folder = folder
        self.report = reports[-1]
        layout = QVBoxLayout(self)
        self.label = QLabel(notice_text(reports))
        self.label.setWordWrap(True)
        layout.addWidget(self.label)
        where = QLabel(f"Saved in {folder}")
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(where)
        buttons = QDialogButtonBox()
        self.open_button = QPushButton("Open folder")
        self.copy_button = QPushButton("Copy report")
        buttons.addButton(self.open_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        self.open_button.clicked.connect(self.open_folder)
        self.copy_button.clicked.connect(self.copy_report)
        layout.addWidget(buttons)

    def open_folder(self) -> bool:
        opened = QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.folder)))
        if not opened:
            self.label.setText(f"Could not open a file manager; the reports are in {self.folder}")
        return opened

    def copy_report(self) -> None:
        try:
            text = self.report.text()
        except OSError as exc:
            self.copy_button.setText("Copy failed")
            self.label.setText(f"Could not read {self.report.path.name}: {exc.strerror}")
            return
        QGuiApplication.clipboard().setText(text)
        self.copy_button.setText("Copied")


# --- the test hook ---------------------------------------------------------------------


def _test_crash(kind: str, session: Runtime) -> None:
    """Crash on purpose (TICKERDESK_TEST_CRASH), with the key id and secret in the log
    and in the exception text, so that a test sees they are redacted."""
    creds = session.credentials
    env = os.environ
    key = creds.key_id if creds else env.get("APCA_API_KEY_ID", "")
    secret = creds.secret if creds else env.get("APCA_API_SECRET_KEY", "")
    line = f"test crash ({kind}) coming; key {key} secret {secret}"
    if _current is not None:  # into the report's log lines only: stderr stays clean
        _current.ring.handle(logging.LogRecord(__name__, logging.WARNING, "", 0, line, (), None))
    error = RuntimeError(f"test crash in a {kind}: key {key} secret {secret}")
    if kind == "slot":
        raise error  # a Qt slot (this timer callback): PySide6 -> sys.excepthook
    if kind == "task":

        async def fail() -> None:
            raise error

        # Unowned on purpose: the loop's handler sees "Task exception was never retrieved".
        asyncio.get_event_loop().create_task(fail())
    elif kind == "thread":

        def fail_in_thread() -> None:
            raise error

        threading.Thread(target=fail_in_thread, name="test-crash").start()
    elif kind == "signal":
        os.kill(os.getpid(), signal.SIGSEGV)  # faulthandler writes, the process dies
    elif kind == "qfatal":
        qFatal(f"test crash: qFatal with key {key} secret {secret}")
    else:
        log.error("%s=%r: not a test crash kind (slot, task, thread, signal, qfatal)",
                  TEST_HOOK_ENV, kind)  # fmt: skip
