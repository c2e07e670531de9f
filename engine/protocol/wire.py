"""Alpaca's wire messages as msgspec Structs tagged on `T`, and their event mapping.

The one place that knows Alpaca's one-letter keys (docs/protocol.md, "Data
messages"). Constraints live in the types, so msgspec validates them in C: prices are
finite and >= 0, sizes >= 0, symbols non-empty. Unknown keys are ignored (Alpaca adds
fields over time). Timestamps stay raw (`str` in JSON, msgpack `Ext` in msgpack) until
`engine.protocol.timestamps` turns them into exact integer nanoseconds.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated, ClassVar

import msgspec
from msgspec.msgpack import Ext

from engine.events import (
    Authenticated,
    Bar,
    BarKind,
    CancelError,
    Connected,
    Correction,
    DecodeError,
    Event,
    Imbalance,
    Luld,
    Quote,
    ServerError,
    Subscription,
    Trade,
    TradingStatus,
)

# NaN fails `ge`, +/-inf fails one bound: together they mean "a finite price >= 0".
Price = Annotated[float, msgspec.Meta(ge=0.0, le=sys.float_info.max)]
Size = Annotated[int, msgspec.Meta(ge=0)]
Symbol = Annotated[str, msgspec.Meta(min_length=1)]
Stamp = Ext | str
Conditions = tuple[str, ...] | None
StampFn = Callable[[Stamp], int]


class _Wire(msgspec.Struct, gc=False, tag_field="T"):
    """Base of every wire message; `to_event` never sees an unvalidated field."""

    def to_event(self, stamp: StampFn) -> Event:
        raise NotImplementedError


# --- control ---------------------------------------------------------------------


class WireSuccess(_Wire, tag="success"):
    msg: str = ""

    def to_event(self, stamp: StampFn) -> Event:
        if self.msg == "connected":
            return Connected()
        if self.msg == "authenticated":
            return Authenticated()
        return DecodeError(f"unknown success msg {self.msg[:40]!r}", "success")


class WireError(_Wire, tag="error"):
    code: int
    msg: str = ""

    def to_event(self, stamp: StampFn) -> Event:
        return ServerError(self.code, self.msg)


def _channel(symbols: list[str] | None) -> frozenset[str]:
    # Alpaca may send a channel as [], null or not at all (the test stream's short form).
    return frozenset(symbols) if symbols else frozenset()


class WireSubscription(_Wire, tag="subscription"):
    trades: list[str] | None = None
    quotes: list[str] | None = None
    bars: list[str] | None = None
    updated_bars: list[str] | None = msgspec.field(default=None, name="updatedBars")
    daily_bars: list[str] | None = msgspec.field(default=None, name="dailyBars")
    statuses: list[str] | None = None
    lulds: list[str] | None = None
    corrections: list[str] | None = None
    cancel_errors: list[str] | None = msgspec.field(default=None, name="cancelErrors")

    def to_event(self, stamp: StampFn) -> Event:
        return Subscription(
            trades=_channel(self.trades),
            quotes=_channel(self.quotes),
            bars=_channel(self.bars),
            updated_bars=_channel(self.updated_bars),
            daily_bars=_channel(self.daily_bars),
            statuses=_channel(self.statuses),
            lulds=_channel(self.lulds),
            corrections=_channel(self.corrections),
            cancel_errors=_channel(self.cancel_errors),
        )


# --- market data -------------------------------------------------------------------


class WireTrade(_Wire, tag="t"):
    S: Symbol
    p: Price
    s: Size
    t: Stamp
    i: int = 0
    x: str = ""
    c: Conditions = None
    z: str = ""

    def to_event(self, stamp: StampFn) -> Event:
        return Trade(self.S, self.p, self.s, stamp(self.t), self.i, self.x, self.c or (), self.z)


class WireQuote(_Wire, tag="q"):
    S: Symbol
    bp: Price
    bs: Size
    ap: Price
    as_: Size = msgspec.field(name="as")  # the ask SIZE, not a price (Alpaca docs)
    t: Stamp
    bx: str = ""
    ax: str = ""
    c: Conditions = None
    z: str = ""

    def to_event(self, stamp: StampFn) -> Event:
        return Quote(
            self.S,
            self.bp,
            self.bs,
            self.ap,
            self.as_,
            stamp(self.t),
            self.bx,
            self.ax,
            self.c or (),
            self.z,
        )


class _WireBar(_Wire):
    kind: ClassVar[BarKind]
    S: Symbol
    o: Price
    h: Price
    l: Price  # noqa: E741 -- Alpaca's key for the bar's low
    c: Price
    v: Size
    t: Stamp
    n: Size = 0
    vw: Price | None = None

    def to_event(self, stamp: StampFn) -> Event:
        return Bar(
            self.kind,
            self.S,
            self.o,
            self.h,
            self.l,
            self.c,
            self.v,
            stamp(self.t),
            self.n,
            self.vw,
        )


class WireMinuteBar(_WireBar, tag="b"):
    kind = BarKind.MINUTE


class WireDailyBar(_WireBar, tag="d"):
    kind = BarKind.DAILY


class WireUpdatedBar(_WireBar, tag="u"):
    kind = BarKind.UPDATED


class WireStatus(_Wire, tag="s"):
    S: Symbol
    sc: str
    t: Stamp
    sm: str = ""
    rc: str = ""
    rm: str = ""
    z: str = ""

    def to_event(self, stamp: StampFn) -> Event:
        return TradingStatus(self.S, self.sc, self.sm, self.rc, self.rm, stamp(self.t), self.z)


class WireLuld(_Wire, tag="l"):
    S: Symbol
    u: Price
    d: Price
    t: Stamp
    i: str = ""
    z: str = ""

    def to_event(self, stamp: StampFn) -> Event:
        return Luld(self.S, self.u, self.d, self.i, stamp(self.t), self.z)


class WireCorrection(_Wire, tag="c"):
    S: Symbol
    oi: int
    op: Price
    os: Size
    ci: int
    cp: Price
    cs: Size
    t: Stamp
    x: str = ""
    oc: Conditions = None
    cc: Conditions = None
    z: str = ""

    def to_event(self, stamp: StampFn) -> Event:
        return Correction(
            self.S,
            self.x,
            self.oi,
            self.op,
            self.os,
            self.ci,
            self.cp,
            self.cs,
            stamp(self.t),
            self.oc or (),
            self.cc or (),
            self.z,
        )


class WireCancelError(_Wire, tag="x"):
    S: Symbol
    i: int
    p: Price
    s: Size
    a: str
    t: Stamp
    x: str = ""
    z: str = ""

    def to_event(self, stamp: StampFn) -> Event:
        return CancelError(self.S, self.i, self.x, self.p, self.s, self.a, stamp(self.t), self.z)


class WireImbalance(_Wire, tag="i"):
    S: Symbol
    p: Price
    t: Stamp
    z: str = ""

    def to_event(self, stamp: StampFn) -> Event:
        return Imbalance(self.S, self.p, stamp(self.t), self.z)


WireMessage = (
    WireSuccess
    | WireError
    | WireSubscription
    | WireTrade
    | WireQuote
    | WireMinuteBar
    | WireDailyBar
    | WireUpdatedBar
    | WireStatus
    | WireLuld
    | WireCorrection
    | WireCancelError
    | WireImbalance
)

KNOWN_TAGS: frozenset[str] = frozenset(
    str(cls.__struct_config__.tag)
    for cls in (
        WireSuccess,
        WireError,
        WireSubscription,
        WireTrade,
        WireQuote,
        WireMinuteBar,
        WireDailyBar,
        WireUpdatedBar,
        WireStatus,
        WireLuld,
        WireCorrection,
        WireCancelError,
        WireImbalance,
    )
)


class Probe(msgspec.Struct, gc=False):
    """Lenient view of a message that failed typed decoding: what was it meant to be?"""

    T: object = None
    S: object = None
