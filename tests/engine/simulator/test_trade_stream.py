"""The simulator's trade_updates stream at `/stream`, with a raw websockets client
(docs/account-and-history.md, "Account stream: trade_updates"; docs/simulator.md,
"Trading API and trade_updates"): both auth forms, listen and its acknowledgement,
BINARY frames (JSON, or msgpack when asked), events new -> partial_fill -> fill and
canceled, one connection per key, no replay after a drop, and the trade-stream faults.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import msgpack
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from engine.simulator import Simulator, SimulatorConfig
from tests.engine.simulator.wsclient import WAIT, run, until

H = {"APCA-API-KEY-ID": "key", "APCA-API-SECRET-KEY": "secret"}
Msg = dict[str, Any]


def config(**kw: Any) -> SimulatorConfig:
    return SimulatorConfig(**{"seed": 21, "rate": 200.0, "fill_interval_s": 0.0, **kw})


async def frame(ws: ClientConnection, *, packed: bool = False) -> Msg:
    data = await asyncio.wait_for(ws.recv(), WAIT)
    assert isinstance(data, bytes), "the paper endpoint sends binary frames"
    out: Msg = msgpack.unpackb(data) if packed else json.loads(data)
    return out


async def open_stream(
    sim: Simulator, key: str = "key", *, legacy: bool = False
) -> ClientConnection:
    ws = await connect(f"{sim.ws_url}/stream", open_timeout=WAIT)
    if legacy:
        auth = {"action": "authenticate", "data": {"key_id": key, "secret_key": "secret"}}
    else:
        auth = {"action": "auth", "key": key, "secret": "secret"}
    await ws.send(json.dumps(auth))
    assert await frame(ws) == {
        "stream": "authorization",
        "data": {"action": "authenticate", "status": "authorized"},
    }
    await ws.send(json.dumps({"action": "listen", "data": {"streams": ["trade_updates"]}}))
    assert await frame(ws) == {"stream": "listening", "data": {"streams": ["trade_updates"]}}
    return ws


async def post_order(sim: Simulator, **fields: Any) -> Msg:
    body = {
        "symbol": "INTC",
        "qty": 250,
        "side": "buy",
        "type": "market",
        "time_in_force": "day",
        **fields,
    }
    async with httpx.AsyncClient(base_url=sim.rest_url, headers=H) as c:
        r = await c.post("/v2/orders", json=body)
    assert r.status_code == 200, r.text
    out: Msg = r.json()
    return out


async def events_for(ws: ClientConnection, order_id: str, until_event: str) -> list[Msg]:
    got: list[Msg] = []
    while not got or got[-1]["event"] != until_event:
        msg = await frame(ws)
        assert msg["stream"] == "trade_updates"
        if msg["data"]["order"]["id"] == order_id:
            got.append(msg["data"])
    return got


def test_fills_arrive_in_binary_frames_new_partial_fill_fill() -> None:
    async def main() -> None:
        async with Simulator(config()) as sim:
            ws = await open_stream(sim)
            placed = await post_order(sim)
            events = await events_for(ws, placed["id"], "fill")
            async with httpx.AsyncClient(base_url=sim.rest_url, headers=H) as c:
                acts = (await c.get("/v2/account/activities?activity_types=FILL")).json()
            await ws.close()
        assert [e["event"] for e in events] == ["new", "partial_fill", "partial_fill", "fill"]
        assert [e["qty"] for e in events[1:]] == ["100", "100", "50"]
        assert [e["order"]["filled_qty"] for e in events] == ["0", "100", "200", "250"]
        assert events[-1]["order"]["status"] == "filled"
        assert [e["position_qty"] for e in events[1:]] == ["100", "200", "250"]
        by_uuid = {a["id"].split("::")[1]: a for a in acts}
        for e in events[1:]:  # the stream's execution_id is the uuid of the activity id
            assert e["execution_id"] in by_uuid
            assert by_uuid[e["execution_id"]]["price"] == e["price"]
            assert e["timestamp"].endswith("Z")

    run(main())


def test_legacy_auth_form_and_cancel_event() -> None:
    async def main() -> None:
        async with Simulator(config()) as sim:
            ws = await open_stream(sim, legacy=True)
            st = sim.market.state("KO")
            assert st is not None
            placed = await post_order(
                sim, symbol="KO", qty=1, type="limit", limit_price=round(st.bid * 0.5, 2)
            )
            async with httpx.AsyncClient(base_url=sim.rest_url, headers=H) as c:
                assert (await c.delete(f"/v2/orders/{placed['id']}")).status_code == 204
            events = await events_for(ws, placed["id"], "canceled")
            await ws.close()
        assert [e["event"] for e in events] == ["new", "canceled"]
        assert events[-1]["order"]["status"] == "canceled"

    run(main())


def test_bad_credentials_and_listen_before_auth() -> None:
    async def main() -> None:
        async with Simulator(config(key="key", secret="secret")) as sim:
            ws = await connect(f"{sim.ws_url}/stream", open_timeout=WAIT)
            await ws.send(json.dumps({"action": "listen", "data": {"streams": ["trade_updates"]}}))
            early = await frame(ws)
            await ws.send(json.dumps({"action": "auth", "key": "key", "secret": "wrong"}))
            refused = await frame(ws)
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), WAIT)
            code = ws.close_code
        assert early == {
            "stream": "authorization",
            "data": {"action": "listen", "status": "unauthorized"},
        }
        assert refused == {
            "stream": "authorization",
            "data": {"action": "authenticate", "status": "unauthorized"},
        }
        assert code == 1008

    run(main())


def test_msgpack_when_the_client_asks_for_it() -> None:
    async def main() -> None:
        async with Simulator(config()) as sim:
            ws = await connect(
                f"{sim.ws_url}/stream",
                open_timeout=WAIT,
                additional_headers={"Content-Type": "application/msgpack"},
            )
            await ws.send(msgpack.packb({"action": "auth", "key": "key", "secret": "secret"}))
            auth = await frame(ws, packed=True)
            await ws.send(
                msgpack.packb({"action": "listen", "data": {"streams": ["trade_updates", "nope"]}})
            )
            ack = await frame(ws, packed=True)
            placed = await post_order(sim, qty=1)
            first = await frame(ws, packed=True)
            await ws.close()
        assert auth["data"]["status"] == "authorized"
        assert ack == {"stream": "listening", "data": {"streams": ["trade_updates"]}}
        assert first["data"]["event"] == "new"
        assert first["data"]["order"]["id"] == placed["id"]

    run(main())


def test_one_connection_per_key() -> None:
    async def main() -> None:
        async with Simulator(config()) as sim:
            first = await open_stream(sim)
            second = await connect(f"{sim.ws_url}/stream", open_timeout=WAIT)
            await second.send(json.dumps({"action": "auth", "key": "key", "secret": "secret"}))
            refused = await frame(second)
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(second.recv(), WAIT)
            other_key = await open_stream(sim, key="key2")  # another account: fine
            await first.close()
            await other_key.close()
        assert refused["data"]["status"] == "unauthorized"
        assert refused["data"]["code"] == 406
        assert refused["data"]["message"] == "connection limit exceeded"

    run(main())


def test_no_replay_after_a_drop_rest_has_the_fill() -> None:
    async def main() -> None:
        async with Simulator(config()) as sim:
            ws = await open_stream(sim)
            assert sim.faults.drop_trade_streams() == 1
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), WAIT)
            await until(lambda: not sim.trading.streams.sessions)
            placed = await post_order(sim, qty=1)  # fills while nobody listens
            acct = sim.trading.engine.accounts["key"]
            await until(lambda: getattr(acct.find(placed["id"]), "status", "") == "filled")
            async with httpx.AsyncClient(base_url=sim.rest_url, headers=H) as c:
                acts = (await c.get("/v2/account/activities/FILL")).json()
            ws = await open_stream(sim)
            later = await post_order(sim, symbol="KO", qty=1)  # a marker after the reconnect
            first = await frame(ws)
            await ws.close()
        assert placed["id"] in {a["order_id"] for a in acts}
        assert first["data"]["order"]["id"] == later["id"]  # nothing of the missed order

    run(main())


def test_lost_updates_fault_and_forbidden_key() -> None:
    async def main() -> None:
        async with Simulator(config(trading_forbidden_keys=("datakey",))) as sim:
            ws = await open_stream(sim)
            sim.faults.lose_trade_updates()
            lost = await post_order(sim, qty=1)
            await until(lambda: sim.trading.engine.stats.events_lost >= 2)  # new and fill
            sim.faults.lose_trade_updates(False)
            seen = await post_order(sim, symbol="KO", qty=1)
            first = await frame(ws)
            denied = await connect(f"{sim.ws_url}/stream", open_timeout=WAIT)
            await denied.send(json.dumps({"action": "auth", "key": "datakey", "secret": "s"}))
            refused = await frame(denied)
            await ws.close()
        assert first["data"]["order"]["id"] == seen["id"] != lost["id"]
        assert refused["data"]["status"] == "unauthorized"

    run(main())
