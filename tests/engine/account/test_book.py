"""AccountBook: never a fill twice, REST as the truth after a reconnect, legs grouped,
bounded everywhere (docs/account-and-history.md, "How Tickerdesk reads the account")."""

from __future__ import annotations

from engine.account.book import AccountBook
from engine.account.decode import decode_account, decode_activities, decode_orders, decode_positions
from engine.account.models import Fill, Order, OrderStatus, Side, TradeUpdate
from engine.account.tradeproto import TradeProto
from tests.engine.account.samples import (
    ACCOUNT,
    POSITION_AAPL,
    activity,
    dumps,
    order,
    trade_update,
)

OID = "61e69015-8549-4bfd-b9c3-01e75843f47d"


def update_of(message: dict[str, object]) -> TradeUpdate:
    [update] = TradeProto().feed(dumps(message))
    assert isinstance(update, TradeUpdate)
    return update


def rest_orders(*bodies: dict[str, object]) -> list[Order]:
    orders, problems = decode_orders(dumps(list(bodies)))
    assert problems == []
    return orders


def rest_fills(*bodies: dict[str, object]) -> list[Fill]:
    fills, problems = decode_activities(dumps(list(bodies)))
    assert problems == []
    return fills


def partial_update(uuid: str = "uuid-1") -> TradeUpdate:
    body = order(OID, status="partially_filled", filled_qty="40", filled_avg_price="170.5",
                 updated_at="2024-03-04T14:31:00.5Z")  # fmt: skip
    return update_of(
        trade_update(
            "partial_fill", body, execution_id=uuid, qty="40", price="170.5", position_qty="90"
        )
    )


def test_stream_fill_then_rest_activity_of_the_same_execution_is_one_fill() -> None:
    book = AccountBook()
    first = book.apply_update(partial_update("uuid-1"))
    assert first is not None
    assert first.key == "uuid-1"
    # The same execution from /v2/account/activities: id "<timestamp>::uuid-1".
    new = book.reconcile(None, None, None, rest_fills(activity("uuid-1")))
    assert new == []
    assert len(book.fills) == 1
    # And the stream repeating it (e.g. after a reconnect) is not new either.
    assert book.apply_update(partial_update("uuid-1")) is None
    assert len(book.fills) == 1


def test_rest_activity_first_then_the_stream_event() -> None:
    book = AccountBook()
    assert len(book.reconcile(None, None, None, rest_fills(activity("uuid-9")))) == 1
    assert book.apply_update(partial_update("uuid-9")) is None
    assert len(book.fills) == 1


def test_stream_fill_without_execution_id_matches_by_order_and_cumulative_qty() -> None:
    book = AccountBook()
    body = order(OID, status="partially_filled", filled_qty="40")
    update = update_of(trade_update("partial_fill", body, qty="40", price="170.5"))
    assert update.fill is not None
    assert update.fill.key == f"{OID}:40.0"
    assert book.apply_update(update) is not None
    assert book.reconcile(None, None, None, rest_fills(activity("uuid-2"))) == []


def test_reconcile_after_a_drop_in_which_a_fill_happened() -> None:
    book = AccountBook()
    account, _ = decode_account(dumps(ACCOUNT))
    positions, _ = decode_positions(dumps([POSITION_AAPL]))
    book.reconcile(account, positions, rest_orders(order(OID)), [])
    assert [o.id for o in book.open_orders()] == [OID]
    # Connected: a first partial fill arrives on the stream.
    assert book.apply_update(partial_update("uuid-1")) is not None
    # The connection drops; meanwhile the order fills completely. After the reconnect
    # REST says so: the order is closed, and the activities list both executions.
    filled = order(OID, status="filled", filled_qty="100", filled_avg_price="170.48",
                   updated_at="2024-03-04T14:35:00Z")  # fmt: skip
    fills = rest_fills(
        activity("uuid-1"),
        activity(
            "uuid-2",
            qty="60",
            cum_qty="100",
            leaves_qty="0",
            kind="fill",
            time="2024-03-04T14:35:00Z",
            price="170.45",
        ),
    )
    moved = {**POSITION_AAPL, "qty": "150"}
    version = book.version
    new = book.reconcile(account, decode_positions(dumps([moved]))[0], rest_orders(filled), fills)
    assert [f.key for f in new] == ["uuid-2"]  # only the one missed during the drop
    assert book.version > version
    assert book.open_orders() == []
    assert book.orders[OID].status is OrderStatus.FILLED  # closed history kept
    assert book.positions["AAPL"].qty == 150.0
    assert [f.key for f in book.recent_fills()] == ["uuid-2", "uuid-1"]  # newest first
    # A second reconcile (another reconnect) returns nothing new.
    assert book.reconcile(account, None, rest_orders(filled), fills) == []


def test_partial_fill_then_cancel() -> None:
    book = AccountBook()
    book.reconcile(None, None, rest_orders(order(OID)), [])
    book.apply_update(partial_update())
    assert book.open_orders()[0].status is OrderStatus.PARTIALLY_FILLED
    canceled = order(OID, status="canceled", filled_qty="40", filled_avg_price="170.5",
                     updated_at="2024-03-04T14:32:00Z")  # fmt: skip
    assert book.apply_update(update_of(trade_update("canceled", canceled))) is None
    assert book.open_orders() == []
    assert book.orders[OID].filled_qty == 40.0
    assert len(book.fills) == 1


def test_a_late_update_does_not_undo_a_newer_state() -> None:
    book = AccountBook()
    canceled = order(OID, status="canceled", updated_at="2024-03-04T14:40:00Z")
    book.reconcile(None, None, rest_orders(canceled), [])
    stale = update_of(trade_update("new", order(OID, updated_at="2024-03-04T14:30:00Z")))
    book.apply_update(stale)
    assert book.orders[OID].status is OrderStatus.CANCELED


def test_open_order_gone_from_rest_is_dropped_closed_history_kept() -> None:
    book = AccountBook()
    book.reconcile(None, None, rest_orders(order("a"), order("b", status="filled")), [])
    book.reconcile(None, None, [], [])
    assert set(book.orders) == {"b"}


def test_legs_grouped_under_their_parent_and_leg_updates_land_there() -> None:
    book = AccountBook()
    stop = order("leg-stop", side="sell", status="held", limit_price=None)
    take = order("leg-take", side="sell", status="new", limit_price="200")
    parent = order("parent", status="filled", filled_qty="100", order_class="bracket",
                   created_at="2024-03-04T14:00:00Z", legs=[stop, take])  # fmt: skip
    newer = order("newer", created_at="2024-03-04T15:00:00Z")
    book.reconcile(None, None, rest_orders(parent, newer), [])
    # The parent filled, its legs are open: it is shown, newest first.
    assert [o.id for o in book.open_orders()] == ["newer", "parent"]
    assert [leg.id for leg in book.open_orders()[1].legs] == ["leg-stop", "leg-take"]
    # The take-profit leg fills on the stream: it is updated inside its parent.
    take_filled = order("leg-take", side="sell", status="filled", filled_qty="100",
                        updated_at="2024-03-04T16:00:00Z")  # fmt: skip
    fill = book.apply_update(update_of(trade_update(
        "fill", take_filled, execution_id="x-take", qty="100", price="200", position_qty="0"
    )))  # fmt: skip
    assert fill is not None
    assert fill.side is Side.SELL
    assert "leg-take" not in book.orders
    legs = {leg.id: leg for leg in book.orders["parent"].legs}
    assert legs["leg-take"].status is OrderStatus.FILLED
    assert legs["leg-take"].parent_id == "parent"
    assert "AAPL" not in book.positions  # position_qty 0: flat


def test_position_follows_the_stream_until_rest_refreshes() -> None:
    book = AccountBook()
    book.reconcile(None, decode_positions(dumps([POSITION_AAPL]))[0], None, [])
    book.apply_update(partial_update())  # bought 40 at 170.5, now 90
    aapl = book.positions["AAPL"]
    assert aapl.qty == 90.0
    assert aapl.avg_entry_price is not None
    assert abs(aapl.avg_entry_price - (150.10 * 50 + 170.5 * 40) / 90) < 1e-9
    assert aapl.unrealized_intraday_pl is None  # unknown until REST says, never wrong


def test_bounded_closed_orders_fills_and_seen_keys() -> None:
    book = AccountBook(max_closed=5, max_fills=4, max_seen=6)
    closed = [
        order(f"c{i}", status="filled", updated_at=f"2024-03-04T14:{i:02d}:00Z") for i in range(10)
    ]
    book.reconcile(None, None, rest_orders(*closed, order("open")), [])
    assert "open" in book.orders
    assert sorted(k for k in book.orders if k.startswith("c")) == [f"c{i}" for i in range(5, 10)]
    fills = rest_fills(
        *(
            activity(f"u{i}", cum_qty=str(i + 1), time=f"2024-03-04T14:{i:02d}:00Z")
            for i in range(10)
        )
    )
    assert len(book.reconcile(None, None, None, fills)) == 10
    assert [f.key for f in book.fills] == ["u6", "u7", "u8", "u9"]
    assert len(book._seen) == 6
    assert book.newest_fill_ns == fills[-1].time_ns


def test_problems_are_counted_with_words() -> None:
    book = AccountBook()
    book.note_problem("orders: order x: skipped")
    assert book.problems == 1
    assert book.last_problem == "orders: order x: skipped"


def test_an_order_streamed_while_rest_answered_is_not_dropped() -> None:
    book = AccountBook()
    before = book.updates  # the service notes this when its REST reads begin
    book.apply_update(update_of(trade_update("new", order("fresh"))))
    # REST's open orders were read before "fresh" existed: it is kept all the same.
    book.reconcile(None, None, [], [], updates_before=before)
    assert [o.id for o in book.open_orders()] == ["fresh"]
    # The next reconcile that began after the update does drop it if REST omits it.
    book.reconcile(None, None, [], [], updates_before=book.updates)
    assert book.open_orders() == []
