"""Server frames -> typed events, sans-I/O: no sockets, no asyncio, no clock.

`FrameDecoder` never raises: one bad message becomes one `DecodeError` (an unknown `T`
an `UnknownMessage`) and the rest of its frame still decodes (docs/protocol.md, "Frames").
"""

from __future__ import annotations

from typing import Any

import msgspec

from engine.events import DecodeError, Event, UnknownMessage
from engine.protocol.codec import Encoding
from engine.protocol.convert import make_converter
from engine.protocol.timestamps import make_wire_stamp
from engine.protocol.wire import KNOWN_TAGS, Probe, WireMessage

__all__ = ["FrameDecoder"]

# Bounds on text copied from the wire into DecodeError/UnknownMessage, so a hostile or
# broken frame cannot make error reports (and logs, and the status bar) unbounded.
_REASON_MAX = 160
_TAG_MAX = 32
_SYMBOL_MAX = 32
_TOO_DEEP = "frame nested too deeply"


class _Codec:
    """The msgspec decoders for one encoding, built once (building them is the slow part)."""

    __slots__ = ("frame", "one", "probe", "raw_list")

    def __init__(self, module: Any) -> None:
        self.frame = module.Decoder(list[WireMessage])  # fast path: the whole frame at once
        self.raw_list = module.Decoder(list[msgspec.Raw])  # slow path: array first ...
        self.one = module.Decoder(WireMessage)  # ... then each message on its own
        self.probe = module.Decoder(Probe)  # what was a rejected message meant to be?


_JSON = _Codec(msgspec.json)
_MSGPACK = _Codec(msgspec.msgpack)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class FrameDecoder:
    """Server frame (JSON text or msgpack bytes) -> events; never raises.

    A `str` frame is always JSON; `bytes` are read in the configured encoding. One bad
    message becomes one `DecodeError` (unknown `T`: `UnknownMessage`); the rest of its
    frame still decodes.
    """

    __slots__ = ("_codec", "_convert", "_stamp", "encoding", "only_trades_and_quotes")

    def __init__(self, encoding: Encoding = Encoding.JSON) -> None:
        self.encoding = Encoding(encoding)
        self._codec = _MSGPACK if self.encoding == Encoding.MSGPACK else _JSON
        self._stamp = make_wire_stamp(msgpack=self.encoding == Encoding.MSGPACK)
        self._convert = make_converter(self._stamp)
        # Whether the last frame decoded held nothing but trades and quotes (the session
        # then skips its scan for control messages: one check per frame, not per message).
        self.only_trades_and_quotes = False

    def decode(self, frame: str | bytes) -> list[Event]:
        """Every message of `frame` as an event, in order."""
        self.only_trades_and_quotes = False
        try:
            return self._decode(frame)
        except Exception as exc:  # last-resort net: a decoder bug must not end the stream
            return [DecodeError(f"decoder failure ({type(exc).__name__})")]

    def _decode(self, frame: str | bytes) -> list[Event]:
        if not frame:
            return [DecodeError("empty frame")]
        codec = _JSON if isinstance(frame, str) else self._codec
        try:
            wires = codec.frame.decode(frame)
        except msgspec.ValidationError:
            # One message is bad or unknown: redo it message by message (rare path).
            return self._decode_each(frame, codec)
        except RecursionError:
            return [DecodeError(_TOO_DEEP)]
        except (msgspec.DecodeError, UnicodeError) as exc:
            return [DecodeError(_clip(f"malformed frame: {exc}", _REASON_MAX))]
        try:
            events, self.only_trades_and_quotes = self._convert(wires)
            return events
        except ValueError:
            pass  # a bad timestamp: redo one by one (to_event is pure) to isolate it
        stamp = self._stamp
        isolated: list[Event] = []
        for wire in wires:
            try:
                isolated.append(wire.to_event(stamp))
            except ValueError as exc:
                isolated.append(_bad_timestamp(wire, exc))
        return isolated

    def _decode_each(self, frame: str | bytes, codec: _Codec) -> list[Event]:
        try:
            raws: list[msgspec.Raw] = codec.raw_list.decode(frame)
        except RecursionError:
            return [DecodeError(_TOO_DEEP)]
        except (msgspec.DecodeError, UnicodeError) as exc:  # msgspec: bad UTF-8 in a key
            return [DecodeError(_clip(f"frame is not an array: {exc}", _REASON_MAX))]
        stamp = self._stamp
        events: list[Event] = []
        for raw in raws:
            try:
                wire = codec.one.decode(raw)
            except RecursionError:
                events.append(DecodeError(_TOO_DEEP))
                continue
            except (msgspec.DecodeError, UnicodeError) as exc:
                events.append(_explain(raw, codec, exc))
                continue
            try:
                events.append(wire.to_event(stamp))
            except ValueError as exc:
                events.append(_bad_timestamp(wire, exc))
        return events


def _bad_timestamp(wire: WireMessage, exc: ValueError) -> DecodeError:
    symbol = getattr(wire, "S", None)
    return DecodeError(
        _clip(str(exc), _REASON_MAX),
        str(wire.__struct_config__.tag),
        _clip(symbol, _SYMBOL_MAX) if isinstance(symbol, str) else None,
    )


def _explain(raw: msgspec.Raw, codec: _Codec, exc: Exception) -> Event:
    """Why a single message failed typed decoding, as a DecodeError or UnknownMessage."""
    try:
        probe: Probe = codec.probe.decode(raw)
    except RecursionError:
        return DecodeError(_TOO_DEEP)
    except (msgspec.DecodeError, UnicodeError) as probe_exc:
        return DecodeError(_clip(f"message is not an object: {probe_exc}", _REASON_MAX))
    symbol = _clip(probe.S, _SYMBOL_MAX) if isinstance(probe.S, str) else None
    tag = probe.T
    if tag is None:
        return DecodeError("message has no T", None, symbol)
    if not isinstance(tag, str):
        return DecodeError(f"T is not a string (got {type(tag).__name__})", None, symbol)
    if tag not in KNOWN_TAGS:
        # Alpaca adds message types over time: count and ignore (docs/protocol.md).
        return UnknownMessage(_clip(tag, _TAG_MAX), symbol)
    return DecodeError(_clip(str(exc), _REASON_MAX), tag, symbol)
