"""Start-up (issue 16): nothing on the way to the first live row imports httpx or builds
a TLS context; REST clients without a CA file share one verifying context, built at the
first request (engine.net.rest, engine.net.tls; docs/performance.md "Start-up, second
round"). Requests go to the simulator over 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import ssl
import subprocess
import sys
from pathlib import Path

from engine.net.rest import RestClient, RestConfig
from engine.net.tls import shared_default_context
from engine.simulator import Simulator, SimulatorConfig

ROOT = Path(__file__).resolve().parents[3]


def test_importing_the_app_imports_no_httpx() -> None:
    code = "import sys, gui.app; print('httpx' in sys.modules, 'rich' in sys.modules)"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout.split()  # fmt: skip
    assert out == ["False", "False"]


def test_rest_clients_share_one_verifying_context_made_at_the_first_request() -> None:
    context = shared_default_context()
    assert context is shared_default_context()
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname

    async def scenario() -> None:
        sim = Simulator(SimulatorConfig(port=0, symbols=("AAPL",)))
        await sim.start()
        clients = [RestClient(RestConfig(sim.rest_url, insecure=True)) for _ in range(2)]
        try:
            assert all(c._client is None for c in clients)  # nothing built yet
            for client in clients:
                assert "AAPL" in await client.snapshots(["AAPL"])
            pools = [c._http()._transport._pool for c in clients]  # type: ignore[attr-defined]
            assert all(pool._ssl_context is context for pool in pools)
        finally:
            for client in clients:
                await client.aclose()
            await sim.stop()

    asyncio.run(scenario())
