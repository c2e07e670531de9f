"""Alpaca market-data plans and the stream's symbol budget, pure: data in, data out.

Facts (docs/account-and-history.md, "Plans and limits"): the Basic (free) plan streams
at most 30 symbols, counted over trades and quotes together, on its one connection,
IEX only; Algo Trader Plus has no symbol limit. A subscribe beyond the limit is refused
as a whole with error 405 and the subscription stays as it was (docs/protocol.md,
"Handshake").

The budget: the watched symbols come in priority order (the visible watchlist in its row
order, then the other lists in tab order). The first `limit` stream; the rest are kept
alive from REST snapshot polling. Nothing is ever dropped from a watchlist. If the
server refuses a subscribe although it is within the configured limit, the budget
lowers to what the server confirmed (the confirmed subscription is the truth:
docs/design.md, invariant 8) and says so in words.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from engine.config import Feed
from engine.events import Subscription

__all__ = [
    "BASIC_SYMBOL_LIMIT",
    "PLAN_CHOICES_TEXT",
    "BudgetSplit",
    "MarketDataPlan",
    "PlanLimit",
    "SymbolBudget",
    "counted_symbols",
    "default_plan",
    "learned_limit",
    "parse_plan",
    "split_symbols",
]

BASIC_SYMBOL_LIMIT = 30
REFUSED_CODE = 405  # "symbol limit exceeded" (docs/protocol.md, "Errors")
_NAMES_SHOWN = 8  # symbols named in a tooltip-length list; the rest are counted


class MarketDataPlan(enum.StrEnum):
    """Alpaca's market-data subscriptions, as far as the stream's symbol limit goes."""

    BASIC = "basic"
    ALGO_TRADER_PLUS = "algo_trader_plus"
    CUSTOM = "custom"  # a limit the user states (another plan, or a shared key)

    @property
    def label(self) -> str:
        return _TITLES[self]


_TITLES = {
    MarketDataPlan.BASIC: "Basic (free)",
    MarketDataPlan.ALGO_TRADER_PLUS: "Algo Trader Plus",
    MarketDataPlan.CUSTOM: "Custom symbol limit",
}
# Spellings accepted on command lines (--plan), besides a bare number (a custom limit).
_ALIASES = {
    "basic": MarketDataPlan.BASIC,
    "free": MarketDataPlan.BASIC,
    "algo_trader_plus": MarketDataPlan.ALGO_TRADER_PLUS,
    "algo-trader-plus": MarketDataPlan.ALGO_TRADER_PLUS,
    "plus": MarketDataPlan.ALGO_TRADER_PLUS,
    "unlimited": MarketDataPlan.ALGO_TRADER_PLUS,
}
PLAN_CHOICES_TEXT = "basic, algo-trader-plus, or a number of symbols"


@dataclass(frozen=True, slots=True)
class PlanLimit:
    """A plan and how many symbols it may stream (`limit` None = no limit)."""

    plan: MarketDataPlan = MarketDataPlan.BASIC
    custom_limit: int | None = None  # CUSTOM only

    def __post_init__(self) -> None:
        if self.plan is MarketDataPlan.CUSTOM:
            if self.custom_limit is None or self.custom_limit < 1:
                raise ValueError("a custom plan needs a symbol limit of at least 1")
        elif self.custom_limit is not None:
            raise ValueError(f"the {self.plan.label} plan has its own limit")

    @property
    def limit(self) -> int | None:
        if self.plan is MarketDataPlan.BASIC:
            return BASIC_SYMBOL_LIMIT
        if self.plan is MarketDataPlan.CUSTOM:
            return self.custom_limit
        return None

    @property
    def owner(self) -> str:
        """Who sets the limit, as the status bar says it: "Alpaca's free plan"."""
        if self.plan is MarketDataPlan.BASIC:
            return "Alpaca's free plan"
        if self.plan is MarketDataPlan.CUSTOM:
            return "your plan setting"
        return "Algo Trader Plus"

    def allows(self) -> str:
        """ "Alpaca's free plan allows 30" / "Algo Trader Plus has no symbol limit"."""
        limit = self.limit
        if limit is None:
            return f"{self.owner} has no symbol limit"
        return f"{self.owner} allows {limit}"

    def describe(self) -> str:
        """The limit in a sentence or two (the Settings dialog)."""
        if self.plan is MarketDataPlan.BASIC:
            return (
                f"Alpaca's free plan streams up to {BASIC_SYMBOL_LIMIT} symbols (trades and "
                "quotes together) on one connection, IEX feed only. Symbols beyond that are "
                "kept up to date from REST snapshots instead, marked REST in the Source column."
            )
        if self.plan is MarketDataPlan.CUSTOM:
            return (
                f"Stream at most {self.custom_limit} symbols (trades and quotes together); "
                "the rest are kept up to date from REST snapshots, marked REST."
            )
        return "Algo Trader Plus has no symbol limit: every watched symbol streams (SIP feed)."

    def key(self) -> str:
        """The command-line / settings spelling: basic, algo_trader_plus or a number."""
        return str(self.custom_limit) if self.plan is MarketDataPlan.CUSTOM else self.plan.value


def parse_plan(text: str) -> PlanLimit:
    """`basic`, `algo-trader-plus` (or `plus`, `unlimited`, `free`) or N; raises ValueError."""
    cleaned = text.strip().lower()
    if cleaned in _ALIASES:
        return PlanLimit(_ALIASES[cleaned])
    if cleaned.isdigit():
        return PlanLimit(MarketDataPlan.CUSTOM, int(cleaned))  # raises below 1
    raise ValueError(f"unknown plan {text[:30]!r}: use {PLAN_CHOICES_TEXT}")


def default_plan(feed: str) -> PlanLimit:
    """Basic unless the feed needs a paid plan (sip: Algo Trader Plus). The safe guess:
    a limit that is too low only costs REST polling; one too high leaves symbols refused."""
    if feed == Feed.SIP:
        return PlanLimit(MarketDataPlan.ALGO_TRADER_PLUS)
    return PlanLimit(MarketDataPlan.BASIC)


@dataclass(frozen=True, slots=True)
class BudgetSplit:
    """Which watched symbols stream and which are polled from REST, each in priority order."""

    streamed: tuple[str, ...] = ()
    polled: tuple[str, ...] = ()
    limit: int | None = None  # the limit the split was made under (None = none)

    @property
    def total(self) -> int:
        return len(self.streamed) + len(self.polled)


def split_symbols(priority: Iterable[str], limit: int | None) -> BudgetSplit:
    """The first `limit` distinct symbols stream, the rest are polled (order kept)."""
    ordered = tuple(dict.fromkeys(priority))
    if limit is None or len(ordered) <= limit:
        return BudgetSplit(ordered, (), limit)
    cut = max(0, limit)
    return BudgetSplit(ordered[:cut], ordered[cut:], limit)


def counted_symbols(subscription: Subscription) -> int:
    """Symbols a subscription spends of the limit: trades and quotes together."""
    return len((subscription.trades | subscription.quotes) - {"*"})


def learned_limit(asked: int, confirmed: int) -> int:
    """The limit to use after a 405 refused a subscription of `asked` symbols while the
    server confirmed `confirmed`: what it confirmed, if anything (it worked); else the
    free plan's 30 if more were asked; else half, so repeated refusals converge. When
    the server confirms all that is asked, the refusal was about an older request."""
    if confirmed >= asked:
        return asked
    if confirmed > 0:
        return confirmed
    if asked > BASIC_SYMBOL_LIMIT:
        return BASIC_SYMBOL_LIMIT
    return max(0, asked // 2)


class SymbolBudget:
    """The configured plan, what the server taught us, and the last split (no I/O).

    `version` grows whenever the split or its words change, so a reader polling it (the
    status bar) knows when to redraw.
    """

    def __init__(self, plan: PlanLimit | None = None, source: str = "Alpaca") -> None:
        self._plan = plan or PlanLimit()
        self.source = source  # who refuses: "Alpaca", or "the simulator" in the demo
        self.learned: int | None = None
        self.learned_reason: str | None = None
        self.refusals = 0
        # Symbols other programs stream through this connection (the local gateway, the
        # bus): they spend the same limit, so the watchlists get what is left.
        self.shared: frozenset[str] = frozenset()
        self.last = BudgetSplit(limit=self.limit)
        self.version = 0

    @property
    def plan(self) -> PlanLimit:
        return self._plan

    def set_plan(self, plan: PlanLimit) -> None:
        """A new plan (settings, another key or feed): forget what was learned."""
        self._plan = plan
        self.forget_learned()

    def forget_learned(self) -> None:
        if self.learned is not None:
            self.learned = None
            self.learned_reason = None
            self.version += 1

    @property
    def limit(self) -> int | None:
        """The plan's limit, lowered by what the server confirmed after a refusal."""
        configured = self._plan.limit
        if self.learned is None:
            return configured
        return self.learned if configured is None else min(configured, self.learned)

    def set_shared(self, symbols: Iterable[str]) -> bool:
        """Symbols held by sharers of the connection (trades and quotes); True if that
        changed (split again). A watched symbol a sharer also holds counts once."""
        shared = frozenset(symbols) - {"*"}
        if shared == self.shared:
            return False
        self.shared = shared
        self.version += 1
        return True

    def split(self, priority: Iterable[str]) -> BudgetSplit:
        """Split `priority` under the current limit and remember it as `last`."""
        limit = self.limit
        if limit is None or not self.shared:
            result = split_symbols(priority, limit)
        else:
            result = _split_around(priority, limit, self.shared)
        if result != self.last:
            self.last = result
            self.version += 1
        return result

    def note_refusal(self, code: int, asked: int, confirmed: int) -> bool:
        """A subscribe refused with `code` while `asked` symbols were wanted and the server
        confirmed `confirmed`; True if the limit went down (split again)."""
        if code != REFUSED_CODE or asked <= 0:
            return False
        self.refusals += 1
        new = learned_limit(asked, confirmed)
        current = self.limit
        if current is not None and new >= current:
            return False
        self.learned = new
        shown = "nothing" if confirmed == 0 else f"only {confirmed}"
        self.learned_reason = (
            f"{self.source} refused {asked} symbols (error 405: symbol limit) and confirmed "
            f"{shown}, so {new} stream"
        )
        self.version += 1
        return True

    def message(self) -> str | None:
        """Why not everything streams, in words; None when every symbol streams."""
        split = self.last
        if not split.polled:
            return None
        head = f"streaming {len(split.streamed)} of {split.total} symbols: "
        if held := len(self.shared - set(split.streamed)):
            head += f"{held} more held by programs sharing the connection, "
        if self.learned_reason is not None and self.limit == self.learned:
            return head + self.learned_reason
        return head + self._plan.allows()

    def details(self, interval_s: float | None = None) -> str:
        """Longer words for a tooltip or a terminal: which symbols REST keeps alive, why."""
        split = self.last
        lines = [self.message() or f"all {split.total} symbols stream"]
        if split.polled:
            every = f" every {interval_s:g} s" if interval_s else ""
            lines.append(
                f"From REST snapshots{every}: {name_list(split.polled)} "
                "(Source column: REST, with its age)"
            )
            lines.append(
                "Streaming first: the visible watchlist in row order, then the other "
                "watchlists in tab order"
            )
        lines.append(self._plan.describe())
        return "\n".join(lines)

    def as_dict(self) -> dict[str, object]:
        """The budget as JSON-ready data (tickerdesk-watch --json)."""
        split = self.last
        return {
            "plan": self._plan.key(),
            "plan_limit": self._plan.limit,
            "limit": self.limit,
            "learned_limit": self.learned,
            "symbols": split.total,
            "streamed": list(split.streamed),
            "polled": list(split.polled),
            "message": self.message(),
        }


def _split_around(priority: Iterable[str], limit: int, shared: frozenset[str]) -> BudgetSplit:
    """Like `split_symbols`, with `shared` already spending the limit: a watched symbol
    that is shared streams at no extra cost; the others stream while room is left."""
    used = len(shared)
    streamed: list[str] = []
    polled: list[str] = []
    for symbol in dict.fromkeys(priority):
        if symbol in shared:
            streamed.append(symbol)
        elif used < limit:
            streamed.append(symbol)
            used += 1
        else:
            polled.append(symbol)
    return BudgetSplit(tuple(streamed), tuple(polled), limit)


def name_list(symbols: Iterable[str], shown: int = _NAMES_SHOWN) -> str:
    """`AAPL, MSFT, ... (+4 more)`."""
    names = list(symbols)
    text = ", ".join(names[:shown])
    more = len(names) - shown
    return text + (f" (+{more} more)" if more > 0 else "")
