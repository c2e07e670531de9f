"""An AccountService against the real simulator over 127.0.0.1 (no mocks of websockets
or httpx), and a plain HTTP client to place and cancel orders as another app would."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from engine.account.book import AccountBook
from engine.account.client import TradingRest
from engine.account.models import Fill
from engine.account.service import AccountService
from engine.account.stream import trading_stream_url
from engine.config import Credentials
from engine.net.budget import RequestBudget
from engine.net.health import StreamHealth
from engine.net.rest import RestClient, RestConfig
from engine.net.retry import BackoffPolicy
from engine.simulator import Simulator, SimulatorConfig
from tests.waits import until

KEY, SECRET = "PKTEST", "s3cr3t-trading-VALUE"


def run(coro: Awaitable[None], limit_s: float = 60.0) -> None:
    async def guarded() -> None:
        await asyncio.wait_for(coro, timeout=limit_s)

    asyncio.run(guarded())


def trading_rest(
    sim: Simulator, creds: Credentials, budget: RequestBudget | None = None
) -> TradingRest:
    return TradingRest(RestClient(RestConfig(sim.rest_url, credentials=creds), budget=budget))


@dataclass
class Harness:
    sim: Simulator
    service: AccountService
    broker: httpx.AsyncClient  # places and cancels orders, as the user's other app would
    fills: list[Fill] = field(default_factory=list)  # what on_fill was called with

    @property
    def book(self) -> AccountBook:
        return self.service.book

    @property
    def health(self) -> StreamHealth:
        return self.service.health

    async def place(self, **body: Any) -> str:
        body.setdefault("side", "buy")
        body.setdefault("type", "market")
        body.setdefault("time_in_force", "day")
        response = await self.broker.post("/v2/orders", json=body)
        assert response.status_code == 200, response.text
        order_id = response.json()["id"]
        assert isinstance(order_id, str)
        return order_id

    async def order_status(self, order_id: str) -> str:
        response = await self.broker.get(f"/v2/orders/{order_id}")
        assert response.status_code == 200, response.text
        status = response.json()["status"]
        assert isinstance(status, str)
        return status

    async def cancel(self, order_id: str) -> None:
        response = await self.broker.delete(f"/v2/orders/{order_id}")
        assert response.status_code in (200, 204), response.text

    def fills_of(self, order_id: str) -> tuple[int, int]:
        """(times on_fill was called, fills in the book) for the order."""
        notified = sum(1 for f in self.fills if f.order_id == order_id)
        shown = sum(1 for f in self.book.fills if f.order_id == order_id)
        return notified, shown

    async def in_sync_after(self, connects: int) -> None:
        """Wait for a new connection and the reconcile that followed it."""
        service = self.service
        await until(
            lambda: service.stream.connects > connects and service.in_sync,
            "reconnected and reconciled",
        )


@asynccontextmanager
async def harness(
    config: SimulatorConfig | None = None,
    *,
    creds: Credentials | None = None,
    budget: RequestBudget | None = None,
    stream_backoff: BackoffPolicy | None = None,
    refresh_s: float = 60.0,
    start: bool = True,
) -> AsyncIterator[Harness]:
    creds = creds or Credentials(KEY, SECRET)
    async with Simulator(config or SimulatorConfig(seed=5, rate=50.0)) as sim:
        rest = trading_rest(sim, creds, budget)
        harness_fills: list[Fill] = []
        service = AccountService(
            rest,
            trading_stream_url(sim.ws_url),
            creds,
            AccountBook(),
            StreamHealth(),
            harness_fills.append,
            start_delay_s=0.0,
            stream_backoff=stream_backoff,
            refresh_s=refresh_s,
        )
        headers = {"APCA-API-KEY-ID": creds.key_id, "APCA-API-SECRET-KEY": creds.secret}
        async with httpx.AsyncClient(base_url=sim.rest_url, headers=headers) as broker:
            if start:
                service.start()
            try:
                yield Harness(sim, service, broker, harness_fills)
            finally:
                await service.stop()
                await rest.aclose()
