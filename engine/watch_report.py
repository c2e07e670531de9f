"""What `tickerdesk-watch` prints: the `--json` document and the plain-text table.

Per symbol, the snapshot's fields and the history figures of engine.market.figures
(`figures(snap, hist, now_ns)`: gap, 52-week range, average and relative volume,
pre-market and after-hours change, minute bars held), the same figures the table's
columns show; README, "tickerdesk-watch", lists the keys.
"""

from __future__ import annotations

import math
from typing import Any

from engine.market.figures import figures
from engine.market.history import PriceHistory
from engine.market.store import MarketDataStore
from engine.net.health import StreamHealth
from engine.plan import SymbolBudget, name_list

__all__ = ["HISTORY_OFF", "render", "report"]

HISTORY_OFF = "off"  # the `history` word of every symbol under --no-history


def _num(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return value


def _figures(snap: Any, history: PriceHistory | None, now_ns: int | None) -> dict[str, Any]:
    """engine.market.figures as JSON values (non-finite -> null); under --no-history
    (`history` None) the snapshot-only ones, and `history` is "off"."""
    hist = None if history is None else history.get(snap.symbol)
    values = figures(snap, hist, now_ns if now_ns is not None else 0).as_dict()
    if history is None:
        values["history"] = HISTORY_OFF
    return {k: _num(v) if isinstance(v, float) else v for k, v in values.items()}


def report(
    store: MarketDataStore,
    health: StreamHealth,
    budget: dict[str, Any] | None = None,
    history: PriceHistory | None = None,
    now_ns: int | None = None,
    backfill: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON document: health, the symbol budget, the history backfill's progress and
    one entry per watched symbol (snapshot fields, then the figures; `now_ns` is the
    exchange time rel_volume is computed at)."""
    now = health.clock()
    polled = set(budget["polled"]) if budget else set()
    symbols: dict[str, Any] = {}
    for symbol in store.symbols():
        snap = store.get(symbol)
        if snap is None:
            continue
        symbols[symbol] = {
            "bid": _num(snap.bid_price),
            "ask": _num(snap.ask_price),
            "bid_size": snap.bid_size,
            "ask_size": snap.ask_size,
            "last": _num(snap.last_price),
            "last_size": snap.last_size,
            "volume": snap.volume,
            "open": _num(snap.open),
            "high": _num(snap.high),
            "low": _num(snap.low),
            "vwap": _num(snap.vwap),
            "prev_close": _num(snap.prev_close),
            "halted": snap.halted,
            "halt_reason": snap.halt_reason,
            "luld_up": _num(snap.luld_up),
            "luld_down": _num(snap.luld_down),
            "freshness": str(store.freshness(symbol, now)),
            "source": str(snap.source),
            "streamed": symbol not in polled,
            "quote_time_ns": snap.quote_ns,
            "trade_time_ns": snap.last_trade_ns,
            "age_s": store.age(symbol, now),
            "updates": snap.updates,
            **_figures(snap, history, now_ns),
        }
    p50 = health.latency_percentile_ms(0.5)
    return {
        "health": {
            "state": str(health.state),
            "endpoint": health.endpoint,
            "feed": health.feed,
            "encoding": health.encoding,
            "messages": health.messages,
            "frames": health.frames,
            "reconnects": health.reconnects,
            "decode_errors": health.decode_errors,
            "unknown_messages": health.unknown_messages,
            "server_errors": health.server_errors,
            "last_error": health.last_error,
            "message_age_s": health.message_age(now),
            "message_rate": health.message_rate(now),
            "latency_p50_ms": p50,
            "falling_behind": health.falling_behind,
        },
        "budget": budget,
        "history": backfill,
        "symbols": symbols,
    }


def _fmt(value: float | int | None, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def render(
    store: MarketDataStore, health: StreamHealth, demo: bool, budget: SymbolBudget | None = None
) -> str:
    """A plain-text table of the watchlist plus a status line (and why not all stream)."""
    now = health.clock()
    age = health.message_age(now)
    status = (
        f"{health.state}{' (DEMO: simulated data)' if demo else ''} · "
        f"last message {'—' if age is None else f'{age:.1f} s'} ago · "
        f"{health.message_rate(now):,.0f} msg/s · reconnects {health.reconnects}"
    )
    if health.last_error:
        status += f" · {health.last_error}"
    header = f"{'SYMBOL':<8}{'LAST':>11}{'BID':>11}{'ASK':>11}{'VOLUME':>14}  {'SOURCE':<10}STATE"
    lines = [status, header]
    for symbol in store.symbols():
        snap = store.get(symbol)
        if snap is None:
            continue
        state = str(store.freshness(symbol, now))
        if snap.halted:
            state = "HALTED " + state
        lines.append(
            f"{symbol:<8}{_fmt(snap.last_price):>11}{_fmt(snap.bid_price):>11}"
            f"{_fmt(snap.ask_price):>11}{_fmt(snap.volume):>14}  {snap.source!s:<10}{state}"
        )
    message = None if budget is None else budget.message()
    if budget is not None and message is not None:
        lines.append(message)
        lines.append(f"kept alive from REST snapshots: {name_list(budget.last.polled, 12)}")
    return "\n".join(lines)
