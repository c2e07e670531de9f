"""Typed, immutable events decoded from Alpaca's real-time stock stream.

These are the engine's vocabulary: `engine.protocol` turns wire frames into them,
`engine.market.store` applies them, and nothing downstream ever sees wire data. Every
timestamp is an integer count of nanoseconds since the Unix epoch (UTC), kept
exact from the wire (RFC 3339 strings with up to nine fractional digits, or msgpack
Timestamp extension values).

Field names are the trader's words, not Alpaca's one-letter keys; the mapping is
documented in docs/protocol.md and lives only in `engine.protocol`.
"""

from __future__ import annotations

import enum

import msgspec


class BarKind(enum.StrEnum):
    """Which bar channel a `Bar` came from (`T` = `b`, `d` or `u`)."""

    MINUTE = "minute"
    DAILY = "daily"
    UPDATED = "updated"


# --- control messages -------------------------------------------------------------


class Connected(msgspec.Struct, frozen=True, gc=False):
    """`[{"T":"success","msg":"connected"}]`: the server accepted the websocket."""


class Authenticated(msgspec.Struct, frozen=True, gc=False):
    """`[{"T":"success","msg":"authenticated"}]`: key and secret accepted."""


class ServerError(msgspec.Struct, frozen=True, gc=False):
    """`[{"T":"error","code":N,"msg":"..."}]`; see `engine.protocol.classify_error`."""

    code: int
    message: str


class Subscription(msgspec.Struct, frozen=True, gc=False):
    """The server's statement of the full current subscription, per channel."""

    trades: frozenset[str] = frozenset()
    quotes: frozenset[str] = frozenset()
    bars: frozenset[str] = frozenset()
    updated_bars: frozenset[str] = frozenset()
    daily_bars: frozenset[str] = frozenset()
    statuses: frozenset[str] = frozenset()
    lulds: frozenset[str] = frozenset()
    corrections: frozenset[str] = frozenset()
    cancel_errors: frozenset[str] = frozenset()

    def all_symbols(self) -> frozenset[str]:
        """Every symbol (or `*`) named on any channel."""
        return (
            self.trades
            | self.quotes
            | self.bars
            | self.updated_bars
            | self.daily_bars
            | self.statuses
            | self.lulds
            | self.corrections
            | self.cancel_errors
        )


# --- market data ----------------------------------------------------------------------


class Trade(msgspec.Struct, frozen=True, gc=False):
    """`T` = `t`: one print."""

    symbol: str
    price: float
    size: int
    timestamp_ns: int
    trade_id: int = 0
    exchange: str = ""
    conditions: tuple[str, ...] = ()
    tape: str = ""


class Quote(msgspec.Struct, frozen=True, gc=False):
    """`T` = `q`: national best (SIP) or venue (IEX) bid and offer."""

    symbol: str
    bid_price: float
    bid_size: int
    ask_price: float
    ask_size: int
    timestamp_ns: int
    bid_exchange: str = ""
    ask_exchange: str = ""
    conditions: tuple[str, ...] = ()
    tape: str = ""


class Bar(msgspec.Struct, frozen=True, gc=False):
    """`T` = `b` (minute), `d` (daily) or `u` (updated minute bar)."""

    kind: BarKind
    symbol: str
    open: float
    high: float
    low: float
    close: float
    volume: int
    timestamp_ns: int
    trade_count: int = 0
    vwap: float | None = None


# UTP (tapes C/O) and CTA (tapes A/B) status codes that mean "no trading now".
HALT_STATUS_CODES: frozenset[str] = frozenset({"H", "P", "2"})
# Codes that end a halt: trading resumption, UTP `T` and CTA `3` (docs/protocol.md,
# "Trading status codes").
RESUME_STATUS_CODES: frozenset[str] = frozenset({"T", "3"})
# UTP `Q`, quotation resumption: quotes come back, trading is still halted.
QUOTATION_RESUME_CODES: frozenset[str] = frozenset({"Q"})


class TradingStatus(msgspec.Struct, frozen=True, gc=False):
    """`T` = `s`: halts, pauses, resumptions and other status changes."""

    symbol: str
    status_code: str
    status_message: str
    reason_code: str
    reason_message: str
    timestamp_ns: int
    tape: str = ""

    @property
    def is_halt(self) -> bool:
        return self.status_code in HALT_STATUS_CODES

    @property
    def is_resume(self) -> bool:
        """Trading resumes (`T`, `3`): the halt is over. `Q` is not one of these."""
        return self.status_code in RESUME_STATUS_CODES

    @property
    def is_quotation_resume(self) -> bool:
        """Quoting resumes (`Q`) while trading stays halted (the quote-only window)."""
        return self.status_code in QUOTATION_RESUME_CODES


class Luld(msgspec.Struct, frozen=True, gc=False):
    """`T` = `l`: limit up / limit down price band."""

    symbol: str
    limit_up: float
    limit_down: float
    indicator: str
    timestamp_ns: int
    tape: str = ""


class Correction(msgspec.Struct, frozen=True, gc=False):
    """`T` = `c`: a previously sent trade was corrected."""

    symbol: str
    exchange: str
    original_id: int
    original_price: float
    original_size: int
    corrected_id: int
    corrected_price: float
    corrected_size: int
    timestamp_ns: int
    original_conditions: tuple[str, ...] = ()
    corrected_conditions: tuple[str, ...] = ()
    tape: str = ""


class CancelError(msgspec.Struct, frozen=True, gc=False):
    """`T` = `x`: a previously sent trade was cancelled (`C`) or is in error (`E`)."""

    symbol: str
    trade_id: int
    exchange: str
    price: float
    size: int
    action: str
    timestamp_ns: int
    tape: str = ""


class Imbalance(msgspec.Struct, frozen=True, gc=False):
    """`T` = `i`: order imbalance; decoded so it is not mistaken for garbage."""

    symbol: str
    reference_price: float
    timestamp_ns: int
    tape: str = ""


class Snapshot(msgspec.Struct, frozen=True, gc=False):
    """One symbol of the REST snapshot endpoint (`GET /v2/stocks/snapshots`).

    Not a stream message: `engine.net.rest` builds it so the store can fill previous
    close and day statistics, and fall back to it when stream data is stale.
    """

    symbol: str
    latest_trade: Trade | None = None
    latest_quote: Quote | None = None
    minute_bar: Bar | None = None
    daily_bar: Bar | None = None
    prev_daily_bar: Bar | None = None


# --- things that are not data -----------------------------------------------------------


class UnknownMessage(msgspec.Struct, frozen=True, gc=False):
    """A well-formed object whose `T` we do not know: counted and ignored."""

    type_tag: str
    symbol: str | None = None


class DecodeError(msgspec.Struct, frozen=True, gc=False):
    """One message (or a whole frame) that could not be decoded; the rest still apply."""

    reason: str
    type_tag: str | None = None
    symbol: str | None = None


MarketEvent = (
    Trade | Quote | Bar | TradingStatus | Luld | Correction | CancelError | Imbalance | Snapshot
)
ControlEvent = Connected | Authenticated | ServerError | Subscription
Event = MarketEvent | ControlEvent | UnknownMessage | DecodeError

MARKET_EVENT_TYPES: tuple[type, ...] = (
    Trade,
    Quote,
    Bar,
    TradingStatus,
    Luld,
    Correction,
    CancelError,
    Imbalance,
)
