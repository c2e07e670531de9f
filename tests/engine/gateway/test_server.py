"""GatewayServer over real sockets on 127.0.0.1: a raw websockets client against the gateway,
the gateway's upstream a real simulator. Alpaca's conversation (docs/protocol.md) as the
gateway serves it (docs/gateway.md, "Protocol served"): greeting, auth and its errors,
subscribe rules, the limit on the union, snapshots, ref counting upstream, msgpack.
Slow clients and upstream outages: test_server_flow.py."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from engine.events import Quote, Subscription, Trade
from engine.gateway import rules
from engine.gateway.hub import Hub
from engine.gateway.server import GatewayConfig
from engine.market.store import MarketDataStore
from engine.net.health import StreamHealth
from engine.net.stream import StreamClient, StreamConfig
from engine.protocol.codec import Encoding
from engine.protocol.decoder import FrameDecoder
from engine.simulator import wire as sim_wire
from engine.simulator.handler import FOREIGN_CHANNELS as SIM_FOREIGN
from engine.simulator.session import CHANNELS as SIM_CHANNELS
from engine.simulator.session import REPLY_KEYS as SIM_REPLY_KEYS
from tests.engine.gateway.conftest import RigFactory, recv, recv_until, run, send
from tests.waits import until


async def closed(ws: websockets.ClientConnection) -> int | None:
    """Wait until the server closed the connection; its close code."""

    async def drain() -> None:
        while True:
            await asyncio.wait_for(ws.recv(), 15)

    with pytest.raises(ConnectionClosed):
        await drain()
    return ws.close_code


def error(code: int) -> list[dict[str, object]]:
    return [{"T": "error", "code": code, "msg": rules.ERROR_TEXT[code]}]


def test_rules_constants_are_the_simulators() -> None:
    assert rules.CHANNELS == SIM_CHANNELS
    assert rules.REPLY_KEYS == SIM_REPLY_KEYS
    assert rules.FOREIGN_CHANNELS == SIM_FOREIGN
    assert rules.ERROR_TEXT == sim_wire.ERROR_TEXT


def test_greeting_auth_and_the_auth_errors(gateway_rig: RigFactory) -> None:
    async def body() -> None:
        async with gateway_rig() as rig:
            ws = await rig.raw()  # asserts the greeting
            await send(ws, {"action": "subscribe", "trades": ["AAPL"]})
            assert await recv(ws) == error(401)
            creds = rig.credentials
            await send(ws, {"action": "auth", "key": creds.key_id, "secret": creds.secret})
            assert await recv(ws) == [{"T": "success", "msg": "authenticated"}]
            await send(ws, {"action": "auth", "key": creds.key_id, "secret": creds.secret})
            assert await recv(ws) == error(403)
            assert rig.server.clients == 1

            bad = await rig.raw()
            await send(bad, {"action": "auth", "key": creds.key_id, "secret": "wrong"})
            assert await recv(bad) == error(402)
            assert await closed(bad) == 1008
            assert rig.server.stats.refused_auth == 1
            assert rig.server.clients == 1
            await ws.close()

    run(body())


def test_auth_by_headers(gateway_rig: RigFactory) -> None:
    async def body() -> None:
        async with gateway_rig() as rig:
            creds = rig.credentials
            headers = {"APCA-API-KEY-ID": creds.key_id, "APCA-API-SECRET-KEY": creds.secret}
            ws = await rig.raw(additional_headers=headers)
            assert await recv(ws) == [{"T": "success", "msg": "authenticated"}]
            wrong = {"APCA-API-KEY-ID": creds.key_id, "APCA-API-SECRET-KEY": "nope"}
            bad = await rig.raw(additional_headers=wrong)
            assert await recv(bad) == error(402)
            assert await closed(bad) == 1008
            await ws.close()

    run(body())


def test_auth_timeout_is_404_then_close(gateway_rig: RigFactory) -> None:
    async def body() -> None:
        async with gateway_rig(gateway_config=GatewayConfig(auth_timeout_s=0.3)) as rig:
            ws = await rig.raw()
            assert await recv(ws) == error(404)
            assert await closed(ws) == 1008

    run(body())


def test_406_when_max_clients_are_connected(gateway_rig: RigFactory) -> None:
    async def body() -> None:
        async with gateway_rig(gateway_config=GatewayConfig(max_clients=1)) as rig:
            first = await rig.connect()
            second = await rig.raw()
            creds = rig.credentials
            await send(second, {"action": "auth", "key": creds.key_id, "secret": creds.secret})
            assert await recv(second) == error(406)
            assert await closed(second) == 1008
            assert rig.server.stats.refused_full == 1
            await first.close()
            await until(lambda: rig.server.clients == 0, "first client gone")
            third = await rig.connect()  # the slot is free again
            await third.close()

    run(body())


def test_400_bad_syntax_and_unknown_action_keep_the_session(gateway_rig: RigFactory) -> None:
    async def body() -> None:
        async with gateway_rig() as rig:
            ws = await rig.raw()
            await ws.send("this is not json")
            assert await recv(ws) == error(400)
            await send(ws, {"action": "dance"})
            assert await recv(ws) == error(400)
            await send(ws, {"action": "subscribe", "trades": "AAPL"})  # not a list
            assert await recv(ws) == error(400)
            creds = rig.credentials
            await send(ws, {"action": "auth", "key": creds.key_id, "secret": creds.secret})
            assert await recv(ws) == [{"T": "success", "msg": "authenticated"}]
            await send(ws, {"action": "subscribe", "news": ["AAPL"]})  # another product
            assert await recv(ws) == error(410)
            assert rig.server.stats.bad_requests == 4

    run(body())


def test_wrong_path_is_http_404_naming_the_served_path(gateway_rig: RigFactory) -> None:
    async def body() -> None:
        async with gateway_rig() as rig:
            with pytest.raises(InvalidStatus) as caught:
                await websockets.connect(f"{rig.server.url}/v2/sip")
            assert caught.value.response.status_code == 404
            assert b"/v2/iex" in caught.value.response.body

    run(body())


def test_subscription_reply_is_the_clients_own_full_set(gateway_rig: RigFactory) -> None:
    async def body() -> None:
        async with gateway_rig(gui_symbols=("AAPL",)) as rig:
            ws = await rig.connect()
            request = {"action": "subscribe", "trades": ["MSFT"], "quotes": ["MSFT", "SPY"],
                       "dailyBars": ["SPY"], "corrections": ["IGNORED"], "odd": 1}  # fmt: skip
            await send(ws, request)
            reply = (await recv_until(ws, lambda m: m["T"] == "subscription", "reply"))[-1]
            assert list(reply) == ["T", *SIM_REPLY_KEYS]  # every channel, the simulator's order
            assert reply["trades"] == ["MSFT"]
            assert reply["quotes"] == ["MSFT", "SPY"]
            assert reply["corrections"] == reply["cancelErrors"] == ["MSFT"]
            assert reply["dailyBars"] == ["SPY"]
            assert reply["bars"] == []
            await send(ws, {"action": "unsubscribe", "quotes": ["SPY", "NOTHELD"]})
            reply = (await recv_until(ws, lambda m: m["T"] == "subscription", "reply"))[-1]
            assert reply["quotes"] == ["MSFT"]
            assert reply["trades"] == ["MSFT"]
            # the GUI's own AAPL is not the client's
            assert "AAPL" not in json.dumps(reply)
            await ws.close()

    run(body())


def test_405_on_the_union_with_the_guis_symbols(gateway_rig: RigFactory) -> None:
    async def body() -> None:
        async with gateway_rig(gui_symbols=("AAPL", "MSFT"), limit=5) as rig:
            a = await rig.connect()
            b = await rig.connect()
            await send(a, {"action": "subscribe", "trades": ["SPY"], "quotes": ["QQQ"]})
            assert (await recv(a))[0]["T"] == "subscription"  # 4 of 5
            await send(b, {"action": "subscribe", "quotes": ["IWM", "MSFT"]})
            assert (await recv(b))[0]["T"] == "subscription"  # 5 of 5 (MSFT is the GUI's)
            await send(b, {"action": "subscribe", "trades": ["DIA"], "bars": ["DIA"]})
            seen = await recv_until(b, lambda m: m["T"] == "error", "the 405")
            assert [seen[-1]] == error(405)  # after MSFT's snapshot, if there was one
            assert all(m["T"] in ("t", "q") for m in seen[:-1])
            # nothing changed, and no subscription reply followed the error
            await send(b, {"action": "subscribe", "bars": ["SPY"]})
            reply = (await recv_until(b, lambda m: m["T"] == "subscription", "reply"))[-1]
            assert reply["trades"] == []
            assert reply["bars"] == ["SPY"]
            assert reply["quotes"] == ["IWM", "MSFT"]
            assert rig.hub.registry.holders("trades", "DIA") == 0
            # once a holds less, b's request fits
            await send(a, {"action": "unsubscribe", "quotes": ["QQQ"]})
            await recv_until(a, lambda m: m["T"] == "subscription", "reply")
            await send(b, {"action": "subscribe", "trades": ["DIA"]})
            reply = (await recv_until(b, lambda m: m["T"] == "subscription", "reply"))[-1]
            assert reply["trades"] == ["DIA"]
            await rig.upstream_has("trades", "DIA")

    run(body())


def test_410_wildcard_on_the_free_plan(gateway_rig: RigFactory) -> None:
    async def body() -> None:
        async with gateway_rig(free_plan=True, limit=30) as rig:
            ws = await rig.connect()
            await send(ws, {"action": "subscribe", "trades": ["*"]})
            assert await recv(ws) == error(410)
            await send(ws, {"action": "subscribe", "bars": ["*"]})  # bars may be "*"
            reply = (await recv_until(ws, lambda m: m["T"] == "subscription", "reply"))[-1]
            assert reply["bars"] == ["*"]
            assert reply["trades"] == []

    run(body())


def test_snapshot_of_latest_trade_and_quote_first_then_live(gateway_rig: RigFactory) -> None:
    async def body() -> None:
        async with gateway_rig(gui_symbols=("AAPL",)) as rig:

            def known() -> bool:
                trade, quote = rig.hub.latest("AAPL")
                return trade is not None and quote is not None

            await until(known, "a trade and a quote of AAPL upstream")
            ws = await rig.connect()
            await send(ws, {"action": "subscribe", "trades": ["AAPL"], "quotes": ["AAPL"]})
            assert (await recv(ws))[0]["T"] == "subscription"
            snapshot = await recv(ws)
            assert sorted(m["T"] for m in snapshot) == ["q", "t"]
            assert {m["S"] for m in snapshot} == {"AAPL"}
            events = FrameDecoder().decode(json.dumps(snapshot))
            assert {type(e) for e in events} == {Trade, Quote}
            live = await recv_until(ws, lambda m: m["T"] in ("t", "q"), "live data")
            assert live[-1]["S"] == "AAPL"
            # a client adding a symbol it already had on both channels gets no new snapshot
            await send(ws, {"action": "subscribe", "trades": ["AAPL"], "bars": ["AAPL"]})
            await recv_until(ws, lambda m: m["T"] == "subscription", "reply")
            assert rig.server.stats.frames_out >= 3

    run(body())


def test_ref_counting_upstream(gateway_rig: RigFactory) -> None:
    async def body() -> None:
        async with gateway_rig(gui_symbols=("MSFT",)) as rig:
            a = await rig.connect()
            b = await rig.connect()
            for ws in (a, b):
                await send(ws, {"action": "subscribe", "trades": ["AAPL"]})
                await recv_until(ws, lambda m: m["T"] == "subscription", "reply")
            await rig.upstream_has("trades", "AAPL")
            assert rig.hub.registry.holders("trades", "AAPL") == 2

            await send(a, {"action": "unsubscribe", "trades": ["AAPL"]})
            reply = (await recv_until(a, lambda m: m["T"] == "subscription", "reply"))[-1]
            assert reply["trades"] == []
            assert rig.hub.registry.holders("trades", "AAPL") == 1
            assert "AAPL" in rig.client.extra_subscription.trades
            # b still gets AAPL: the upstream kept it
            await recv_until(b, lambda m: m.get("S") == "AAPL" and m["T"] == "t", "b's trade")
            assert "AAPL" in rig.client.subscription.trades

            await send(b, {"action": "unsubscribe", "trades": ["AAPL"]})
            await recv_until(b, lambda m: m["T"] == "subscription", "reply")
            await rig.upstream_has("trades", "AAPL", present=False)
            assert "MSFT" in rig.client.subscription.trades  # the GUI's own stays

            # a client that leaves without unsubscribing releases its symbols too
            await send(a, {"action": "subscribe", "quotes": ["NVDA"]})
            await recv_until(a, lambda m: m["T"] == "subscription", "reply")
            await rig.upstream_has("quotes", "NVDA")
            await a.close()
            await rig.upstream_has("quotes", "NVDA", present=False)

    run(body())


def test_msgpack_client(gateway_rig: RigFactory) -> None:
    async def body() -> None:
        async with gateway_rig(gui_symbols=("AAPL",), encoding=Encoding.MSGPACK) as rig:
            json_ws = await rig.connect()
            ws = await rig.connect(msgpack_frames=True)
            for client in (ws, json_ws):
                await send(client, {"action": "subscribe", "trades": ["SPY"], "quotes": ["SPY"]})
            raw = await asyncio.wait_for(ws.recv(), 15)
            assert isinstance(raw, bytes)  # binary frames
            decoder = FrameDecoder(Encoding.MSGPACK)
            decoded = decoder.decode(raw)
            assert len(decoded) == 1
            assert isinstance(decoded[0], Subscription)
            assert decoded[0].trades == {"SPY"}
            trades: list[Trade] = []
            async with asyncio.timeout(15):
                while len(trades) < 3:
                    frame = await ws.recv()
                    assert isinstance(frame, bytes)
                    trades += [e for e in decoder.decode(frame) if isinstance(e, Trade)]
            assert {t.symbol for t in trades} == {"SPY"}
            text = await asyncio.wait_for(json_ws.recv(), 15)
            assert isinstance(text, str)  # the JSON client is served text frames
            report = {r["encoding"] for r in rig.server.client_report()}
            assert report == {"json", "msgpack"}

    run(body())


def test_stop_closes_clients_with_1001(gateway_rig: RigFactory) -> None:
    async def body() -> None:
        async with gateway_rig() as rig:
            ws = await rig.connect()
            await rig.server.stop()
            assert await closed(ws) == 1001
            await rig.server.stop()  # idempotent

    run(body())


def test_config_defaults_as_specified() -> None:
    cfg = GatewayConfig()
    assert (cfg.host, cfg.port, cfg.max_clients, cfg.max_message_bytes) == (
        "127.0.0.1", 0, 16, 65536,
    )  # fmt: skip
    assert (cfg.auth_timeout_s, cfg.max_pending, cfg.batch_max, cfg.write_limit) == (
        10.0, 20_000, 1000, 256 * 1024,
    )  # fmt: skip
    assert replace(cfg, port=8767).port == 8767


def test_hub_latest_falls_back_to_the_store_and_cache_follows_holders() -> None:
    async def body() -> None:
        store = MarketDataStore()
        client = StreamClient(StreamConfig(url="ws://127.0.0.1:9"), store, StreamHealth())
        client.set_symbols(["AAPL"])
        hub = Hub(client, store, limit=None, free_plan=False, feed="iex")
        ns = 1_700_000_000_123_456_789
        store.apply(Trade("AAPL", 190.5, 10, ns, 7, "V"))
        store.apply(Quote("AAPL", 190.4, 2, 190.6, 3, ns + 1))
        trade, quote = hub.latest("AAPL")
        assert trade == Trade("AAPL", 190.5, 10, ns, 7, "V")
        assert quote == Quote("AAPL", 190.4, 2, 190.6, 3, ns + 1)
        assert hub.latest("MSFT") == (None, None)
        # the tap remembers the newest trade of a held symbol; a late print does not win
        hub.start()
        assert hub.request("gateway:1", Subscription(trades=frozenset({"MSFT"}))) is None
        newer, older = Trade("MSFT", 2.0, 1, ns + 10, 2), Trade("MSFT", 1.0, 1, ns, 1)
        hub._on_frame([newer, older], 0.0)
        assert hub.latest("MSFT")[0] == newer
        assert hub.counters.events == 2
        hub.drop("gateway:1")  # nobody wants MSFT any more: forgotten
        assert hub.latest("MSFT") == (None, None)
        assert client.extra_subscription == Subscription()
        hub.stop()

    run(body())
