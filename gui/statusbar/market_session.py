"""Market session: "Regular session · closes in 2h 13m", from engine.market.calendar.

In a demo on a simulated clock (`--demo-at`, `--demo-speed`) the clock is the simulator's
and the text says so ("Simulated · Regular session · closes in 6h 35m"): the session
shown is the one the simulated market is in, never the local wall clock's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from engine.market.calendar import (
    EASTERN,
    MarketSession,
    MarketSessionState,
    day_hours,
    early_closes,
    holidays,
    session_at,
)
from gui.statusbar.style import Level, StatusLabel

if TYPE_CHECKING:
    from engine.account.models import CalendarDay

_NAMES = {
    MarketSession.PRE_MARKET: "Pre-market",
    MarketSession.REGULAR: "Regular session",
    MarketSession.AFTER_HOURS: "After-hours",
    MarketSession.CLOSED: "Market closed",
}
_VERBS = {
    MarketSession.PRE_MARKET: "opens in",  # the regular session
    MarketSession.REGULAR: "closes in",
    MarketSession.AFTER_HOURS: "ends in",
    MarketSession.CLOSED: "pre-market in",
}
_LEVELS = {
    MarketSession.PRE_MARKET: Level.WARN,
    MarketSession.REGULAR: Level.OK,
    MarketSession.AFTER_HOURS: Level.WARN,
    MarketSession.CLOSED: Level.INFO,
}


def format_countdown(seconds: float) -> str:
    """3d 4h, 2h 13m, 45m, <1m (rounded down: "closes in 0m" would read as closed)."""
    total = int(max(0.0, seconds) // 60)
    days, rest = divmod(total, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m" if minutes else "<1m"


SIMULATED_PREFIX = "Simulated \u00b7 "
# The demo without a simulated trading day (no --demo-at / --demo-speed): the simulator
# trades around the clock, so NYSE hours would only mislead (issue 18, #7d).
SIMULATED_SESSION = "Simulated session"


def describe_demo(at: datetime) -> tuple[str, str]:
    """Status-bar text and tooltip of the demo's around-the-clock simulated session."""
    local = at.astimezone(EASTERN)
    text = f"{SIMULATED_SESSION} \u00b7 demo clock {local:%H:%M} ET"
    tip = (
        f"Demo: the built-in simulator trades around the clock; NYSE hours do not apply.\n"
        f"Its clock: New York time {local:%a %Y-%m-%d %H:%M} ET\n"
        "For a simulated trading day with its sessions, start with --demo-at 09:30."
    )
    return text, tip


def describe_session(state: MarketSessionState, simulated: bool = False) -> tuple[str, Level]:
    """Status-bar text and colour level of a session state (on a simulated clock: said)."""
    name = _NAMES[state.session]
    reason = holidays(state.at.year).get(state.at.date())
    if state.session is MarketSession.CLOSED and reason:
        name = f"Market closed ({reason})"
    text = f"{name} \u00b7 {_VERBS[state.session]} {format_countdown(state.remaining_seconds())}"
    if state.session is MarketSession.REGULAR and state.at.date() in early_closes(state.at.year):
        text += " (early close 13:00)"
    return (SIMULATED_PREFIX + text if simulated else text), _LEVELS[state.session]


def session_tooltip(state: MarketSessionState, simulated: bool = False) -> str:
    """Today's hours in ET and the next change, one fact per line."""
    at = state.at
    if simulated:
        lines = [f"Simulated clock (demo): New York time {at:%a %Y-%m-%d %H:%M} ET"]
    else:
        lines = [f"US equities, New York time now {at:%a %Y-%m-%d %H:%M} ET"]
    hours = day_hours(at.date())
    if hours is None:
        lines.append(f"No trading today ({holidays(at.year).get(at.date(), 'weekend')})")
    else:
        early = " (early close)" if hours.early_close else ""
        lines.append(
            f"Today: pre-market {hours.pre_open:%H:%M}, regular {hours.open:%H:%M}"
            f"\u2013{hours.close:%H:%M}{early}, after-hours until {hours.post_close:%H:%M}"
        )
    lines.append(f"Next: {state.next_session.value} at {state.next_change:%a %H:%M} ET")
    lines.append("Change and Change % compare with the previous trading day's close")
    return "\n".join(lines)


ServerCalendar = Callable[[], "tuple[Sequence[CalendarDay] | None, str | None]"]
UNSCHEDULED_CLOSURE = "Market closed today (Alpaca's calendar: unscheduled closure)"


def closed_by_server(state: MarketSessionState, days: Sequence[CalendarDay] | None) -> bool:
    """True on a day the local rules trade but Alpaca's calendar, covering that day,
    leaves out: the server knows unscheduled closures (docs/account-and-history.md)."""
    if not days or state.session is MarketSession.CLOSED:
        return False
    today = state.at.astimezone(EASTERN).date()
    dates = {day.date for day in days}
    return min(dates) <= today <= max(dates) and today not in dates


def utc_now() -> datetime:
    return datetime.now(UTC)


class MarketSessionIndicator(StatusLabel):
    """Reads a clock (the wall clock, or a demo's simulated one) and shows the session
    and its next change."""

    def __init__(
        self,
        wall_clock: Callable[[], datetime] = utc_now,
        parent: QWidget | None = None,
        simulated: bool = False,
        demo: bool = False,
    ) -> None:
        super().__init__("marketSessionIndicator", parent=parent)
        self._wall_clock = wall_clock
        self.simulated = simulated
        self.demo = demo
        self.state: MarketSessionState | None = None
        self._server: ServerCalendar | None = None
        self.refresh()

    def set_server_calendar(self, source: ServerCalendar | None) -> None:
        """Alpaca's own calendar (the account's `/v2/calendar`, checked daily) and the
        difference from the local rules in words: on a day the local rules call a trading
        day but Alpaca's calendar leaves out (an unscheduled closure), the server wins."""
        self._server = source
        self.refresh()

    def set_clock(self, clock: Callable[[], datetime], simulated: bool) -> None:
        """Follow another clock (leaving the demo: back to the wall clock)."""
        self._wall_clock = clock
        self.simulated = simulated
        self.refresh()

    def set_demo(self, demo: bool) -> None:
        self.demo = demo
        self.refresh()

    def refresh(self) -> None:
        now = self._wall_clock()
        self.state = session_at(now)
        if self.demo and not self.simulated:  # the around-the-clock demo: said plainly
            text, tip = describe_demo(now)
            self.show_level(Level.INFO, text)
            if self.toolTip() != tip:
                self.setToolTip(tip)
            return
        text, level = describe_session(self.state, self.simulated)
        tip = session_tooltip(self.state, self.simulated)
        days, note = self._server() if self._server is not None else (None, None)
        if closed_by_server(self.state, days):
            text, level = UNSCHEDULED_CLOSURE, Level.WARN
        if note:
            tip += f"\nAlpaca's calendar differs from the local rules: {note}"
        self.show_level(level, text)
        if self.toolTip() != tip:
            self.setToolTip(tip)
