"""What the stream client does with each frame: the store first, then control and
error messages, decode problems, and the taps that share the stream (docs/gateway.md).

A mixin of `engine.net.stream.StreamClient`, kept apart so the I/O shell stays short.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from engine.core.logthrottle import LogThrottle
from engine.events import DecodeError, Event, ServerError, UnknownMessage
from engine.market.store import MarketDataStore
from engine.net.health import ConnectionState, StreamHealth
from engine.net.lag import LagTracker
from engine.net.retry import SessionEnded
from engine.net.streamconfig import refused_symbols
from engine.net.ws_frames import MessageHandler
from engine.protocol import ErrorAction, classify_error
from engine.protocol.session import AlpacaSession

log = logging.getLogger("engine.net.stream")

# Called once per frame, after the store applied it, with every decoded event of the frame
# and when it arrived: the local gateway and the bus fan the stream out (docs/gateway.md).
type Tap = Callable[[list[Event], float], None]


class StreamEvents:
    """What each frame does: the store's part, then control, errors, decode problems, taps."""

    _health: StreamHealth
    _store: MarketDataStore
    _taps: tuple[Tap, ...]
    _tap_log: LogThrottle
    _decode_log: LogThrottle
    _channels: tuple[str, ...]
    _outbox_ready: asyncio.Event
    _clock: Callable[[], float]
    _lag: LagTracker

    def _frame_handler(self, session: AlpacaSession) -> MessageHandler:
        """What happens to each frame, called by the connection as it is parsed."""
        receive = session.receive
        apply_stream = self._store.apply_stream
        on_other = self._on_other
        note_lag = self._lag.note
        record_frame = self._health.record_frame
        clock = self._clock
        decode_log = self._decode_log
        time_ns = time.time_ns

        def on_frame(frame: str | bytes) -> None:
            received_at = clock()
            events = receive(frame)
            count = len(events)
            record_frame(count, received_at)
            # Market data goes to the store in one call per run of it (the hot path);
            # anything else is handled in order, then the run resumes.
            # Latency from the newest trade/quote time (0: none), never a bar's start `t`
            # (a daily bar's is midnight in New York: docs/protocol.md, "Data messages").
            index, last_ts = apply_stream(events, 0, received_at)
            while index < count:
                on_other(session, events[index])
                index, ts = apply_stream(events, index + 1, received_at)
                if ts > last_ts:
                    last_ts = ts
            if last_ts:
                note_lag(time_ns() - last_ts, received_at, last_ts)
            if self._taps:
                self._tap(events, received_at)
            if decode_log.suppressed:
                decode_log.flush()  # the summary of a window of bad messages that is over

        return on_frame

    def _tap(self, events: list[Event], received_at: float) -> None:
        for tap in self._taps:
            try:
                tap(events, received_at)
            except Exception as exc:  # one sharer's fault never stops the stream
                self._health.tap_errors += 1
                self._tap_log.log("stream tap failed: %s: %s", type(exc).__name__, exc)

    def _on_other(self, session: AlpacaSession, event: Event) -> None:
        """A non-market event: the session already acted on control messages."""
        health = self._health
        if isinstance(event, DecodeError):
            health.decode_errors += 1  # every one counted; only a few per window logged
            self._decode_log.log(
                "skipped undecodable message (%s, T=%s, S=%s)",
                event.reason,
                event.type_tag,
                event.symbol,
            )
            return
        if isinstance(event, UnknownMessage):
            health.unknown_messages += 1
            log.debug("ignored unknown message type %r", event.type_tag)
            return
        if isinstance(event, ServerError):
            health.server_errors += 1
            self._on_server_error(session, event)
        self._outbox_ready.set()  # e.g. auth after `connected`, the diff after `authenticated`
        if session.ready:
            # Confirmed, refused (the connection is fine), or authenticated with nothing
            # wanted: streaming either way.
            self._mark_streaming()

    def _on_server_error(self, session: AlpacaSession, error: ServerError) -> None:
        policy = classify_error(error.code)
        if policy.ends_session:
            raise SessionEnded(error)
        if policy.action is ErrorAction.IGNORE:
            return
        message = f"{policy.explanation} (error {error.code})"
        refusal = session.last_refusal
        if refusal is not None and refusal.error is error:
            if refusal.fallback:
                self._channels = session.channels  # kept for reconnects
                message += "; retrying with trades and quotes only"
            elif refusal.code == 405:
                message += f"; refused: {refused_symbols(refusal)}"
        self._health.last_error = message
        log.warning("server error: %s", message)

    def _mark_streaming(self) -> None:
        if self._health.state is not ConnectionState.STREAMING:
            self._health.set_state(ConnectionState.STREAMING)
            self._store.set_stream_connected(True)
