"""Fault matrix harness: the real app (gui.runtime.Runtime, offscreen) against a real
Simulator on loopback, driven through one fault at a time.

`FaultApp` owns one simulator and one session; `run_fault` records what the user saw
(status bar texts, the table's Source/Status column) and what the store held before,
during and after a fault, plus recovery time and the longest data gap. Used by
tests/reliability/test_fault_matrix.py (short outages) and
tests/benchmarks/fault_matrix.py (30 s outage, printed table).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from engine.config import Credentials
from engine.events import Event, Snapshot
from engine.market.store import Freshness, SymbolSnapshot
from engine.net.health import ConnectionState
from engine.net.retry import BackoffPolicy
from engine.simulator import Simulator, SimulatorConfig
from engine.simulator.config import Plan
from gui.runtime import Runtime, RuntimeOptions
from gui.settings.dialog import StreamSettings
from gui.settings.persistence import AppSettings
from gui.table.columns import COLUMN_INDEX

SYMBOLS = ["AAPL", "MSFT", "NVDA", "SPY"]
KEY = "PKFAULTMATRIX"
SECRET = "fault-matrix-secret-9f3c"
RATE = 200.0  # data messages/s across the watched symbols (the "normal" rate)
# Reconnect quickly but not instantly (so the disconnected state is visible to a
# sampler), and retry 406 after 1 s instead of the production 30 s.
FAST_BACKOFF = BackoffPolicy(
    initial=0.8, factor=1.5, maximum=1.5, jitter=0.2, slow=1.0, healthy_after=30.0
)
PING_S = 1.0  # keepalive interval and timeout: a half-dead peer is noticed in ~2 s
WAIT_LIMIT_S = 20.0
SAMPLE_S = 0.02


async def until(condition: Callable[[], bool], what: str, limit_s: float = WAIT_LIMIT_S) -> float:
    """Wait until `condition()` holds (yielding to the loop); returns the loop time then."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        await asyncio.sleep(SAMPLE_S)
    return time.monotonic()


class TracebackCatcher(logging.Handler):
    """Collects every log record that carries a traceback (exc_info) or is ERROR+."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info or record.levelno >= logging.ERROR:
            self.records.append(record)

    def describe(self) -> list[str]:
        return [f"{r.name}: {r.getMessage()}" for r in self.records]


@dataclass
class View:
    """What the user sees: status bar texts and the Source/Status column per row."""

    connection: str
    age: str
    reconnects: str
    error: str
    rows: dict[str, str]
    state: ConnectionState


@dataclass
class FaultResult:
    name: str
    recovered: bool
    disconnected: bool
    recover_s: float | None  # fault start -> every symbol streaming again (None: no outage)
    gap_s: float  # longest interval with no stream data for any watched symbol
    reconnects: int  # health.reconnects delta
    before: View
    during: View | None
    after: View
    seen_connection: list[str] = field(default_factory=list)
    seen_errors: list[str] = field(default_factory=list)
    stale_rows_seen: set[str] = field(default_factory=set)
    watchlist_before: list[str] = field(default_factory=list)
    watchlist_after: list[str] = field(default_factory=list)
    decode_errors: int = 0
    note: str = ""


@dataclass(frozen=True)
class TlsFiles:
    """The simulator serves wss/https with `cert`/`key`; the app trusts `ca_file` through
    its CA-file setting (tests/reliability/test_tls.py, docs/reliability.md "TLS")."""

    cert: Path
    key: Path
    ca_file: Path | None


class FaultApp:
    """One simulator (key/secret, free plan) and one app session connected to it
    (over TLS when `tls` is given; plain ws/http otherwise)."""

    def __init__(
        self,
        settings_path: Path,
        plan: Plan = Plan.FREE,
        rate: float = RATE,
        record: bool = True,
        tls: TlsFiles | None = None,
    ) -> None:
        self.settings_path = settings_path
        self.plan = plan
        self.rate = rate
        self.tls = tls
        self.port = 0
        self.ping_s = PING_S  # keepalive interval and timeout (a row may need another)
        self.sim: Simulator | None = None
        self.session: Runtime | None = None
        # Arrival times for recovery/gap measurement; off in the soak (it would be
        # the memory growth the soak looks for, until the deque is full).
        self.record = record
        self.data: deque[tuple[float, str]] = deque(maxlen=200_000)

    def sim_config(self, start_ns: int | None = None) -> SimulatorConfig:
        return SimulatorConfig(
            port=self.port, rate=self.rate, key=KEY, secret=SECRET, plan=self.plan,
            symbols=tuple(SYMBOLS), seed=7, start_ns=start_ns, halt_probability=0.0,
            tls_cert=str(self.tls.cert) if self.tls else None,
            tls_key=str(self.tls.key) if self.tls else None,
        )  # fmt: skip

    async def start_sim(self, start_ns: int | None = None) -> Simulator:
        self.sim = Simulator(self.sim_config(start_ns))
        await self.sim.start()
        self.port = self.sim.port
        return self.sim

    async def stop_sim(self) -> None:
        sim, self.sim = self.sim, None
        if sim is not None:
            await sim.stop()

    async def start(self, show: bool = True) -> Runtime:
        sim = await self.start_sim()
        # The data stream under faults only: no account (the simulator's demo account
        # would add its watchlist as a tab, and the trade stream its own reconnects).
        AppSettings(self.settings_path).set_trading_api("off")
        url, rest_url = self.app_urls(sim)
        options = RuntimeOptions(
            url=url, rest_url=rest_url, symbols=list(SYMBOLS),
            settings_path=self.settings_path, use_keyring=False, show_window=show,
            env={"APCA_API_KEY_ID": KEY, "APCA_API_SECRET_KEY": SECRET},
            backoff=FAST_BACKOFF, ping_s=self.ping_s,
            ca_file=str(self.tls.ca_file) if self.tls and self.tls.ca_file else None,
        )  # fmt: skip
        self.session = Runtime(options, asyncio.Event())
        await self.session.start()
        assert self.session.store is not None
        if self.record:
            self.session.store.add_observer(self._on_event)
        return self.session

    def app_urls(self, sim: Simulator) -> tuple[str, str]:
        """The app's stream and REST URLs: the simulator's own (a subclass may put a
        network in between, tests/reliability/network_faults.py)."""
        return sim.ws_url, sim.rest_url

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()
        await self.stop_sim()

    def _on_event(self, event: Event, snap: SymbolSnapshot) -> None:
        # Stream data only: a REST snapshot (the stale-data fallback) is not the stream.
        if not isinstance(event, Snapshot):
            self.data.append((time.monotonic(), snap.symbol))

    # --- what the user sees --------------------------------------------------------------

    def view(self) -> View:
        session = self.session
        assert session is not None
        assert session.window is not None
        status = session.window.status
        model = session.window.model
        col = COLUMN_INDEX["status"]
        rows = {
            model.data(model.index(row, 0)): model.data(model.index(row, col))
            for row in range(model.rowCount())
        }
        return View(
            connection=status.connection.words,
            age=status.age.text(),
            reconnects=status.reconnects.text(),
            error=status.error.full_text or "",
            rows=rows,
            state=session.health.state,
        )

    def streaming_everywhere(self, since: float) -> bool:
        """Streaming, every watched symbol had stream data after `since`, rows show it."""
        session = self.session
        assert session is not None
        assert session.store is not None
        if session.health.state is not ConnectionState.STREAMING:
            return False
        fresh = all(session.store.freshness(s) is Freshness.FRESH for s in SYMBOLS)
        seen = {s for t, s in reversed(self.data) if t > since} if fresh else set()
        if seen != set(SYMBOLS):
            return False
        view = self.view()
        return view.connection == "streaming" and all(v == "stream" for v in view.rows.values())

    def streaming_since(self) -> float:
        assert self.session is not None
        for at, state in reversed(self.session.health.transitions):
            if state is ConnectionState.STREAMING:
                return at
        return 0.0

    def data_gap(self, start: float, end: float) -> float:
        times = [start, *(t for t, _ in self.data if start < t < end), end]
        return max(b - a for a, b in itertools.pairwise(times))


Inject = Callable[[FaultApp, float], Awaitable[str]]


@dataclass(frozen=True)
class Fault:
    """One row of the matrix: `inject` causes the fault and the user's/operator's fix."""

    name: str
    inject: Inject
    disconnects: bool
    expect_error: str | None = None  # words the status bar's error must show during it


async def _left_streaming(app: FaultApp, what: str) -> None:
    assert app.session is not None
    health = app.session.health
    await until(lambda: health.state is not ConnectionState.STREAMING, what)


async def _drop(app: FaultApp, outage: float) -> str:
    assert app.sim is not None
    app.sim.faults.drop_all()
    await _left_streaming(app, "the drop noticed")
    return "TCP aborted, no close frame"


async def _close(app: FaultApp, outage: float) -> str:
    assert app.sim is not None
    app.sim.faults.close_all(1000, "maintenance")
    await _left_streaming(app, "the close noticed")
    return "close frame 1000"


async def _restart(app: FaultApp, outage: float) -> str:
    await app.stop_sim()
    await _left_streaming(app, "the restart noticed")
    await app.start_sim()
    return "new Simulator on the same port"


async def _outage(app: FaultApp, outage: float) -> str:
    await app.stop_sim()
    await _left_streaming(app, "the outage noticed")
    await asyncio.sleep(outage)
    await app.start_sim()
    return f"no server for {outage:g} s"


async def _half_dead(app: FaultApp, outage: float) -> str:
    assert app.sim is not None
    app.sim.faults.pause(True)
    try:
        await _left_streaming(app, "the keepalive timeout")
    finally:
        if app.sim is not None:
            app.sim.faults.pause(False)
    return "TCP open, no data, no pong"


async def _auth_402(app: FaultApp, outage: float) -> str:
    session = app.session
    assert session is not None
    await session.apply_settings(
        StreamSettings(Credentials(KEY, "wrong-secret"), "iex", "json", 50)
    )
    await until(lambda: session.health.state is ConnectionState.FAILED, "402 failure")
    await asyncio.sleep(0.3)  # let the status bar timers show it
    await session.apply_settings(StreamSettings(Credentials(KEY, SECRET), "iex", "json", 50))
    return "wrong secret applied, then the right one"


async def _slot_406(app: FaultApp, outage: float) -> str:
    assert app.sim is not None
    assert app.session is not None
    health = app.session.health
    app.sim.faults.hold_slot(max(outage, 3.0))
    app.sim.faults.drop_all()
    await until(lambda: "another client" in (health.last_error or ""), "406 explained")
    return f"slot held {max(outage, 3.0):g} s by another client"


async def _slow_407(app: FaultApp, outage: float) -> str:
    assert app.sim is not None
    app.sim.faults.send_error(407, close=True)
    await _left_streaming(app, "407 noticed")
    return "error 407 + close"


async def _sip_409(app: FaultApp, outage: float) -> str:
    session = app.session
    assert session is not None
    assert session.window is not None
    session.window.feed_combo.setCurrentText("sip")  # the user picks a feed not in the plan
    await until(lambda: session.health.state is ConnectionState.FAILED, "409 failure")
    await asyncio.sleep(0.3)
    session.window.feed_combo.setCurrentText("iex")  # ...and follows the advice
    return "feed sip on the free plan, then iex"


async def _error_500(app: FaultApp, outage: float) -> str:
    assert app.sim is not None
    app.sim.faults.send_error(500)
    await _left_streaming(app, "500 noticed")
    return "error 500"


async def _malformed(app: FaultApp, outage: float, every: int = 20, count: int = 12) -> str:
    assert app.sim is not None
    assert app.session is not None
    health = app.session.health
    kinds = ("frame", "missing_fields", "not_a_list")
    for n in range(count):
        target = health.messages + every
        await until(lambda t=target: health.messages >= t, "messages between bad frames")  # type: ignore[misc]
        app.sim.faults.send_malformed(kinds[n % len(kinds)])  # type: ignore[arg-type]
    await until(lambda: health.decode_errors >= count, "every bad frame counted")
    return f"{count} malformed frames, one every {every} messages"


async def _burst(app: FaultApp, outage: float) -> str:
    assert app.sim is not None
    assert app.session is not None
    health = app.session.health
    app.sim.faults.set_rate(20 * app.rate)
    start = health.messages
    made = app.sim.faults.burst(int(20 * app.rate))
    await until(lambda: health.messages - start >= made, "the burst received")
    await asyncio.sleep(min(outage, 2.0))
    app.sim.faults.set_rate(app.rate)
    return f"{made} messages at once, then {20 * app.rate:g}/s for {min(outage, 2.0):g} s"


async def _clock_jump(app: FaultApp, outage: float) -> str:
    await app.stop_sim()
    await _left_streaming(app, "the restart noticed")
    await app.start_sim(start_ns=time.time_ns() + 3600 * 1_000_000_000)
    return "server clock +1 h (restart with start_ns)"


FAULTS: tuple[Fault, ...] = (
    Fault("drop (no close frame)", _drop, True, "without a close frame"),
    Fault("clean close", _close, True, "closed the connection"),
    Fault("server restart, same port", _restart, True, "closed the connection"),
    Fault("server gone, then back", _outage, True, "refused"),
    Fault("half-dead peer", _half_dead, True, "keepalive"),
    Fault("402 after credentials change", _auth_402, True, "Authentication failed"),
    Fault("406 slot held elsewhere", _slot_406, True, "another client"),
    Fault("407 slow client", _slow_407, True, "slow client"),
    Fault("409 feed not in plan", _sip_409, True, "Insufficient subscription"),
    Fault("500 server error", _error_500, True, "internal server error"),
    Fault("malformed frames", _malformed, False),
    Fault("burst 20x", _burst, False),
    Fault("clock jump +1 h", _clock_jump, True, "closed the connection"),
)
FAULTS_BY_NAME = {f.name: f for f in FAULTS}


def _score(view: View) -> tuple[int, bool]:
    return (sum(v == "STALE" for v in view.rows.values()), bool(view.error))


async def _sample(app: FaultApp, result: FaultResult, stop: asyncio.Event) -> None:
    """Every SAMPLE_S: record distinct status words and rows shown STALE while down."""
    assert app.session is not None
    while not stop.is_set():
        view = app.view()
        if not result.seen_connection or result.seen_connection[-1] != view.connection:
            result.seen_connection.append(view.connection)
        if view.error and view.error not in result.seen_errors:
            result.seen_errors.append(view.error)
        if view.state is not ConnectionState.STREAMING:
            result.stale_rows_seen |= {s for s, v in view.rows.items() if v == "STALE"}
            # Keep the richest picture of the outage: most rows greyed out, error shown.
            if result.during is None or _score(view) > _score(result.during):
                result.during = view
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), SAMPLE_S)


async def run_fault(app: FaultApp, fault: Fault, outage: float) -> FaultResult:
    """Before (all streaming), inject, wait for recovery, after; never raises on a timeout
    of the recovery itself (recovered=False), only on harness errors."""
    session = app.session
    assert session is not None
    assert session.window is not None
    t_ready = time.monotonic()
    await until(lambda: app.streaming_everywhere(t_ready - 5.0), "streaming before the fault")
    await asyncio.sleep(0.3)
    before = app.view()
    reconnects0 = session.health.reconnects
    decode0 = session.health.decode_errors
    watch0 = session.window.symbols()
    result = FaultResult(fault.name, False, False, None, 0.0, 0, before, None, before,
                         watchlist_before=watch0)  # fmt: skip
    stop = asyncio.Event()
    sampler = asyncio.get_running_loop().create_task(_sample(app, result, stop))
    t0 = time.monotonic()
    try:
        result.note = await fault.inject(app, outage)
        restreamed = app.streaming_since()
        result.disconnected = restreamed > t0 or session.health.state is not (
            ConnectionState.STREAMING
        )
        try:
            done = await until(
                lambda: app.streaming_everywhere(max(t0, app.streaming_since())),
                f"recovery from {fault.name}",
                limit_s=WAIT_LIMIT_S + outage,
            )
            result.recovered = True
        except AssertionError:
            done = time.monotonic()
        result.disconnected = result.disconnected or app.streaming_since() > t0
        if result.disconnected and result.recovered:
            since = app.streaming_since()
            firsts = [min((t for t, s in app.data if s == sym and t > since), default=done)
                      for sym in SYMBOLS]  # fmt: skip
            result.recover_s = max(firsts) - t0
            done = max(firsts)
        result.gap_s = app.data_gap(t0, done)
    finally:
        stop.set()
        await sampler
    result.after = app.view()
    result.reconnects = session.health.reconnects - reconnects0
    result.decode_errors = session.health.decode_errors - decode0
    result.watchlist_after = session.window.symbols()
    return result


def check_before_during_after(result: FaultResult, fault: Fault, reconnects: int) -> None:
    """The fault matrix's assertions, shared by every row (server, network, TLS):
    before, streaming with every row live; during a fault that disconnects, the status
    bar says so in words, every row is stale and the age says the stream is down; after,
    recovered on its own (or after the user's fix) with nothing lost. `reconnects` is
    the health's count, which the status bar must show."""
    assert result.before.connection == "streaming"
    assert set(result.before.rows) == set(SYMBOLS)
    assert set(result.before.rows.values()) == {"stream"}
    assert result.before.age.startswith("last message")
    assert result.recovered, result
    assert result.after.connection == "streaming"
    assert set(result.after.rows.values()) == {"stream"}
    assert result.after.age.startswith("last message")
    assert "not streaming" not in result.after.age
    assert result.watchlist_after == result.watchlist_before == SYMBOLS
    assert result.after.reconnects == f"reconnects: {reconnects}"
    if fault.disconnects:
        assert result.disconnected
        assert result.during is not None
        assert result.during.connection != "streaming"
        assert result.during.age.startswith("not streaming") or "no messages" in result.during.age
        assert result.stale_rows_seen == set(SYMBOLS), result.seen_connection
        assert fault.expect_error is not None
        shown = [*result.seen_errors, *result.seen_connection]
        assert any(fault.expect_error.lower() in text.lower() for text in shown), shown
        assert result.recover_s is not None
        assert result.recover_s > 0
    else:  # slow or odd, but streaming throughout: no reconnect, nothing stale
        assert not result.disconnected, result.seen_connection
        assert result.seen_connection == ["streaming"]
        assert result.stale_rows_seen == set()
        assert result.reconnects == 0
