"""Pure display formatting (no Qt): numbers, ages and exchange times for table, panes, status bar.

Every function takes a possibly-missing value and returns text; missing, expired,
NaN or infinite values render as an em dash, never as a number.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

MISSING = "\u2014"  # em dash: "no value" (missing or expired), never confused with 0
EASTERN = ZoneInfo("America/New_York")  # US equities trade on Eastern time (DST-aware)

_VOLUME_UNITS = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))


def is_number(value: float | int | None) -> bool:
    """True for a finite int/float; bool, None, NaN and infinities are not numbers."""
    if value is None or isinstance(value, bool):
        return False
    return math.isfinite(value)


def format_price(value: float | None) -> str:
    """Price with thousands separators: 2 decimals from $1 up, 4 below (sub-dollar quotes)."""
    if not is_number(value):
        return MISSING
    assert value is not None
    decimals = 2 if abs(value) >= 1.0 else 4
    return f"{value:,.{decimals}f}"


# A difference of two cent prices is often 0.00999999 in binary floating point: compare
# with a tolerance so a one-cent spread shows as "0.01", not "0.0100".
_CENT = 0.01 - 1e-9


def _decimals_for(value: float) -> int:
    """Cents (2 decimals) unless the magnitude is really below a cent, then 4."""
    return 2 if abs(value) >= _CENT or value == 0 else 4


def format_spread(value: float | None) -> str:
    """Ask minus bid: cents (2 decimals) unless below a cent, then 4 decimals."""
    if not is_number(value):
        return MISSING
    assert value is not None
    return f"{value:,.{_decimals_for(value)}f}"


def _rounds_to_zero(text: str) -> bool:
    """True for a formatted signed number that shows as zero ("+0.00", "-0.0000")."""
    return not any(ch in "123456789" for ch in text)


def format_change(value: float | None) -> str:
    """Signed price change, e.g. "+1.23" / "-0.0450"; zero is "0.00"."""
    if not is_number(value):
        return MISSING
    assert value is not None
    text = f"{value:+,.{_decimals_for(value)}f}"
    return text[1:] if _rounds_to_zero(text) else text  # no "+0.00" / "-0.00"


def format_percent(value: float | None) -> str:
    """Signed percentage with 2 decimals, e.g. "+1.25%"; the input is already in percent."""
    if not is_number(value):
        return MISSING
    assert value is not None
    text = f"{value:+,.2f}"
    if _rounds_to_zero(text):
        text = text[1:]
    return f"{text}%"


def format_size(value: int | None) -> str:
    """Share count with thousands separators, e.g. "1,200"."""
    if not is_number(value):
        return MISSING
    assert value is not None
    return f"{int(value):,}"


def format_volume(value: int | float | None) -> str:
    """Compact volume: below 10,000 in full, then "12.3K", "1.2M", "3.4B"."""
    if not is_number(value):
        return MISSING
    assert value is not None
    if abs(value) < 10_000:
        return f"{int(value):,}"
    for index, (scale, unit) in enumerate(_VOLUME_UNITS):
        if abs(value) >= scale:
            text = f"{value / scale:.1f}"
            # 999,960 rounds to "1000.0K": promote to the next unit instead.
            if abs(float(text)) >= 1000 and index > 0:
                bigger_scale, bigger_unit = _VOLUME_UNITS[index - 1]
                return f"{value / bigger_scale:.1f}{bigger_unit}"
            return f"{text}{unit}"
    return f"{int(value):,}"  # unreachable: |value| >= 10,000 always has a unit


def format_age(seconds: float | None, style: Literal["short", "long"] = "short") -> str:
    """Age of data; missing or non-finite is an em dash, a negative age counts as zero.

    "short" (table cells, detail pane): "0.4 s" below 10 s (truncated), "12 s", "3 m",
    "2 h", "4 d". "long" (status bar, a sentence): "0.4 s" (rounded), "12 s",
    "3 min 05 s", "2 h 01 min".
    """
    if not is_number(seconds):
        return MISSING
    assert seconds is not None
    seconds = max(0.0, seconds)  # a clock read before received_at must not show "-0.0 s"
    if style == "long":
        return _long_age(seconds)
    if seconds < 10:
        # Truncate (like the whole-second forms); the epsilon absorbs float subtraction
        # error so 100.6 - 100.0 shows "0.6 s", not "0.5 s".
        return f"{math.floor(seconds * 10 + 1e-6) / 10:.1f} s"
    if seconds < 60:
        return f"{int(seconds)} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} m"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} d"


def _long_age(seconds: float) -> str:
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"


def format_time_eastern(timestamp_ns: int | None) -> str:
    """Exchange time (ns since the Unix epoch, UTC) as US/Eastern "HH:MM:SS.mmm"."""
    if timestamp_ns is None or isinstance(timestamp_ns, bool) or timestamp_ns <= 0:
        return MISSING
    seconds, remainder_ns = divmod(int(timestamp_ns), 1_000_000_000)
    try:
        moment = datetime.fromtimestamp(seconds, tz=EASTERN)
    except (OverflowError, OSError, ValueError):
        return MISSING  # out of the platform's time range: show nothing rather than crash
    return f"{moment:%H:%M:%S}.{remainder_ns // 1_000_000:03d}"


def format_text(value: object) -> str:
    """Plain text column: None or empty -> em dash."""
    if value is None or value == "":
        return MISSING
    return str(value)


def format_ratio(value: float | None) -> str:
    """A multiple such as relative volume: "0.45x" below 1, "1.8x" up to 100, then "150x"."""
    if not is_number(value):
        return MISSING
    assert value is not None
    if abs(value) < 1:
        return f"{value:.2f}x"
    if abs(value) < 100:
        return f"{value:.1f}x"
    return f"{value:,.0f}x"


def format_position(value: float | None) -> str:
    """A position inside a range, 0..1, as a whole percent: 0.634 -> "63%"."""
    if not is_number(value):
        return MISSING
    assert value is not None
    return f"{value * 100:.0f}%"


_LONE_AMPERSAND = re.compile(r"(?<!&)&(?!&)")


def menu_text(text: str) -> str:
    """`text` as a menu or button label shows it: a lone `&` doubled, or Qt takes it as a
    mnemonic and eats it ("Day P&L" showed as "Day PL"). Idempotent: `&&` stays."""
    return _LONE_AMPERSAND.sub("&&", text)
