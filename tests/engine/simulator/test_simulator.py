"""The simulator over real sockets on 127.0.0.1, driven by a raw websockets client.

Deliberately not engine.net.stream/engine.protocol: these tests pin the simulator to
docs/protocol.md on their own, so the client's tests against it mean something.
Waits are event-driven with generous upper bounds; nothing asserts on timing.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import httpx
import msgpack
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from engine.simulator import Plan, Simulator, SimulatorConfig

T = TypeVar("T")
WAIT = 10.0  # generous upper bound for anything event-driven


def run[T](coro: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
    """Run one test coroutine on a fresh loop, bounded."""

    async def bounded() -> T:
        async with asyncio.timeout(timeout):
            return await coro

    return asyncio.run(bounded())


async def open_ws(
    sim: Simulator, feed: str = "iex", *, use_msgpack: bool = False,
    headers: dict[str, str] | None = None, path: str | None = None,
) -> ClientConnection:  # fmt: skip
    hdrs = dict(headers or {})
    if use_msgpack:
        hdrs["Content-Type"] = "application/msgpack"
    url = f"{sim.ws_url}{path or '/v2/' + feed}"
    return await connect(url, additional_headers=hdrs, open_timeout=WAIT)


def decode(frame: str | bytes) -> list[dict[str, Any]]:
    if isinstance(frame, bytes):
        result: list[dict[str, Any]] = msgpack.unpackb(frame, timestamp=0)
        return result
    loaded: list[dict[str, Any]] = json.loads(frame)
    return loaded


async def recv(ws: ClientConnection, within: float = WAIT) -> list[dict[str, Any]]:
    return decode(await asyncio.wait_for(ws.recv(), within))


def encode(ws_msgpack: bool, payload: dict[str, Any]) -> str | bytes:
    if ws_msgpack:
        packed: bytes = msgpack.packb(payload)
        return packed
    return json.dumps(payload)


async def handshake(
    sim: Simulator, feed: str = "iex", *, key: str = "key", secret: str = "secret",
    use_msgpack: bool = False,
) -> ClientConnection:  # fmt: skip
    """Connect and authenticate by message; asserts Alpaca's two success replies."""
    ws = await open_ws(sim, feed, use_msgpack=use_msgpack)
    assert await recv(ws) == [{"T": "success", "msg": "connected"}]
    await ws.send(encode(use_msgpack, {"action": "auth", "key": key, "secret": secret}))
    assert await recv(ws) == [{"T": "success", "msg": "authenticated"}]
    return ws


async def subscribe(
    ws: ClientConnection, spec: dict[str, list[str]] | None = None, **channels: list[str]
) -> Any:
    """Subscribe (JSON) and return the server's subscription reply."""
    await ws.send(encode(False, {"action": "subscribe", **(spec or {}), **channels}))
    reply = await recv(ws)
    assert reply[0]["T"] == "subscription"
    return reply[0]


async def collect(
    ws: ClientConnection, done: Callable[[list[dict[str, Any]]], bool], within: float = WAIT
) -> list[dict[str, Any]]:
    """Receive messages until done(all so far) is true."""
    got: list[dict[str, Any]] = []
    async with asyncio.timeout(within):
        while not done(got):
            got.extend(await recv(ws, within))
    return got


async def until(predicate: Callable[[], bool], within: float = WAIT) -> None:
    """Poll predicate() (yielding to the loop) until it holds."""
    async with asyncio.timeout(within):
        while True:
            if predicate():
                return
            await asyncio.sleep(0.01)


def sim_run(scenario: Callable[[Simulator], Coroutine[Any, Any, None]], **config: Any) -> None:
    """Start a simulator with `config`, run the scenario against it, stop it."""

    async def main() -> None:
        async with Simulator(SimulatorConfig(**{"seed": 1, "rate": 0.0, **config})) as sim:
            await scenario(sim)

    run(main())


async def expect_closed(
    ws: ClientConnection, into: list[dict[str, Any]] | None = None
) -> ConnectionClosed:
    """Read (into `into`) until the connection ends; return how it ended."""
    try:
        async with asyncio.timeout(WAIT):
            while True:
                frame = await ws.recv()
                if into is not None:
                    into.extend(decode(frame))
    except ConnectionClosed as exc:
        return exc
    raise AssertionError("unreachable")  # pragma: no cover


def error(code: int, msg: str) -> list[dict[str, Any]]:
    return [{"T": "error", "code": code, "msg": msg}]


# --- handshake and auth ------------------------------------------------------------


def test_connect_then_auth_message() -> None:
    async def scenario(sim: Simulator) -> None:
        ws = await open_ws(sim)
        first = await asyncio.wait_for(ws.recv(), WAIT)
        assert first == '[{"T":"success","msg":"connected"}]'  # exact, as a text frame
        await ws.send(json.dumps({"action": "auth", "key": "k", "secret": "s"}))
        assert await asyncio.wait_for(ws.recv(), WAIT) == '[{"T":"success","msg":"authenticated"}]'
        await ws.close()
        assert sim.stats.authenticated == 1

    sim_run(scenario, key="k", secret="s")


def test_auth_by_handshake_headers() -> None:
    async def scenario(sim: Simulator) -> None:
        headers = {"APCA-API-KEY-ID": "k", "APCA-API-SECRET-KEY": "s"}
        ws = await open_ws(sim, headers=headers)
        assert await recv(ws) == [{"T": "success", "msg": "connected"}]
        assert await recv(ws) == [{"T": "success", "msg": "authenticated"}]
        await ws.send(json.dumps({"action": "auth", "key": "k", "secret": "s"}))
        assert await recv(ws) == error(403, "already authenticated")
        reply = await subscribe(ws, quotes=["AAPL"])
        assert reply["quotes"] == ["AAPL"]
        await ws.close()

    sim_run(scenario, key="k", secret="s")


def test_bad_credentials_get_402_and_close() -> None:
    async def scenario(sim: Simulator) -> None:
        ws = await open_ws(sim)
        await recv(ws)
        await ws.send(json.dumps({"action": "auth", "key": "k", "secret": "wrong"}))
        assert await recv(ws) == error(402, "auth failed")
        closed = await expect_closed(ws)
        assert closed.rcvd is not None
        assert closed.rcvd.code == 1008
        bad_header = await open_ws(
            sim, headers={"APCA-API-KEY-ID": "x", "APCA-API-SECRET-KEY": "y"}
        )
        assert await recv(bad_header) == [{"T": "success", "msg": "connected"}]
        assert await recv(bad_header) == error(402, "auth failed")
        await expect_closed(bad_header)
        assert sim.stats.errors_sent[402] == 2

    sim_run(scenario, key="k", secret="s")


def test_auth_timeout_404_then_close() -> None:
    async def scenario(sim: Simulator) -> None:
        ws = await open_ws(sim)
        assert await recv(ws) == [{"T": "success", "msg": "connected"}]
        assert await recv(ws) == error(404, "auth timeout")
        await expect_closed(ws)

    sim_run(scenario, auth_timeout=0.2)


def test_protocol_errors_401_403_400() -> None:
    async def scenario(sim: Simulator) -> None:
        ws = await open_ws(sim)
        await recv(ws)
        await ws.send(json.dumps({"action": "subscribe", "trades": ["AAPL"]}))
        assert await recv(ws) == error(401, "not authenticated")
        await ws.send(json.dumps({"action": "auth", "key": "k", "secret": "s"}))
        assert await recv(ws) == [{"T": "success", "msg": "authenticated"}]
        await ws.send(json.dumps({"action": "auth", "key": "k", "secret": "s"}))
        assert await recv(ws) == error(403, "already authenticated")
        for bad in (
            "not json",
            '{"action":"dance"}',
            "[1,2]",
            '{"action":"subscribe","trades":"AAPL"}',
        ):
            await ws.send(bad)
            assert await recv(ws) == error(400, "invalid syntax")
        assert sim.stats.bad_client_messages == 4
        reply = await subscribe(ws, trades=["AAPL"])  # the session survived all of it
        assert reply["trades"] == ["AAPL"]
        await ws.close()

    sim_run(scenario)


# --- subscriptions -------------------------------------------------------------------


def test_subscribe_reply_is_the_full_subscription() -> None:
    async def scenario(sim: Simulator) -> None:
        ws = await handshake(sim)
        await ws.send(
            json.dumps({"action": "subscribe", "trades": ["AAPL"], "quotes": ["AMD", "CLDR"],
                        "bars": ["*"], "dailyBars": ["VOO"], "statuses": ["*"]})
        )  # fmt: skip
        # the example reply from docs/protocol.md, byte for byte
        assert await asyncio.wait_for(ws.recv(), WAIT) == (
            '[{"T":"subscription","trades":["AAPL"],"quotes":["AMD","CLDR"],"bars":["*"],'
            '"updatedBars":[],"dailyBars":["VOO"],"statuses":["*"],"lulds":[],'
            '"corrections":["AAPL"],"cancelErrors":["AAPL"]}]'
        )
        await ws.send(json.dumps({"action": "unsubscribe", "trades": ["AAPL"], "quotes": ["AMD"]}))
        reply = (await recv(ws))[0]
        assert reply["trades"] == []
        assert reply["corrections"] == []
        assert reply["cancelErrors"] == []
        assert reply["quotes"] == ["CLDR"]
        assert reply["bars"] == ["*"]
        assert "CLDR" in sim.market  # a valid-looking name joined the universe
        await ws.close()

    sim_run(scenario)


def test_wildcard_trades_stream_many_symbols() -> None:
    async def scenario(sim: Simulator) -> None:
        ws = await handshake(sim)
        await subscribe(ws, trades=["*"])
        got = await collect(ws, lambda m: len({x["S"] for x in m if x["T"] == "t"}) >= 5)
        assert {m["T"] for m in got} <= {"t", "c", "x"}  # only the trade family
        await ws.close()

    sim_run(scenario, rate=2000.0)


def test_symbol_limit_405_leaves_subscription_unchanged() -> None:
    async def scenario(sim: Simulator) -> None:
        ws = await handshake(sim)
        await subscribe(ws, trades=["AAPL"])
        await ws.send(json.dumps({"action": "subscribe", "quotes": ["MSFT", "NVDA"]}))
        assert await recv(ws) == error(405, "symbol limit exceeded")
        reply = await subscribe(ws, quotes=["AAPL", "MSFT"], bars=["NVDA", "AMD"])
        assert reply["trades"] == ["AAPL"]
        assert reply["quotes"] == ["AAPL", "MSFT"]
        await ws.close()

    sim_run(scenario, symbol_limit=2)


def test_free_plan_409_on_sip_and_410_on_wildcard() -> None:
    async def scenario(sim: Simulator) -> None:
        sip = await open_ws(sim, "sip")
        await recv(sip)
        await sip.send(json.dumps({"action": "auth", "key": "k", "secret": "s"}))
        assert await recv(sip) == error(409, "insufficient subscription")
        await expect_closed(sip)
        ws = await handshake(sim, "iex")
        await ws.send(json.dumps({"action": "subscribe", "trades": ["*"]}))
        assert await recv(ws) == error(410, "invalid subscribe action for this feed")
        await ws.send(json.dumps({"action": "subscribe", "orderbooks": ["AAPL"]}))
        assert await recv(ws) == error(410, "invalid subscribe action for this feed")
        symbols = ["".join(p) for p in itertools.islice(itertools.product("ABCDE", repeat=3), 31)]
        await ws.send(json.dumps({"action": "subscribe", "trades": symbols}))
        assert await recv(ws) == error(405, "symbol limit exceeded")  # free plan: 30
        reply = await subscribe(ws, trades=symbols[:30], bars=["*"])
        assert len(reply["trades"]) == 30
        await ws.close()

    sim_run(scenario, plan=Plan.FREE)


def test_one_session_per_key_and_endpoint_406() -> None:
    async def scenario(sim: Simulator) -> None:
        first = await handshake(sim, key="same")
        second = await open_ws(sim)
        await recv(second)
        await second.send(json.dumps({"action": "auth", "key": "same", "secret": "s"}))
        assert await recv(second) == error(406, "connection limit exceeded")
        await expect_closed(second)
        other_endpoint = await handshake(sim, "sip", key="same")  # limit is per endpoint
        other_key = await handshake(sim, key="different")
        assert (await subscribe(first, quotes=["AAPL"]))["quotes"] == ["AAPL"]
        await first.close()
        await until(lambda: len(sim.sessions) == 2)
        again = await handshake(sim, key="same")  # the slot is free again
        for ws in (other_endpoint, other_key, again):
            await ws.close()

    sim_run(scenario)


# --- encodings -----------------------------------------------------------------------


def test_msgpack_mode_t_first_and_nanosecond_timestamps() -> None:
    async def scenario(sim: Simulator) -> None:
        ws = await handshake(sim, use_msgpack=True)
        # "action" need not come first (the SDK sends it last)
        spec = {"trades": ["AAPL", "MSFT"], "quotes": ["AAPL", "MSFT"], "action": "subscribe"}
        await ws.send(msgpack.packb(spec))
        frame = await asyncio.wait_for(ws.recv(), WAIT)
        assert isinstance(frame, bytes)
        assert decode(frame)[0]["quotes"] == ["AAPL", "MSFT"]
        got: list[dict[str, Any]] = []
        async with asyncio.timeout(WAIT):
            while len(got) < 40:
                frame = await ws.recv()
                assert isinstance(frame, bytes)  # binary frames only
                got.extend(decode(frame))
        for m in got:
            assert next(iter(m)) == "T"
            assert isinstance(m["t"], msgpack.Timestamp)
        # nanosecond precision survives: not all timestamps are whole microseconds
        assert any(m["t"].nanoseconds % 1000 for m in got)
        now = time.time_ns()
        assert all(abs(m["t"].to_unix_nano() - now) < 60 * 10**9 for m in got)
        await ws.close()

    sim_run(scenario, rate=1000.0)


def test_fragmented_client_messages_are_reassembled() -> None:
    async def scenario(sim: Simulator) -> None:
        ws = await open_ws(sim)
        await recv(ws)
        await ws.send(['{"action":"auth",', '"key":"k",', '"secret":"s"}'])
        assert await recv(ws) == [{"T": "success", "msg": "authenticated"}]
        # the official SDK's style: one msgpack message split into 32 KiB fragments
        mp = await handshake(sim, key="k2", use_msgpack=True)
        names = [
            "".join(p) for p in itertools.islice(itertools.product("ABCDEFGHIJ", repeat=4), 9000)
        ]
        packed = msgpack.packb({"trades": names, "action": "subscribe"})
        assert len(packed) > 32768
        await mp.send([packed[i : i + 32768] for i in range(0, len(packed), 32768)])
        reply = await recv(mp)
        assert reply[0]["trades"] == names
        await ws.close()
        await mp.close()

    sim_run(scenario)


# --- faults --------------------------------------------------------------------------


def test_drop_all_aborts_without_close_frame() -> None:
    async def scenario(sim: Simulator) -> None:
        ws = await handshake(sim)
        await subscribe(ws, quotes=["AAPL"])
        assert sim.faults.drop_all() == 1
        closed = await expect_closed(ws)
        assert closed.rcvd is None  # no close frame: a network drop
        assert sim.stats.aborted == 1

    sim_run(scenario, rate=200.0)


def test_dead_connection_keeps_its_slot() -> None:
    async def scenario(sim: Simulator) -> None:
        ws = await handshake(sim)
        sim.faults.drop_all()
        await expect_closed(ws)
        await until(lambda: not sim.sessions)
        again = await open_ws(sim)
        await recv(again)
        await again.send(json.dumps({"action": "auth", "key": "key", "secret": "s"}))
        assert await recv(again) == error(406, "connection limit exceeded")

    sim_run(scenario, dead_slot_hold=60.0)


def test_close_all_with_code() -> None:
    async def scenario(sim: Simulator) -> None:
        ws = await handshake(sim)
        assert sim.faults.close_all(4000, "bye") == 1
        closed = await expect_closed(ws)
        assert closed.rcvd is not None
        assert (closed.rcvd.code, closed.rcvd.reason) == (4000, "bye")

    sim_run(scenario)


def test_refuse_auth_and_hold_slot() -> None:
    async def scenario(sim: Simulator) -> None:
        sim.faults.refuse_auth(True)
        ws = await open_ws(sim)
        await recv(ws)
        await ws.send(json.dumps({"action": "auth", "key": "k", "secret": "s"}))
        assert await recv(ws) == error(402, "auth failed")
        sim.faults.refuse_auth(False)
        sim.faults.hold_slot(0.3, key="k", path="/v2/iex")
        held = await open_ws(sim)
        await recv(held)
        await held.send(json.dumps({"action": "auth", "key": "k", "secret": "s"}))
        assert await recv(held) == error(406, "connection limit exceeded")
        await expect_closed(held)
        await handshake(sim, key="other")  # only that key's slot is held
        await asyncio.sleep(0.4)  # let the phantom holder's time run out (not a timing check)
        await handshake(sim, key="k")

    sim_run(scenario)


def test_slow_client_gets_407_and_is_closed() -> None:
    async def scenario(sim: Simulator) -> None:
        ws = await handshake(sim)
        await subscribe(ws, trades=["*"], quotes=["*"])
        sim.faults.set_slow_client_limit(64 * 1024)
        sim.faults.burst(20_000)  # the client has read none of it
        assert sim.stats.slow_client_drops == 1
        got: list[dict[str, Any]] = []
        closed = await expect_closed(ws, got)
        assert closed.rcvd is not None
        assert closed.rcvd.code == 1008
        assert got[-1] == {"T": "error", "code": 407, "msg": "slow client"}

    sim_run(scenario)


def test_malformed_unknown_and_error_frames() -> None:
    async def scenario(sim: Simulator) -> None:
        ws = await handshake(sim)
        mp = await handshake(sim, key="k2", use_msgpack=True)
        assert sim.faults.send_malformed("frame") == 2
        bad_text = await asyncio.wait_for(ws.recv(), WAIT)
        with pytest.raises(json.JSONDecodeError):
            json.loads(bad_text)
        bad_bin = await asyncio.wait_for(mp.recv(), WAIT)
        assert isinstance(bad_bin, bytes)
        with pytest.raises(msgpack.exceptions.FormatError):  # 0xc1 is never used
            msgpack.unpackb(bad_bin)
        sim.faults.send_malformed("missing_fields")
        assert await recv(ws) == [{"T": "t", "S": "AAPL", "i": 1}]
        assert await recv(mp) == [{"T": "t", "S": "AAPL", "i": 1}]
        sim.faults.send_unknown_type()
        assert (await recv(ws))[0]["T"] == "zz"
        assert (await recv(mp))[0]["T"] == "zz"
        sim.faults.send_error(500)
        assert await recv(ws) == error(500, "internal error")
        assert (await subscribe(ws, quotes=["AAPL"]))["quotes"] == ["AAPL"]  # still alive

    sim_run(scenario)


def test_burst_is_batched_and_rate_changes_at_run_time() -> None:
    async def scenario(sim: Simulator) -> None:
        ws = await handshake(sim)
        channels = ["trades", "quotes", "bars", "updatedBars", "dailyBars", "statuses", "lulds"]
        await subscribe(ws, {ch: ["AAPL"] for ch in channels})
        made = sim.faults.burst(500)
        assert made >= 500
        sizes: list[int] = []
        async with asyncio.timeout(WAIT):
            while sum(sizes) < made:
                sizes.append(len(await recv(ws)))
        assert max(sizes) == sim.config.batch_max  # many messages per frame
        assert all(size <= sim.config.batch_max for size in sizes)
        sim.faults.set_rate(500.0)
        got = await collect(ws, lambda m: len(m) >= 20)
        assert {m["S"] for m in got} == {"AAPL"}

    sim_run(scenario, batch_max=25)


def test_pause_stops_data_and_pongs() -> None:
    async def scenario(sim: Simulator) -> None:
        ws = await handshake(sim)
        await subscribe(ws, quotes=["AAPL"])
        sim.faults.pause(True)
        info = sim.session_info()[0]
        sim.faults.burst(100)
        assert sim.session_info()[0].messages_sent == info.messages_sent  # nothing queued
        assert sim.sessions[info.id].backlog() == 0
        pong = asyncio.ensure_future(await ws.ping())
        done, _ = await asyncio.wait([pong], timeout=0.5)
        assert not done  # no pong while paused (a negative check: it never comes)
        sim.faults.pause(False)
        await asyncio.wait_for(pong, WAIT)  # answered once reading resumes
        sim.faults.burst(50)
        assert await collect(ws, lambda m: len(m) >= 1)

    sim_run(scenario)


# --- REST ----------------------------------------------------------------------------


def test_rest_snapshots_match_the_stream() -> None:
    async def scenario(sim: Simulator) -> None:
        ws = await handshake(sim)
        channels = ["trades", "quotes", "bars", "updatedBars", "dailyBars", "statuses", "lulds"]
        await subscribe(ws, {ch: ["AAPL", "CLDR"] for ch in channels})
        made = sim.faults.burst(300)
        got = await collect(ws, lambda m: len(m) >= made)
        async with httpx.AsyncClient(base_url=sim.rest_url) as http:
            response = await http.get(
                "/v2/stocks/snapshots", params={"symbols": "AAPL,CLDR,ZZZZ,aapl!", "feed": "iex"}
            )
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        body = response.json()
        assert sorted(body) == ["AAPL", "CLDR"]  # unknown and invalid names are absent
        for symbol in ("AAPL", "CLDR"):
            snap = body[symbol]
            assert set(snap) == {
                "latestTrade",
                "latestQuote",
                "minuteBar",
                "dailyBar",
                "prevDailyBar",
            }
            trades = [m for m in got if m["T"] == "t" and m["S"] == symbol]
            quotes = [m for m in got if m["T"] == "q" and m["S"] == symbol]
            corrected = {m["oi"] for m in got if m["T"] == "c" and m["S"] == symbol}
            if trades and trades[-1]["i"] not in corrected:
                last = {k: v for k, v in trades[-1].items() if k not in ("T", "S")}
                assert snap["latestTrade"] == last
            if quotes:
                assert snap["latestQuote"] == {
                    k: v for k, v in quotes[-1].items() if k not in ("T", "S")
                }
            daily = snap["dailyBar"]
            assert daily["l"] <= daily["c"] <= daily["h"]
            assert daily["v"] > 0
            assert snap["prevDailyBar"]["t"] < daily["t"]
            assert daily["t"].endswith("Z")
            assert snap["latestQuote"]["t"].endswith("Z")

    sim_run(scenario)


def test_rest_auth_and_errors() -> None:
    async def scenario(sim: Simulator) -> None:
        async with httpx.AsyncClient(base_url=sim.rest_url) as http:
            url = "/v2/stocks/snapshots?symbols=AAPL"
            missing = await http.get(url)
            assert missing.status_code == 401
            assert missing.json() == {"message": "unauthorized."}
            wrong = await http.get(
                url, headers={"APCA-API-KEY-ID": "k", "APCA-API-SECRET-KEY": "x"}
            )
            assert wrong.status_code == 403
            assert wrong.json() == {"message": "forbidden."}
            good_headers = {"APCA-API-KEY-ID": "k", "APCA-API-SECRET-KEY": "s"}
            good = await http.get(url, headers=good_headers)
            assert good.status_code == 200
            assert list(good.json()) == ["AAPL"]
            sip = await http.get(url + "&feed=sip", headers=good_headers)
            assert sip.status_code == 403  # free plan: no recent SIP data
            assert (await http.get("/v2/stocks/snapshots", headers=good_headers)).status_code == 400
            assert (await http.get("/nope")).status_code == 404
            assert (await http.get("/health")).json() == {"status": "ok"}
        assert sim.stats.rest_requests == 5

    sim_run(scenario, key="k", secret="s", plan=Plan.FREE)


# --- the market ----------------------------------------------------------------------


def _stream_of(seed: int, count: int) -> list[dict[str, Any]]:
    async def main() -> list[dict[str, Any]]:
        config = SimulatorConfig(seed=seed, rate=3000.0, halt_probability=0.01, halt_steps=(5, 30),
                                 correction_probability=0.02, cancel_probability=0.02)  # fmt: skip
        async with Simulator(config) as sim:
            ws = await handshake(sim)
            await subscribe(ws, trades=["*"], quotes=["*"], statuses=["*"], lulds=["*"])
            got = await collect(ws, lambda m: len(m) >= count)
            await ws.close()
        # timestamps come from the clock; everything else must come from the seed
        return [{k: v for k, v in m.items() if k != "t"} for m in got[:count]]

    return run(main())


def test_same_seed_same_sequence() -> None:
    first = _stream_of(42, 600)
    assert first == _stream_of(42, 600)
    assert first != _stream_of(43, 600)


def test_market_looks_like_a_market() -> None:
    async def scenario(sim: Simulator) -> None:
        ws = await handshake(sim)
        await subscribe(ws, trades=["AAPL", "SPY"], quotes=["AAPL", "SPY"], statuses=["*"],
                        lulds=["*"])  # fmt: skip
        kinds = {"t", "q", "s", "l", "c", "x"}

        def seen_all(msgs: list[dict[str, Any]]) -> bool:
            codes = {m["sc"] for m in msgs if m["T"] == "s"}
            return (
                {m["T"] for m in msgs} >= kinds
                and bool(codes & {"H", "P", "2"})
                and bool(codes & {"T", "3"})
            )

        got = await collect(ws, seen_all)
        quote: dict[str, dict[str, Any]] = {}
        for m in got:
            if m["T"] == "q":
                assert m["bp"] < m["ap"]
                assert m["bs"] > 0
                assert m["as"] > 0
                assert set(m) == {"T", "S", "bx", "bp", "bs", "ax", "ap", "as", "c", "t", "z"}
                quote[m["S"]] = m
            elif m["T"] == "t":
                assert set(m) == {"T", "S", "i", "x", "p", "s", "c", "t", "z"}
                q = quote.get(m["S"])
                if q is not None:
                    assert q["bp"] <= m["p"] <= q["ap"]  # trades print inside the quote
            elif m["T"] == "l":
                assert m["d"] < m["u"]
            elif m["T"] == "c":
                assert {"oi", "op", "os", "oc", "ci", "cp", "cs", "cc", "x", "z"} <= set(m)
            elif m["T"] == "x":
                assert m["a"] == "C"
        prices = {"AAPL": 230.0, "SPY": 570.0}
        for m in got:
            if m["T"] == "t":
                assert abs(m["p"] / prices[m["S"]] - 1) < 0.15  # near its base price
        assert {m["z"] for m in got if m["S"] == "SPY"} == {"B"}  # NYSE Arca: tape B
        await ws.close()

    sim_run(scenario, rate=3000.0, halt_probability=0.01, halt_steps=(5, 30),
            correction_probability=0.05, cancel_probability=0.05)  # fmt: skip


def _minute_boundary_soon() -> int:
    """A simulated-clock start 2 s before a minute boundary."""
    now = time.time_ns()
    return now - now % (60 * 10**9) + 58 * 10**9


def test_minute_bars_are_built_from_the_trades() -> None:
    async def scenario(sim: Simulator) -> None:
        ws = await handshake(sim)
        await subscribe(ws, trades=["AAPL"], bars=["AAPL"], dailyBars=["AAPL"])
        got = await collect(ws, lambda m: any(x["T"] == "d" for x in m), within=75)
        trades = [m for m in got if m["T"] == "t"]
        bar = next(m for m in got if m["T"] == "b")
        daily = next(m for m in got if m["T"] == "d")
        in_bar = [t for t in got[: got.index(bar)] if t["T"] == "t"]
        minute = bar["t"].removesuffix("00Z")  # "YYYY-MM-DDTHH:MM:"
        assert in_bar
        assert all(t["t"].startswith(minute) for t in in_bar)
        assert not any(t["t"].startswith(minute) for t in trades[len(in_bar) :])
        prices = [t["p"] for t in in_bar]
        assert (bar["o"], bar["c"]) == (prices[0], prices[-1])
        assert (bar["h"], bar["l"]) == (max(prices), min(prices))
        assert bar["v"] == sum(t["s"] for t in in_bar)
        assert bar["n"] == len(in_bar)
        assert bar["l"] <= bar["vw"] <= bar["h"]
        assert bar["t"].endswith(":00Z")
        assert daily["c"] == bar["c"]
        assert daily["h"] >= bar["h"]
        assert daily["l"] <= bar["l"]
        assert daily["v"] > bar["v"]
        await ws.close()

    sim_run(scenario, rate=400.0, start_ns=_minute_boundary_soon(), correction_probability=0.0,
            cancel_probability=0.0)  # fmt: skip


def test_fakepaca_test_stream() -> None:
    async def scenario(sim: Simulator) -> None:
        ws = await handshake(sim, "test")
        await ws.send(
            json.dumps({"action": "subscribe", "quotes": ["FAKEPACA"], "bars": ["FAKEPACA"]})
        )
        assert await asyncio.wait_for(ws.recv(), WAIT) == (
            '[{"T":"subscription","trades":[],"quotes":["FAKEPACA"],"bars":["FAKEPACA"]}]'
        )
        got = await collect(ws, lambda m: any(x["T"] == "b" for x in m), within=75)
        assert {m["T"] for m in got} == {"q", "b"}
        assert {m["S"] for m in got} == {"FAKEPACA"}
        await ws.close()

    sim_run(scenario, test_rate=40.0, start_ns=_minute_boundary_soon())


# --- command line --------------------------------------------------------------------


def _start_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "engine.simulator", "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


def test_stop_finishes_when_its_caller_is_cancelled_and_the_port_can_be_reused() -> None:
    # A restart cancelled mid-stop used to leave the listening socket open for good:
    # the next start on the same port failed with "address already in use".
    async def main() -> None:
        sim = Simulator(SimulatorConfig(seed=1, rate=200.0, key="key", secret="secret"))
        await sim.start()
        port = sim.port
        ws = await handshake(sim)
        await subscribe(ws, trades=["AAPL"])
        stopping = asyncio.get_running_loop().create_task(sim.stop())
        await asyncio.sleep(0)  # the stop has begun: it waits for the market task to end
        stopping.cancel()
        with pytest.raises(asyncio.CancelledError):
            await stopping
        closed = await expect_closed(ws)  # the stop went on: the client was told goodbye
        assert closed.rcvd is not None
        assert closed.rcvd.code == 1001
        again = Simulator(SimulatorConfig(port=port, seed=2, rate=0.0))
        for _ in range(100):  # the listening socket closes in the stop's own task
            try:
                await again.start()
                break
            except OSError:
                await asyncio.sleep(0.05)
        else:
            raise AssertionError(f"port {port} still bound after the cancelled stop")
        assert again.port == port
        ws2 = await open_ws(again)
        assert await recv(ws2) == [{"T": "success", "msg": "connected"}]
        await ws2.close()
        await again.stop()

    run(main())


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_cli_prints_urls_serves_and_exits_0(stop_signal: signal.Signals) -> None:
    secret = "cli-secret-never-logged"
    proc = _start_cli("--seed", "3", "--key", "clikey", env={"TICKERDESK_SIM_SECRET": secret})
    try:
        assert proc.stdout is not None
        ws_url = proc.stdout.readline().strip()
        rest_url = proc.stdout.readline().strip()
        assert ws_url.startswith("ws://127.0.0.1:")
        assert ws_url.split(":")[-1].isdigit()
        assert rest_url == "http://" + ws_url.removeprefix("ws://")

        async def probe() -> None:
            async with connect(ws_url + "/v2/iex") as ws:
                assert decode(await ws.recv()) == [{"T": "success", "msg": "connected"}]
                await ws.send(json.dumps({"action": "auth", "key": "clikey", "secret": secret}))
                assert decode(await ws.recv()) == [{"T": "success", "msg": "authenticated"}]

        run(probe())
        proc.send_signal(stop_signal)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 0
        assert secret not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_cli_refuses_non_loopback_bind() -> None:
    proc = _start_cli("--host", "0.0.0.0")
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert "not loopback" in err
