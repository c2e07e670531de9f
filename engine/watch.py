"""`tickerdesk-watch`: the engine without a GUI, as a terminal monitor or a JSON probe.

Exit status: 0 after `--seconds` or Ctrl+C/SIGTERM; 2 for bad arguments; 3 after a
fatal stream error (auth failed, insufficient subscription) with the reason on stderr.

The symbol budget is the app's (engine.plan; docs/account-and-history.md, "Plans and
limits"): under `--plan basic` (the default, except on sip) the first 30 symbols in
command-line order stream and the rest are kept alive from REST snapshots; each
symbol's `source` says which, and the text and `--json` outputs say why.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import math
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from engine.account.client import trading_url_for
from engine.config import (
    DEFAULT_FEED,
    FEEDS,
    LIVE_REST_URL,
    LIVE_STREAM_URL,
    parse_symbols,
    resolve_credentials,
)
from engine.core.tasks import cancel_and_wait
from engine.demo import DemoOptions, parse_demo_at, parse_demo_speed
from engine.market.store import MarketDataStore, Source
from engine.net.budget import RequestBudget
from engine.net.health import ConnectionState, StreamHealth
from engine.net.rest import RestClient, RestConfig, RestError, SnapshotPoller
from engine.net.stream import ConfigError, StreamClient, StreamConfig
from engine.plan import (
    PLAN_CHOICES_TEXT,
    PlanLimit,
    SymbolBudget,
    counted_symbols,
    default_plan,
    parse_plan,
)
from engine.protocol import Encoding
from engine.protocol.session import Refusal
from engine.watch_account import WatchAccount
from engine.watch_bus import BusError, WatchBus, add_bus_arguments
from engine.watch_history import WatchHistory
from engine.watch_report import render, report

__all__ = ["build_parser", "main", "render", "report", "run"]

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_FATAL = 3
_REFRESH_S = 0.5
REST_INTERVAL_S = 15.0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tickerdesk-watch",
        description="Watch Alpaca real-time quotes and trades in the terminal.",
    )
    parser.add_argument("symbols", nargs="+", metavar="SYMBOL")
    parser.add_argument("--url", help="websocket base, e.g. ws://127.0.0.1:8765")
    parser.add_argument("--rest-url", help="REST base for snapshots")
    parser.add_argument("--feed", choices=FEEDS, default=DEFAULT_FEED.value)
    parser.add_argument("--msgpack", action="store_true", help="msgpack frames instead of JSON")
    parser.add_argument("--compression", action="store_true", help="permessage-deflate")
    parser.add_argument("--seconds", type=float, help="stop after this many seconds")
    parser.add_argument("--json", action="store_true", help="print one JSON document at the end")
    parser.add_argument("--insecure", action="store_true", help="allow ws:// to a remote host")
    parser.add_argument(
        "--ca-file",
        metavar="PEM",
        help="also trust the CAs in this PEM file (a test server's); verification stays on",
    )
    parser.add_argument(
        "--plan",
        help=f"market-data plan: {PLAN_CHOICES_TEXT} (default: basic, algo-trader-plus on "
        "sip; the embedded simulator: none, unless given, which it then enforces)",
    )
    parser.add_argument(
        "--rest-interval",
        type=float,
        default=REST_INTERVAL_S,
        metavar="S",
        help=f"seconds between REST snapshots of unstreamed symbols (default {REST_INTERVAL_S:g})",
    )
    parser.add_argument(
        "--demo", action="store_true", help="use the embedded simulator even with credentials"
    )
    parser.add_argument(
        "--demo-at",
        metavar="TIME",
        help="embedded simulator: a trading day from TIME (RFC 3339 with offset, e.g. "
        "2026-11-20T09:25-05:00; implies --demo)",
    )
    parser.add_argument(
        "--demo-speed",
        metavar="N",
        help="embedded simulator: simulated seconds per real second (implies --demo)",
    )
    parser.add_argument(
        "--no-history",
        action="store_true",
        help="skip the history backfill (REST bars): no 52-week, volume or minute figures",
    )
    parser.add_argument(
        "--account",
        action="store_true",
        help="also read the Alpaca account (read-only): positions, open orders, fills",
    )
    parser.add_argument(
        "--trading-url", help="Trading API base (default: the endpoint the key opens)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log to stderr")
    add_bus_arguments(parser)
    return parser


def _options(args: argparse.Namespace) -> tuple[PlanLimit | None, DemoOptions]:
    """--plan and the embedded simulator's clock, checked (ValueError in words)."""
    plan = parse_plan(args.plan) if args.plan is not None else None
    start_ns = parse_demo_at(args.demo_at) if args.demo_at is not None else None
    speed = parse_demo_speed(args.demo_speed) if args.demo_speed is not None else 1.0
    if not math.isfinite(args.rest_interval) or args.rest_interval <= 0:
        raise ValueError("--rest-interval must be a number of seconds above 0")
    demo = DemoOptions(start_ns=start_ns, speed=speed, plan=plan)
    if args.url is not None and (args.demo or demo.day):
        raise ValueError("--demo, --demo-at and --demo-speed use the embedded simulator, not --url")
    return plan, demo


def _learn(
    budget: SymbolBudget,
    priority: list[str],
    client: StreamClient,
    store: MarketDataStore,
    poller: SnapshotPoller | None,
    seen: Refusal | None,
) -> Refusal | None:
    """A new 405 lowers the budget to what the server confirmed (docs/protocol.md,
    "Handshake"); returns the refusal now seen."""
    refusal = client.refusal
    if refusal is None or refusal is seen:
        return seen
    asked = len(budget.last.streamed)
    if budget.note_refusal(refusal.code, asked, counted_symbols(client.subscription)):
        split = budget.split(priority)
        client.set_symbols(split.streamed)
        store.watch(split.polled)  # the client unwatched what it no longer streams
        if poller is not None:
            poller.keep_alive(split.polled)
    return refusal


def _budget_document(
    budget: SymbolBudget, client: StreamClient, poller: SnapshotPoller | None, interval: float
) -> dict[str, Any]:
    document = budget.as_dict()
    document["confirmed"] = counted_symbols(client.subscription)  # the server's word
    document["rest_polled"] = poller.rest_polled if poller is not None else 0
    document["rest_interval_s"] = interval
    return document


async def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    parsed = parse_symbols(" ".join(args.symbols))
    for text, reason in parsed.invalid:
        print(f"tickerdesk-watch: invalid symbol {text}: {reason}", file=err)
    if not parsed.valid:
        return EXIT_USAGE
    try:
        plan, demo_options = _options(args)
    except ValueError as exc:
        print(f"tickerdesk-watch: {exc}", file=err)
        return EXIT_USAGE
    creds, _origin = resolve_credentials(use_keyring=False)
    owns = bool(creds or args.url or args.demo or demo_options.day)
    try:  # --bus without an upstream of our own: read the owner's (engine.watch_bus)
        bus = WatchBus.from_args(args, os.environ, owns_upstream=owns)
    except ValueError as exc:
        print(f"tickerdesk-watch: {exc}", file=err)
        return EXIT_USAGE
    via_bus = bus is not None and bus.subscriber
    simulator = None
    ws_url, rest_url = args.url, args.rest_url
    # --demo-at / --demo-speed imply --demo, as in the app: never a silently ignored clock.
    demo = not via_bus and (args.demo or demo_options.day or (ws_url is None and creds is None))
    budget = bus.budget() if bus and via_bus else SymbolBudget(plan or default_plan(args.feed))
    if demo:
        from engine.simulator import Simulator

        simulator = Simulator(demo_options.simulator_config())
        await simulator.start()
        ws_url, rest_url = simulator.ws_url, simulator.rest_url
        creds = None  # the simulator takes any key; a real one never goes there
        budget = SymbolBudget(demo_options.budget_plan(), "the simulator")
        why = (
            "--demo"
            if args.demo
            else "--demo-at/--demo-speed"
            if demo_options.day
            else "no Alpaca credentials"
        )
        print(
            f"tickerdesk-watch: {why}; using the embedded simulator at {ws_url} (simulated data)",
            file=err,
        )
    ws_url = ws_url or LIVE_STREAM_URL
    if rest_url is None and args.url is None and not via_bus:
        rest_url = LIVE_REST_URL
    store = MarketDataStore(default_source=Source.SIMULATOR if demo else Source.STREAM)
    health = StreamHealth()
    encoding = Encoding.MSGPACK if args.msgpack else Encoding.JSON
    try:
        client: StreamClient = StreamClient(
            StreamConfig(
                url=ws_url,
                feed=args.feed,
                encoding=encoding,
                credentials=creds,
                compression=args.compression,
                insecure=args.insecure,
                ca_file=args.ca_file,
            ),
            store,
            health,
        ) if bus is None or not via_bus else bus.make_feed(store, health, args.feed)  # fmt: skip
        rest_config = RestConfig(
            rest_url or "", args.feed, creds, args.insecure, ca_file=args.ca_file
        )
        # One REST budget at the plan's rate (docs/account-and-history.md, "Plans and limits").
        rest_budget = RequestBudget.for_plan(budget.plan)
        rest = RestClient(rest_config, budget=rest_budget) if rest_url else None
    except (ConfigError, RestError) as exc:
        print(f"tickerdesk-watch: {exc}", file=err)
        if simulator is not None:
            await simulator.stop()
        return EXIT_USAGE

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    # The symbol budget (engine.plan): command-line order is the priority order.
    priority = parsed.valid
    split = budget.split(priority)
    store.watch(priority)
    client.set_symbols(split.streamed)
    client.start()
    poller_task = None
    poller: SnapshotPoller | None = None
    history: WatchHistory | None = None
    account: WatchAccount | None = None
    # Exchange time: the embedded simulator's session clock (a --demo-at day), else wall.
    exchange_now: Callable[[], int] = simulator.now_ns if simulator is not None else time.time_ns
    if rest is not None:
        poller = SnapshotPoller(rest, store, interval=args.rest_interval)
        poller.request(priority)
        poller.keep_alive(split.polled)
        poller_task = loop.create_task(poller.run(), name="tickerdesk-watch-rest")
        if not args.no_history:  # the same client, so the same budget, as the snapshots
            history = WatchHistory(rest, store, health, budget.plan, args.feed, exchange_now)
            history.start(priority)
    if args.account:  # the account's REST calls spend the same budget as the snapshots
        trading = simulator.rest_url if simulator is not None else args.trading_url
        trading = trading or trading_url_for(creds.key_id if creds else None)
        account = WatchAccount(
            trading, creds, rest_budget, store, demo=demo,
            stream_url=None if simulator is None else f"{simulator.ws_url}/stream",
            insecure=args.insecure, ca_file=args.ca_file,
        )  # fmt: skip
        account.start()
    if (message := budget.message()) is not None:
        print(f"tickerdesk-watch: {message}; the rest come from REST snapshots", file=err)
    deadline = None if args.seconds is None else time.monotonic() + args.seconds
    status = EXIT_OK
    if bus is not None:
        print(f"tickerdesk-watch: {bus.describe()}", file=err)
        if not via_bus:
            try:
                await bus.start_owner(client, store, args.feed, budget.plan)
            except BusError as exc:
                print(f"tickerdesk-watch: bus: {exc}", file=err)
                stop.set()
                status = EXIT_FATAL
    live = not args.json and out.isatty()
    document: dict[str, Any] = {}
    final_text = ""
    seen: Refusal | None = None
    try:
        while not stop.is_set():
            if deadline is not None and time.monotonic() >= deadline:
                break
            if health.state is ConnectionState.FAILED:
                print(f"tickerdesk-watch: {health.last_error}", file=err)
                status = EXIT_FATAL
                break
            seen = _learn(budget, priority, client, store, poller, seen)
            if live:
                out.write("\x1b[H\x1b[2J" + render(store, health, demo, budget) + "\n")
                out.flush()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=_REFRESH_S)
    finally:
        # Taken before stopping, so both outputs say the state the run ended in.
        budget_doc = _budget_document(budget, client, poller, args.rest_interval)
        document = report(
            store, health, budget_doc,
            history=None if history is None else history.history, now_ns=exchange_now(),
            backfill=None if history is None else history.document(),
        )  # fmt: skip
        if account is not None:
            document.update(account.document())
        if bus is not None:
            document["bus"] = bus.document()
        final_text = render(store, health, demo, budget)
        if bus is not None:
            await bus.stop(client)
        await client.stop()
        if account is not None:
            await account.stop()
        if history is not None:
            await history.stop()
        if poller_task is not None:
            await cancel_and_wait(poller_task)
        if rest is not None:
            await rest.aclose()
        if simulator is not None:
            await simulator.stop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signum)
    if args.json:
        out.write(json.dumps(document, indent=2) + "\n")
    elif not live:
        out.write(final_text + "\n")
    out.flush()
    return status


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.ERROR,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    return asyncio.run(run(args, sys.stdout, sys.stderr))


if __name__ == "__main__":
    sys.exit(main())
