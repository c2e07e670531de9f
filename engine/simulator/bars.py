"""Minute and daily bars built from the simulator's own trades (docs/simulator.md, "Bars").

- A minute bar exists only for a minute that had trades (IEX bars are thin: a missing
  minute is not an outage, docs/account-and-history.md).
- Extended-hours minute bars take their prices from Form T trades (nothing else trades
  then); the daily bar does not: a Form T trade adds to its volume, trade count and
  VWAP but never sets its open, high, low or close (the SIP's last-sale rule,
  docs/protocol.md "Trade conditions and the trading day"). So the day's bar is
  published (as `d`, and as REST's `dailyBar`) from the day's first regular-session trade
  on; until then `dailyBar` is still the last session's and `prevDailyBar` the one
  before. Its close is the regular session's close.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from engine.simulator.state import BarAcc, RecentTrade, SymbolState
from engine.simulator.wire import DailyBar, Message, MinuteBar, Ts, UpdatedBar

EXTENDED = "T"  # Form T: a trade outside the regular session


def bar_message(
    cls: type[MinuteBar] | type[DailyBar] | type[UpdatedBar], symbol: str, acc: BarAcc
) -> Message:
    return cls(symbol, acc.o, acc.h, acc.l, acc.c, acc.v, Ts(acc.start_ns), acc.n, acc.vwap)


def add_trade(
    st: SymbolState, price: float, size: int, cond: list[str], minute_start: int, day_start: int
) -> bool:  # fmt: skip
    """Put a trade into the symbol's bars; True if it opened the minute's bar.

    `day_start` stamps the trading day's bar when this is its first trade (the real day;
    the always-on market's `today` always exists).
    """
    opened = st.minute is None
    if st.minute is None:
        st.minute = BarAcc(minute_start, price, price, price, price)
    st.minute.add(price, size)
    sets = EXTENDED not in cond
    if st.today is None:
        st.today = BarAcc(day_start, price, price, price, price, priced=sets)
    st.today.add(price, size, sets_price=sets)
    if st.today.priced and st.daily is not st.today:
        # The day's first regular-session trade: its bar becomes the published one.
        st.prev_daily, st.daily = st.daily, st.today
    return opened


def adjust(
    st: SymbolState, trade: RecentTrade, d_notional: float, d_volume: int,
    new_price: float | None,
) -> Message | None:  # fmt: skip
    """Apply a correction/cancel to the bars that hold the trade; `u` if already sent.

    Highs and lows only widen: we keep sums, not every trade (bounded memory). A Form T
    trade never set a daily price, so its correction does not either.
    """
    targets: list[BarAcc] = []
    if st.today is not None:
        targets.append(st.today)
    if st.minute is not None and st.minute.start_ns == trade.minute_ns:
        targets.append(st.minute)
    elif st.last_bar.start_ns == trade.minute_ns:
        targets.append(st.last_bar)
    for acc in targets:
        acc.notional += d_notional
        if d_volume:
            acc.v += d_volume
            acc.n -= 1
        keeps_price = acc is st.today and EXTENDED in trade.c
        if new_price is not None and acc.priced and not keeps_price:
            acc.h, acc.l = max(acc.h, new_price), min(acc.l, new_price)
    if targets and targets[-1] is st.last_bar:
        return bar_message(UpdatedBar, st.symbol, st.last_bar)
    return None


def close_minute(states: Mapping[str, SymbolState], traded: Iterable[str]) -> list[Message]:
    """`b` (and `d`, once the day's bar has a price) for each symbol that traded."""
    out: list[Message] = []
    for symbol in traded:
        st = states[symbol]
        acc, st.minute = st.minute, None
        if acc is not None and acc.n > 0:
            st.last_bar = acc
            out.append(bar_message(MinuteBar, symbol, acc))
            if st.today is not None and st.today.priced:
                out.append(bar_message(DailyBar, symbol, st.today))
    return out


def roll_always_on(states: Iterable[SymbolState], day0: int) -> None:
    """The always-on market's midnight roll: a new bar at the last price, volume 0."""
    for st in states:
        p = st.last_price
        st.prev_daily, st.daily = st.daily, BarAcc(day0, p, p, p, p)
        st.today = st.daily


def begin_trading_day(states: Iterable[SymbolState]) -> None:
    """A new trading day begins (04:00 ET): its bar starts empty and unpublished.

    `dailyBar` stays the last session's until the day's first regular-session trade
    (add_trade); a symbol that does not trade that day keeps its bars. Weekends and
    holidays never roll, so Monday's previous bar is Friday's.
    """
    for st in states:
        st.today = None
        st.recent.clear()  # no correction reaches back into the last day
        st.luld_ref = 0.0
