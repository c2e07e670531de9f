"""Merge rules of trading status: halts, the quote-only window, and how a halt ends.

Status codes (docs/protocol.md, "Trading status codes"): UTP `H` (halt) and `P`
(volatility pause), CTA `2` halt. UTP `Q` is a *quotation* resumption: quotes come back
but trading stays halted, so the row stays halted and is marked `quotation_only`. Only a
trading resumption (UTP `T`, CTA `3`) ends a halt by message.

Alpaca never replays a status missed while disconnected, so a halt also ends on evidence
that trading resumed: a print with an exchange time after the halt's status (prints
happen only while trading is on), from the stream or as a REST snapshot's latest trade.
Late reports (docs/protocol.md, "Market-state facts") are no such evidence: they may
describe a trade from before the halt. The row keeps the reason in words
(`halt_end_note`, also shown as the status message).
"""

from __future__ import annotations

from engine.events import Luld, Trade, TradingStatus
from engine.market.outcome import LIVE, Outcome, older
from engine.market.snapshot import SymbolSnapshot

__all__ = [
    "LATE_REPORT_CONDITIONS",
    "REST_TRADE_EVIDENCE",
    "STREAM_TRADE_EVIDENCE",
    "merge_luld",
    "merge_status",
    "resume_on_trade",
]

# CTA and UTP sale conditions of a late report: `L` sold last (late), `Z` sold out of
# sequence, `U` extended hours sold out of sequence (docs/protocol.md,
# "Market-state facts").
LATE_REPORT_CONDITIONS: frozenset[str] = frozenset({"L", "Z", "U"})
STREAM_TRADE_EVIDENCE = "trade seen after halt"
REST_TRADE_EVIDENCE = "REST snapshot shows a trade after halt"


def merge_status(snap: SymbolSnapshot, ev: TradingStatus) -> Outcome:
    """Status code and message; halt codes halt, `Q` marks the quote-only window of a
    halt, trading-resumption codes end it. Other codes leave a halt as it is."""
    held = snap._status_ns
    if held is not None and ev.timestamp_ns < held:
        return older(snap.symbol, "status", held, ev.timestamp_ns)
    snap._status_ns = ev.timestamp_ns
    snap.status_code = ev.status_code
    snap.status_message = ev.status_message
    if ev.is_halt:
        snap.halted = True
        snap.quotation_only = False
        snap.halt_reason = ev.reason_message or ev.status_message
        snap.halt_end_note = None
    elif ev.is_quotation_resume:
        # Still halted for trading (a `Q` without the `H` before it, e.g. missed while
        # disconnected, says so too); the halt's own reason stays.
        if not snap.halted:
            snap.halt_reason = ev.reason_message or ev.status_message
        snap.halted = True
        snap.quotation_only = True
        snap.halt_end_note = None
    elif ev.is_resume:
        if snap.halted:
            snap.halt_end_note = f"resumed ({ev.status_message or ev.status_code})"
        snap.halted = False
        snap.quotation_only = False
        snap.halt_reason = None
    # Other codes (CTA `F` LULD, `E` short-sale restriction, ...) leave a halt as is.
    return LIVE


def resume_on_trade(snap: SymbolSnapshot, ev: Trade, evidence: str) -> None:
    """For an in-order print while halted: end the halt if the print proves trading is
    on again (module docstring); `evidence` says where the print came from."""
    status_ns = snap._status_ns
    if status_ns is not None and ev.timestamp_ns <= status_ns:
        return  # not after the halt's status
    if ev.conditions and not LATE_REPORT_CONDITIONS.isdisjoint(ev.conditions):
        return  # a late report may be of a trade from before the halt
    note = f"resumed ({evidence}; resume message missed)"
    snap.halted = False
    snap.quotation_only = False
    snap.halt_reason = None
    snap.halt_end_note = note
    snap.status_code = None  # no status message said so: the print did
    snap.status_message = note
    # The status is known as of this print: a halt message older than it is stale.
    snap._status_ns = ev.timestamp_ns


def merge_luld(snap: SymbolSnapshot, ev: Luld) -> Outcome:
    """The limit up / limit down band."""
    held = snap._luld_ns
    if held is not None and ev.timestamp_ns < held:
        return older(snap.symbol, "LULD band", held, ev.timestamp_ns)
    snap._luld_ns = ev.timestamp_ns
    snap.luld_up = ev.limit_up
    snap.luld_down = ev.limit_down
    return LIVE
