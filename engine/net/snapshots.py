"""Decoding Alpaca's REST snapshot answer: typed, per symbol, never raising.

The answer is a JSON object keyed by symbol (docs/protocol.md, "REST snapshots"). One
bad entry is reported and skipped while the rest still apply. A part of an entry
(latest trade, latest quote, a bar) whose time is missing, unreadable or zero is
treated as absent and reported: Alpaca's servers are written in Go, whose zero time
marshals as `0001-01-01T00:00:00Z`, and a time before 1970 is no market data we could
place (docs/protocol.md, "REST snapshot facts"). The rest of the entry still applies.
"""

from __future__ import annotations

import math

import msgspec

from engine.events import Bar, BarKind, Quote, Snapshot, Trade
from engine.protocol.timestamps import parse_rfc3339_ns

__all__ = ["decode_snapshots"]


class _WireTrade(msgspec.Struct):
    p: float
    s: int
    t: str | None = None
    x: str = ""
    i: int = 0
    c: list[str] | None = None
    z: str = ""


class _WireQuote(msgspec.Struct):
    bp: float
    bs: int
    ap: float
    as_: int = msgspec.field(name="as")
    t: str | None = None
    bx: str = ""
    ax: str = ""
    c: list[str] | None = None
    z: str = ""


class _WireBar(msgspec.Struct):
    o: float
    h: float
    low: float = msgspec.field(name="l")
    c: float
    t: str | None = None
    v: int = 0
    n: int = 0
    vw: float | None = None


class _WireSnapshot(msgspec.Struct):
    latestTrade: _WireTrade | None = None
    latestQuote: _WireQuote | None = None
    minuteBar: _WireBar | None = None
    dailyBar: _WireBar | None = None
    prevDailyBar: _WireBar | None = None


_decoder = msgspec.json.Decoder(dict[str, msgspec.Raw])
_snapshot_decoder = msgspec.json.Decoder(_WireSnapshot)


def _finite(*values: float | None) -> bool:
    return all(v is None or (math.isfinite(v) and v >= 0) for v in values)


class _Entry:
    """One symbol's decoding: parts with unusable times are dropped and noted."""

    __slots__ = ("dropped", "symbol")

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.dropped: list[str] = []

    def time_ns(self, what: str, text: str | None) -> int | None:
        """Exchange time of a part, or None (noted) when missing, unreadable or zero."""
        if text is None:
            self.dropped.append(f"{what} has no time; ignored")
            return None
        try:
            ns = parse_rfc3339_ns(text)
        except ValueError:
            self.dropped.append(f"{what} has an unreadable time {text[:40]!r}; ignored")
            return None
        if ns <= 0:  # Go's zero time, or anything before 1970: no time at all
            self.dropped.append(f"{what} has no valid time ({text[:40]}); ignored")
            return None
        return ns

    def bar(self, what: str, kind: BarKind, wire: _WireBar | None) -> Bar | None:
        if wire is None:
            return None
        if not _finite(wire.o, wire.h, wire.low, wire.c, wire.vw):
            raise ValueError(f"non-finite or negative {what} price")
        ns = self.time_ns(what, wire.t)
        if ns is None:
            return None
        return Bar(
            kind=kind,
            symbol=self.symbol,
            open=wire.o,
            high=wire.h,
            low=wire.low,
            close=wire.c,
            volume=wire.v,
            timestamp_ns=ns,
            trade_count=wire.n,
            vwap=wire.vw,
        )

    def trade(self, wt: _WireTrade | None) -> Trade | None:
        if wt is None:
            return None
        if not _finite(wt.p) or wt.s < 0:
            raise ValueError("bad latest trade price or size")
        ns = self.time_ns("latest trade", wt.t)
        if ns is None:
            return None
        return Trade(
            symbol=self.symbol,
            price=wt.p,
            size=wt.s,
            timestamp_ns=ns,
            trade_id=wt.i,
            exchange=wt.x,
            conditions=tuple(wt.c or ()),
            tape=wt.z,
        )

    def quote(self, wq: _WireQuote | None) -> Quote | None:
        if wq is None:
            return None
        if not _finite(wq.bp, wq.ap) or wq.bs < 0 or wq.as_ < 0:
            raise ValueError("bad latest quote price or size")
        ns = self.time_ns("latest quote", wq.t)
        if ns is None:
            return None
        return Quote(
            symbol=self.symbol,
            bid_price=wq.bp,
            bid_size=wq.bs,
            ask_price=wq.ap,
            ask_size=wq.as_,
            timestamp_ns=ns,
            bid_exchange=wq.bx,
            ask_exchange=wq.ax,
            conditions=tuple(wq.c or ()),
            tape=wq.z,
        )


def _to_snapshot(entry: _Entry, wire: _WireSnapshot) -> Snapshot | None:
    """The usable parts of one entry as a Snapshot; None if no part is usable."""
    snapshot = Snapshot(
        symbol=entry.symbol,
        latest_trade=entry.trade(wire.latestTrade),
        latest_quote=entry.quote(wire.latestQuote),
        minute_bar=entry.bar("minute bar", BarKind.MINUTE, wire.minuteBar),
        daily_bar=entry.bar("daily bar", BarKind.DAILY, wire.dailyBar),
        prev_daily_bar=entry.bar("previous daily bar", BarKind.DAILY, wire.prevDailyBar),
    )
    parts = (
        snapshot.latest_trade,
        snapshot.latest_quote,
        snapshot.minute_bar,
        snapshot.daily_bar,
        snapshot.prev_daily_bar,
    )
    if entry.dropped and all(part is None for part in parts):
        return None  # nothing usable left: the entry is skipped, its problems say why
    return snapshot


def decode_snapshots(body: bytes) -> tuple[dict[str, Snapshot], list[str]]:
    """(snapshots by symbol, problems in words, one per ignored entry or part). Never raises."""
    try:
        raw = _decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeError) as exc:
        # UnicodeError: msgspec raises it (not DecodeError) for bad UTF-8 in an object key.
        return {}, [f"snapshot reply is not a JSON object: {exc}"]
    # Some Alpaca versions wrap the mapping as {"snapshots": {...}}.
    if set(raw) == {"snapshots"}:
        return decode_snapshots(bytes(raw["snapshots"]))
    result: dict[str, Snapshot] = {}
    problems: list[str] = []
    for symbol, raw_entry in raw.items():
        if bytes(raw_entry) == b"null":
            continue
        entry = _Entry(symbol)
        try:
            snapshot = _to_snapshot(entry, _snapshot_decoder.decode(raw_entry))
        except (msgspec.DecodeError, msgspec.ValidationError, ValueError, OverflowError) as exc:
            problems.append(f"{symbol}: {exc}")
            continue
        problems.extend(f"{symbol}: {reason}" for reason in entry.dropped)
        if snapshot is not None:
            result[symbol] = snapshot
    return result, problems
