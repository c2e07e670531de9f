"""engine.gateway.registry: ref counts per (channel, symbol), the union, and the plan's
limits on the union (405 / 410, the simulator's rules in engine/simulator/handler.py)."""

from __future__ import annotations

from engine.events import Subscription
from engine.gateway.registry import GUI, SubscriptionRegistry, channel_attr
from engine.protocol.subscription import for_symbols


def sub(**channels: tuple[str, ...]) -> Subscription:
    return Subscription(**{ch: frozenset(symbols) for ch, symbols in channels.items()})


def test_ref_counting_keeps_a_symbol_until_its_last_holder_releases_it() -> None:
    reg = SubscriptionRegistry(None, free_plan=False)
    assert reg.add("a", sub(trades=("AAPL",), quotes=("AAPL",))) is True
    assert reg.add("b", sub(trades=("AAPL",))) is False  # already in the union
    assert reg.holders("trades", "AAPL") == 2
    assert reg.holders("quotes", "AAPL") == 1
    assert reg.remove("a", sub(trades=("AAPL",))) is False  # b still holds it
    assert reg.union().trades == {"AAPL"}
    assert reg.remove("b", sub(trades=("AAPL",))) is True
    assert reg.union().trades == frozenset()
    assert reg.union().quotes == {"AAPL"}
    assert reg.holders("trades", "AAPL") == 0


def test_adding_twice_counts_once_and_removing_what_is_not_held_is_ignored() -> None:
    reg = SubscriptionRegistry(None, free_plan=False)
    reg.add("a", sub(trades=("AAPL",)))
    assert reg.add("a", sub(trades=("AAPL",))) is False
    assert reg.holders("trades", "AAPL") == 1
    assert reg.remove("a", sub(trades=("MSFT",), quotes=("AAPL",))) is False
    assert reg.remove("nobody", sub(trades=("AAPL",))) is False
    assert reg.held("a") == sub(trades=("AAPL",))


def test_drop_forgets_a_holder_entirely() -> None:
    reg = SubscriptionRegistry(None, free_plan=False)
    reg.add("a", sub(trades=("AAPL", "MSFT"), bars=("SPY",)))
    reg.add("b", sub(trades=("MSFT",)))
    assert reg.drop("a") is True
    assert reg.union() == sub(trades=("MSFT",))
    assert reg.held("a") == Subscription()
    assert reg.holder_names() == ["b"]
    assert reg.drop("a") is False


def test_channel_names_alpaca_and_attribute() -> None:
    reg = SubscriptionRegistry(None, free_plan=False)
    reg.add("a", sub(updated_bars=("SPY",), daily_bars=("SPY",)))
    assert reg.holders("updatedBars", "SPY") == reg.holders("updated_bars", "SPY") == 1
    assert reg.holders("dailyBars", "SPY") == 1
    assert reg.holders("nochannel", "SPY") == 0
    assert channel_attr("dailyBars") == "daily_bars"


def test_405_counts_trades_and_quotes_across_base_holders_and_request() -> None:
    reg = SubscriptionRegistry(5, free_plan=False)
    base = for_symbols(("AAPL", "MSFT"), ("trades", "quotes", "bars"))
    assert reg.check("a", sub(trades=("SPY",), quotes=("QQQ",)), base) is None
    reg.add("a", sub(trades=("SPY",), quotes=("QQQ",)))
    assert reg.check("b", sub(trades=("AAPL", "IWM")), base) is None  # AAPL already counted
    assert reg.check("b", sub(trades=("IWM", "DIA")), base) == 405  # 6 > 5
    # bars are not limited; "*" is not a symbol
    assert reg.check("b", sub(bars=("A", "B", "C", "D")), base) is None
    assert reg.check("b", sub(trades=("*",)), base) is None


def test_405_when_already_over_the_limit_as_the_simulator_counts() -> None:
    reg = SubscriptionRegistry(2, free_plan=False)
    base = for_symbols(("A", "B", "C"), ("trades",))
    assert reg.check("x", sub(bars=("A",)), base) == 405
    reg.limit = None
    assert reg.check("x", sub(trades=("D", "E")), base) is None


def test_410_wildcard_on_trades_or_quotes_on_the_free_plan() -> None:
    reg = SubscriptionRegistry(30, free_plan=True)
    assert reg.check("a", sub(trades=("*",)), Subscription()) == 410
    assert reg.check("a", sub(quotes=("*",)), Subscription()) == 410
    assert reg.check("a", sub(bars=("*",)), Subscription()) is None
    reg.free_plan = False
    assert reg.check("a", sub(trades=("*",)), Subscription()) is None


def test_union_symbols_and_gui_name() -> None:
    reg = SubscriptionRegistry(None, free_plan=False)
    reg.add(GUI, sub(trades=("AAPL",)))
    reg.add("b", sub(lulds=("SPY",)))
    assert reg.union_symbols() == {"AAPL", "SPY"}
    assert GUI == "gui"
