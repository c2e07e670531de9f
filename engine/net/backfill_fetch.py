"""The REST side of one backfill batch and of one gap fill (engine.net.backfill): which
bars are asked for, over the one budgeted BarsClient, and a failure in words."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.events import Bar
from engine.net.backfill_plan import windows
from engine.net.bars import BarsClient, IntradayBars

__all__ = ["Fetched", "fetch_batch", "fetch_gap", "reason"]

MINUTE_NS = 60 * 1_000_000_000


@dataclass(slots=True)
class Fetched:
    """One batch's bars per symbol (symbols without bars absent)."""

    intraday: dict[str, IntradayBars] = field(default_factory=dict)
    earlier: dict[str, list[Bar]] = field(default_factory=dict)
    daily: dict[str, list[Bar]] = field(default_factory=dict)


async def fetch_batch(
    bars: BarsClient, batch: list[str], now_ns: int, sessions: int, sip_recent: bool
) -> Fetched:
    """Intraday 1Min (Basic-safe recipe), 15Min of the previous sessions, a year of 1Day.
    Raises RestError (in words)."""
    w = windows(now_ns, sessions)
    got = Fetched()
    got.intraday = await bars.fetch_intraday(
        batch, w.intraday_start_ns, now_ns, sip_recent, end_ns=w.intraday_end_ns
    )
    # Previous sessions and days are older than 15 minutes: SIP on every plan
    # (docs/account-and-history.md, "Historical bars").
    if w.earlier_start_ns < w.earlier_end_ns:
        got.earlier = await bars.fetch_bars(
            batch, "15Min", w.earlier_start_ns, w.earlier_end_ns, "sip"
        )
    got.daily = await bars.fetch_bars(batch, "1Day", w.daily_start_ns, w.daily_end_ns, "sip")
    return got


async def fetch_gap(
    bars: BarsClient, symbols: list[str], outage_start_ns: int, now_ns: int, sip_recent: bool
) -> dict[str, IntradayBars]:
    """The minute bars of [outage start floored to its minute, now): the minute the
    outage began in may have been folded from only part of its prints."""
    start = outage_start_ns - outage_start_ns % MINUTE_NS
    return await bars.fetch_intraday(symbols, start, now_ns, sip_recent)


def reason(exc: BaseException) -> str:
    """A failure in words: RestError's message, else the exception's type and text."""
    message = getattr(exc, "message", None)
    return message if isinstance(message, str) and message else f"{type(exc).__name__}: {exc}"
