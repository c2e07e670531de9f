"""`tickerdesk-sim-order`: place or cancel an order on a running simulator's demo account.

Tickerdesk itself never places orders (docs/account-and-history.md, "Trading API
(account)"); this is the simulator's own tool, for trying the app's account view by
hand: an order sent here fills against the simulated market, and the app shows its
trade_updates, the fill notification and the position.

    tickerdesk-sim-order --rest-url http://127.0.0.1:8765 buy AAPL 10 --limit 230
    tickerdesk-sim-order --rest-url http://127.0.0.1:8765 cancel <order id>

The key pair comes from APCA_API_KEY_ID / APCA_API_SECRET_KEY (any pair for a simulator
started without one: the demo account is per key; the app's demo uses
"tickerdesk-demo" / "demo"). Only loopback addresses are accepted: this is no way to
trade at Alpaca.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import sys
from collections.abc import Sequence
from urllib.parse import urlsplit

import httpx

__all__ = ["build_parser", "main"]

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2
# The key pair the app's demo sends to its built-in simulator (docs/simulator.md).
DEMO_AUTH = ("tickerdesk-demo", "demo")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tickerdesk-sim-order",
        description="Place or cancel an order on a running simulator (loopback only).",
    )
    parser.add_argument("--rest-url", required=True, help="the simulator's REST base URL")
    sub = parser.add_subparsers(dest="action", required=True)
    for side in ("buy", "sell"):
        order = sub.add_parser(side, help=f"{side} shares")
        order.add_argument("symbol")
        order.add_argument("qty", type=float)
        order.add_argument("--limit", type=float, help="limit price (default: a market order)")
        order.add_argument("--tif", default="day", choices=("day", "gtc", "ioc", "fok"))
    cancel = sub.add_parser("cancel", help="cancel an open order")
    cancel.add_argument("order_id")
    return parser


def _loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not _loopback(args.rest_url):
        print("tickerdesk-sim-order: only a simulator on a loopback address", file=sys.stderr)
        return EXIT_USAGE
    key = os.environ.get("APCA_API_KEY_ID") or DEMO_AUTH[0]
    secret = os.environ.get("APCA_API_SECRET_KEY") or DEMO_AUTH[1]
    headers = {"APCA-API-KEY-ID": key, "APCA-API-SECRET-KEY": secret}
    with httpx.Client(base_url=args.rest_url, headers=headers, timeout=10.0) as client:
        try:
            if args.action == "cancel":
                reply = client.delete(f"/v2/orders/{args.order_id}")
            else:
                body = {
                    "symbol": args.symbol.upper(), "qty": f"{args.qty:g}", "side": args.action,
                    "type": "market" if args.limit is None else "limit",
                    "time_in_force": args.tif,
                    **({} if args.limit is None else {"limit_price": f"{args.limit:g}"}),
                }  # fmt: skip
                reply = client.post("/v2/orders", json=body)
        except httpx.HTTPError as exc:
            print(f"tickerdesk-sim-order: no answer from {args.rest_url}: {exc}", file=sys.stderr)
            return EXIT_REFUSED
    if reply.status_code >= 400:
        try:
            why = reply.json().get("message", reply.text)
        except ValueError:
            why = reply.text
        print(f"tickerdesk-sim-order: refused (HTTP {reply.status_code}): {why}", file=sys.stderr)
        return EXIT_REFUSED
    print(json.dumps(reply.json(), indent=2) if reply.content else "canceled")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
