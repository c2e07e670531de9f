"""Trading API answers decode at the edge: numbers from strings, missing stays None,
a bad item is skipped with words, nothing raises (docs/account-and-history.md)."""

from __future__ import annotations

from datetime import date, time

from engine.account.decode import (
    decode_account,
    decode_activities,
    decode_assets,
    decode_calendar,
    decode_clock,
    decode_orders,
    decode_positions,
    decode_watchlist,
    decode_watchlists,
)
from engine.account.models import OrderStatus, Side
from tests.engine.account.samples import (
    ACCOUNT,
    POSITION_AAPL,
    POSITION_SPY_SHORT,
    activity,
    dumps,
    order,
)


def test_account_numbers_from_strings_and_day_pl() -> None:
    account, problems = decode_account(dumps(ACCOUNT))
    assert problems == []
    assert account is not None
    assert account.account_number == "PA2TDUEF3R8E"
    assert account.cash == 100000.5
    assert account.equity == 102500.25
    assert account.day_pl == 1500.25
    assert account.day_pl_pct is not None
    assert abs(account.day_pl_pct - 1500.25 / 101000 * 100) < 1e-9
    assert not account.pattern_day_trader


def test_missing_money_stays_none_never_zero() -> None:
    body = {k: v for k, v in ACCOUNT.items() if k not in ("equity", "buying_power")}
    body["cash"] = None
    account, problems = decode_account(dumps(body))
    assert problems == []
    assert account is not None
    assert account.equity is None
    assert account.buying_power is None
    assert account.cash is None
    assert account.day_pl is None
    assert account.day_pl_pct is None


def test_unreadable_number_is_none_with_words() -> None:
    account, problems = decode_account(dumps({**ACCOUNT, "equity": "lots", "cash": "NaN"}))
    assert account is not None
    assert account.equity is None
    assert account.cash is None
    assert len(problems) == 2
    assert "account: equity is not a number ('lots')" in problems


def test_account_garbage_never_raises() -> None:
    for data in (b"", b"not json", b"[1,2]", b"\xff\xfe", b'"text"'):
        account, problems = decode_account(data)
        assert account is None
        assert len(problems) == 1


def test_positions_long_and_short_one_bad_skipped() -> None:
    data = dumps([POSITION_AAPL, {"symbol": "BAD", "qty": "x"}, 7, POSITION_SPY_SHORT])
    positions, problems = decode_positions(data)
    assert [p.symbol for p in positions] == ["AAPL", "SPY"]
    aapl, spy = positions
    assert aapl.qty == 50.0
    assert aapl.avg_entry_price == 150.10
    assert aapl.unrealized_intraday_pl == 100.0
    assert spy.qty == -10.0
    assert spy.side == "short"
    assert len(problems) == 3  # the bad qty, the skip, the non-object
    assert any("position BAD: skipped" in p for p in problems)


def test_orders_with_nested_legs_and_unknown_status_skipped() -> None:
    stop = order("leg-stop", side="sell", status="held", limit_price=None)
    take = order("leg-take", side="sell", status="new", limit_price="200")
    parent = order("parent", status="filled", filled_qty="100", order_class="bracket",
                   filled_avg_price="170.4", legs=[stop, take])  # fmt: skip
    weird = order("weird", status="teleported")
    orders, problems = decode_orders(dumps([parent, weird, order("plain")]))
    assert [o.id for o in orders] == ["parent", "plain"]
    bracket = orders[0]
    assert bracket.order_class == "bracket"
    assert bracket.status is OrderStatus.FILLED
    assert not bracket.status.is_open
    assert bracket.filled_avg_price == 170.4
    assert [leg.id for leg in bracket.legs] == ["leg-stop", "leg-take"]
    assert all(leg.parent_id == "parent" for leg in bracket.legs)
    assert bracket.legs[0].status.is_open
    assert bracket.created_ns == 1709562600123456789  # all nine digits kept
    assert orders[1].order_class == "simple"  # "" on the wire means a simple order
    assert orders[1].side is Side.BUY
    assert len(problems) == 1
    assert "teleported" in problems[0]


def test_notional_order_has_no_qty() -> None:
    body = {**order("n1", qty=None), "notional": "250.5"}
    orders, problems = decode_orders(dumps([body]))
    assert problems == []
    assert orders[0].qty is None
    assert orders[0].notional == 250.5


def test_activities_fill_key_is_the_execution_uuid() -> None:
    other = {"id": "x", "activity_type": "DIV", "net_amount": "1"}
    fills, problems = decode_activities(
        dumps([activity("aaaa-1111"), other, {"activity_type": "FILL", "id": "bad"}])
    )
    assert len(fills) == 1
    fill = fills[0]
    assert fill.key == "aaaa-1111"
    assert fill.partial
    assert fill.qty == 40.0
    assert fill.cum_qty == 40.0
    assert fill.leaves_qty == 60.0
    assert fill.side is Side.BUY
    assert fill.time_ns == 1709562660500000000
    assert len(problems) == 1
    assert "skipped" in problems[0]


def test_activity_sell_short_is_a_sell_and_no_id_falls_back() -> None:
    body = activity("u", kind="fill", qty="10", cum_qty="10", leaves_qty="0")
    body["side"] = "sell_short"
    del body["id"]
    fills, problems = decode_activities(dumps([body]))
    assert problems == []
    assert fills[0].side is Side.SELL
    assert fills[0].key == f"{body['order_id']}:10.0"
    assert not fills[0].partial


def test_assets_clock_calendar() -> None:
    assets, problems = decode_assets(
        dumps(
            [
                {"id": "1", "class": "us_equity", "exchange": "NASDAQ", "symbol": "AAPL",
                 "name": "Apple Inc.", "status": "active", "tradable": True},
                {"name": "no symbol"},
            ]
        )
    )  # fmt: skip
    assert [(a.symbol, a.name, a.asset_class, a.tradable) for a in assets] == [
        ("AAPL", "Apple Inc.", "us_equity", True)
    ]
    assert len(problems) == 1

    clock, problems = decode_clock(
        dumps(
            {
                "timestamp": "2024-03-04T10:00:00.5-05:00",
                "is_open": True,
                "next_open": "2024-03-05T09:30:00-05:00",
                "next_close": "2024-03-04T16:00:00-05:00",
            }
        )
    )
    assert problems == []
    assert clock is not None
    assert clock.is_open
    assert clock.timestamp_ns == 1709564400500000000
    assert decode_clock(b'{"is_open": "yes"}')[0] is None

    days, problems = decode_calendar(
        dumps(
            [
                {"date": "2024-11-29", "open": "09:30", "close": "13:00",
                 "session_open": "0400", "session_close": "1700"},
                {"date": "2024-13-01", "open": "09:30", "close": "16:00"},
                {"date": "2024-12-02", "open": "0930", "close": "1600"},
            ]
        )
    )  # fmt: skip
    assert [(d.date, d.open, d.close) for d in days] == [
        (date(2024, 11, 29), time(9, 30), time(13, 0)),
        (date(2024, 12, 2), time(9, 30), time(16, 0)),
    ]
    assert len(problems) == 1


def test_watchlists_list_and_one() -> None:
    lists, problems = decode_watchlists(
        dumps(
            [
                {"id": "w1", "account_id": "a", "name": "Tech",
                 "created_at": "2024-03-04T14:30:00Z", "updated_at": "2024-03-04T14:31:00Z"},
                {"name": "no id"},
            ]
        )
    )  # fmt: skip
    assert [(w.id, w.name, w.symbols) for w in lists] == [("w1", "Tech", ())]
    assert len(problems) == 1
    one, problems = decode_watchlist(
        dumps({"id": "w1", "name": "Tech", "assets": [{"symbol": "AAPL"}, {"symbol": "MSFT"}]})
    )
    assert problems == []
    assert one is not None
    assert one.symbols == ("AAPL", "MSFT")
    assert decode_watchlist(b"{}")[0] is None
