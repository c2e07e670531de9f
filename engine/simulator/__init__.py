"""An Alpaca-compatible market data server on 127.0.0.1: websocket stream + REST snapshots.

Serves synthetic but plausible markets (engine.simulator.market) with Alpaca's
handshake, message types, error codes and encodings (docs/protocol.md), and injects
faults on demand (engine.simulator.faults). It never imports engine.protocol: it is an
independent peer, so tests against it prove the client speaks Alpaca.

Its market runs on a session clock (engine.simulator.clock: wall time, or a chosen start
at a chosen speed) and is either always on (the default) or lives the real trading day
(`SimulatorConfig.day`: phases, day roll, halts, delayed feed; docs/simulator.md).

Symbol rule: a symbol exists if it is in the configured universe; a valid-looking
symbol (`^[A-Z]{1,5}([.][A-Z]{1,2})?$`) subscribed on the stream joins it. Others are
absent from REST snapshots and silent on the stream.
"""

from engine.simulator.clock import SessionClock, parse_start
from engine.simulator.config import Plan, SimulatorConfig
from engine.simulator.faults import FaultInjector, FaultSchedule
from engine.simulator.host import SimulatorStats
from engine.simulator.server import SessionInfo, Simulator
from engine.simulator.universe import DEFAULT_SYMBOLS, TEST_SYMBOL

__all__ = [
    "DEFAULT_SYMBOLS",
    "TEST_SYMBOL",
    "FaultInjector",
    "FaultSchedule",
    "Plan",
    "SessionClock",
    "SessionInfo",
    "Simulator",
    "SimulatorConfig",
    "SimulatorStats",
    "parse_start",
]
