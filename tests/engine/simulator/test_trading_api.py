"""The simulator's Trading API over HTTP on 127.0.0.1 (docs/simulator.md, "Trading API and
trade_updates"; facts: docs/account-and-history.md, "Trading API (account)").

Raw httpx, not engine.account: these tests pin the simulator to Alpaca's API on their
own. Simulated time moves only when a test says so (`ManualClock`), so fills in parts,
the demo order and day-order expiry are checked without any timing.
"""

from __future__ import annotations

import re
import socket
from typing import Any

import httpx

from engine.simulator import Simulator, SimulatorConfig
from tests.engine.simulator.wsclient import ManualClock, et, run, until

H = {"APCA-API-KEY-ID": "key", "APCA-API-SECRET-KEY": "secret"}
S = 1_000_000_000
FRIDAY_10 = et(2026, 11, 20, 10, 0)


def sim_at(start_ns: int = FRIDAY_10, **kw: Any) -> tuple[Simulator, ManualClock]:
    clock = ManualClock(start_ns)
    cfg = SimulatorConfig(seed=3, rate=200.0, start_ns=start_ns, day=True, **kw)
    return Simulator(cfg, clock=clock.session), clock


def client(sim: Simulator, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    SIMS.append(sim)
    del SIMS[:-1]
    return httpx.AsyncClient(base_url=sim.rest_url, headers=H if headers is None else headers)


async def get(c: httpx.AsyncClient, path: str) -> Any:
    r = await c.get(path)
    assert r.status_code == 200, r.text
    return r.json()


async def order(c: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    body = {"symbol": "AAPL", "qty": 1, "side": "buy", "type": "market", "time_in_force": "day"}
    r = await c.post("/v2/orders", json={**body, **fields})
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


async def wait_status(c: httpx.AsyncClient, order_id: str, status: str) -> dict[str, Any]:
    """Wait (event-driven, on the server's state) until the order has `status`; its JSON."""
    sim = SIMS[-1]

    def reached() -> bool:
        acct = sim.trading.engine.accounts.get("key")
        found = acct.find(order_id) if acct is not None else None
        return found is not None and found.status == status

    await until(reached)
    out: dict[str, Any] = await get(c, f"/v2/orders/{order_id}")
    return out


SIMS: list[Simulator] = []  # the running simulator of the test (one at a time)


def test_demo_account_contents() -> None:
    async def main() -> None:
        sim, _ = sim_at()
        async with sim, client(sim) as c:
            acct = await get(c, "/v2/account")
            positions = {p["symbol"]: p for p in await get(c, "/v2/positions")}
            open_orders = await get(c, "/v2/orders?status=open")
            closed = await get(c, "/v2/orders?status=closed")
            fills = await get(c, "/v2/account/activities?activity_types=FILL")
            lists = await get(c, "/v2/watchlists")
        assert acct["cash"] == "100000"
        assert acct["currency"] == "USD"
        assert acct["status"] == "ACTIVE"
        assert acct["account_number"].startswith("PA")
        mv = sum(float(p["market_value"]) for p in positions.values())
        assert abs(float(acct["equity"]) - (100_000 + mv)) < 0.02
        assert isinstance(acct["last_equity"], str)
        assert float(acct["last_equity"]) > 0
        assert set(positions) == {"AAPL", "MSFT", "SPY"}
        assert positions["AAPL"]["qty"] == "50"
        assert float(positions["AAPL"]["unrealized_pl"]) > 0
        assert positions["MSFT"]["qty"] == "20"
        assert float(positions["MSFT"]["unrealized_pl"]) < 0
        spy = positions["SPY"]
        assert spy["qty"] == "-10"
        assert spy["side"] == "short"
        assert float(spy["market_value"]) < 0
        for p in positions.values():
            assert float(p["current_price"]) > 0
            assert float(p["lastday_price"]) > 0
        assert sorted((o["symbol"], o["qty"]) for o in open_orders) == [
            ("F", "250"),
            ("NVDA", "10"),
        ]
        nvda = next(o for o in open_orders if o["symbol"] == "NVDA")
        assert nvda["type"] == "limit"
        assert nvda["time_in_force"] == "gtc"
        assert sorted(o["status"] for o in closed) == ["canceled", "filled", "filled", "filled"]
        assert len(fills) == 3
        assert {f["symbol"] for f in fills} == {"AAPL", "MSFT", "SPY"}
        filled_ids = {o["id"] for o in closed if o["status"] == "filled"}
        for f in fills:
            assert re.fullmatch(r"\d{17}::[0-9a-f-]{36}", f["id"]), f["id"]
            assert f["activity_type"] == "FILL"
            assert f["order_id"] in filled_ids
        assert [w["name"] for w in lists] == ["Demo"]

    run(main())


def test_demo_order_fills_in_parts_within_the_first_simulated_minute() -> None:
    async def main() -> None:
        sim, clock = sim_at()
        async with sim, client(sim) as c:
            (f_order,) = [o for o in await get(c, "/v2/orders") if o["symbol"] == "F"]
            seen = []
            for at_s in (19, 20, 35, 50):
                clock.set(FRIDAY_10 + at_s * S)
                await until(lambda: sim.market.clock_ns >= clock.session.now_ns())
                await sim_tick(sim)
                seen.append((await get(c, f"/v2/orders/{f_order['id']}"))["filled_qty"])
            done = await get(c, f"/v2/orders/{f_order['id']}")
            position = await get(c, "/v2/positions/F")
        assert seen == ["0", "100", "200", "250"]
        assert done["status"] == "filled"
        assert float(done["filled_avg_price"]) > 0
        assert position["qty"] == "250"

    run(main())


async def sim_tick(sim: Simulator) -> None:
    """Wait for two matching passes at the current simulated time (event-driven)."""
    eng = sim.trading.engine
    target = eng.ticks + 2
    await until(lambda: eng.ticks >= target)


def test_market_order_fills_and_moves_position_and_cash() -> None:
    async def main() -> None:
        async with Simulator(SimulatorConfig(seed=4, rate=200.0)) as sim, client(sim) as c:
            before = await get(c, "/v2/account")
            placed = await order(c, symbol="AAPL", qty=3)
            assert placed["status"] == "new"
            assert placed["qty"] == "3"
            done = await wait_status(c, placed["id"], "filled")
            after = await get(c, "/v2/account")
            aapl = await get(c, "/v2/positions/AAPL")
        price = float(done["filled_avg_price"])
        assert done["filled_qty"] == "3"
        assert done["filled_at"] is not None
        assert abs(float(after["cash"]) - (float(before["cash"]) - 3 * price)) < 0.02
        assert aapl["qty"] == "53"

    run(main())


def test_large_order_fills_in_parts_one_part_per_interval() -> None:
    async def main() -> None:
        sim, clock = sim_at(fill_interval_s=1.0)
        async with sim, client(sim) as c:
            placed = await order(c, symbol="INTC", qty=250)
            part = await wait_status(c, placed["id"], "partially_filled")
            assert part["filled_qty"] == "100"
            await sim_tick(sim)  # no simulated time passed: no second part
            assert (await get(c, f"/v2/orders/{placed['id']}"))["filled_qty"] == "100"
            clock.set(FRIDAY_10 + 1 * S)
            await until(lambda: sim.market.clock_ns >= FRIDAY_10 + S)
            await sim_tick(sim)
            assert (await get(c, f"/v2/orders/{placed['id']}"))["filled_qty"] == "200"
            clock.set(FRIDAY_10 + 2 * S)
            done = await wait_status(c, placed["id"], "filled")
            fills = [
                f
                for f in await get(c, "/v2/account/activities/FILL")
                if f["order_id"] == placed["id"]
            ]
        assert done["filled_qty"] == "250"
        assert sorted((f["type"], f["cum_qty"]) for f in fills) == [
            ("fill", "250"),
            ("partial_fill", "100"),
            ("partial_fill", "200"),
        ]

    run(main())


def test_limit_orders_fill_only_through_the_quote_and_cancel() -> None:
    async def main() -> None:
        async with Simulator(SimulatorConfig(seed=5, rate=200.0)) as sim, client(sim) as c:
            st = sim.market.state("MSFT")
            assert st is not None
            far = await order(
                c,
                symbol="MSFT",
                type="limit",
                limit_price=round(st.bid * 0.5, 2),
                time_in_force="gtc",
            )
            near = await order(
                c, symbol="MSFT", type="limit", qty=2, limit_price=round(st.ask * 1.05, 2)
            )
            done = await wait_status(c, near["id"], "filled")
            assert float(done["filled_avg_price"]) <= float(near["limit_price"])
            assert (await get(c, f"/v2/orders/{far['id']}"))["status"] == "new"
            r = await c.delete(f"/v2/orders/{far['id']}")
            assert r.status_code == 204
            assert r.content == b""
            canceled = await get(c, f"/v2/orders/{far['id']}")
            again = await c.delete(f"/v2/orders/{far['id']}")
            unknown = await c.delete("/v2/orders/00000000-0000-0000-0000-000000000000")
        assert canceled["status"] == "canceled"
        assert canceled["canceled_at"]
        assert again.status_code == 422
        assert unknown.status_code == 404

    run(main())


def test_bad_orders_are_refused_like_alpaca() -> None:
    async def main() -> None:
        async with Simulator(SimulatorConfig(seed=6, rate=50.0)) as sim, client(sim) as c:
            base = {
                "symbol": "AAPL",
                "qty": 1,
                "side": "buy",
                "type": "market",
                "time_in_force": "day",
            }
            cases: list[tuple[dict[str, Any], int, str]] = [
                ({"symbol": "NOPE1"}, 422, "asset not found"),
                ({"qty": None}, 422, "qty is required"),
                ({"qty": -5}, 422, "qty must be > 0"),
                ({"time_in_force": "forever"}, 422, "invalid time_in_force"),
                ({"type": "limit"}, 422, "limit_price is required"),
                ({"side": "hold"}, 422, "invalid side"),
                ({"type": "trailing_stop", "trail_percent": 1}, 422, "not supported"),
                ({"qty": 100_000}, 403, "insufficient buying power"),
            ]
            for change, status, words in cases:
                r = await c.post("/v2/orders", json={**base, **change})
                assert r.status_code == status, (change, r.text)
                assert words in r.json()["message"], (change, r.text)
            bad_json = await c.post(
                "/v2/orders", content=b"{not json", headers={"Content-Type": "application/json"}
            )
            huge = await c.post(
                "/v2/orders", content=b" " * 70_000, headers={"Content-Type": "application/json"}
            )
            assert await get(c, "/v2/orders?status=open")  # the server is fine after all that
        assert bad_json.status_code == 400
        assert huge.status_code == 413
        assert sim.trading.engine.stats.orders_refused == len(cases)

    run(main())


def test_bracket_legs_nest_under_their_parent_and_wait_for_the_entry() -> None:
    async def main() -> None:
        async with Simulator(SimulatorConfig(seed=7, rate=100.0)) as sim, client(sim) as c:
            st = sim.market.state("AAPL")
            assert st is not None
            placed = await order(
                c,
                symbol="AAPL",
                type="limit",
                limit_price=round(st.bid * 0.5, 2),
                order_class="bracket",
                take_profit={"limit_price": round(st.ask * 2, 2)},
                stop_loss={"stop_price": round(st.bid * 0.4, 2)},
                time_in_force="gtc",
            )
            nested = await get(c, "/v2/orders?status=open&nested=true")
            flat = await get(c, "/v2/orders?status=open")
        (parent,) = [o for o in nested if o["id"] == placed["id"]]
        assert parent["order_class"] == "bracket"
        assert sorted(leg["type"] for leg in parent["legs"]) == ["limit", "stop"]
        assert {leg["status"] for leg in parent["legs"]} == {"held"}
        assert {leg["side"] for leg in parent["legs"]} == {"sell"}
        leg_ids = {leg["id"] for leg in parent["legs"]}
        assert not leg_ids & {o["id"] for o in nested}  # legs only inside their parent
        assert leg_ids <= {o["id"] for o in flat}  # and top-level when not nested
        assert next(o for o in flat if o["id"] == placed["id"])["legs"] is None

    run(main())


def test_credentials_permission_and_the_shared_rate_limit() -> None:
    async def main() -> None:
        cfg = SimulatorConfig(
            seed=8,
            rate=50.0,
            key="key",
            secret="secret",
            rest_limit=6,
            trading_forbidden_keys=("datakey",),
        )
        async with Simulator(cfg) as sim, client(sim, {}) as anon:
            assert (await anon.get("/v2/account")).status_code == 401
            wrong = {"APCA-API-KEY-ID": "key", "APCA-API-SECRET-KEY": "nope"}
            assert (await anon.get("/v2/account", headers=wrong)).status_code == 401
        cfg = SimulatorConfig(seed=8, rate=50.0, rest_limit=5, trading_forbidden_keys=("datakey",))
        async with Simulator(cfg) as sim, client(sim) as c:
            data_only = {"APCA-API-KEY-ID": "datakey", "APCA-API-SECRET-KEY": "s"}
            r = await c.get("/v2/account", headers=data_only)
            assert r.status_code == 403
            assert r.json()["message"] == "forbidden."
            sim.faults.forbid_trading("key")
            assert (await c.get("/v2/orders")).status_code == 403
            sim.faults.forbid_trading("key", False)
            assert (await c.get("/v2/clock")).status_code == 200
            snap = await c.get("/v2/stocks/snapshots?symbols=AAPL")  # one budget per key
            assert snap.status_code == 200
            codes = [(await c.get("/v2/account")).status_code for _ in range(3)]
            limited = await c.get("/v2/positions")
            sim.faults.refuse_auth()
            refused = await c.get("/v2/account")
        assert codes == [200, 200, 200]  # 5 of 5: clock, snapshot, these (a 403 is not counted)
        assert limited.status_code == 429
        assert int(limited.headers["Retry-After"]) >= 1
        assert limited.json() == {"message": "too many requests."}
        assert refused.status_code == 403

    run(main())


def test_watchlists_by_id_and_by_name() -> None:
    async def main() -> None:
        async with Simulator(SimulatorConfig(seed=9, rate=50.0)) as sim, client(sim) as c:
            r = await c.post("/v2/watchlists", json={"name": "Tech", "symbols": ["AAPL", "MSFT"]})
            assert r.status_code == 200, r.text
            wl = r.json()
            assert [a["symbol"] for a in wl["assets"]] == ["AAPL", "MSFT"]
            dup = await c.post("/v2/watchlists", json={"name": "Tech", "symbols": []})
            added = await c.post(f"/v2/watchlists/{wl['id']}", json={"symbol": "NVDA"})
            unknown = await c.post(f"/v2/watchlists/{wl['id']}", json={"symbol": "NOPE1"})
            removed = await c.delete(f"/v2/watchlists/{wl['id']}/AAPL")
            put = await c.put(
                f"/v2/watchlists/{wl['id']}", json={"name": "Tech2", "symbols": ["SPY", "QQQ"]}
            )
            bad_put = await c.put(
                f"/v2/watchlists/{wl['id']}", json={"name": "Tech2", "symbols": ["SPY", "NOPE1"]}
            )
            by_name = await get(c, "/v2/watchlists:by_name?name=Tech2")
            await c.post("/v2/watchlists:by_name?name=Tech2", json={"symbol": "IWM"})
            await c.delete("/v2/watchlists:by_name/SPY?name=Tech2")
            after = await get(c, f"/v2/watchlists/{wl['id']}")
            gone = await c.delete(f"/v2/watchlists/{wl['id']}")
            missing = await c.get(f"/v2/watchlists/{wl['id']}")
            names = [w["name"] for w in await get(c, "/v2/watchlists")]
        assert dup.status_code == 422
        assert [a["symbol"] for a in added.json()["assets"]] == ["AAPL", "MSFT", "NVDA"]
        assert unknown.status_code == 422
        assert unknown.json()["message"] == "asset not found"
        assert [a["symbol"] for a in removed.json()["assets"]] == ["MSFT", "NVDA"]
        assert put.json()["name"] == "Tech2"
        assert [a["symbol"] for a in put.json()["assets"]] == ["SPY", "QQQ"]  # replaced whole
        assert bad_put.status_code == 422
        assert bad_put.json()["message"] == "asset not found"
        assert by_name["id"] == wl["id"]
        assert [a["symbol"] for a in after["assets"]] == ["QQQ", "IWM"]
        assert gone.status_code == 204
        assert missing.status_code == 404
        assert names == ["Demo"]

    run(main())


def test_assets_carry_company_names() -> None:
    async def main() -> None:
        cfg = SimulatorConfig(seed=10, rate=50.0, symbols=("AAPL", "MSFT", "SPY", "ABCD"))
        async with Simulator(cfg) as sim, client(sim) as c:
            assets = {a["symbol"]: a for a in await get(c, "/v2/assets?status=active")}
            one = await get(c, "/v2/assets/MSFT")
            crypto = await get(c, "/v2/assets?asset_class=crypto")
            nope = await c.get("/v2/assets/NOPE1")
        assert assets["AAPL"]["name"] == "Apple Inc."
        assert one["name"] == "Microsoft Corporation"
        assert one["exchange"] == "NASDAQ"
        assert assets["SPY"]["exchange"] == "ARCA"
        assert assets["ABCD"]["name"]
        assert assets["ABCD"]["name"] != "ABCD"
        for a in assets.values():
            assert (a["status"], a["tradable"], a["class"]) == ("active", True, "us_equity")
        assert crypto == []
        assert nope.status_code == 404

    run(main())


def test_clock_and_calendar_follow_the_session_clock() -> None:
    async def main() -> None:
        sim, clock = sim_at()
        async with sim, client(sim) as c:
            open_now = await get(c, "/v2/clock")
            clock.set(et(2026, 11, 20, 16, 30))
            closed = await get(c, "/v2/clock")
            days = await get(c, "/v2/calendar?start=2026-11-25&end=2026-11-30")
        assert open_now["is_open"] is True
        assert open_now["timestamp"].startswith("2026-11-20T10:00:00")
        assert open_now["next_close"] == "2026-11-20T16:00:00.000000-05:00"
        assert open_now["next_open"] == "2026-11-23T09:30:00.000000-05:00"
        assert closed["is_open"] is False
        assert [(d["date"], d["open"], d["close"]) for d in days] == [
            ("2026-11-25", "09:30", "16:00"),
            ("2026-11-27", "09:30", "13:00"),
            ("2026-11-30", "09:30", "16:00"),
        ]
        assert days[1]["session_open"] == "0400"
        assert days[1]["session_close"] == "1700"

    run(main())


def test_day_orders_expire_at_the_close() -> None:
    async def main() -> None:
        start = et(2026, 11, 20, 15, 59)
        sim, clock = sim_at(start)
        async with sim, client(sim) as c:
            st = sim.market.state("KO")
            assert st is not None
            day = await order(c, symbol="KO", type="limit", limit_price=round(st.bid * 0.5, 2))
            gtc = await order(
                c,
                symbol="KO",
                type="limit",
                limit_price=round(st.bid * 0.5, 2),
                time_in_force="gtc",
            )
            assert day["expires_at"].startswith("2026-11-20T21:00:00")
            clock.set(et(2026, 11, 20, 16, 0, 1))
            expired = await wait_status(c, day["id"], "expired")
            still = await get(c, f"/v2/orders/{gtc['id']}")
        assert expired["expired_at"] is not None
        assert still["status"] == "new"

    run(main())


def test_a_body_split_over_packets_is_read_whole() -> None:
    async def main() -> None:
        import asyncio

        async with Simulator(SimulatorConfig(seed=11, rate=50.0)) as sim:
            body = b'{"name": "Split", "symbols": ["AAPL"]}'
            head = (
                f"POST /v2/watchlists HTTP/1.1\r\nHost: x\r\nAPCA-API-KEY-ID: key\r\n"
                f"APCA-API-SECRET-KEY: secret\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode()
            reader, writer = await asyncio.open_connection("127.0.0.1", sim.port)
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for part in (head[:20], head[20:], body[:10], body[10:]):
                writer.write(part)
                await writer.drain()
                await asyncio.sleep(0.01)
            answer = await reader.read()
            writer.close()
        assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
        assert b'"name":"Split"' in answer

    run(main())
