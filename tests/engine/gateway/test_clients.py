"""Three kinds of client on one upstream connection (issue 15, item 3, first bullet).

alpaca-py's StockDataStream (msgpack, url_override), a raw websockets client and
`tickerdesk-watch` (a subprocess with the gateway's LOCAL credentials as its Alpaca key)
share the gateway; the simulator must see exactly one authenticated stream connection.
Also: ref-counting on unsubscribe (the upstream keeps a symbol while any client holds it
and drops it after the last), 405 when a client would push the union over the plan's
limit, conflation for a client that stops reading with its trades still complete and in
order, 407 for one that cannot keep up at all, and nothing lost for the fast clients
(trade ids per symbol compared with what the upstream delivered, from a tap on the
gateway's own stream client). docs/gateway.md, "Protocol served", "Fan-out and conflation".
"""

from __future__ import annotations

import asyncio
import contextlib
import warnings
from collections import defaultdict
from pathlib import Path
from typing import Any

from engine.gateway.server import GatewayConfig
from engine.simulator import Simulator, SimulatorConfig
from tests.engine.gateway.gwproc import child_env, run_watch, start_gateway, stored_credentials
from tests.engine.gateway.harness import (
    LOCAL,
    UP_KEY,
    UP_SECRET,
    RawClient,
    contiguous,
    gateway_rig,
    slow_socket,
    until,
    upstream_sessions,
    upstream_symbols,
)
from tests.engine.simulator.wsclient import run

with warnings.catch_warnings():
    # alpaca-py imports websockets.legacy, deprecated since websockets 14; only that.
    warnings.filterwarnings("ignore", "websockets.legacy is deprecated", DeprecationWarning)
    from alpaca.data.enums import DataFeed
    from alpaca.data.live import StockDataStream


class SdkClient:
    """alpaca-py's StockDataStream on the test's loop (its run() calls asyncio.run)."""

    def __init__(self, url: str, key: str, secret: str, symbols: list[str]) -> None:
        self.stream = StockDataStream(key, secret, feed=DataFeed.IEX, url_override=url)
        self.trades: dict[str, list[int]] = defaultdict(list)
        self.quotes: dict[str, int] = defaultdict(int)
        self.stream.subscribe_trades(self._on_trade, *symbols)
        self.stream.subscribe_quotes(self._on_quote, *symbols)
        self.task = asyncio.get_running_loop().create_task(self.stream._run_forever())

    async def _on_trade(self, trade: Any) -> None:
        self.trades[trade.symbol].append(trade.id)

    async def _on_quote(self, quote: Any) -> None:
        self.quotes[quote.symbol] += 1

    async def stop(self) -> None:
        await self.stream.stop_ws()
        # data keeps flowing, so the SDK's 5 s receive poll returns promptly
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.task, 20)
        if not self.task.done():
            self.task.cancel()


def test_three_clients_share_one_upstream_via_tickerdesk_gateway(tmp_path: Path) -> None:
    """The real `tickerdesk-gateway` process, --plan 5, its own symbol AAPL."""

    async def main() -> None:
        config = SimulatorConfig(seed=151, rate=600.0, key=UP_KEY, secret=UP_SECRET)
        async with Simulator(config) as sim:
            env = child_env({"APCA_API_KEY_ID": UP_KEY, "APCA_API_SECRET_KEY": UP_SECRET}, tmp_path)
            gateway = await start_gateway(
                ["--url", sim.ws_url, "--port", "0", "--plan", "5", "--symbols", "AAPL"], env
            )
            raws: list[RawClient] = []
            sdk: SdkClient | None = None
            try:
                key, secret = stored_credentials(tmp_path)
                local = type(LOCAL)(key, secret)
                url = f"{gateway.url}/v2/iex"
                watch = asyncio.get_running_loop().create_task(
                    run_watch(gateway.url, ["AAPL", "MSFT"], key, secret, 6.0, tmp_path)
                )
                sdk = SdkClient(url, key, secret, ["MSFT"])
                raw1 = await RawClient.open(url, local)
                raws.append(raw1)
                reply = await raw1.subscribe(["NVDA"])
                assert reply["T"] == "subscription"
                assert reply["trades"] == ["NVDA"]
                assert reply["quotes"] == ["NVDA"]
                await until(lambda: bool(sdk.trades["MSFT"]) and sdk.quotes["MSFT"] > 0, "sdk data")
                await until(
                    lambda: bool(raw1.trades["NVDA"]) and raw1.quotes["NVDA"] > 0, "raw data"
                )
                document, _ = await watch
                assert document["health"]["state"] == "streaming"
                for symbol in ("AAPL", "MSFT"):
                    row = document["symbols"][symbol]
                    assert row["last"] is not None, row
                    assert row["bid"] is not None, row
                    assert row["source"] == "stream"
                # Union now AAPL (own), MSFT, NVDA: 3 of 5.

                # Ref-counting: two clients hold AMD; the upstream keeps it until the last
                # lets go.
                raw2 = await RawClient.open(url, local)
                raw3 = await RawClient.open(url, local)
                raws += [raw2, raw3]
                assert (await raw2.subscribe(["AMD"]))["T"] == "subscription"
                assert (await raw3.subscribe(["AMD"]))["T"] == "subscription"
                await until(lambda: "AMD" in upstream_symbols(sim), "AMD upstream")
                reply = await raw2.unsubscribe(["AMD"])
                assert reply["trades"] == []
                # A barrier: the upstream confirms QQQ only after every earlier change the
                # gateway sent, so AMD's fate is settled once QQQ is there.
                assert (await raw1.subscribe(["QQQ"]))["T"] == "subscription"
                await until(lambda: "QQQ" in upstream_symbols(sim), "QQQ upstream")
                assert "AMD" in upstream_symbols(sim, "trades")
                assert "AMD" in upstream_symbols(sim, "quotes")
                assert (await raw3.unsubscribe(["AMD"]))["trades"] == []
                await until(
                    lambda: (
                        "AMD" not in upstream_symbols(sim, "trades")
                        and "AMD" not in upstream_symbols(sim, "quotes")
                    ),
                    "AMD dropped upstream after the last holder",
                )
                # Union AAPL, MSFT, NVDA, QQQ: 4 of 5. Two more would be 6: 405, nothing
                # changes; one more fits.
                refused = await raw2.subscribe(["TSLA", "META"])
                assert refused == {"T": "error", "code": 405, "msg": "symbol limit exceeded"}
                assert "TSLA" not in upstream_symbols(sim)
                reply = await raw2.subscribe(["TSLA"])
                assert reply["T"] == "subscription"
                assert reply["trades"] == ["TSLA"]  # the 405'd request left nothing behind
                await until(lambda: "TSLA" in upstream_symbols(sim), "TSLA upstream")
                await until(lambda: bool(raw2.trades["TSLA"]), "TSLA data")
                # One upstream connection through all of it.
                assert sim.stats.authenticated == 1
                assert len(upstream_sessions(sim)) == 1
                assert sim.stats.errors_sent[406] == 0
                assert UP_SECRET not in "\n".join(gateway.out + gateway.err)
                code = await gateway.stop()
                assert code == 0, gateway.err
            finally:
                if sdk is not None:
                    await sdk.stop()
                for raw in raws:
                    await raw.close()
                await gateway.kill()

    run(main(), timeout=150)


def test_slow_client_conflates_quotes_keeps_trades_and_fast_clients_lose_nothing() -> None:
    """In process (the tap is the reference): a raw client with a tiny receive buffer
    stops reading; its quotes conflate, its trades stay complete and in order, and the
    fast clients (raw JSON, alpaca-py msgpack) miss no trade."""

    async def main() -> None:
        sim_config = SimulatorConfig(seed=152, rate=3000.0, symbols=("AAPL", "MSFT", "NVDA"))
        gw_config = GatewayConfig(port=0, write_limit=2048, max_pending=200_000)
        symbols = ["AAPL", "MSFT", "NVDA"]
        async with gateway_rig(sim_config, gw_config, symbols=("AAPL",)) as rig:
            fast = await RawClient.open(rig.url)
            sdk = SdkClient(rig.url, LOCAL.key_id, LOCAL.secret, symbols)
            slow = await RawClient.open(
                rig.url, max_queue=1, sock=slow_socket(rig.server.port), compression=None
            )
            try:
                assert (await fast.subscribe(symbols))["T"] == "subscription"
                assert (await slow.subscribe(symbols))["T"] == "subscription"
                await until(lambda: all(sdk.trades[s] for s in symbols), "sdk trades")
                await slow.stop_reading()
                slow_port = slow.ws.local_address[1]

                def slow_report() -> dict[str, Any]:
                    (mine,) = [
                        c for c in rig.server.client_report()
                        if str(c["remote"]).endswith(f":{slow_port}")
                    ]  # fmt: skip
                    return mine

                await until(lambda: int(slow_report()["conflated"]) > 100, "slow client conflates")
                assert rig.server.stats.slow_closed == 0
                slow.start_reading()
                # Everything the upstream delivered up to now must reach every client.
                marks = {s: rig.upstream_trades[s][-1] for s in symbols}
                for name, trades in (
                    ("fast", fast.trades),
                    ("slow", slow.trades),
                    ("sdk", sdk.trades),
                ):
                    await until(
                        lambda t=trades: all(marks[s] in t[s] for s in symbols),  # type: ignore[misc]
                        f"{name} client caught up",
                        within=30,
                    )
                for symbol in symbols:
                    upstream = rig.upstream_trades[symbol]
                    for name, got in (
                        ("fast", fast.trades),
                        ("slow", slow.trades),
                        ("sdk", sdk.trades),
                    ):
                        received = got[symbol]
                        end = received.index(marks[symbol]) + 1
                        assert contiguous(received[:end], upstream), (name, symbol)
                        # Received from its subscription to the mark, without a gap:
                        assert len(received[:end]) > 10, (name, symbol)
                assert int(slow_report()["conflated"]) > 100
                assert rig.server.stats.slow_closed == 0
                assert rig.sim.stats.authenticated == 1
            finally:
                await sdk.stop()
                await fast.close()
                await slow.close()

    run(main(), timeout=150)


def test_a_client_that_cannot_keep_up_gets_407_and_nobody_else_is_affected() -> None:
    async def main() -> None:
        sim_config = SimulatorConfig(seed=153, rate=3000.0, symbols=("AAPL", "MSFT"))
        gw_config = GatewayConfig(port=0, write_limit=2048, max_pending=300, close_timeout=1.0)
        symbols = ["AAPL", "MSFT"]
        async with gateway_rig(sim_config, gw_config, symbols=("AAPL",)) as rig:
            fast = await RawClient.open(rig.url)
            slow = await RawClient.open(
                rig.url, max_queue=1, sock=slow_socket(rig.server.port), compression=None
            )
            try:
                assert (await fast.subscribe(symbols))["T"] == "subscription"
                assert (await slow.subscribe(symbols))["T"] == "subscription"
                await slow.stop_reading()
                await until(lambda: rig.server.stats.slow_closed == 1, "407 slow client")
                slow.start_reading()  # drains what got through, then sees the close
                await asyncio.wait_for(slow.ws.wait_closed(), 20)
                assert all(e["code"] == 407 for e in slow.errors)
                # The fast client is still served, and lost nothing.
                marks = {s: rig.upstream_trades[s][-1] for s in symbols}
                await until(lambda: all(marks[s] in fast.trades[s] for s in symbols), "fast")
                for symbol in symbols:
                    received = fast.trades[symbol]
                    end = received.index(marks[symbol]) + 1
                    assert contiguous(received[:end], rig.upstream_trades[symbol])
                assert rig.server.clients == 1
                assert rig.sim.stats.authenticated == 1
            finally:
                await fast.close()
                await slow.close()

    run(main(), timeout=120)


def test_ref_counts_with_the_apps_own_symbols_and_a_leaving_client() -> None:
    """The app's own symbol stays upstream when a client that also held it leaves; a
    client that disconnects without unsubscribing releases everything it held."""

    async def main() -> None:
        async with gateway_rig(symbols=("AAPL",)) as rig:
            one = await RawClient.open(rig.url)
            two = await RawClient.open(rig.url)
            try:
                assert (await one.subscribe(["AAPL", "MSFT"]))["T"] == "subscription"
                assert (await two.subscribe(["MSFT"]))["T"] == "subscription"
                await until(lambda: "MSFT" in upstream_symbols(rig.sim), "MSFT upstream")
                assert rig.hub.registry.holders("trades", "MSFT") == 2
                await one.close()  # no unsubscribe: the gateway drops its holdings
                await until(lambda: rig.hub.registry.holders("trades", "MSFT") == 1, "one left")
                await two.close()
                await until(lambda: "MSFT" not in upstream_symbols(rig.sim), "MSFT dropped")
                assert "AAPL" in upstream_symbols(rig.sim)  # the app's own, never dropped
                assert rig.sim.stats.authenticated == 1
            finally:
                await one.close()
                await two.close()

    run(main())
