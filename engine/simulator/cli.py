"""`tickerdesk-sim`: run the simulator until SIGINT/SIGTERM.

stdout line 1 is the websocket base URL, line 2 the REST base URL (flushed at once),
so scripts and tests can start it with `--port 0` and read where it listens.

A compressed trading day: `--start 2026-11-20T03:55-05:00 --speed 60` lives the real day
(pre-market, open, close, after-hours, nights, weekends, holidays) from that moment at
60 simulated seconds per second; `--session always` keeps the always-on market instead
(docs/simulator.md).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence

from engine.simulator.clock import parse_start
from engine.simulator.config import Plan, SimulatorConfig, is_loopback
from engine.simulator.day import describe
from engine.simulator.faults import FaultSchedule, run_every
from engine.simulator.server import Simulator
from engine.simulator.tls import server_context
from engine.simulator.universe import DEFAULT_SYMBOLS, is_valid_symbol, synthetic_symbols

SECRET_ENV = "TICKERDESK_SIM_SECRET"
KEY_ENV = "TICKERDESK_SIM_KEY"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tickerdesk-sim", description=__doc__)
    p.add_argument("--host", default="127.0.0.1", help="bind address (loopback only)")
    p.add_argument("--allow-remote", action="store_true", help="allow a non-loopback --host")
    p.add_argument("--port", type=int, default=0, help="0 = any free port")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--rate", type=float, default=200.0, help="data messages per second")
    p.add_argument("--test-rate", type=float, default=0.3, help="FAKEPACA messages per second")
    p.add_argument("--key", default=os.environ.get(KEY_ENV), help=f"API key (or ${KEY_ENV})")
    # No --secret VALUE: argv is world-readable (ps, /proc/PID/cmdline) for the life of
    # the process. The secret comes from the environment or one line on stdin.
    p.add_argument(
        "--secret-stdin",
        action="store_true",
        help=f"read the API secret from the first line of stdin (else ${SECRET_ENV})",
    )
    p.add_argument("--secret", default=None, help=argparse.SUPPRESS)  # refused in main()
    p.add_argument("--symbols", default=None, help="comma-separated universe")
    p.add_argument(
        "--universe-size",
        type=int,
        default=None,
        metavar="N",
        help="generate a universe of N synthetic symbols (AAAA, AAAB, ...)",
    )
    p.add_argument("--new-listing", action="append", default=[], metavar="SYMBOL[,SYMBOL]",
                   help="symbols listed at the start: no history before their first print "
                   "(repeatable)")  # fmt: skip
    p.add_argument("--plan", choices=[p.value for p in Plan], default=Plan.UNLIMITED.value,
                   help="free = Alpaca's Basic plan: iex/delayed_sip only, 30 symbols, "
                   "200 REST calls a minute")  # fmt: skip
    p.add_argument("--symbol-limit", type=int, default=None)
    p.add_argument("--rest-limit", type=int, default=None, metavar="N",
                   help="REST calls a minute per key (default: the plan's)")  # fmt: skip
    day = p.add_argument_group("session clock")
    day.add_argument("--start", default=None, metavar="RFC3339",
                     help="simulated start, with an offset or Z, e.g. 2026-11-20T03:55-05:00 "
                     "(default: now)")  # fmt: skip
    day.add_argument("--speed", type=float, default=1.0,
                     help="simulated seconds per real second (default 1)")  # fmt: skip
    day.add_argument("--session", choices=("day", "always"), default=None,
                     help="day: the real trading day (closed nights, weekends, holidays); "
                     "always: trade around the clock (default: day with --start, "
                     "else always)")  # fmt: skip
    p.add_argument("--auth-timeout", type=float, default=10.0)
    p.add_argument("--batch-max", type=int, default=50)
    p.add_argument("--halt-probability", type=float, default=2e-5)
    p.add_argument("--slow-client-limit", type=int, default=8 * 1024 * 1024, help="bytes")
    p.add_argument("--dead-slot-hold", type=float, default=0.0, help="seconds")
    p.add_argument("--no-compression", action="store_true")
    faults = p.add_argument_group("faults (intervals in seconds)")
    faults.add_argument("--drop-every", type=float, metavar="S")
    faults.add_argument("--close-every", type=float, metavar="S")
    faults.add_argument("--malformed-every", type=float, metavar="S")
    faults.add_argument("--unknown-every", type=float, metavar="S")
    faults.add_argument("--error-every", type=float, metavar="S")
    faults.add_argument("--error-code", type=int, default=500)
    faults.add_argument("--burst", type=int, default=0, metavar="N", help="messages per burst")
    faults.add_argument("--burst-every", type=float, metavar="S")
    faults.add_argument("--pause-every", type=float, metavar="S")
    faults.add_argument("--pause-for", type=float, default=5.0, metavar="S")
    faults.add_argument("--refuse-auth", action="store_true", help="every auth gets 402")
    faults.add_argument("--hold-slot", type=float, metavar="S", help="406 for S seconds")
    tls = p.add_argument_group("TLS (wss:// and https:// on the same port)")
    tls.add_argument("--tls-cert", metavar="PEM", default=None,
                     help="server certificate chain (PEM); with --tls-key")  # fmt: skip
    tls.add_argument("--tls-key", metavar="PEM", default=None,
                     help="the certificate's private key (PEM)")  # fmt: skip
    p.add_argument("--log-level", default="WARNING")
    return p


def _config(args: argparse.Namespace) -> SimulatorConfig:
    secret = os.environ.get(SECRET_ENV)
    if args.secret_stdin:
        secret = sys.stdin.readline().rstrip("\r\n")
    symbols = None
    if args.symbols:
        symbols = tuple(s.strip() for s in args.symbols.split(",") if s.strip())
    elif args.universe_size is not None:
        if args.universe_size < 1:
            raise ValueError("--universe-size must be >= 1")
        symbols = synthetic_symbols(args.universe_size)
    listings = tuple(dict.fromkeys(
        s.strip() for arg in args.new_listing for s in arg.split(",") if s.strip()
    ))  # fmt: skip
    bad = [s for s in listings if not is_valid_symbol(s)]
    if bad:
        raise ValueError(f"--new-listing: not a symbol: {', '.join(bad)}")
    start_ns = parse_start(args.start) if args.start is not None else None
    session = args.session or ("day" if start_ns is not None else "always")
    return SimulatorConfig(
        host=args.host, port=args.port, seed=args.seed, rate=args.rate,
        test_rate=args.test_rate, key=args.key or None, secret=secret or None,
        plan=Plan(args.plan), symbol_limit=args.symbol_limit, auth_timeout=args.auth_timeout,
        batch_max=args.batch_max, halt_probability=args.halt_probability,
        slow_client_limit=args.slow_client_limit, dead_slot_hold=args.dead_slot_hold,
        compression=not args.no_compression, allow_non_loopback=args.allow_remote,
        symbols=symbols or DEFAULT_SYMBOLS,
        max_universe=max(SimulatorConfig().max_universe, len(symbols or ())),
        start_ns=start_ns, speed=args.speed, day=session == "day", rest_limit=args.rest_limit,
        new_listings=listings, tls_cert=args.tls_cert, tls_key=args.tls_key,
    )  # fmt: skip


def _schedule(args: argparse.Namespace) -> FaultSchedule:
    return FaultSchedule(
        drop_every=args.drop_every, close_every=args.close_every,
        malformed_every=args.malformed_every, unknown_every=args.unknown_every,
        error_every=args.error_every, error_code=args.error_code, burst=args.burst,
        burst_every=args.burst_every, pause_every=args.pause_every, pause_for=args.pause_for,
    )  # fmt: skip


async def _serve(
    config: SimulatorConfig, schedule: FaultSchedule, args: argparse.Namespace
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    sim = Simulator(config)
    await sim.start()
    try:
        if args.refuse_auth:
            sim.faults.refuse_auth(True)
        if args.hold_slot:
            sim.faults.hold_slot(args.hold_slot)
        for name, every, job in schedule.jobs(sim.faults):
            sim.spawn(run_every(every, job), f"fault-{name}")
        print(sim.ws_url, flush=True)
        print(sim.rest_url, flush=True)
        auth = f"key {config.key!r} (secret set)" if config.key else "any credentials"
        logging.getLogger(__name__).warning(
            "tickerdesk-sim: seed %d, rate %.1f/s, %s, plan %s, %s",
            sim.seed,
            config.rate,
            auth,
            config.plan.value,
            _describe_clock(sim),
        )
        await stop.wait()
    finally:
        await sim.stop()


def _describe_clock(sim: Simulator) -> str:
    if not sim.config.day:
        return f"always-on market, speed {sim.config.speed:g}"
    return f"trading day from {describe(sim.clock.start_ns)}, speed {sim.config.speed:g}"


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point; returns the exit status (0 after SIGINT/SIGTERM)."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")  # fmt: skip
    if args.secret is not None:
        print(f"tickerdesk-sim: --secret is no longer accepted (it would be visible in ps); "
              f"set ${SECRET_ENV} or pass --secret-stdin", file=sys.stderr)  # fmt: skip
        return 2
    if not is_loopback(args.host) and not args.allow_remote:
        print(f"tickerdesk-sim: refusing to bind {args.host!r} (not loopback); "
              "pass --allow-remote to insist", file=sys.stderr)  # fmt: skip
        return 2
    try:
        config = _config(args)
        server_context(config)  # unusable certificate files: said now, in words
    except ValueError as exc:
        print(f"tickerdesk-sim: {exc}", file=sys.stderr)
        return 2
    try:
        asyncio.run(_serve(config, _schedule(args), args))
    except OSError as exc:
        print(f"tickerdesk-sim: cannot listen: {exc}", file=sys.stderr)
        return 1
    return 0
