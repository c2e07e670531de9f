"""Entry point and composition root: arguments, QApplication, qasync loop, wiring, shutdown.

One thread, one loop (docs/design.md): the QApplication is created first, PySide6 is imported
before qasync (qasync binds the first Qt module imported), and `asyncio.run` drives
the qasync loop. The main coroutine owns shutdown (docs/qt.md: the aboutToQuit pattern
lost task cleanup in ~1 run in 6): close / Quit / SIGINT / SIGTERM set an Event; the
coroutine then stops the stream, the REST poller and the simulator, cancels and awaits
every task it started, saves settings and returns the exit status.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import functools
import logging
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QMessageLogContext, QTimer, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication

from engine.config import DEFAULT_SYMBOLS, FEEDS, parse_symbols
from engine.demo import DemoOptions, default_demo_start, parse_demo_at, parse_demo_speed
from engine.net.stream import ConfigError
from engine.plan import PLAN_CHOICES_TEXT, PlanLimit, parse_plan
from gui import crash_notice, startup_trace
from gui.resources import apply_app_identity
from gui.runtime import Runtime, RuntimeOptions

log = logging.getLogger("tickerdesk")

SMOKE_TIMEOUT_S = 20.0
SCREENSHOT_SETTLE_S = 2.0
_SIGNAL_POLL_MS = 200


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tickerdesk", description="Real-time US stock quotes from Alpaca's stream."
    )
    parser.add_argument("--demo", action="store_true", help="use the built-in simulator")
    parser.add_argument("--feed", choices=FEEDS, help="Alpaca feed (default: saved, else iex)")
    parser.add_argument("--symbols", help="comma-separated watchlist (replaces the saved one)")
    parser.add_argument("--msgpack", action="store_true", help="msgpack frames instead of JSON")
    parser.add_argument(
        "--url", help="stream base URL (e.g. another simulator: ws://127.0.0.1:PORT)"
    )
    parser.add_argument("--rest-url", help="REST base URL for snapshots (http://127.0.0.1:PORT)")
    parser.add_argument("--insecure", action="store_true", help="allow ws:// to a remote host")
    parser.add_argument(
        "--ca-file",
        metavar="PEM",
        help="also trust the CAs in this PEM file (a test server's); verification stays on",
    )
    parser.add_argument("--settings", type=Path, help="settings ini file (default: user config)")
    parser.add_argument(
        "--plan",
        metavar="PLAN",
        help=f"Alpaca market-data plan: {PLAN_CHOICES_TEXT} (default: saved, else basic; "
        "algo-trader-plus on sip); with --demo the built-in simulator enforces it",
    )
    parser.add_argument(
        "--demo-at",
        metavar="TIME",
        help="run the demo's simulated trading day from TIME, RFC 3339 with an offset, "
        "e.g. 2026-11-20T09:25-05:00 (implies --demo)",
    )
    parser.add_argument(
        "--demo-speed",
        metavar="N",
        help="simulated seconds per real second in the demo (default 1; implies --demo)",
    )
    parser.add_argument(
        "--gateway", metavar="PORT", type=_port,
        help="serve other programs Alpaca's stream on ws://127.0.0.1:PORT/v2/<feed> over this "
        "app's one connection, for this run (0 = any free port; default: the Settings switch)",
    )  # fmt: skip
    parser.add_argument(
        "--gateway-host", metavar="HOST", default="127.0.0.1",
        help="address the gateway listens on (default 127.0.0.1: this machine only)",
    )  # fmt: skip
    parser.add_argument(
        "--bus", metavar="URL",
        help="NATS bus (nats://HOST:4222, tls://...): publish this app's stream to it, or, "
        "without a key or --url, show the data another Tickerdesk publishes there; "
        "password or token from TICKERDESK_BUS_PASSWORD / TICKERDESK_BUS_TOKEN",
    )  # fmt: skip
    parser.add_argument("--bus-user", metavar="USER", help="NATS user name")
    parser.add_argument("--bus-ca", metavar="FILE", type=Path, help="CA file for the bus' TLS")
    parser.add_argument(
        "--smoke-test",
        action="store_true",
        help=f"exit 0 once every symbol has data, non-zero after {SMOKE_TIMEOUT_S:.0f} s",
    )
    parser.add_argument(
        "--smoke-timeout", type=float, default=SMOKE_TIMEOUT_S, help=argparse.SUPPRESS
    )
    parser.add_argument("--flush-ms", type=int, help="table refresh interval in ms")
    parser.add_argument("--screenshot", type=Path, help=argparse.SUPPRESS)
    # Seconds of streaming before the grab (sparklines need history to show a line).
    parser.add_argument(
        "--screenshot-delay", type=float, default=SCREENSHOT_SETTLE_S, help=argparse.SUPPRESS
    )
    return parser


def _port(text: str) -> int:
    """--gateway's port: 0 (any free one) to 65535, else an error in words."""
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"not a port number (0-65535): {text!r}")
    return int(text)


def _demo_options(args: argparse.Namespace) -> tuple[PlanLimit | None, DemoOptions]:
    """--plan, --demo-at, --demo-speed checked; SystemExit with the reason in words."""
    try:
        plan = parse_plan(args.plan) if args.plan is not None else None
        start_ns = parse_demo_at(args.demo_at) if args.demo_at is not None else None
        speed = parse_demo_speed(args.demo_speed) if args.demo_speed is not None else 1.0
    except ValueError as exc:
        raise SystemExit(f"tickerdesk: {exc}") from None
    if start_ns is None and args.demo_speed is None and not args.url:
        # A demo (asked for, or because no key is stored) lives a real session: now if
        # the market is open, else the last trading day's morning (engine.demo).
        start_ns = default_demo_start(time.time_ns())
    clock = DemoOptions(start_ns=start_ns, speed=speed)
    if clock.day and args.url:
        raise SystemExit("tickerdesk: --demo-at and --demo-speed need the built-in simulator")
    return plan, clock


def options_from_args(args: argparse.Namespace) -> RuntimeOptions:
    """Validated options; raises SystemExit with a message on bad --symbols, --plan or
    demo clock options."""
    plan, demo_clock = _demo_options(args)
    symbols: list[str] | None = None
    if args.symbols is not None:
        parsed = parse_symbols(args.symbols)
        if parsed.invalid:
            bad = "; ".join(f"{text}: {reason}" for text, reason in parsed.invalid)
            raise SystemExit(f"tickerdesk: invalid --symbols: {bad}")
        symbols = parsed.valid or list(DEFAULT_SYMBOLS)
    return RuntimeOptions(
        demo=args.demo or args.demo_at is not None or args.demo_speed is not None,
        feed=args.feed,
        symbols=symbols,
        msgpack=args.msgpack,
        url=args.url,
        rest_url=args.rest_url,
        insecure=args.insecure,
        ca_file=args.ca_file,
        settings_path=args.settings,
        flush_ms=args.flush_ms,
        plan=plan,
        demo_clock=demo_clock,
        gateway_port=args.gateway,
        gateway_host=args.gateway_host,
        bus_url=args.bus,
        bus_user=args.bus_user,
        bus_ca=args.bus_ca,
    )


async def run(app: QApplication, args: argparse.Namespace, options: RuntimeOptions) -> int:
    """The main coroutine: start everything, wait for a stop request, shut down, return status."""
    startup_trace.mark("loop")
    stop = asyncio.Event()
    status = 0
    session = Runtime(options, stop)
    removers = _install_signal_handlers(stop)
    try:
        try:
            await session.start()
        except ConfigError as exc:  # e.g. ws:// to a remote host without --insecure
            print(f"tickerdesk: {exc}", file=sys.stderr)
            return 2
        _watcher = startup_trace.install(session) if startup_trace.enabled() else None
        crash_notice.attach(session)  # loop handler, health counters, earlier crashes
        if args.smoke_test or args.screenshot:
            status = await _run_until_data(session, args, stop)
            stop.set()
        await stop.wait()
    finally:
        for remove in removers:
            remove()
        await session.close()
    app.processEvents()
    return status


async def _run_until_data(session: Runtime, args: argparse.Namespace, stop: asyncio.Event) -> int:
    """--smoke-test / --screenshot: exit status once every symbol has data (or not)."""
    waiter = session.tasks.spawn(
        _wait_for_data(session, args.smoke_timeout), name="tickerdesk-wait-data"
    )
    stopped = session.tasks.spawn(stop.wait(), name="tickerdesk-wait-stop")
    await asyncio.wait({waiter, stopped}, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if not waiter.done():  # closed or signalled before the data came
        waiter.cancel()
        return 1
    missing = waiter.result()
    status = _report_smoke(session, missing)
    if args.screenshot and not missing:
        await asyncio.sleep(args.screenshot_delay)  # let ticks flash, ages count, lines grow
        _save_screenshot(session, args.screenshot)
    return status


async def _wait_for_data(session: Runtime, limit_s: float) -> list[str]:
    """Symbols still without data when every one has some or `limit_s` seconds pass."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s
    # The store has no "symbol got data" notification (it hands out change sets to a
    # pulling reader), so this startup check pulls too, ten times a second.
    while True:
        missing = session.symbols_without_data()
        if not missing or loop.time() >= deadline:
            return missing
        await asyncio.sleep(0.1)


def _report_smoke(session: Runtime, missing: list[str]) -> int:
    health = session.health
    if missing:
        print(
            f"smoke test FAILED: no data for {', '.join(missing)} "
            f"(state: {health.state.value}, last error: {health.last_error or 'none'})",
            file=sys.stderr,
        )
        return 1
    print(
        f"smoke test ok: {len(session.window_symbols())} symbols streaming, "
        f"{health.messages} messages from {health.endpoint}"
    )
    return 0


def _save_screenshot(session: Runtime, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    window = session.window
    assert window is not None
    if not window.grab().save(str(path)):
        print(f"could not save screenshot to {path}", file=sys.stderr)


def _install_signal_handlers(stop: asyncio.Event) -> list[Callable[[], None]]:
    """SIGINT/SIGTERM set `stop`; returns callables that undo the installation."""
    loop = asyncio.get_running_loop()
    removers: list[Callable[[], None]] = []
    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
            removers.append(functools.partial(_remove_handler, loop, sig))
        return removers
    except (NotImplementedError, RuntimeError, ValueError):
        pass
    # Windows (or a loop without add_signal_handler): Python runs signal handlers only
    # when the interpreter gets control, which Qt's C++ loop withholds; a timer wakes it.
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def on_signal(_sig: int, _frame: object) -> None:
        loop.call_soon_threadsafe(stop.set)

    for sig in previous:
        signal.signal(sig, on_signal)
    wake = QTimer()
    wake.timeout.connect(lambda: None)
    wake.start(_SIGNAL_POLL_MS)

    def restore() -> None:
        wake.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return [restore]


def _remove_handler(loop: asyncio.AbstractEventLoop, sig: int) -> None:
    loop.remove_signal_handler(sig)


# Printed by Qt's offscreen platform (tests, CI smoke runs) on every show(): not a
# problem of ours, and it would hide real warnings in an otherwise empty stderr.
_OFFSCREEN_NOISE = ("This plugin does not support propagateSizeHints",)


def _quiet_offscreen_noise(app: QApplication) -> None:
    """Drop the offscreen plugin's known noise; print every other Qt message as Qt would."""
    if app.platformName() != "offscreen":
        return

    def handler(mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
        if message.startswith(_OFFSCREEN_NOISE):
            return
        category = context.category
        prefix = f"{category}: " if category and category != "default" else ""
        print(f"{prefix}{message}", file=sys.stderr)

    qInstallMessageHandler(handler)


def main(argv: Sequence[str] | None = None) -> int:
    """`tickerdesk` console script and `python -m gui`."""
    startup_trace.mark("imports")
    args = build_parser().parse_args(argv)
    options = options_from_args(args)  # exits with a message on a bad --symbols
    # This process runs one app: freeze its start heap (RuntimeOptions.freeze_start_heap).
    options = dataclasses.replace(options, freeze_start_heap=True)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    startup_trace.mark("qapplication")
    _quiet_offscreen_noise(app)
    apply_app_identity(app)
    # The main coroutine decides when to quit (docs/qt.md shutdown pattern).
    app.setQuitOnLastWindowClosed(False)
    import qasync  # after PySide6 and the QApplication: qasync binds the first Qt it sees

    # Crash reports beside the settings file (docs/reliability.md); after the Qt handler above.
    with crash_notice.install(args.settings):
        return asyncio.run(run(app, args, options), loop_factory=qasync.QEventLoop)
