"""Settings > Test connection: authenticate once against an endpoint with a throw-away client.

The probe never touches the running stream: its own StreamClient, store and health, stopped
as soon as the handshake is decided (streaming, failed or reconnecting) or after
PROBE_TIMEOUT_S. `Runtime.probe` passes it the values typed into the settings dialog.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from engine.market.store import MarketDataStore
from engine.net.health import ConnectionState, StreamHealth
from engine.net.stream import ConfigError, StreamClient, StreamConfig

PROBE_TIMEOUT_S = 10.0
_PROBE_POLL_S = 0.05
_DECIDED = (ConnectionState.STREAMING, ConnectionState.FAILED, ConnectionState.RECONNECTING)


async def probe_stream(
    config: StreamConfig, clock: Callable[[], float] = time.monotonic
) -> tuple[bool, str]:
    """Connect and authenticate once with a throw-away client; (ok, what happened)."""
    health = StreamHealth(clock=clock)
    try:
        client = StreamClient(config, MarketDataStore(clock=clock), health, clock=clock)
    except ConfigError as exc:
        return False, str(exc)
    client.start()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PROBE_TIMEOUT_S
    try:
        # StreamHealth is a plain object without change signals: poll it briefly.
        while health.state not in _DECIDED and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(_PROBE_POLL_S)
        state, error = health.state, health.last_error
    finally:
        await client.stop()
    if state is ConnectionState.STREAMING:
        return True, f"Connected and authenticated at {config.endpoint}"
    if state in _DECIDED:
        return False, f"Failed at {config.endpoint}: {error or 'unknown error'}"
    return False, f"No answer from {config.endpoint} within {PROBE_TIMEOUT_S:.0f} s"
