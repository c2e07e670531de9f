"""The alert book's JSON entries: one rule, one firing (pure; the book reads and writes files).

A rule is saved with its trigger state (`armed`, `side`), its options (`once`,
`cooldown_s`) and its last notified firing (`fired_at`, `held`), so a restart neither
re-fires a rule that already fired nor restarts a cooldown (docs/design.md, "Alerts: once
only and cooldown"). Every field added after the first format has a default: an older
file loads as before. A bad option is replaced by its default and named in `problems`
(the rule itself is kept: dropping it would lose what the user entered).
"""

from __future__ import annotations

import math
from typing import Any

from engine.alerts.rules import (
    Alert,
    AlertError,
    AlertFired,
    AlertKind,
    validate,
    validate_cooldown,
)

__all__ = ["alert_from_json", "alert_to_json", "fired_from_json", "fired_to_json"]


def alert_to_json(a: Alert) -> dict[str, Any]:
    return {
        "id": a.id, "symbol": a.symbol, "kind": a.kind.value,
        "threshold": a.threshold, "enabled": a.enabled, "note": a.note,
        "armed": a.armed, "side": a.side, "fired_count": a.fired_count,
        "once": a.once, "cooldown_s": a.cooldown_s, "fired_at": a.fired_at, "held": a.held,
    }  # fmt: skip


def alert_from_json(raw: Any, problems: list[str], where: str) -> Alert:
    """The rule in `raw`; raises (AlertError, KeyError, TypeError, ValueError) for an entry
    that cannot be a rule; appends to `problems` for an option replaced by its default."""
    if not isinstance(raw, dict):
        raise TypeError(f"expected an object, got {type(raw).__name__}")
    symbol, kind = validate(str(raw["symbol"]), str(raw["kind"]), raw["threshold"])
    alert_id = raw["id"]
    if not isinstance(alert_id, int) or alert_id < 1:
        raise ValueError(f"bad id {alert_id!r}")
    side = raw.get("side", 0)
    alert = Alert(
        alert_id, symbol, kind, float(raw["threshold"]),
        enabled=bool(raw.get("enabled", True)), note=str(raw.get("note", "")),
        armed=bool(raw.get("armed", True)), side=side if side in (-1, 0, 1) else 0,
        fired_count=int(raw.get("fired_count", 0)), once=bool(raw.get("once", False)),
    )  # fmt: skip
    try:
        alert.cooldown_s = validate_cooldown(raw.get("cooldown_s", 0))
    except AlertError as exc:
        problems.append(f"{where}: {exc}; no cooldown used")
    fired_at = raw.get("fired_at")
    if isinstance(fired_at, int | float) and _finite_number(fired_at) and fired_at >= 0:
        alert.fired_at = float(fired_at)
    elif fired_at is not None:
        problems.append(f"{where}: last fired time {fired_at!r} is not a time; ignored")
    held = raw.get("held", 0)
    alert.held = held if isinstance(held, int) and not isinstance(held, bool) and held > 0 else 0
    return alert


def _finite_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def fired_to_json(fired: AlertFired) -> dict[str, Any]:
    return {
        "alert_id": fired.alert_id, "symbol": fired.symbol, "kind": fired.kind.value,
        "threshold": fired.threshold, "price": fired.price, "change_pct": fired.change_pct,
        "wall_time": fired.wall_time, "exchange_ns": fired.exchange_ns,
        "notified": fired.notified,
    }  # fmt: skip


def fired_from_json(raw: Any) -> AlertFired:
    if not isinstance(raw, dict):
        raise TypeError(f"expected an object, got {type(raw).__name__}")
    pct = raw.get("change_pct")
    ns = raw.get("exchange_ns")
    return AlertFired(
        int(raw["alert_id"]), str(raw["symbol"]), AlertKind(raw["kind"]),
        float(raw["threshold"]), float(raw["price"]),
        None if pct is None else float(pct), float(raw["wall_time"]),
        None if ns is None else int(ns), bool(raw.get("notified", True)),
    )  # fmt: skip
