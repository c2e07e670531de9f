"""Wire helpers of the simulator's Trading API: numbers as strings, times, errors, ids.

Alpaca's Trading API sends numbers as strings (`"123.45"`) and times as RFC 3339
(docs/account-and-history.md, "Trading API (account)"); errors are `{"code", "message"}`.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

NS_PER_S = 1_000_000_000
NS_PER_US = 1_000

Reply = tuple[int, Any, list[tuple[str, str]]]  # status, JSON body (None: no body), headers

# Deterministic ids (asset, account) come from names in this namespace.
NAMESPACE = uuid.UUID("6f1c1f6e-8a55-4f1e-9a8e-2f7d3c0b5a11")


def num(x: float | None) -> str | None:
    """`100000`, `230.15`, `-10`: at most 6 decimals, trailing zeros trimmed, None kept."""
    if x is None:
        return None
    text = f"{x:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def money(x: float) -> str:
    return num(round(x, 2)) or "0"


def ts(ns: int | None) -> str | None:
    """RFC 3339 UTC with microseconds (`2024-01-02T15:04:05.123456Z`), as Alpaca's orders."""
    if ns is None:
        return None
    sec, frac = divmod(ns, NS_PER_S)
    head = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec))
    return f"{head}.{frac // NS_PER_US:06d}Z"


def activity_id(ns: int, execution_id: str) -> str:
    """Alpaca's FILL activity id: `<yyyymmddHHMMSSmmm>::<execution uuid>`."""
    sec, frac = divmod(ns, NS_PER_S)
    head = time.strftime("%Y%m%d%H%M%S", time.gmtime(sec))
    return f"{head}{frac // 1_000_000:03d}::{execution_id}"


def stable_id(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


def new_id() -> str:
    return str(uuid.uuid4())


def error(status: int, message: str, code: int | None = None) -> Reply:
    """An Alpaca-style error answer; `code` defaults to status x 100,000 (40010000 ...)."""
    return status, {"code": code if code is not None else status * 100_000, "message": message}, []


def unprocessable(message: str) -> Reply:
    return error(422, message, 40010001)


NOT_FOUND: Reply = (404, {"code": 40410000, "message": "resource not found"}, [])
