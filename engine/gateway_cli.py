"""`tickerdesk-gateway`: the local gateway without a GUI (docs/gateway.md, "tickerdesk-gateway").

One upstream connection (Alpaca with the credentials in the environment, a server of the
user's own with `--url`, or the embedded simulator with `--demo` or when there are no
credentials), served to any number of local Alpaca clients at `ws://127.0.0.1:PORT/v2/FEED`.

Output (stdout): the FIRST line is the gateway's websocket base URL (flushed at once, so
a parent process can read it and connect); the second says where the local credentials
are (never the secret); then one status line every 5 s ("upstream streaming · 3 clients
· 412 msgs/s"). With `--json` the status lines go to stderr and one JSON document
follows at the end. Diagnostics and warnings go to stderr.

Exit status: 0 after `--seconds` or SIGINT/SIGTERM; 2 for bad arguments or a port that
cannot be bound; 3 after a fatal upstream error (auth failed, insufficient subscription).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import logging
import math
import os
import signal
import sys
import time
from collections.abc import Sequence
from typing import Any, TextIO

from engine.config import (
    DEFAULT_FEED,
    FEEDS,
    LIVE_STREAM_URL,
    is_loopback_host,
    parse_symbols,
    resolve_credentials,
)
from engine.gateway.credentials import LocalCredentials, resolve
from engine.gateway.hub import Hub
from engine.gateway.server import GatewayConfig, GatewayServer
from engine.market.store import MarketDataStore, Source
from engine.net.health import ConnectionState, StreamHealth
from engine.net.stream import ConfigError, StreamClient, StreamConfig
from engine.plan import PLAN_CHOICES_TEXT, MarketDataPlan, PlanLimit, default_plan, parse_plan
from engine.protocol import Encoding
from engine.watch_bus import BusError, WatchBus, add_bus_arguments

__all__ = ["DEFAULT_PORT", "build_parser", "main", "run"]

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_FATAL = 3
DEFAULT_PORT = 8767
STATUS_EVERY_S = 5.0
_TICK_S = 0.25  # how often the run loop looks at --seconds and the upstream's state


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tickerdesk-gateway",
        description="Share one Alpaca stream connection with local Alpaca clients "
        "(alpaca-py, websockets, tickerdesk-watch) through an Alpaca-compatible gateway.",
    )
    parser.add_argument("--url", help="upstream websocket base (default: Alpaca's)")
    parser.add_argument("--rest-url", help="upstream REST base (accepted as tickerdesk-watch)")
    parser.add_argument("--feed", choices=FEEDS, default=DEFAULT_FEED.value)
    parser.add_argument("--msgpack", action="store_true", help="msgpack frames upstream")
    parser.add_argument("--insecure", action="store_true", help="allow ws:// to a remote host")
    parser.add_argument(
        "--plan",
        help=f"market-data plan: {PLAN_CHOICES_TEXT}; its symbol limit applies to the "
        "union of every client's symbols (default: basic, algo-trader-plus on sip; "
        "--demo: none unless given, which the simulator then enforces too)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"gateway port (default {DEFAULT_PORT}; 0 = any free port)",
    )
    parser.add_argument(
        "--gateway-host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only)",
    )
    parser.add_argument("--max-clients", type=int, default=GatewayConfig().max_clients)
    parser.add_argument("--symbols", default="", metavar="A,B", help="symbols kept upstream always")
    parser.add_argument("--demo", action="store_true", help="embedded simulator upstream")
    parser.add_argument("--seconds", type=float, help="stop after this many seconds")
    parser.add_argument("--json", action="store_true", help="a JSON document at the end")
    add_bus_arguments(parser)  # --bus: also publish the upstream on NATS (docs/bus.md)
    parser.add_argument(
        "--status-every",
        type=float,
        default=STATUS_EVERY_S,
        metavar="S",
        help=f"seconds between status lines (default {STATUS_EVERY_S:g})",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log INFO to stderr")
    return parser


@dataclasses.dataclass(frozen=True, slots=True)
class _Checked:
    symbols: list[str]
    plan: PlanLimit | None


def _check(args: argparse.Namespace) -> _Checked:
    """The arguments argparse cannot check, ValueError in words."""
    parsed = parse_symbols(args.symbols)
    if parsed.invalid:
        text, reason = parsed.invalid[0]
        raise ValueError(f"invalid symbol {text}: {reason}")
    if not 0 <= args.port <= 65535:
        raise ValueError("--port must be 0 (any free port) to 65535")
    if args.max_clients < 1:
        raise ValueError("--max-clients must be at least 1")
    for name in ("seconds", "status_every"):
        value = getattr(args, name)
        if value is not None and (not math.isfinite(value) or value <= 0):
            raise ValueError(f"--{name.replace('_', '-')} must be a number of seconds above 0")
    if not args.gateway_host.strip():
        raise ValueError("--gateway-host must name an address")
    plan = parse_plan(args.plan) if args.plan is not None else None
    if args.url is not None and args.demo:
        raise ValueError("--demo uses the embedded simulator, not --url")
    return _Checked(parsed.valid, plan)


def _fmt_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _plain(value: object) -> object:
    """A dataclass or mapping as JSON-ready data (counters of the hub and the server)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    return str(value)


def _status_line(hub: Hub, server: GatewayServer, health: StreamHealth) -> str:
    clients = server.clients
    noun = "client" if clients == 1 else "clients"
    rate = health.message_rate()
    return f"upstream {hub.upstream_state} · {clients} {noun} · {rate:,.0f} msgs/s"


async def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        checked = _check(args)
    except ValueError as exc:
        print(f"tickerdesk-gateway: {exc}", file=err)
        return EXIT_USAGE
    alpaca, _origin = resolve_credentials(use_keyring=False)
    demo = args.demo or (args.url is None and alpaca is None)
    try:
        local, where = resolve(os.environ, alpaca=alpaca)
    except (ValueError, OSError) as exc:
        print(f"tickerdesk-gateway: local credentials: {exc}", file=err)
        return EXIT_USAGE
    plan = checked.plan
    if demo:
        budget = plan or PlanLimit(MarketDataPlan.ALGO_TRADER_PLUS)  # the simulator's own
    else:
        budget = plan or default_plan(args.feed)
    limit = budget.limit
    if limit is not None and len(checked.symbols) > limit:
        print(
            f"tickerdesk-gateway: --symbols names {len(checked.symbols)} symbols; "
            f"{budget.allows()}",
            file=err,
        )
        return EXIT_USAGE
    if not is_loopback_host(args.gateway_host):
        print(
            f"tickerdesk-gateway: listening on {args.gateway_host}: other machines can "
            "connect; plain ws:// (no TLS) and the local credentials are the only protection",
            file=err,
        )

    simulator = None
    ws_url = args.url
    creds = alpaca
    if demo:
        from engine.simulator import Plan, Simulator, SimulatorConfig

        fields: dict[str, Any] = {}
        if plan is not None and limit is not None:  # the demo enforces a stated plan
            fields.update(plan=Plan.FREE, symbol_limit=limit)
        simulator = Simulator(SimulatorConfig(**fields))
        await simulator.start()
        ws_url = simulator.ws_url
        creds = None  # the simulator takes any key; a real one never goes there
        why = "--demo" if args.demo else "no Alpaca credentials"
        print(f"tickerdesk-gateway: {why}; upstream is the embedded simulator", file=err)
    store = MarketDataStore(default_source=Source.SIMULATOR if demo else Source.STREAM)
    health = StreamHealth()
    try:
        client = StreamClient(
            StreamConfig(
                url=ws_url or LIVE_STREAM_URL,
                feed=args.feed,
                encoding=Encoding.MSGPACK if args.msgpack else Encoding.JSON,
                credentials=creds,
                insecure=args.insecure,
            ),
            store,
            health,
        )
    except ConfigError as exc:
        print(f"tickerdesk-gateway: {exc}", file=err)
        if simulator is not None:
            await simulator.stop()
        return EXIT_USAGE
    # Free plan (or a stated limit): wildcards on trades/quotes are refused with 410,
    # as Alpaca does (docs/account-and-history.md, "Plans and limits").
    free_plan = limit is not None
    hub = Hub(client, store, limit=limit, free_plan=free_plan, feed=args.feed)
    config = GatewayConfig(
        host=args.gateway_host.strip(), port=args.port, max_clients=args.max_clients
    )
    server = GatewayServer(hub, local, config)
    try:
        await server.start()
    except OSError as exc:
        print(
            f"tickerdesk-gateway: cannot listen on {_fmt_host(config.host)}:{config.port}: "
            f"{exc.strerror or exc}",
            file=err,
        )
        if simulator is not None:
            await simulator.stop()
        return EXIT_USAGE
    hub.start()
    store.watch(checked.symbols)
    client.set_symbols(checked.symbols)
    client.start()
    print(server.url, file=out, flush=True)  # FIRST line: a parent process reads it
    print(_credentials_line(local, where), file=out, flush=True)
    bus = await _publish(args, hub, err)
    status = await _serve(args, hub, server, health, out, err)
    document = _document(args, server, hub, health, local, where) if args.json else None
    if document is not None and bus is not None:
        document["bus"] = bus.document()
    if bus is not None:
        await bus.stop(client)
    await server.stop()
    hub.stop()
    await client.stop()
    if simulator is not None:
        await simulator.stop()
    if document is not None:
        out.write(json.dumps(document, indent=2) + "\n")
    print("tickerdesk-gateway: stopped", file=err, flush=True)
    out.flush()
    return status


async def _publish(args: argparse.Namespace, hub: Hub, err: TextIO) -> WatchBus | None:
    """With --bus, the same hub publishes on NATS (the gateway always owns its upstream);
    a bus that says no is reported and the gateway keeps serving."""
    try:
        bus = WatchBus.from_args(args, os.environ, owns_upstream=True, name="tickerdesk-gateway")
    except ValueError as exc:
        print(f"tickerdesk-gateway: bus: {exc}", file=err)
        return None
    if bus is None:
        return None
    print(f"tickerdesk-gateway: {bus.describe()}", file=err)
    try:
        await bus.publish(hub)
    except BusError as exc:
        print(f"tickerdesk-gateway: bus: {exc}", file=err)
    return bus


def _credentials_line(local: LocalCredentials, where: str) -> str:
    """Where the pair is, never the secret: "local key TDGW...; secret stored in ..."."""
    if where.startswith("stored in "):
        return f"local key {local.key_id}; secret {where}"
    return f"local key {local.key_id} and secret {where}"


async def _serve(
    args: argparse.Namespace,
    hub: Hub,
    server: GatewayServer,
    health: StreamHealth,
    out: TextIO,
    err: TextIO,
) -> int:
    """Status lines until --seconds, a signal or a fatal upstream error."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    started = time.monotonic()
    deadline = None if args.seconds is None else started + args.seconds
    next_status = started + args.status_every
    status_out = err if args.json else out
    status = EXIT_OK
    try:
        while not stop.is_set():
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                break
            if health.state is ConnectionState.FAILED:
                print(f"tickerdesk-gateway: upstream failed: {health.last_error}", file=err)
                status = EXIT_FATAL
                break
            if now >= next_status:
                next_status += args.status_every
                print(_status_line(hub, server, health), file=status_out, flush=True)
            wait = _TICK_S if deadline is None else max(0.0, min(_TICK_S, deadline - now))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signum)
    return status


def _document(
    args: argparse.Namespace,
    server: GatewayServer,
    hub: Hub,
    health: StreamHealth,
    local: LocalCredentials,
    where: str,
) -> dict[str, Any]:
    """The --json document: where to connect, the upstream, the clients (no secret)."""
    return {
        "url": server.url,
        "stream_url": f"{server.url}/v2/{args.feed}",
        "local_key": local.key_id,
        "credentials": where,
        "upstream": {
            "state": hub.upstream_state,
            "endpoint": health.endpoint,
            "last_error": health.last_error,
            "messages": health.messages,
            "reconnects": health.reconnects,
            "tap_errors": health.tap_errors,
        },
        "own_symbols": sorted(hub.client.symbols),  # --symbols, kept upstream always
        "clients_union": sorted(hub.registry.union().all_symbols()),
        "upstream_confirmed": sorted(hub.client.subscription.all_symbols()),
        "clients": server.client_report(),
        "stats": _plain(server.stats),
        "hub": _plain(hub.counters),
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    return asyncio.run(run(args, sys.stdout, sys.stderr))


if __name__ == "__main__":
    sys.exit(main())
