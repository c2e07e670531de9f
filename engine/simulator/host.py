"""What the simulator's fault injector and client handler may touch on the running server.

`Simulator` (server.py) satisfies `SimulatorHost`; faults.py and handler.py depend on this
protocol instead of importing server.py, so the server imports them and nothing imports
the server back (no import cycle, not even under TYPE_CHECKING).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from engine.simulator.config import SimulatorConfig
    from engine.simulator.market import Market
    from engine.simulator.session import ServerSession
    from engine.simulator.slots import Slots
    from engine.simulator.trading import Trading
    from engine.simulator.wire import Message

__all__ = ["SimulatorHost", "SimulatorStats"]


@dataclasses.dataclass(slots=True)
class SimulatorStats:
    """Counters for tests and the CLI's log; per-session counts live on each ServerSession."""

    connections: int = 0
    open_sessions: int = 0
    authenticated: int = 0
    errors_sent: Counter[int] = dataclasses.field(default_factory=Counter)
    bad_client_messages: int = 0
    messages_generated: int = 0
    slow_client_drops: int = 0
    aborted: int = 0
    rest_requests: int = 0
    rest_rate_limited: int = 0  # REST calls answered 429 (engine.simulator.ratelimit)
    rest_bad_requests: int = 0  # bars queries refused, 400/403 (engine.simulator.barsroute)
    delayed_dropped: int = 0  # messages the delayed_sip buffer dropped (engine.simulator.delay)


class SimulatorHost(Protocol):
    """The server as its handler and fault injector see it."""

    config: SimulatorConfig
    market: Market
    test_market: Market
    sessions: dict[int, ServerSession]
    stats: SimulatorStats
    slots: Slots
    auth_refused: bool
    slow_client_limit: int
    trading: Trading

    def now_ns(self) -> int: ...

    def broadcast(self, main: list[Message], test: list[Message]) -> None: ...

    def refresh_active(self) -> None: ...

    def set_paused(self, paused: bool) -> None: ...

    def send_error(self, session: ServerSession, code: int, *, close: bool = False) -> None: ...
