"""The ticker table's day and history columns (no Qt): open, gap, pre-market/after-hours,
52-week range, average and relative volume, day range position (issue 13).

Values come from `engine.market.figures` (pure, None when unknown), read through the row's
`SymbolHistory` looked up per call in the `PriceHistory` (a dict get, so nothing stale is
cached in the row, docs/architecture.md "A new table column"). The columns declare how
each figure is computed and from which feed in words (header tooltip); `detail` adds the
numbers behind one cell to its tooltip. Which columns a fresh table shows is
`shown_by_default` here; gui.table.view hides the rest, also in older saved layouts.
"""

from __future__ import annotations

from datetime import datetime

from engine.market import figures as fig
from engine.market.history import SymbolHistory
from engine.market.snapshot import SymbolSnapshot
from gui import formatting as fmt
from gui.table.column_types import Align, ColumnDef, no_value, sign_tone

__all__ = [
    "DAY_COLUMNS",
    "HISTORY_COLUMN_KEYS",
    "RANGE_BAR_KEYS",
    "VOLUME_COLUMNS",
    "avg_volume_detail",
    "day_range_detail",
    "gap_detail",
    "history_lines",
    "intraday_note",
    "range_52w_detail",
    "rel_volume_detail",
]

# Painted as a bar by gui.table.delegates_range.RangeBarDelegate (raw value: 0..1).
RANGE_BAR_KEYS = frozenset({"range_52w_position", "day_range_position"})
# Minutes 04:00-20:00 ET, the span VolumeProfile.expected() takes (docs/account-and-history.md).
_PROFILE_MINUTES = 960
_FOUR_AM_MINUTE = 4 * 60

# What each feed means, once (docs/account-and-history.md, plans): the stream's feed for
# the live fields, REST bars for the history.
LIVE_FEED = "the stream's feed (SIP, or IEX on the Basic plan)"
INTRADAY_FEED = (
    "REST minute bars (SIP; on the Basic plan the last 15 minutes from IEX) and the stream"
)
DAILY_FEED = "REST daily bars of the last 52 weeks (SIP)"


def intraday_note(hist: SymbolHistory | None) -> str | None:
    """The feeds of this symbol's loaded minute bars in words ("SIP to 09:16 ET, IEX after")."""
    if hist is None or not hist.load_note:
        return None
    return f"Minute bars: {hist.load_note}"


def history_lines(hist: SymbolHistory | None, known: bool) -> list[str]:
    """Tooltip lines of a row's history: its load state and note, and the last resync.

    `known` is False when the table has no PriceHistory at all (then nothing is said)."""
    if not known:
        return []
    if hist is None:
        return ["history pending"]
    load = hist.load.text
    lines = [f"{load} ({hist.load_note})" if hist.load_note else load]
    if hist.resync is not None:
        lines.append(hist.resync.text())
    return lines


def _pct_of(value: float | None) -> str:
    return fmt.format_position(value)


def gap_detail(snap: SymbolSnapshot, hist: SymbolHistory | None, now_ns: int) -> str | None:
    if snap.open is None or snap.prev_close is None:
        return None
    return (
        f"Open {fmt.format_price(snap.open)} vs previous close "
        f"{fmt.format_price(snap.prev_close)}: {fmt.format_percent(fig.gap_pct(snap))}"
    )


def range_52w_detail(snap: SymbolSnapshot, hist: SymbolHistory | None, now_ns: int) -> str | None:
    low, high = fig.low_52w(snap, hist), fig.high_52w(snap, hist)
    if low is None or high is None:
        return None
    position = fig.range_52w_position(snap, hist)
    return (
        f"52-wk low {fmt.format_price(low)}, high {fmt.format_price(high)}, "
        f"last {fmt.format_price(snap.last_price)}: {_pct_of(position)} of the range"
    )


def day_range_detail(snap: SymbolSnapshot, hist: SymbolHistory | None, now_ns: int) -> str | None:
    if snap.low is None or snap.high is None:
        return None
    return (
        f"Day low {fmt.format_price(snap.low)}, high {fmt.format_price(snap.high)}, "
        f"last {fmt.format_price(snap.last_price)}: "
        f"{_pct_of(fig.day_range_position(snap))} of the range"
    )


def avg_volume_detail(snap: SymbolSnapshot, hist: SymbolHistory | None, now_ns: int) -> str | None:
    if hist is None:
        return None
    return f"{len(hist.daily)} daily bars held"


def _minute_of_day(now_ns: int) -> int:
    moment = datetime.fromtimestamp(now_ns / 1e9, tz=fmt.EASTERN)
    minute = moment.hour * 60 + moment.minute - _FOUR_AM_MINUTE
    return min(max(minute, 0), _PROFILE_MINUTES - 1)


def rel_volume_detail(snap: SymbolSnapshot, hist: SymbolHistory | None, now_ns: int) -> str | None:
    """Tooltip only (on hover): expected volume by this minute and the feeds."""
    if hist is None or hist.profile is None or now_ns <= 0:
        return intraday_note(hist)
    minute = _minute_of_day(now_ns)
    expected = hist.profile.expected(minute)
    clock = f"{(minute + _FOUR_AM_MINUTE) // 60:02d}:{minute % 60:02d} ET"
    ratio = fig.rel_volume(snap, hist, now_ns)
    parts = [f"Expected by {clock}: {fmt.format_volume(expected)} (earlier sessions' average)"]
    if ratio is not None and expected:
        parts.append(f"so far {fmt.format_volume(ratio * expected)}: {fmt.format_ratio(ratio)}")
    note = intraday_note(hist)
    return "; ".join(parts) + ("" if note is None else f"\n{note}")


def intraday_detail(snap: SymbolSnapshot, hist: SymbolHistory | None, now_ns: int) -> str | None:
    return intraday_note(hist)


def _avg_volume(snap: SymbolSnapshot, hist: SymbolHistory | None, now_ns: int) -> float | None:
    # The session day as tickerdesk-watch's figures() takes it (today's partial bar out).
    return None if hist is None else fig.avg_volume(hist, fig.session_day(snap, hist))


# Declared order is where they appear (gui.table.header_layout inserts them after their
# declared predecessor in saved layouts): beside Volume, and after Day high/low. Shown by
# default: Rel volume, Gap % and the 52-wk range bar, what traders look at first (issue
# 13); the rest start hidden (the column chooser lists them).
VOLUME_COLUMNS: tuple[ColumnDef, ...] = (
    ColumnDef("rel_volume", "Rel volume",
              "Relative volume, adjusted for the time of day: today's volume so far (sum of "
              "today's minute bars since 04:00 ET) divided by the average volume the earlier "
              f"sessions had traded by the same minute (their 15-minute bars). From "
              f"{INTRADAY_FEED}; empty until the history is loaded (a partial day would lie)",
              no_value, fmt.format_ratio, figure=fig.rel_volume, detail=rel_volume_detail),
    ColumnDef("avg_volume", "Avg volume",
              "Average daily volume of the last 30 complete sessions (today excluded; at "
              f"least 5 needed). From {DAILY_FEED}",
              no_value, fmt.format_volume, figure=_avg_volume, detail=avg_volume_detail,
              shown_by_default=False),
)  # fmt: skip

DAY_COLUMNS: tuple[ColumnDef, ...] = (
    ColumnDef("gap_pct", "Gap %",
              "Today's regular-session open vs the previous trading day's close, in percent: "
              f"(open - previous close) / previous close x 100. From {LIVE_FEED} (Alpaca "
              "snapshot daily and previous daily bars)",
              lambda s, r, n: fig.gap_pct(s), fmt.format_percent, tone=sign_tone,
              detail=gap_detail),
    # Painted by gui.table.delegates_range.RangeBarDelegate; sorts on the position 0..1.
    ColumnDef("range_52w_position", "52-wk range",
              "Where Last sits between the 52-week low (left) and high (right): "
              "(last - low) / (high - low), 0 to 100%. Low and high from "
              f"{DAILY_FEED} combined with today's live low and high",
              no_value, fmt.format_position, Align.CENTER,
              figure=lambda s, h, n: fig.range_52w_position(s, h), detail=range_52w_detail),
    ColumnDef("day_range_position", "Day range",
              "Where Last sits between today's low (left) and high (right): "
              f"(last - low) / (high - low), 0 to 100%. From {LIVE_FEED}",
              lambda s, r, n: fig.day_range_position(s), fmt.format_position, Align.CENTER,
              detail=day_range_detail, shown_by_default=False),
    ColumnDef("open", "Open",
              f"Today's regular-session opening price. From {LIVE_FEED} (Alpaca snapshot "
              "daily bar, then the stream's daily bars)",
              lambda s, r, n: s.open, fmt.format_price, shown_by_default=False),
    ColumnDef("prev_close", "Prev close",
              "The previous trading day's close (Alpaca snapshot previous daily bar): what "
              "Change and Gap % compare with",
              lambda s, r, n: s.prev_close, fmt.format_price, shown_by_default=False),
    ColumnDef("vwap", "VWAP",
              "Today's volume-weighted average price (Alpaca daily bar vw). From "
              f"{LIVE_FEED}",
              lambda s, r, n: s.vwap, fmt.format_price, shown_by_default=False),
    ColumnDef("premarket_change_pct", "Pre-mkt %",
              "Pre-market change: the last pre-market price (close of the last minute bar "
              "from 04:00 to 09:30 ET, or the last price while still pre-market) vs the "
              f"previous close, in percent. From {INTRADAY_FEED}",
              no_value, fmt.format_percent, tone=sign_tone,
              figure=lambda s, h, n: fig.premarket_change_pct(s, h),
              detail=intraday_detail, shown_by_default=False),
    ColumnDef("afterhours_change_pct", "After-hrs %",
              "After-hours change, once there are prints at or after 16:00 ET: last price "
              "vs the regular close (close of the last minute bar before 16:00 ET), in "
              f"percent. From {INTRADAY_FEED}",
              no_value, fmt.format_percent, tone=sign_tone,
              figure=lambda s, h, n: fig.afterhours_change_pct(s, h),
              detail=intraday_detail, shown_by_default=False),
    ColumnDef("high_52w", "52-wk high",
              f"Highest price of the last 52 weeks: {DAILY_FEED}, and today's live high",
              no_value, fmt.format_price, figure=lambda s, h, n: fig.high_52w(s, h),
              detail=range_52w_detail, shown_by_default=False),
    ColumnDef("low_52w", "52-wk low",
              f"Lowest price of the last 52 weeks: {DAILY_FEED}, and today's live low",
              no_value, fmt.format_price, figure=lambda s, h, n: fig.low_52w(s, h),
              detail=range_52w_detail, shown_by_default=False),
)  # fmt: skip

HISTORY_COLUMN_KEYS = tuple(c.key for c in (*VOLUME_COLUMNS, *DAY_COLUMNS))
