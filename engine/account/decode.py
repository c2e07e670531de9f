"""Trading API answers (JSON bytes) -> `engine.account.models`, never raising.

Each decoder returns what it could read and a list of problems in words; one bad item is
skipped (or one bad field left None) and the rest still apply. The caller counts the
problems (docs/design.md: bad input never crashes and never silently corrupts). Shapes
and field names: docs/account-and-history.md, "Trading API (account)".
"""

from __future__ import annotations

from datetime import date, time
from typing import Any

import msgspec

from engine.account.fields import describe, read_bool, read_ns, read_num, read_str
from engine.account.models import (
    Account,
    Asset,
    CalendarDay,
    Fill,
    MarketClock,
    Order,
    OrderStatus,
    Position,
    ServerWatchlist,
    Side,
)

__all__ = [
    "decode_account",
    "decode_activities",
    "decode_assets",
    "decode_calendar",
    "decode_clock",
    "decode_orders",
    "decode_positions",
    "decode_watchlist",
    "decode_watchlists",
    "fill_key",
    "order_from_obj",
    "parse_side",
]

_DECODER = msgspec.json.Decoder()
_STATUSES = frozenset(status.value for status in OrderStatus)
_MAX_LEG_DEPTH = 3  # bracket legs have no legs of their own; deeper nesting is refused


def _load(data: bytes | str, what: str, problems: list[str]) -> Any:
    try:
        return _DECODER.decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        problems.append(f"{what}: the answer is not JSON ({exc})")
        return None


def _object(data: bytes | str, what: str, problems: list[str]) -> dict[str, Any] | None:
    loaded = _load(data, what, problems)
    if loaded is None:
        return None
    if not isinstance(loaded, dict):
        problems.append(f"{what}: expected an object, got {type(loaded).__name__}")
        return None
    return loaded


def _items(data: bytes | str, what: str, problems: list[str]) -> list[Any]:
    loaded = _load(data, what, problems)
    if loaded is None:
        return []
    if not isinstance(loaded, list):
        problems.append(f"{what}: expected a list, got {type(loaded).__name__}")
        return []
    return loaded


def parse_side(value: object) -> Side | None:
    """`buy`/`sell`; an activity's `sell_short` is a sell."""
    if value == "buy":
        return Side.BUY
    if value in ("sell", "sell_short"):
        return Side.SELL
    return None


def fill_key(execution_id: str, order_id: str, cum_qty: float | None) -> str:
    """A fill's identity: the execution id (the uuid of an activity id), else
    order id and cumulative quantity (each execution raises the latter)."""
    if execution_id:
        return execution_id.rpartition("::")[2]
    return f"{order_id}:{cum_qty!r}"


def decode_account(data: bytes | str) -> tuple[Account | None, list[str]]:
    problems: list[str] = []
    obj = _object(data, "account", problems)
    if obj is None:
        return None, problems
    where = "account"
    account = Account(
        account_number=read_str(obj, "account_number") or read_str(obj, "id"),
        status=read_str(obj, "status"),
        currency=read_str(obj, "currency"),
        cash=read_num(obj, "cash", where, problems),
        equity=read_num(obj, "equity", where, problems),
        last_equity=read_num(obj, "last_equity", where, problems),
        buying_power=read_num(obj, "buying_power", where, problems),
        portfolio_value=read_num(obj, "portfolio_value", where, problems),
        pattern_day_trader=read_bool(obj, "pattern_day_trader", where, problems),
        trading_blocked=read_bool(obj, "trading_blocked", where, problems),
        account_blocked=read_bool(obj, "account_blocked", where, problems),
    )
    return account, problems


def _position(obj: object, index: int, problems: list[str]) -> Position | None:
    if not isinstance(obj, dict):
        problems.append(f"position #{index}: not an object ({describe(obj)})")
        return None
    symbol = read_str(obj, "symbol")
    where = f"position {symbol or '#' + str(index)}"
    qty = read_num(obj, "qty", where, problems)
    if not symbol or qty is None:
        problems.append(f"{where}: skipped, no symbol or quantity")
        return None
    side = read_str(obj, "side") or ("short" if qty < 0 else "long")
    return Position(
        symbol=symbol,
        qty=qty,
        side=side,
        avg_entry_price=read_num(obj, "avg_entry_price", where, problems),
        cost_basis=read_num(obj, "cost_basis", where, problems),
        market_value=read_num(obj, "market_value", where, problems),
        current_price=read_num(obj, "current_price", where, problems),
        lastday_price=read_num(obj, "lastday_price", where, problems),
        unrealized_pl=read_num(obj, "unrealized_pl", where, problems),
        unrealized_intraday_pl=read_num(obj, "unrealized_intraday_pl", where, problems),
    )


def decode_positions(data: bytes | str) -> tuple[list[Position], list[str]]:
    problems: list[str] = []
    out = [
        position
        for index, obj in enumerate(_items(data, "positions", problems))
        if (position := _position(obj, index, problems)) is not None
    ]
    return out, problems


def order_from_obj(
    obj: object, problems: list[str], *, parent_id: str | None = None, depth: int = 0
) -> Order | None:
    """One order object (REST or a trade update's `order`); None (and a problem) if the
    id, symbol, side or status is unusable. Bad legs are skipped, the order kept."""
    if not isinstance(obj, dict):
        problems.append(f"order: not an object ({describe(obj)})")
        return None
    order_id = read_str(obj, "id")
    where = f"order {order_id or '?'}"
    symbol = read_str(obj, "symbol")
    side = parse_side(obj.get("side"))
    raw_status = obj.get("status")
    status = None
    if isinstance(raw_status, str) and raw_status in _STATUSES:
        status = OrderStatus(raw_status)
    if not order_id or not symbol or side is None or status is None:
        problems.append(
            f"{where}: skipped, unusable id, symbol, side or status "
            f"(symbol {describe(obj.get('symbol'))}, side {describe(obj.get('side'))}, "
            f"status {describe(obj.get('status'))})"
        )
        return None
    filled_qty = read_num(obj, "filled_qty", where, problems)
    if filled_qty is None:
        # Alpaca always sends it ("0" before any fill); without it nothing was seen filled.
        problems.append(f"{where}: no filled_qty, taken as nothing filled")
        filled_qty = 0.0
    legs: list[Order] = []
    raw_legs = obj.get("legs")
    if isinstance(raw_legs, list):
        if depth >= _MAX_LEG_DEPTH:
            problems.append(f"{where}: legs nested too deep, ignored")
        else:
            for raw in raw_legs:
                leg = order_from_obj(raw, problems, parent_id=order_id, depth=depth + 1)
                if leg is not None:
                    legs.append(leg)
    elif raw_legs is not None:
        problems.append(f"{where}: legs is not a list ({describe(raw_legs)})")
    return Order(
        id=order_id,
        client_order_id=read_str(obj, "client_order_id"),
        symbol=symbol,
        side=side,
        type=read_str(obj, "type") or read_str(obj, "order_type"),
        time_in_force=read_str(obj, "time_in_force"),
        qty=read_num(obj, "qty", where, problems),
        notional=read_num(obj, "notional", where, problems),
        filled_qty=filled_qty,
        filled_avg_price=read_num(obj, "filled_avg_price", where, problems),
        limit_price=read_num(obj, "limit_price", where, problems),
        stop_price=read_num(obj, "stop_price", where, problems),
        status=status,
        order_class=read_str(obj, "order_class") or "simple",
        created_ns=read_ns(obj, "created_at", where, problems),
        updated_ns=read_ns(obj, "updated_at", where, problems),
        filled_ns=read_ns(obj, "filled_at", where, problems),
        legs=tuple(legs),
        parent_id=parent_id,
    )


def decode_orders(data: bytes | str) -> tuple[list[Order], list[str]]:
    problems: list[str] = []
    out = [
        order
        for obj in _items(data, "orders", problems)
        if (order := order_from_obj(obj, problems)) is not None
    ]
    return out, problems


def _activity_fill(obj: object, index: int, problems: list[str]) -> Fill | None:
    if not isinstance(obj, dict):
        problems.append(f"activity #{index}: not an object ({describe(obj)})")
        return None
    kind = obj.get("activity_type")
    if kind is not None and kind != "FILL":
        return None  # another activity type: not a fill, and no problem
    activity_id = read_str(obj, "id")
    where = f"fill activity {activity_id or '#' + str(index)}"
    order_id = read_str(obj, "order_id")
    symbol = read_str(obj, "symbol")
    side = parse_side(obj.get("side"))
    qty = read_num(obj, "qty", where, problems)
    price = read_num(obj, "price", where, problems)
    time_ns = read_ns(obj, "transaction_time", where, problems)
    if not order_id or not symbol or side is None or qty is None or price is None:
        problems.append(f"{where}: skipped, no order id, symbol, side, qty or price")
        return None
    if time_ns is None:
        problems.append(f"{where}: skipped, no transaction_time")
        return None
    cum_qty = read_num(obj, "cum_qty", where, problems)
    return Fill(
        key=fill_key(activity_id, order_id, cum_qty),
        order_id=order_id,
        symbol=symbol,
        side=side,
        qty=qty,
        price=price,
        time_ns=time_ns,
        cum_qty=cum_qty,
        leaves_qty=read_num(obj, "leaves_qty", where, problems),
        partial=obj.get("type") == "partial_fill",
    )


def decode_activities(data: bytes | str) -> tuple[list[Fill], list[str]]:
    """FILL activities as fills (other activity types are left out, not problems)."""
    problems: list[str] = []
    out = [
        fill
        for index, obj in enumerate(_items(data, "activities", problems))
        if (fill := _activity_fill(obj, index, problems)) is not None
    ]
    return out, problems


def decode_assets(data: bytes | str) -> tuple[list[Asset], list[str]]:
    problems: list[str] = []
    out: list[Asset] = []
    for index, obj in enumerate(_items(data, "assets", problems)):
        if not isinstance(obj, dict) or not read_str(obj, "symbol"):
            problems.append(f"asset #{index}: skipped, no symbol ({describe(obj)})")
            continue
        where = f"asset {obj['symbol']}"
        out.append(
            Asset(
                symbol=obj["symbol"],
                name=read_str(obj, "name"),
                exchange=read_str(obj, "exchange"),
                tradable=read_bool(obj, "tradable", where, problems),
                status=read_str(obj, "status"),
                asset_class=read_str(obj, "class") or read_str(obj, "asset_class"),
            )
        )
    return out, problems


def decode_clock(data: bytes | str) -> tuple[MarketClock | None, list[str]]:
    problems: list[str] = []
    obj = _object(data, "clock", problems)
    if obj is None:
        return None, problems
    stamp = read_ns(obj, "timestamp", "clock", problems)
    next_open = read_ns(obj, "next_open", "clock", problems)
    next_close = read_ns(obj, "next_close", "clock", problems)
    is_open = obj.get("is_open")
    if stamp is None or next_open is None or next_close is None or not isinstance(is_open, bool):
        problems.append("clock: unusable, a time or is_open is missing")
        return None, problems
    return MarketClock(stamp, is_open, next_open, next_close), problems


def _hhmm(value: object) -> time | None:
    """ "09:30" (or "0930", as session_open is sent) -> time; None if unreadable."""
    if not isinstance(value, str):
        return None
    text = value.replace(":", "")
    if len(text) != 4 or not (text.isascii() and text.isdigit()):
        return None
    hour, minute = int(text[:2]), int(text[2:])
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def decode_calendar(data: bytes | str) -> tuple[list[CalendarDay], list[str]]:
    problems: list[str] = []
    out: list[CalendarDay] = []
    for index, obj in enumerate(_items(data, "calendar", problems)):
        if not isinstance(obj, dict):
            problems.append(f"calendar #{index}: not an object ({describe(obj)})")
            continue
        try:
            day = date.fromisoformat(obj.get("date", ""))
        except (TypeError, ValueError):
            problems.append(f"calendar #{index}: skipped, bad date {describe(obj.get('date'))}")
            continue
        opens, closes = _hhmm(obj.get("open")), _hhmm(obj.get("close"))
        if opens is None or closes is None:
            problems.append(f"calendar {day}: skipped, bad open or close time")
            continue
        out.append(CalendarDay(day, opens, closes))
    return out, problems


def _watchlist(obj: object, problems: list[str]) -> ServerWatchlist | None:
    if not isinstance(obj, dict) or not read_str(obj, "id"):
        problems.append(f"watchlist: skipped, no id ({describe(obj)})")
        return None
    where = f"watchlist {obj['id']}"
    symbols: list[str] = []
    assets = obj.get("assets")
    if isinstance(assets, list):
        for asset in assets:
            symbol = read_str(asset, "symbol") if isinstance(asset, dict) else ""
            if symbol:
                symbols.append(symbol)
            else:
                problems.append(f"{where}: an asset without a symbol skipped")
    elif assets is not None:
        problems.append(f"{where}: assets is not a list ({describe(assets)})")
    return ServerWatchlist(
        id=obj["id"],
        name=read_str(obj, "name"),
        symbols=tuple(symbols),
        updated_ns=read_ns(obj, "updated_at", where, problems),
    )


def decode_watchlists(data: bytes | str) -> tuple[list[ServerWatchlist], list[str]]:
    """GET /v2/watchlists: every list (their symbols are empty: the list has no assets)."""
    problems: list[str] = []
    out = [
        item
        for obj in _items(data, "watchlists", problems)
        if (item := _watchlist(obj, problems)) is not None
    ]
    return out, problems


def decode_watchlist(data: bytes | str) -> tuple[ServerWatchlist | None, list[str]]:
    """GET/PUT/POST /v2/watchlists/{id}: one list with its symbols, in order."""
    problems: list[str] = []
    obj = _load(data, "watchlist", problems)
    if obj is None:
        return None, problems
    return _watchlist(obj, problems), problems
