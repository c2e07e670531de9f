"""Crash reports: one text file per crash in the app's crash folder (docs/reliability.md,
"Crash reports").

`CrashReporter.install()` hooks `sys.excepthook` (an exception nobody caught, including
one raised in a Qt slot: PySide6 hands those to sys.excepthook), `threading.excepthook`,
and `faulthandler` (a fatal signal: no Python code runs after it, so faulthandler writes
the traceback into this run's `.run-<pid>.fatal` file and the NEXT start turns it into a
report). `attach_loop()` sets the asyncio loop's exception handler (a callback that
raised, a task exception never retrieved). A report holds the version, platform, the
caller's sections (health counters), the traceback and the last `LOG_LINES` log lines
(a bounded ring; mirrored into `.run-<pid>.log` so a fatal signal's report has them too).

Secrets: every line and every report is redacted before it is kept or written: the key
id and secret from the environment and from `redact.add` sources (the credentials in
use), the JSON auth message's fields, and `APCA_*=` assignments. The caller adds its
log filters too (engine.config.RedactFrames: websockets' frame and header lines).
Qt-free: the GUI adds the Qt message handler and the notice (gui.crash_notice).
"""

from __future__ import annotations

import asyncio
import contextlib
import faulthandler
import logging
import os
import platform
import re
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from engine.core.crashfolder import FATAL_MARK, LOG_LINES, local, lock, prune
from engine.core.files import write_text_atomic

__all__ = ["CrashReporter", "LogRing", "Redactor"]

log = logging.getLogger(__name__)
_asyncio_log = logging.getLogger("asyncio")

REPORTS_PER_RUN = 5  # a slot that raises on every tick must not fill the disk
_SECRET_ENV = ("APCA_API_SECRET_KEY", "ALPACA_API_SECRET")
_KEY_ENV = ("APCA_API_KEY_ID", "ALPACA_API_KEY")
_MIN_SECRET_LEN = 4  # shorter values would redact ordinary words
_PATTERNS = (  # field-level redaction, whatever the value: group 1 is kept
    re.compile(r'("(?:secret|key)"\s*:\s*")[^"]*(?=")', re.IGNORECASE),
    re.compile(r"((?:APCA|ALPACA)_API_\w+['\"]?\s*[=:]\s*['\"]?)[^\s'\",)]+", re.IGNORECASE),
    re.compile(r"(APCA-API-[\w-]*KEY[\w-]*['\"]?\s*[=:,]\s*['\"]?)[^\s'\",)]+", re.IGNORECASE),
)

SecretSource = Callable[[], Iterable[str | None]]
Section = Callable[[], Mapping[str, object] | str]


class Redactor:
    """Removes the key id and secret (known values and known field shapes) from text."""

    def __init__(self) -> None:
        self._sources: list[SecretSource] = [_env_secrets]

    def add(self, source: SecretSource) -> None:
        """`source()` returns secret strings (None ignored); asked at every redaction."""
        self._sources.append(source)

    def values(self) -> list[str]:
        found: set[str] = set()
        for source in self._sources:
            try:
                found.update(v for v in source() if v and len(v) >= _MIN_SECRET_LEN)
            except Exception:
                continue
        return sorted(found, key=len, reverse=True)  # a value inside another: longest first

    def __call__(self, text: str) -> str:
        for value in self.values():
            text = text.replace(value, "<redacted>")
        for pattern in _PATTERNS:
            text = pattern.sub(r"\1<redacted>", text)
        return text


def _env_secrets() -> list[str | None]:
    return [os.environ.get(name, "").strip() or None for name in (*_SECRET_ENV, *_KEY_ENV)]


class LogRing(logging.Handler):
    """The last `LOG_LINES` log lines, redacted; mirrored into `mirror` (unbuffered) so
    they outlive a fatal signal. The mirror is rewritten from the ring when it reaches
    twice the ring's length (bounded on disk as in memory)."""

    def __init__(self, redact: Redactor, mirror: Path | None = None) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        self.lines: deque[str] = deque(maxlen=LOG_LINES)
        self._redact = redact
        self._mirror = mirror
        self._mirror_fd: int | None = None
        self._mirrored = 0

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self._redact(self.format(record))
        except Exception:
            return
        self.lines.extend(text.splitlines() or [""])
        self._write_mirror(text + "\n")

    def _write_mirror(self, text: str) -> None:
        if self._mirror is None:
            return
        with contextlib.suppress(OSError):
            if self._mirror_fd is None or self._mirrored >= 2 * LOG_LINES:
                self._close_mirror()
                flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
                self._mirror_fd = os.open(self._mirror, flags, 0o600)
                self._mirrored = len(self.lines)
                os.write(self._mirror_fd, "".join(f"{ln}\n" for ln in self.lines).encode())
                return
            os.write(self._mirror_fd, text.encode())
            self._mirrored += text.count("\n")

    def _close_mirror(self) -> None:
        if self._mirror_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._mirror_fd)
            self._mirror_fd = None

    def close(self) -> None:
        self._mirror = None  # a late message (Qt's teardown) must not recreate the file
        self._close_mirror()
        super().close()


class CrashReporter:
    """Writes crash reports into `folder` (created when first needed)."""

    def __init__(self, folder: Path, version: str, app_name: str = "Tickerdesk") -> None:
        self.folder = folder
        self.version = version
        self.app_name = app_name
        self.redact = Redactor()
        self.started = time.time()
        self.written: list[Path] = []
        self._sections: list[tuple[str, Section]] = []
        self._run = folder / f".run-{os.getpid()}"
        self.ring = LogRing(self.redact, self._run.with_suffix(".log"))
        self._fatal: IO[str] | None = None
        self._previous: tuple[Any, Any] | None = None

    # --- installation -------------------------------------------------------------------

    def install(self, fatal: bool = True) -> CrashReporter:
        """Hook the log ring, sys/threading excepthooks and (`fatal`) faulthandler; once.
        `fatal=False` leaves faulthandler to its owner (a test runner has its own)."""
        if self._previous is not None:
            return self
        if fatal:
            self._enable_fatal()
        logging.getLogger().addHandler(self.ring)
        self._previous = (sys.excepthook, threading.excepthook)
        sys.excepthook = self._on_exception
        threading.excepthook = self._on_thread_exception
        return self

    def _enable_fatal(self) -> None:
        """faulthandler into this run's `.fatal` file, after a header (the next start
        reads it: engine.core.crashfolder), locked while this process lives."""
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
            fd = os.open(self._run.with_suffix(".fatal"), flags, 0o600)
            self._fatal = os.fdopen(fd, "w", encoding="utf-8")
            self._fatal.write(self._header("fatal signal (faulthandler)", True) + FATAL_MARK)
            self._fatal.flush()
            lock(self._fatal)
            faulthandler.enable(self._fatal, all_threads=True)
        except OSError as exc:
            log.warning("crash reports: no fatal-signal traceback (%s: %s)", self.folder, exc)

    @property
    def installed(self) -> bool:
        return self._previous is not None

    def attach_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """The loop's exception handler: a report, then a log line as asyncio's own."""

        def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
            exc = context.get("exception")
            detail = _format_exception(exc) if isinstance(exc, BaseException) else ""
            message = str(context.get("message", "exception in the event loop"))
            self.report("asyncio loop: " + message, detail or message, stopped=False)
            # The default handler's log line, redacted (it would log the raw traceback).
            _asyncio_log.error("%s", self.redact(f"{message}\n{detail}".rstrip()))

        loop.set_exception_handler(handler)

    def add_section(self, title: str, provider: Section) -> None:
        """A section of every report from now on (e.g. the health counters)."""
        self._sections.append((title, provider))

    def close(self) -> None:
        """Clean shutdown: unhook, delete this run's files, and the folder if empty."""
        if self._previous is not None:
            sys.excepthook, threading.excepthook = self._previous
            self._previous = None
        logging.getLogger().removeHandler(self.ring)
        self.ring.close()
        if self._fatal is not None:
            faulthandler.disable()
            self._fatal.close()
            self._fatal = None
        for suffix in (".fatal", ".log"):
            with contextlib.suppress(OSError):
                self._run.with_suffix(suffix).unlink()
        with contextlib.suppress(OSError):
            self.folder.rmdir()  # only if empty: no reports, no other run's files

    def __enter__(self) -> CrashReporter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> None:
        """Around the app's run: an exception out of it is a crash that stopped the app
        (reported here, then printed by the restored default hook); then `close()`."""
        if exc is not None and isinstance(exc, Exception):
            self.report("unhandled exception: the app stopped", _format_exception(exc), True)
        self.close()

    def disarm_fatal(self) -> None:
        """A report was written for what is about to abort (qFatal): no second one."""
        if self._fatal is not None:
            faulthandler.disable()

    # --- hooks --------------------------------------------------------------------------

    def _on_exception(
        self, kind: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(kind, KeyboardInterrupt) or self._previous is None:
            sys.__excepthook__(kind, exc, tb)
            return
        text = _format_exception(exc)
        self.report("unhandled exception (sys.excepthook: a Qt slot or the main thread)",
                    text, stopped=False)  # fmt: skip
        if self._previous[0] is sys.__excepthook__:
            _print(self.redact(text))  # as the default hook would, without the secrets
        else:
            self._previous[0](kind, exc, tb)

    def _on_thread_exception(self, args: threading.ExceptHookArgs) -> None:
        if self._previous is None or args.exc_value is None or args.exc_type is SystemExit:
            threading.__excepthook__(args)
            return
        name = args.thread.name if args.thread is not None else "?"
        text = _format_exception(args.exc_value)
        self.report(f"unhandled exception in thread {name}", text, stopped=False)
        if self._previous[1] is threading.__excepthook__:
            _print(self.redact(f"Exception in thread {name}:\n{text}"))
        else:
            self._previous[1](args)

    # --- writing ------------------------------------------------------------------------

    def report(self, kind: str, detail: str, stopped: bool) -> Path | None:
        """Write one report now; its path, or None (over the per-run bound, or no disk)."""
        if len(self.written) >= REPORTS_PER_RUN:
            return None
        now = time.time()
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
        path = self.folder / f"crash-{stamp}-{os.getpid()}-{len(self.written) + 1}.txt"
        text = self._header(kind, stopped, now) + self._body(detail)
        try:
            write_text_atomic(path, self.redact(text))
        except OSError as exc:
            print(f"tickerdesk: could not save a crash report in {self.folder}: {exc}",
                  file=sys.stderr)  # fmt: skip
            return None
        self.written.append(path)
        prune(self.folder)
        return path

    def _header(self, kind: str, stopped: bool, at: float | None = None) -> str:
        when = (
            "" if at is None else datetime.fromtimestamp(at).astimezone().isoformat(" ", "seconds")
        )
        return (
            f"{self.app_name} crash report\n"
            f"Time: {when}\n"
            f"Kind: {kind}\n"
            f"The app: {'stopped' if stopped else 'went on running'}\n"
            f"Version: {self.version}\n"
            f"Python: {platform.python_implementation()} {platform.python_version()}\n"
            f"Platform: {platform.platform()} ({platform.machine()})\n"
            f"Started: {local(self.started)} (pid {os.getpid()})\n"
        )

    def _body(self, detail: str) -> str:
        parts = []
        for title, provider in self._sections:
            try:
                value = provider()
            except Exception as exc:
                value = f"(not available: {exc!r})"
            if isinstance(value, Mapping):
                value = "".join(f"  {k}: {v}\n" for k, v in value.items())
            parts.append(f"\n== {title} ==\n{value.rstrip()}\n")
        parts.append(f"\n== Traceback ==\n{detail.rstrip()}\n")
        parts.append(f"\n== Last {len(self.ring.lines)} log lines ==\n")
        parts.append("".join(f"{line}\n" for line in self.ring.lines))
        return "".join(parts)


def _print(text: str) -> None:
    with contextlib.suppress(OSError, ValueError):  # stderr closed: nothing to tell
        print(text.rstrip(), file=sys.stderr, flush=True)


def _format_exception(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc))
