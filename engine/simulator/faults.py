"""Fault injection: the ways a real Alpaca stream (or the network) misbehaves, on demand.

Tests call FaultInjector methods; the CLI runs a FaultSchedule. Methods that act on
connections return how many sessions they touched.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Literal

from engine.simulator import wire
from engine.simulator.halts import timing
from engine.simulator.wire import Encoding

if TYPE_CHECKING:
    from engine.simulator.host import SimulatorHost
    from engine.simulator.session import ServerSession

log = logging.getLogger(__name__)

MalformedKind = Literal["frame", "missing_fields", "not_a_list"]
Job = Callable[[], Awaitable[None]]


class FaultInjector:
    """Knobs on a running Simulator; every call takes effect at once."""

    def __init__(self, sim: SimulatorHost) -> None:
        self._sim = sim

    def _open(self) -> list[ServerSession]:
        return [s for s in self._sim.sessions.values() if not s.closing]

    def drop_all(self) -> int:
        """Abort every connection's TCP transport: no close frame (a network drop)."""
        sessions = self._open()
        for s in sessions:
            s.abort()
        self._sim.stats.aborted += len(sessions)
        return len(sessions)

    def close_all(self, code: int = 1011, reason: str = "") -> int:
        """Close every connection now with this close code (queued data is dropped)."""
        sessions = self._open()
        for s in sessions:
            s.close(code, reason, flush=False)
        return len(sessions)

    def refuse_auth(self, enabled: bool = True) -> None:
        """While enabled, every auth (message, header or REST) fails: 402 / HTTP 403."""
        self._sim.auth_refused = enabled

    def hold_slot(self, seconds: float, key: str | None = None, path: str | None = None) -> None:
        """A phantom connection holds the slot of `key` (None: every key) on `path`
        (None: every endpoint, e.g. "/v2/iex") for `seconds`: new auths there get 406."""
        self._sim.slots.hold(seconds, key, path)

    def set_slow_client_limit(self, nbytes: int) -> None:
        """Unsent bytes per session above which the client is dropped with 407."""
        self._sim.slow_client_limit = nbytes

    def send_malformed(self, kind: MalformedKind = "frame") -> int:
        """Send every session a bad frame: `frame` = invalid JSON / invalid msgpack,
        `missing_fields` = a trade without price/size/time, `not_a_list` = a bare object."""
        sessions = self._open()
        for s in sessions:
            msgpack = s.encoding is Encoding.MSGPACK
            if kind == "frame":
                s.send_raw(b"\xc1\x92\xa1" if msgpack else b'[{"T":"t","S":"AAPL","p":1')
            elif kind == "missing_fields":
                s.send_raw(wire.encode([wire.control("t", S="AAPL", i=1)], s.encoding))
            else:
                s.send_raw(wire.encode(wire.control("q", S="AAPL"), s.encoding))
        return len(sessions)

    def send_unknown_type(self) -> int:
        """A message with a `T` no client knows, batched with nothing else."""
        sessions = self._open()
        for s in sessions:
            s.send_raw(wire.encode([wire.control("zz", S="AAPL", note="unknown")], s.encoding))
        return len(sessions)

    def send_error(self, code: int = 500, msg: str | None = None, *, close: bool = False) -> int:
        """Send `[{"T":"error","code":code,"msg":msg}]` to every session (then close?)."""
        sessions = self._open()
        text = msg if msg is not None else wire.ERROR_TEXT.get(code, "error")
        for s in sessions:
            self._sim.stats.errors_sent[code] += 1
            s.send_control(wire.error(code, text))
            if close:
                s.close(1011, text)
        return len(sessions)

    def burst(self, steps: int) -> int:
        """Generate `steps` market steps at once and send them; returns messages made."""
        sim = self._sim
        now = sim.now_ns()
        messages = sim.market.burst(steps, now)
        test = sim.test_market.burst(steps, now)
        sim.broadcast(messages, test)
        return len(messages) + len(test)

    def halt(
        self, symbol: str, reason: str = "T1", quote_after_s: float | None = None,
        resume_after_s: float | None = None,
    ) -> bool:  # fmt: skip
        """Halt `symbol` now, the way its tape reports it (engine.simulator.halts).

        Tape C (Nasdaq, UTP): `H` (reason T1/T2/T12) or `P` (LUDP: LULD pause), then `Q`
        after `quote_after_s` simulated seconds (quotes only), then `T` after
        `resume_after_s`. Tapes A/B (CTA): `2`, then `3` after `resume_after_s`. Defaults:
        news 300 s + 300 s, pause 300 s + 30 s. False if the symbol cannot exist.
        """
        timing(reason, quote_after_s, resume_after_s)  # bad arguments fail before any change
        sim = self._sim
        if not sim.market.add_symbol(symbol):
            return False
        messages = sim.market.advance(sim.now_ns())  # the market catches up to "now" first
        messages.extend(sim.market.halt(symbol, reason, quote_after_s, resume_after_s))
        sim.broadcast(messages, [])
        return True

    # --- the Trading API and trade_updates (engine.simulator.trading) -------------------

    def drop_trade_streams(self) -> int:
        """Abort every trade_updates connection's TCP transport (no close frame). Events
        made while a key has no connection are never sent: there is no replay."""
        return self._sim.trading.streams.drop_all()

    def close_trade_streams(self, code: int = 1011, reason: str = "") -> int:
        """Close every trade_updates connection with this close code."""
        return self._sim.trading.streams.close_all(code, reason)

    def lose_trade_updates(self, enabled: bool = True) -> None:
        """While enabled, trade_updates events are made but never sent (the fills that
        go missing on Alpaca's stream; REST still has them: docs/account-and-history.md)."""
        self._sim.trading.engine.lose_updates = enabled

    def forbid_trading(self, key: str, forbidden: bool = True) -> None:
        """`key` has no Trading API access: its trading requests answer 403 and its
        trade_updates auth fails (as `SimulatorConfig.trading_forbidden_keys`)."""
        keys = self._sim.trading.engine.forbidden
        if forbidden:
            keys.add(key)
        else:
            keys.discard(key)

    def pause(self, paused: bool = True) -> None:
        """Half-dead server: no data and no reads (so pings go unanswered) until False."""
        self._sim.set_paused(paused)

    def set_rate(self, rate: float, test_rate: float | None = None) -> None:
        """Change the data rate (messages/s) of the running market."""
        if rate < 0 or (test_rate is not None and test_rate < 0):
            raise ValueError("rate must be >= 0")
        self._sim.market.rate = rate
        if test_rate is not None:
            self._sim.test_market.rate = test_rate


@dataclasses.dataclass(frozen=True, slots=True)
class FaultSchedule:
    """Recurring faults for the command line; intervals in seconds, None = never."""

    drop_every: float | None = None
    close_every: float | None = None
    malformed_every: float | None = None
    unknown_every: float | None = None
    error_every: float | None = None
    error_code: int = 500
    burst: int = 0
    burst_every: float | None = None
    pause_every: float | None = None
    pause_for: float = 5.0

    def jobs(self, faults: FaultInjector) -> list[tuple[str, float, Job]]:
        """(name, interval, action) for every enabled recurring fault."""
        table: list[tuple[str, float | None, Job]] = [
            ("drop", self.drop_every, _sync(faults.drop_all)),
            ("close", self.close_every, _sync(lambda: faults.close_all(1011, "fault"))),
            ("malformed", self.malformed_every, _sync(faults.send_malformed)),
            ("unknown", self.unknown_every, _sync(faults.send_unknown_type)),
            ("error", self.error_every, _sync(lambda: faults.send_error(self.error_code))),
            ("burst", self.burst_every if self.burst > 0 else None,
             _sync(lambda: faults.burst(self.burst))),
            ("pause", self.pause_every, lambda: _pause(faults, self.pause_for)),
        ]  # fmt: skip
        return [(name, every, job) for name, every, job in table if every is not None]


def _sync(fn: Callable[[], object]) -> Job:
    async def job() -> None:
        log.info("fault injected: %s -> %s", getattr(fn, "__name__", "fault"), fn())

    return job


async def _pause(faults: FaultInjector, seconds: float) -> None:
    faults.pause(True)
    try:
        await asyncio.sleep(seconds)
    finally:
        faults.pause(False)


async def run_every(interval: float, job: Job) -> None:
    """Run `job` every `interval` seconds until cancelled."""
    while True:
        await asyncio.sleep(interval)
        await job()
