"""AccountBook: the account as the GUI reads it, fed by the stream and reconciled from REST.

Sans-I/O and bounded (docs/design.md): every open order, the newest 200 closed ones,
the newest 200 fills, and at most 10,000 remembered fill identities. The trade_updates
stream has no replay, so after every (re)connect REST is the truth (`reconcile`); fills
are remembered by identity so that none is ever shown or notified twice, whether it came
first from the stream or from `/v2/account/activities` (docs/account-and-history.md,
"How Tickerdesk reads the account").
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import replace

from engine.account.models import Account, Fill, Order, Position, TradeUpdate, fill_identity

__all__ = ["AccountBook"]

MAX_CLOSED_ORDERS = 200
MAX_FILLS = 200
MAX_SEEN = 10_000


def _active(order: Order) -> bool:
    """Open, or a closed parent with an open leg (a bracket whose entry filled)."""
    return order.status.is_open or any(leg.status.is_open for leg in order.legs)


def _identities(fill: Fill) -> tuple[str, ...]:
    """Every name the fill may come under: the execution uuid, and order id with the
    cumulative quantity (each execution raises it), for a source without an id."""
    ident = fill_identity(fill.key)
    if fill.cum_qty is None:
        return (ident,)
    return (ident, f"{fill.order_id}@{fill.cum_qty!r}")


class AccountBook:
    """What the GUI reads; `version` goes up by one on every change (the GUI polls it)."""

    def __init__(
        self,
        *,
        max_closed: int = MAX_CLOSED_ORDERS,
        max_fills: int = MAX_FILLS,
        max_seen: int = MAX_SEEN,
    ) -> None:
        self.account: Account | None = None
        self.positions: dict[str, Position] = {}
        # Top-level orders by id; a bracket's legs live inside their parent (`legs`).
        self.orders: dict[str, Order] = {}
        self.fills: deque[Fill] = deque(maxlen=max_fills)  # newest last
        self.version = 0
        self.problems = 0
        self.last_problem: str | None = None
        self._max_closed = max_closed
        self._max_seen = max_seen
        self._seen: dict[str, None] = {}  # insertion-ordered: the oldest is dropped first
        self._leg_parent: dict[str, str] = {}  # leg id -> parent id, for orders kept
        self.newest_fill_ns: int | None = None  # of every fill ever seen
        self.updates = 0  # stream updates applied, ever (see reconcile's `updates_before`)
        self._update_no: dict[str, int] = {}  # order id -> `updates` when last streamed

    # --- reading ------------------------------------------------------------------------

    def open_orders(self) -> list[Order]:
        """Open orders, newest first; a bracket's legs are inside their parent (`legs`)."""
        active = [order for order in self.orders.values() if _active(order)]
        active.sort(key=lambda order: order.created_ns or 0, reverse=True)
        return active

    def recent_fills(self, n: int = 50) -> list[Fill]:
        """The newest `n` fills, newest first."""
        out: list[Fill] = []
        for fill in reversed(self.fills):
            if len(out) >= n:
                break
            out.append(fill)
        return out

    def seen(self, fill: Fill) -> bool:
        return any(ident in self._seen for ident in _identities(fill))

    # --- writing ------------------------------------------------------------------------

    def note_problem(self, words: str) -> None:
        """Count one bad item (decoding, protocol) and keep its words for the UI."""
        self.problems += 1
        self.last_problem = words

    def apply_update(self, update: TradeUpdate) -> Fill | None:
        """A trade update: the order as it is now; returns the fill to notify, if new."""
        self.updates += 1
        self._put_order(update.order)
        top = self._leg_parent.get(update.order.id, update.order.id)
        if top in self.orders:
            self._update_no[top] = self.updates
        self._prune_closed()
        fill = update.fill
        new = fill is not None and not self.seen(fill)
        if fill is not None and new:
            self._remember(fill)
            self._insert_fills([fill])
            if update.position_qty is not None:
                self._apply_position(fill, update.position_qty)
        self.version += 1
        return fill if new else None

    def reconcile(
        self,
        account: Account | None,
        positions: list[Position] | None,
        orders: list[Order] | None,
        fills: list[Fill],
        *,
        updates_before: int | None = None,
    ) -> list[Fill]:
        """REST's answers after a (re)connect: they replace what the book had.

        None for `account`, `positions` or `orders` means "not fetched": the book keeps
        its own. Orders REST did not list are dropped if they were open (REST is the
        truth about open orders) and kept if closed (recent history), except orders the
        stream changed after `updates_before` (the book's `updates` when the REST reads
        began): REST's answer predates them. Returns the fills never seen before, oldest
        first, each remembered so it is never returned again.
        """
        if account is not None:
            self.account = account
        if positions is not None:
            self.positions = {position.symbol: position for position in positions}
        if orders is not None:
            self._replace_orders(orders, updates_before)
        new: list[Fill] = []
        for fill in sorted(fills, key=lambda f: f.time_ns):
            if not self.seen(fill):
                self._remember(fill)
                new.append(fill)
        self._insert_fills(new)
        self.version += 1
        return new

    # --- internals ----------------------------------------------------------------------

    def _put_order(self, order: Order) -> None:
        parent_id = self._leg_parent.get(order.id)
        if parent_id is not None and (parent := self.orders.get(parent_id)) is not None:
            legs = tuple(
                replace(order, parent_id=parent_id, legs=leg.legs)
                if leg.id == order.id and order.newest_ns >= leg.newest_ns
                else leg
                for leg in parent.legs
            )
            self.orders[parent_id] = replace(parent, legs=legs)
            return
        old = self.orders.get(order.id)
        if old is not None:
            if order.newest_ns < old.newest_ns:
                return  # a late update older than what REST or the stream already said
            if not order.legs and old.legs:
                order = replace(order, legs=old.legs)
        self.orders[order.id] = order
        for leg in order.legs:
            self._leg_parent[leg.id] = order.id

    def _replace_orders(self, orders: Iterable[Order], updates_before: int | None) -> None:
        merged: dict[str, Order] = {}
        for order in orders:
            if order.parent_id is not None and order.parent_id in merged:
                continue  # a leg listed flat as well as inside its parent
            old = self.orders.get(order.id)
            # A stream update newer than the REST answer (it arrived while REST answered).
            keep = old is not None and old.newest_ns > order.newest_ns
            merged[order.id] = old if keep and old is not None else order
        for order_id, old in self.orders.items():
            if order_id in merged:
                continue
            streamed = self._update_no.get(order_id, 0)
            if not _active(old) or (updates_before is not None and streamed > updates_before):
                merged[order_id] = old  # closed history, or news REST could not know yet
        self.orders = merged
        self._update_no = {k: v for k, v in self._update_no.items() if k in merged}
        self._leg_parent = {leg.id: o.id for o in merged.values() for leg in o.legs}
        self._prune_closed()

    def _prune_closed(self) -> None:
        closed = [order for order in self.orders.values() if not _active(order)]
        extra = len(closed) - self._max_closed
        if extra <= 0:
            return
        closed.sort(key=lambda order: order.newest_ns)
        for order in closed[:extra]:
            del self.orders[order.id]
            self._update_no.pop(order.id, None)
            for leg in order.legs:
                self._leg_parent.pop(leg.id, None)

    def _remember(self, fill: Fill) -> None:
        for ident in _identities(fill):
            self._seen[ident] = None
        while len(self._seen) > self._max_seen:
            del self._seen[next(iter(self._seen))]
        if self.newest_fill_ns is None or fill.time_ns > self.newest_fill_ns:
            self.newest_fill_ns = fill.time_ns

    def _insert_fills(self, fills: list[Fill]) -> None:
        if not fills:
            return
        newest = self.fills[-1].time_ns if self.fills else None
        if newest is not None and fills[0].time_ns < newest:
            # Older than a fill already shown (missed during a drop, found by REST): keep
            # the deque in time order. 200 items: sorting is cheap.
            merged = sorted([*self.fills, *fills], key=lambda f: f.time_ns)
            self.fills.clear()
            self.fills.extend(merged)
        else:
            self.fills.extend(fills)

    def _apply_position(self, fill: Fill, qty: float) -> None:
        """The stream's `position_qty` after a fill, until the next REST refresh says more."""
        symbol = fill.symbol
        if qty == 0:
            self.positions.pop(symbol, None)
            return
        old = self.positions.get(symbol)
        signed = fill.qty if fill.side == "buy" else -fill.qty
        avg: float | None
        if old is None or old.qty * qty < 0 or old.avg_entry_price is None:
            avg = fill.price if old is None or old.qty * qty < 0 else None
        elif abs(qty) > abs(old.qty):  # added to: the average moves toward this price
            avg = (old.avg_entry_price * old.qty + fill.price * signed) / qty
        else:
            avg = old.avg_entry_price  # reduced: the average entry stays
        current = old.current_price if old is not None else fill.price
        cost = avg * qty if avg is not None else None
        value = current * qty if current is not None else None
        self.positions[symbol] = Position(
            symbol=symbol,
            qty=qty,
            side="long" if qty > 0 else "short",
            avg_entry_price=avg,
            cost_basis=cost,
            market_value=value,
            current_price=current,
            lastday_price=old.lastday_price if old is not None else None,
            unrealized_pl=value - cost if value is not None and cost is not None else None,
            # Shares bought today count from their price, the rest from last close:
            # unknown here, so missing until the positions refresh (never a wrong figure).
            unrealized_intraday_pl=None,
        )
