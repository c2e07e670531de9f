"""Alert rules: what an alert watches, input validation, and when a rule fires (pure).

Kinds (price = last trade price; change % = from the previous close):
- ABOVE / BELOW: fire when price >= / <= threshold.
- CROSSES: fire when price moves from one side of the threshold to the other.
- PCT_ABOVE / PCT_BELOW: fire when change % >= / <= threshold (signed, e.g. -3 for a drop).

Re-arm rule (hysteresis, so a price jittering at the level fires once, not per tick):
- ABOVE fires once, then re-arms only after price falls back to threshold * (1 - h);
  BELOW mirrors it (re-arms at threshold * (1 + h)); h = `hysteresis` (default 0.1 %).
- PCT kinds re-arm after change % comes back by `pct_hysteresis` percentage points.
- CROSSES fires on each crossing, and a side only counts once price is h beyond the level.
- An alert whose condition already holds when it is added (or enabled) fires at once:
  "AAPL above 150" added at 151 is true now, which is what the user asked to know.
- Disabling keeps the rule; enabling re-arms it. Armed state, side and the last firing
  time are persisted, so a restart does not re-fire alerts that already fired: a rule that
  fired before the restart fires again only after its condition has been false (re-armed).

Per-rule options (docs/design.md, "Alerts: once only and cooldown"):
- `once`: after firing the rule is spent: no automatic re-arm (ABOVE/BELOW/PCT) and no
  further firing on crossings (CROSSES keeps tracking its side) until re-armed by hand.
- `cooldown_s`: a firing within this many seconds of the last notified one is held: the
  book counts it (`held`) and keeps it in the history, but does not notify. The book
  applies it (it owns the clock); `Alert.cooling` says whether a time is inside it.

`evaluate_rule` applies these to one rule and one price: it changes only that rule's
trigger state (`armed`, `side`) and says whether it fired; the book
(`engine.alerts.book`) counts, queues and persists.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from engine.config import InvalidSymbol, normalise_symbol

__all__ = [
    "COOLDOWN_CHOICES",
    "DEFAULT_HYSTERESIS",
    "DEFAULT_PCT_HYSTERESIS",
    "KIND_LABELS",
    "MAX_COOLDOWN_S",
    "MAX_PRICE_THRESHOLD",
    "PCT_THRESHOLD_RANGE",
    "Alert",
    "AlertError",
    "AlertFired",
    "AlertKind",
    "Verdict",
    "cooldown_text",
    "evaluate_rule",
    "validate",
    "validate_cooldown",
]

DEFAULT_HYSTERESIS = 0.001  # fraction of the threshold price
DEFAULT_PCT_HYSTERESIS = 0.1  # percentage points
# What a person may enter (validate(strict=True)): no US stock trades near $10 M a share,
# and a day's change cannot go below -100 %; a rule outside these could never fire, so it
# is refused in words rather than kept silently (docs/reliability.md, "Bad input").
# Rules already in a file load under the plain checks, so an old file loses nothing.
MAX_PRICE_THRESHOLD = 10_000_000.0
PCT_THRESHOLD_RANGE = (-100.0, 10_000.0)  # percent, exclusive below
# Cooldowns the editor offers (seconds); a file may hold any whole number up to a day.
COOLDOWN_CHOICES = (0, 60, 300, 900, 3600)
MAX_COOLDOWN_S = 86_400


class AlertKind(enum.StrEnum):
    """What an alert watches; values are stored in the JSON file."""

    ABOVE = "above"
    BELOW = "below"
    CROSSES = "crosses"
    PCT_ABOVE = "pct_above"
    PCT_BELOW = "pct_below"

    @property
    def is_percent(self) -> bool:
        return self in (AlertKind.PCT_ABOVE, AlertKind.PCT_BELOW)


KIND_LABELS: dict[AlertKind, str] = {
    AlertKind.ABOVE: "price at or above",
    AlertKind.BELOW: "price at or below",
    AlertKind.CROSSES: "price crosses",
    AlertKind.PCT_ABOVE: "change % at or above",
    AlertKind.PCT_BELOW: "change % at or below",
}


class AlertError(ValueError):
    """A rule that cannot be used; `field` names the offending input, the text says why."""

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(f"{field_name}: {reason}")
        self.field = field_name
        self.reason = reason


@dataclass(slots=True)
class Alert:
    """One rule and its trigger state; owned by the book, read-only to everyone else."""

    id: int
    symbol: str
    kind: AlertKind
    threshold: float
    enabled: bool = True
    note: str = ""
    armed: bool = True  # may fire on the next qualifying price (CROSSES: False = spent once)
    side: int = 0  # CROSSES: +1 above, -1 below, 0 not yet known
    fired_count: int = 0  # notified firings
    once: bool = False  # spent after one firing until re-armed by hand
    cooldown_s: int = 0  # firings this soon after the last notified one are held
    fired_at: float | None = None  # wall clock (s) of the last notified firing
    held: int = 0  # firings held by the cooldown since the last notified one

    def describe(self) -> str:
        unit = "%" if self.kind.is_percent else ""
        sign = "+" if self.kind.is_percent and self.threshold > 0 else ""
        return f"{self.symbol} {KIND_LABELS[self.kind]} {sign}{self.threshold:g}{unit}"

    @property
    def spent(self) -> bool:
        """A once-only rule that fired and waits to be re-armed by hand."""
        return self.once and not self.armed

    def cooling(self, now: float) -> bool:
        """True while `now` is inside the cooldown after the last notified firing (a wall
        clock stepped back before that firing does not hold anything)."""
        if self.cooldown_s <= 0 or self.fired_at is None:
            return False
        return 0.0 <= now - self.fired_at < self.cooldown_s

    def options_text(self) -> str:
        """ "once only · cooldown 5 min", or "" when the rule has neither option."""
        parts = (["once only"] if self.once else []) + (
            [f"cooldown {cooldown_text(self.cooldown_s)}"] if self.cooldown_s else []
        )
        return " · ".join(parts)


def cooldown_text(seconds: int) -> str:
    """ "none", "1 min", "15 min", "60 min", "90 s"."""
    if seconds <= 0:
        return "none"
    return f"{seconds // 60} min" if seconds % 60 == 0 else f"{seconds} s"


def validate_cooldown(value: object) -> int:
    """A cooldown in whole seconds, 0..MAX_COOLDOWN_S, or AlertError saying why not."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AlertError("cooldown", f"not a number of seconds: {value!r}")
    if not math.isfinite(value) or value != int(value) or not 0 <= value <= MAX_COOLDOWN_S:
        raise AlertError("cooldown", f"must be whole seconds from 0 to {MAX_COOLDOWN_S:,}")
    return int(value)


@dataclass(frozen=True, slots=True)
class AlertFired:
    """One firing: what, at which price / change, when (wall clock s, exchange ns)."""

    alert_id: int
    symbol: str
    kind: AlertKind
    threshold: float
    price: float
    change_pct: float | None
    wall_time: float
    exchange_ns: int | None = None
    notified: bool = True  # False: held by the rule's cooldown (counted, shown, not notified)

    def message(self) -> str:
        pct = "" if self.change_pct is None else f" ({self.change_pct:+.2f}%)"
        unit = "%" if self.kind.is_percent else ""
        return (
            f"{self.symbol} {KIND_LABELS[self.kind]} {self.threshold:g}{unit}: "
            f"last {self.price:,.2f}{pct}"
        )


def validate(
    symbol: str, kind: AlertKind | str, threshold: float, *, strict: bool = False
) -> tuple[str, AlertKind]:
    """Normalised (symbol, kind) or AlertError naming the bad field. `strict` (a rule the
    user enters now) also refuses thresholds no price or change could reach."""
    try:
        sym = normalise_symbol(symbol)
    except InvalidSymbol as exc:
        raise AlertError("symbol", exc.reason) from None
    try:
        knd = AlertKind(kind)
    except ValueError:
        raise AlertError("kind", f"unknown alert kind {kind!r}") from None
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        raise AlertError("threshold", f"not a number: {threshold!r}")
    if not math.isfinite(threshold):
        what = "not a number (NaN)" if math.isnan(threshold) else "infinite"
        raise AlertError("threshold", f"must be a finite number, not {what}")
    if not knd.is_percent and threshold <= 0:
        raise AlertError("threshold", "a price threshold must be above 0")
    if strict:
        _check_range(knd, float(threshold))
    return sym, knd


def _check_range(kind: AlertKind, threshold: float) -> None:
    if not kind.is_percent:
        if threshold > MAX_PRICE_THRESHOLD:
            raise AlertError(
                "threshold", f"a price threshold must be at most {MAX_PRICE_THRESHOLD:,.0f}"
            )
        return
    low, high = PCT_THRESHOLD_RANGE
    if threshold <= low:
        raise AlertError("threshold", "a change must be above -100 % (a price cannot go below 0)")
    if threshold > high:
        raise AlertError("threshold", f"a change threshold must be at most {high:+,.0f} %")


class Verdict(enum.Enum):
    """What one evaluation did to a rule."""

    QUIET = "quiet"  # nothing changed
    MOVED = "moved"  # trigger state changed (re-armed, or a side became known), no firing
    FIRED = "fired"  # the rule fired (and its trigger state changed)


def evaluate_rule(
    alert: Alert,
    price: float,
    change_pct: float | None,
    hysteresis: float = DEFAULT_HYSTERESIS,
    pct_hysteresis: float = DEFAULT_PCT_HYSTERESIS,
) -> Verdict:
    """Apply the firing and re-arm rules (module docstring) of an enabled rule to a price
    and change %; updates only `alert.armed` / `alert.side`. The cooldown is the book's."""
    kind, level = alert.kind, alert.threshold
    if kind is AlertKind.CROSSES:
        band = level * hysteresis
        side = 1 if price >= level + band else -1 if price <= level - band else alert.side
        if side == alert.side:
            return Verdict.QUIET
        was, alert.side = alert.side, side
        if was == 0 or not alert.armed:  # first sight, or spent (once only): track the side
            return Verdict.MOVED
        if alert.once:
            alert.armed = False
        return Verdict.FIRED
    if kind.is_percent:
        if change_pct is None:
            return Verdict.QUIET
        value, band = change_pct, pct_hysteresis
    else:
        value, band = price, level * hysteresis
    upward = kind is AlertKind.ABOVE or kind is AlertKind.PCT_ABOVE
    if alert.armed:
        if (value >= level) if upward else (value <= level):
            alert.armed = False
            return Verdict.FIRED
    elif alert.once:
        return Verdict.QUIET  # spent: only a re-arm by hand (or enabling) arms it again
    elif (value <= level - band) if upward else (value >= level + band):
        alert.armed = True
        return Verdict.MOVED
    return Verdict.QUIET
