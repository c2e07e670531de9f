"""engine.plan: plans, their limits in words, the split and learning from a 405 (pure)."""

from __future__ import annotations

import pytest

from engine.demo import DemoOptions, parse_demo_at, parse_demo_speed
from engine.events import Subscription
from engine.plan import (
    BASIC_SYMBOL_LIMIT,
    BudgetSplit,
    MarketDataPlan,
    PlanLimit,
    SymbolBudget,
    counted_symbols,
    default_plan,
    learned_limit,
    name_list,
    parse_plan,
    split_symbols,
)

SYMBOLS = [f"S{i:02d}" for i in range(34)]


def test_plans_and_their_limits_in_words() -> None:
    basic = PlanLimit(MarketDataPlan.BASIC)
    plus = PlanLimit(MarketDataPlan.ALGO_TRADER_PLUS)
    custom = PlanLimit(MarketDataPlan.CUSTOM, 12)
    assert (basic.limit, plus.limit, custom.limit) == (30, None, 12)
    assert basic.allows() == "Alpaca's free plan allows 30"
    assert plus.allows() == "Algo Trader Plus has no symbol limit"
    assert custom.allows() == "your plan setting allows 12"
    assert "30 symbols (trades and quotes together) on one connection" in basic.describe()
    assert "IEX" in basic.describe()
    assert "no symbol limit" in plus.describe()
    assert "12 symbols" in custom.describe()
    assert [p.label for p in MarketDataPlan] == [
        "Basic (free)", "Algo Trader Plus", "Custom symbol limit"]  # fmt: skip


def test_parse_plan_spellings_and_errors() -> None:
    assert parse_plan("basic") == parse_plan("FREE") == PlanLimit(MarketDataPlan.BASIC)
    for text in ("algo-trader-plus", "algo_trader_plus", "plus", "unlimited"):
        assert parse_plan(text) == PlanLimit(MarketDataPlan.ALGO_TRADER_PLUS)
    assert parse_plan(" 25 ") == PlanLimit(MarketDataPlan.CUSTOM, 25)
    for plan in (PlanLimit(), PlanLimit(MarketDataPlan.ALGO_TRADER_PLUS), parse_plan("7")):
        assert parse_plan(plan.key()) == plan  # what settings store reads back
    with pytest.raises(ValueError, match="unknown plan"):
        parse_plan("gold")
    with pytest.raises(ValueError, match="at least 1"):
        parse_plan("0")
    with pytest.raises(ValueError, match="own limit"):
        PlanLimit(MarketDataPlan.BASIC, 10)


def test_default_plan_is_basic_unless_sip() -> None:
    assert default_plan("iex").plan is MarketDataPlan.BASIC
    assert default_plan("delayed_sip").plan is MarketDataPlan.BASIC
    assert default_plan("test").plan is MarketDataPlan.BASIC
    assert default_plan("sip").plan is MarketDataPlan.ALGO_TRADER_PLUS


def test_split_keeps_priority_order_and_loses_nothing() -> None:
    split = split_symbols([*SYMBOLS, "S00", "S01"], BASIC_SYMBOL_LIMIT)  # duplicates once
    assert split.streamed == tuple(SYMBOLS[:30])
    assert split.polled == tuple(SYMBOLS[30:])
    assert split.total == 34
    assert split_symbols(SYMBOLS, None) == BudgetSplit(tuple(SYMBOLS), (), None)
    assert split_symbols(SYMBOLS[:30], 30).polled == ()
    assert split_symbols(SYMBOLS[:3], 0) == BudgetSplit((), tuple(SYMBOLS[:3]), 0)
    assert split_symbols([], 30) == BudgetSplit((), (), 30)


def test_budget_message_says_why_and_hides_when_all_stream() -> None:
    budget = SymbolBudget(PlanLimit())
    budget.split(SYMBOLS[:30])
    assert budget.message() is None
    version = budget.version
    budget.split(SYMBOLS)
    assert budget.version > version
    assert budget.message() == "streaming 30 of 34 symbols: Alpaca's free plan allows 30"
    details = budget.details(15)
    assert "From REST snapshots every 15 s: S30, S31, S32, S33" in details
    assert "visible watchlist in row order" in details
    doc = budget.as_dict()
    assert doc["plan"] == "basic"
    assert doc["limit"] == 30
    assert doc["polled"] == ["S30", "S31", "S32", "S33"]
    assert doc["message"] == budget.message()
    budget.set_plan(PlanLimit(MarketDataPlan.ALGO_TRADER_PLUS))
    assert budget.split(SYMBOLS).polled == ()
    assert budget.message() is None


def test_a_405_within_the_limit_lowers_the_budget_to_what_was_confirmed() -> None:
    budget = SymbolBudget(PlanLimit(), source="Alpaca")
    budget.split(SYMBOLS)
    assert not budget.note_refusal(400, 30, 0)  # not a symbol limit
    assert budget.note_refusal(405, 30, 25)
    assert budget.limit == 25
    split = budget.split(SYMBOLS)
    assert len(split.streamed) == 25
    assert budget.message() == (
        "streaming 25 of 34 symbols: Alpaca refused 30 symbols (error 405: symbol limit) "
        "and confirmed only 25, so 25 stream"
    )
    assert not budget.note_refusal(405, 25, 25)  # nothing lower to learn: no loop
    budget.set_plan(PlanLimit())  # new plan or key: learn again
    assert budget.limit == 30
    assert budget.learned is None


def test_learning_without_any_confirmed_symbol_converges() -> None:
    assert learned_limit(30, 0) == 15
    assert learned_limit(15, 0) == 7
    assert learned_limit(1, 0) == 0
    assert learned_limit(34, 0) == BASIC_SYMBOL_LIMIT  # "unlimited" key on the free plan
    assert learned_limit(34, 20) == 20
    assert learned_limit(20, 20) == 20  # all confirmed: nothing to learn
    budget = SymbolBudget(PlanLimit(MarketDataPlan.ALGO_TRADER_PLUS), source="the simulator")
    budget.split(SYMBOLS)
    assert budget.note_refusal(405, 34, 0)
    assert budget.split(SYMBOLS).streamed == tuple(SYMBOLS[:30])
    message = budget.message()
    assert message is not None
    assert message.startswith("streaming 30 of 34 symbols: the simulator refused 34")
    assert "confirmed nothing" in message


def test_counted_symbols_are_trades_and_quotes_together() -> None:
    sub = Subscription(
        trades=frozenset({"A", "B"}), quotes=frozenset({"B", "C"}), bars=frozenset({"D"})
    )
    assert counted_symbols(sub) == 3
    assert counted_symbols(Subscription(trades=frozenset({"*"}))) == 0
    assert name_list(["A", "B", "C"], 2) == "A, B (+1 more)"


def test_demo_clock_options() -> None:
    assert parse_demo_at("2026-11-20T09:25-05:00") == 1_795_184_700 * 10**9
    assert parse_demo_at("2026-11-20T14:25:00Z") == 1_795_184_700 * 10**9
    assert parse_demo_at("2026-11-20T09:25:00.5-05:00") == 1_795_184_700_500_000_000
    with pytest.raises(ValueError, match="no UTC offset"):
        parse_demo_at("2026-11-20T09:25")
    with pytest.raises(ValueError, match="not an RFC 3339 time"):
        parse_demo_at("tomorrow at nine")
    assert parse_demo_speed("60") == 60.0
    for bad in ("0", "-1", "nan", "inf", "fast"):
        with pytest.raises(ValueError, match="demo speed"):
            parse_demo_speed(bad)
    assert not DemoOptions().day
    assert DemoOptions(start_ns=1).day
    assert DemoOptions(speed=60).day
    assert DemoOptions().budget_plan().limit is None  # the demo: no limit unless asked
    assert DemoOptions(plan=PlanLimit()).budget_plan().limit == 30


def test_a_demo_with_a_plan_keeps_polled_symbols_trading() -> None:
    """Past the limit the demo polls REST; like Alpaca's market, those symbols still trade."""
    from engine.demo import DemoOptions
    from engine.plan import parse_plan
    from engine.simulator.config import Plan

    limited = DemoOptions(plan=parse_plan("basic")).simulator_config()
    assert limited.plan is Plan.FREE
    assert limited.symbol_limit == 30
    assert limited.rest_keeps_active_s > 0
    assert DemoOptions().simulator_config().rest_keeps_active_s == 0


def test_symbols_shared_through_the_gateway_spend_the_same_limit() -> None:
    budget = SymbolBudget(PlanLimit(MarketDataPlan.CUSTOM, 5))
    watched = ["AAPL", "MSFT", "SPY", "QQQ", "NVDA"]
    assert budget.split(watched).polled == ()
    assert budget.set_shared({"TSLA", "AMD", "MSFT"})
    assert not budget.set_shared({"MSFT", "AMD", "TSLA"})  # the same set: nothing to redo
    split = budget.split(watched)
    # TSLA and AMD take two of five; MSFT is both watched and shared and counts once.
    assert split.streamed == ("AAPL", "MSFT", "SPY")
    assert split.polled == ("QQQ", "NVDA")
    assert budget.message() == (
        "streaming 3 of 5 symbols: 2 more held by programs sharing the connection, "
        "your plan setting allows 5"
    )
    budget.set_shared(())
    assert budget.split(watched).polled == ()
    assert budget.message() is None
