"""The simulator's Trading API and trade_updates stream (docs/simulator.md, "Trading API
and trade_updates"; the facts: docs/account-and-history.md).

`Trading` bundles the pieces the server wires in: `engine` (accounts, orders, matching
on every tick: engine.py), `routes` (REST on the simulator's REST base URL: routes.py)
and `streams` (`/stream` on its websocket base URL: stream.py).
"""

from __future__ import annotations

from collections.abc import Callable

from engine.simulator.config import SimulatorConfig
from engine.simulator.host import SimulatorStats
from engine.simulator.market import Market
from engine.simulator.ratelimit import RateLimiter
from engine.simulator.slots import Slots
from engine.simulator.trading.engine import TradingEngine, TradingStats
from engine.simulator.trading.routes import TradingRoutes, is_trading_path
from engine.simulator.trading.stream import PATH as STREAM_PATH
from engine.simulator.trading.stream import TradeStreamHub

__all__ = ["STREAM_PATH", "Trading", "TradingEngine", "TradingStats", "is_trading_path"]


class Trading:
    def __init__(
        self, config: SimulatorConfig, market: Market, now_ns: Callable[[], int],
        limiter: RateLimiter, stats: SimulatorStats, slots: Slots,
        on_symbols: Callable[[], None], refuse: Callable[[], bool], paused: Callable[[], bool],
    ) -> None:  # fmt: skip
        self.engine = TradingEngine(config, market, now_ns, on_symbols)
        self.routes = TradingRoutes(self.engine, limiter, stats)
        self.streams = TradeStreamHub(
            self.routes, slots, auth_timeout=config.auth_timeout,
            dead_slot_hold=config.dead_slot_hold, refuse=refuse, paused=paused,
        )  # fmt: skip
        self.engine.sink = self.streams.publish
