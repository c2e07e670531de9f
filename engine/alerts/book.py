"""The alert book: every rule, evaluated on the engine side as events arrive (no Qt).

`AlertBook.on_event` is a `MarketDataStore` observer: O(1) per event (one dict lookup by
symbol; only symbols with alerts do any work, and only when their last price or previous
close moved). When a rule fires (`engine.alerts.rules`: kinds, hysteresis, re-arming) the
firing is queued; the GUI drains the queue on its flush timer (pull, never a callback
from the hot path). History is bounded. A firing inside the rule's cooldown is held:
counted on the rule and kept in the history (`notified=False`), never queued to notify.

Persistence: JSON (`save` / `load`, entries in `engine.alerts.persist`), written by
`engine.core.files.write_json_atomic` (temp file + fsync + os.replace) so a crash never
leaves half a file. Bad entries in a file are skipped with a message each.

The rule names are re-exported here, where the rest of the app has always imported them.
"""

from __future__ import annotations

import json
import os
import time
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from engine.alerts.persist import alert_from_json, alert_to_json, fired_from_json, fired_to_json
from engine.alerts.rules import (
    DEFAULT_HYSTERESIS,
    DEFAULT_PCT_HYSTERESIS,
    KIND_LABELS,
    Alert,
    AlertError,
    AlertFired,
    AlertKind,
    Verdict,
    evaluate_rule,
    validate,
    validate_cooldown,
)
from engine.core.files import write_json_atomic
from engine.market.snapshot import SymbolSnapshot

__all__ = [
    "DEFAULT_HYSTERESIS",
    "DEFAULT_PCT_HYSTERESIS",
    "FILE_VERSION",
    "HISTORY_LIMIT",
    "KIND_LABELS",
    "PENDING_LIMIT",
    "Alert",
    "AlertBook",
    "AlertError",
    "AlertFired",
    "AlertKind",
    "validate",
]

HISTORY_LIMIT = 200
PENDING_LIMIT = 1000  # fired but not yet drained; beyond it the oldest are dropped (counted)
FILE_VERSION = 1
_QUIET, _FIRED = Verdict.QUIET, Verdict.FIRED


class AlertBook:
    """All alert rules, evaluated per store event; fired alerts are drained by the GUI."""

    def __init__(
        self,
        *,
        hysteresis: float = DEFAULT_HYSTERESIS,
        pct_hysteresis: float = DEFAULT_PCT_HYSTERESIS,
        history_limit: int = HISTORY_LIMIT,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.hysteresis = hysteresis
        self.pct_hysteresis = pct_hysteresis
        self._wall_clock = wall_clock
        self._alerts: dict[int, Alert] = {}
        self._by_symbol: dict[str, list[Alert]] = {}
        # Last (price, prev_close) evaluated per symbol: quotes don't move either, so most
        # events for an alerted symbol stop at this comparison.
        self._seen: dict[str, tuple[float | None, float | None]] = {}
        self._pending: deque[AlertFired] = deque(maxlen=PENDING_LIMIT)
        self._history: deque[AlertFired] = deque(maxlen=history_limit)
        self._next_id = 1
        self.revision = 0  # bumped on every rule or state change (readers refresh on change)
        self.dropped = 0  # fired alerts lost because nobody drained the queue
        self.errors = 0  # exceptions swallowed in on_event (an observer must never raise)
        self.last_error: str | None = None
        self.load_problems: list[str] = []

    def now(self) -> float:
        """The book's wall clock (s): what firings and cooldowns are timed by."""
        return self._wall_clock()

    # --- rules ---------------------------------------------------------------------------

    def alerts(self) -> list[Alert]:
        """Every rule, in creation order."""
        return list(self._alerts.values())

    def get(self, alert_id: int) -> Alert | None:
        return self._alerts.get(alert_id)

    def __len__(self) -> int:
        return len(self._alerts)

    def add(
        self,
        symbol: str,
        kind: AlertKind | str,
        threshold: float,
        *,
        enabled: bool = True,
        note: str = "",
        once: bool = False,
        cooldown_s: int = 0,
    ) -> Alert:
        """Add a rule (raises AlertError on bad input); evaluated at once if data is known."""
        sym, knd = validate(symbol, kind, threshold, strict=True)
        cooldown = validate_cooldown(cooldown_s)
        alert = Alert(self._next_id, sym, knd, float(threshold), enabled, note.strip())
        alert.once, alert.cooldown_s = bool(once), cooldown
        self._next_id += 1
        self._insert(alert)
        return alert

    def update(
        self,
        alert_id: int,
        symbol: str,
        kind: AlertKind | str,
        threshold: float,
        note: str = "",
        *,
        once: bool | None = None,
        cooldown_s: int | None = None,
    ) -> Alert:
        """Replace a rule's condition (re-armed) and options (None: kept); raises KeyError /
        AlertError. A new condition also forgets the old one's last firing and cooldown."""
        old = self._alerts[alert_id]
        sym, knd = validate(symbol, kind, threshold, strict=True)
        cooldown = old.cooldown_s if cooldown_s is None else validate_cooldown(cooldown_s)
        if (sym, knd, float(threshold)) != (old.symbol, old.kind, old.threshold):
            old.fired_at = None
        self._unindex(old)
        old.symbol, old.kind, old.threshold, old.note = sym, knd, float(threshold), note.strip()
        old.armed, old.side, old.held = True, 0, 0
        old.cooldown_s = cooldown
        if once is not None:
            old.once = bool(once)
        self._index(old)
        self.revision += 1
        return old

    def rearm(self, alert_id: int) -> Alert:
        """Arm a rule again by hand (a spent once-only rule, or one waiting for a pull-back);
        a crossing rule keeps the side it knows, so the next crossing fires. KeyError if
        unknown."""
        alert = self._alerts[alert_id]
        alert.armed, alert.held = True, 0
        self._seen.pop(alert.symbol, None)  # next event re-evaluates: true now fires now
        self.revision += 1
        return alert

    def remove(self, alert_id: int) -> bool:
        alert = self._alerts.pop(alert_id, None)
        if alert is None:
            return False
        self._unindex(alert)
        self.revision += 1
        return True

    def set_enabled(self, alert_id: int, enabled: bool) -> Alert:
        """Enable (re-arms) or disable a rule; raises KeyError for an unknown id."""
        alert = self._alerts[alert_id]
        if alert.enabled != enabled:
            alert.enabled = enabled
            alert.armed, alert.side = True, 0
            self.revision += 1
        return alert

    def _insert(self, alert: Alert) -> None:
        self._alerts[alert.id] = alert
        self._next_id = max(self._next_id, alert.id + 1)
        self._index(alert)
        self.revision += 1

    def _index(self, alert: Alert) -> None:
        self._by_symbol.setdefault(alert.symbol, []).append(alert)
        self._seen.pop(alert.symbol, None)  # next event re-evaluates this symbol

    def _unindex(self, alert: Alert) -> None:
        rules = self._by_symbol.get(alert.symbol)
        if rules is None:
            return
        rules[:] = [a for a in rules if a is not alert]
        if not rules:
            del self._by_symbol[alert.symbol]
            self._seen.pop(alert.symbol, None)

    # --- evaluation (hot path) -------------------------------------------------------------

    def on_event(self, event: Any, snap: SymbolSnapshot) -> None:
        """Store observer: evaluate the symbol's rules if its price or close changed."""
        rules = self._by_symbol.get(snap.symbol)
        if rules is None:
            return
        try:
            price = None if snap.last_cancelled else snap.last_price
            key = (price, snap.prev_close)
            if self._seen.get(snap.symbol) == key or price is None:
                return
            self._seen[snap.symbol] = key
            exchange_ns = getattr(event, "timestamp_ns", None)
            self._evaluate(rules, price, snap.change_pct, exchange_ns)
        except Exception as exc:  # an observer must never raise into the store
            self.errors += 1
            self.last_error = f"{snap.symbol}: {type(exc).__name__}: {exc}"

    def evaluate(self, symbol: str, price: float, change_pct: float | None = None) -> None:
        """Evaluate `symbol`'s rules against a price (tests, REST fills without an event)."""
        self._evaluate(self._by_symbol.get(symbol, ()), price, change_pct, None)

    def _evaluate(
        self,
        rules: Iterable[Alert],
        price: float,
        change_pct: float | None,
        exchange_ns: int | None,
    ) -> None:
        hysteresis, pct_hysteresis = self.hysteresis, self.pct_hysteresis
        for alert in rules:
            if not alert.enabled:
                continue
            verdict = evaluate_rule(alert, price, change_pct, hysteresis, pct_hysteresis)
            if verdict is not _QUIET:
                self.revision += 1
                if verdict is _FIRED:
                    self._fire(alert, price, change_pct, exchange_ns)

    def _fire(
        self, alert: Alert, price: float, change_pct: float | None, exchange_ns: int | None
    ) -> None:
        now = self._wall_clock()
        notify = not alert.cooling(now)
        fired = AlertFired(
            alert.id, alert.symbol, alert.kind, alert.threshold, price, change_pct,
            now, exchange_ns, notify,
        )  # fmt: skip
        if not notify:  # inside the cooldown: counted and shown, not notified
            alert.held += 1
            self._history.append(fired)
            return
        alert.fired_count += 1
        alert.fired_at, alert.held = now, 0
        if len(self._pending) == self._pending.maxlen:
            self.dropped += 1
        self._pending.append(fired)
        self._history.append(fired)

    # --- readers -----------------------------------------------------------------------

    def drain_fired(self) -> list[AlertFired]:
        """Alerts fired since the last drain, oldest first (the GUI calls this per flush)."""
        if not self._pending:
            return []
        fired = list(self._pending)
        self._pending.clear()
        return fired

    def history(self) -> list[AlertFired]:
        """Recent firings, oldest first, at most `history_limit`."""
        return list(self._history)

    def clear_history(self) -> None:
        self._history.clear()
        self.revision += 1

    # --- persistence ---------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "version": FILE_VERSION,
            "alerts": [alert_to_json(a) for a in self._alerts.values()],
            "history": [fired_to_json(f) for f in self._history],
        }

    def load_json(self, data: object) -> list[str]:
        """Replace rules and history from `to_json()` output; returns one message per bad entry."""
        problems: list[str] = []
        if not isinstance(data, dict):
            return [f"alerts file: expected an object, got {type(data).__name__}"]
        for alert_id in list(self._alerts):
            self.remove(alert_id)
        for i, raw in enumerate(_list(data.get("alerts"))):
            try:
                self._insert(alert_from_json(raw, problems, f"alert #{i + 1}"))
            except (AlertError, KeyError, TypeError, ValueError) as exc:
                problems.append(f"alert #{i + 1} skipped: {exc}")
        self._history.clear()
        for i, raw in enumerate(_list(data.get("history"))):
            try:
                self._history.append(fired_from_json(raw))
            except (KeyError, TypeError, ValueError) as exc:
                problems.append(f"history entry #{i + 1} skipped: {exc}")
        self.load_problems = problems
        return problems

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write atomically: a temp file in the same directory, fsync, then os.replace."""
        write_json_atomic(path, self.to_json())

    def load(self, path: str | os.PathLike[str]) -> list[str]:
        """Load rules from `path` (missing file: nothing, no problem); returns problems."""
        target = Path(path)
        try:
            text = target.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except OSError as exc:
            self.load_problems = [f"cannot read {target}: {exc.strerror or exc}"]
            return self.load_problems
        try:
            data = json.loads(text)
        except ValueError as exc:
            self.load_problems = [f"{target} is not valid JSON: {exc}"]
            return self.load_problems
        return self.load_json(data)


def _list(value: object) -> Iterable[Any]:
    return value if isinstance(value, list) else ()
