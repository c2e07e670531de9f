"""Field readers for Trading API objects: numbers as strings, missing stays None.

Alpaca sends money and quantities as strings ("123.45") and times as RFC 3339 strings
(docs/account-and-history.md, "Trading API (account)"). Each reader takes one object's
value and a list to note problems in words; none raises. A value that is missing (absent,
null or "") is None without a problem; a value that is there but unreadable is None with
a problem, so a format change is visible and never silently becomes 0.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from engine.protocol.timestamps import parse_rfc3339_ns

__all__ = ["describe", "read_bool", "read_ns", "read_num", "read_str"]

_NS_PER_S = 1_000_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SHOWN = 40  # characters of a bad value quoted in a problem


def describe(value: object) -> str:
    """A short, safe rendering of a bad value for a problem message."""
    text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def read_num(obj: dict[str, Any], name: str, where: str, problems: list[str]) -> float | None:
    """A number sent as a string (or a plain number); None if missing or unreadable."""
    value = obj.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool):  # bool is an int to Python; never a quantity
        number = math.nan
    elif isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = math.nan
    else:
        number = math.nan
    if not math.isfinite(number):
        problems.append(f"{where}: {name} is not a number ({describe(value)})")
        return None
    return number


def read_str(obj: dict[str, Any], name: str, default: str = "") -> str:
    """A string field; `default` if missing or not a string."""
    value = obj.get(name)
    return value if isinstance(value, str) else default


def read_bool(obj: dict[str, Any], name: str, where: str, problems: list[str]) -> bool:
    """A flag; False if missing. "true"/"false" strings are accepted too."""
    value = obj.get(name)
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    problems.append(f"{where}: {name} is not true or false ({describe(value)})")
    return False


def read_ns(obj: dict[str, Any], name: str, where: str, problems: list[str]) -> int | None:
    """An RFC 3339 time (or a msgpack timestamp decoded to datetime) as int ns; None if
    missing or unreadable."""
    value = obj.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return parse_rfc3339_ns(value)
        except ValueError:
            pass
    elif isinstance(value, datetime) and value.tzinfo is not None:
        # Integer arithmetic: no float ever holds a timestamp (docs/protocol.md).
        delta = value - _EPOCH
        return (delta.days * 86_400 + delta.seconds) * _NS_PER_S + delta.microseconds * 1000
    problems.append(f"{where}: {name} is not a time ({describe(value)})")
    return None
