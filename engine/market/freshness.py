"""TTL policies and the freshness classification of a snapshot (pure: time is passed in).

Freshness defaults (seconds; `DEFAULT_TTLS`), from the data:
- STREAM/SIMULATOR: stale after 300, expired after 1800. On IEX (free plan) a healthy
  subscription can be silent for minutes (IEX prints a few percent of US volume; thin
  names go minutes without a print or a quote change, and Alpaca's own test stream sends
  a quote only every ~5 s). Liveness of the link is proven by websocket ping/pong in the
  stream client, not by silence (the SDK's 60 s "no data" reconnect misfires on quiet
  symbols), so while connected, quiet means "unchanged": grey only after 5 quiet minutes,
  hide after 30. While the stream is disconnected stream data is STALE at once, and
  stays at least STALE after reconnecting until new data arrives for the symbol (trades
  were missed in the gap). Expiry is measured from receipt in both cases: what a trader
  cares about is the age of the number, and a drop must never make old data look younger.
- REST: stale after 60, expired after 600. A snapshot is a point-in-time poll; the free
  plan allows 200 requests/minute, so the REST poller refreshes stale symbols well within
  a minute, and a snapshot unconfirmed for 10 minutes is hidden.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from engine.market.snapshot import Freshness, Source, SymbolSnapshot

__all__ = ["DEFAULT_TTLS", "STREAM_LIKE", "TtlPolicy", "classify"]


@dataclass(frozen=True, slots=True)
class TtlPolicy:
    """Data older than `stale_after` seconds is STALE, older than `expired_after` EXPIRED."""

    stale_after: float
    expired_after: float

    def __post_init__(self) -> None:
        if not 0.0 < self.stale_after <= self.expired_after:
            raise ValueError(
                f"TTL needs 0 < stale_after <= expired_after, got "
                f"stale_after={self.stale_after}, expired_after={self.expired_after}"
            )


_STREAM_TTL = TtlPolicy(stale_after=300.0, expired_after=1800.0)
DEFAULT_TTLS: Mapping[Source, TtlPolicy] = MappingProxyType(
    {
        Source.STREAM: _STREAM_TTL,
        Source.SIMULATOR: _STREAM_TTL,
        Source.REST: TtlPolicy(stale_after=60.0, expired_after=600.0),
    }
)
# Sources whose data goes stale with the stream link (a REST poll does not).
STREAM_LIKE: frozenset[Source] = frozenset({Source.STREAM, Source.SIMULATOR})


def classify(
    snap: SymbolSnapshot,
    now: float,
    ttls: Mapping[Source, TtlPolicy],
    connected: bool,
    epoch: int,
) -> Freshness:
    """Freshness of `snap` at `now` (the store's monotonic clock).

    `connected` is the stream link state and `epoch` the store's connectivity epoch:
    stream data stamped with an older epoch was received before a gap in the stream.
    """
    received = snap.received_at
    if received is None:
        return Freshness.EMPTY
    age = now - received
    policy = ttls[snap.source]
    if age >= policy.expired_after:
        return Freshness.EXPIRED
    if snap.source in STREAM_LIKE and (not connected or snap._epoch != epoch):
        return Freshness.STALE  # link down, or this data predates a gap in the stream
    return Freshness.FRESH if age < policy.stale_after else Freshness.STALE
