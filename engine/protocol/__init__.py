"""Alpaca's stock-stream protocol, sans-I/O: frames in, typed events and frames out.

- `decoder`: server frames (JSON text or msgpack bytes) -> `engine.events`; never raises.
- `codec`: the `Encoding` and the client's own frames (auth, subscribe, unsubscribe).
- `errors`: every documented error code as data (`classify_error`).
- `session`: the conversation: handshake state, wanted vs server-confirmed subscription.
- `wire`, `timestamps`: the msgspec wire structs and exact RFC 3339 / msgpack times.

Nothing here imports asyncio, websockets or httpx (an import-linter contract); it is tested
with plain bytes (docs/protocol.md).
"""

from engine.protocol.codec import Encoding, encode_auth, encode_subscribe, encode_unsubscribe
from engine.protocol.decoder import FrameDecoder
from engine.protocol.errors import ErrorAction, ErrorPolicy, classify_error
from engine.protocol.session import AlpacaSession, HandshakeState

__all__ = [
    "AlpacaSession",
    "Encoding",
    "ErrorAction",
    "ErrorPolicy",
    "FrameDecoder",
    "HandshakeState",
    "classify_error",
    "encode_auth",
    "encode_subscribe",
    "encode_unsubscribe",
]
