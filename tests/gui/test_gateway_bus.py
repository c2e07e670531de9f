"""Issue 15, the bus in the app: one app (the demo) owns the upstream and publishes it on
a real nats-server on 127.0.0.1; a second app started with `--bus` and no key shows the
same symbols read from the bus, and its status bar says whose data it shows
(docs/bus.md)."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.bus.feed import BusFeed
from gui.runtime import Runtime, RuntimeOptions
from gui.settings.persistence import AppSettings
from tests.waits import until

OFFSCREEN_SHOW = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
NATS = shutil.which("nats-server") or "/usr/sbin/nats-server"
# CI installs nats-server and sets TICKERDESK_REQUIRE_NATS: a missing one fails there.
pytestmark = pytest.mark.skipif(
    not Path(NATS).exists() and not os.environ.get("TICKERDESK_REQUIRE_NATS"),
    reason="nats-server not installed",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def nats_url(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [NATS, "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(tmp_path / "js")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = 50
        while deadline:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                deadline -= 1
                subprocess.run(["sleep", "0.1"], check=False)
        yield f"nats://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


@OFFSCREEN_SHOW
def test_a_second_app_shows_the_owners_data_from_the_bus(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path, nats_url: str
) -> None:
    for name in ("owner.ini", "reader.ini"):
        AppSettings(tmp_path / name).set_trading_api("off")

    async def scenario() -> None:
        owner = Runtime(
            RuntimeOptions(
                demo=True, symbols=["AAPL", "MSFT"], feed="iex", env={}, use_keyring=False,
                settings_path=tmp_path / "owner.ini", bus_url=nats_url, simulator_rate=300.0,
            ),
            asyncio.Event(),
        )  # fmt: skip
        reader = Runtime(
            RuntimeOptions(
                symbols=["AAPL", "NVDA"], feed="iex", env={}, use_keyring=False,
                settings_path=tmp_path / "reader.ini", bus_url=nats_url,
            ),
            asyncio.Event(),
        )  # fmt: skip
        try:
            await owner.start()
            await until(lambda: owner.gateway.bus.publisher is not None, "owner publishing")
            view = owner.gateway.bus_view()
            assert view is not None
            assert view.state.startswith("owner publishing")
            await reader.start()
            assert isinstance(reader.client, BusFeed)
            assert not reader.demo  # no simulator of its own: the owner's data
            assert reader.simulator is None
            await until(lambda: not reader.symbols_without_data(), "rows from the bus", 30)
            label = reader.gateway.bus_indicator
            await until(lambda: "data from the bus (owner" in label.text(), "bus status", 10)
            assert label.text().startswith(f"bus: {nats_url} · ")
            # NVDA is not the owner's: it asked for it over request/reply, within the limit.
            assert owner.client is not None
            assert "NVDA" in owner.client.extra_subscription.quotes
        finally:
            await reader.close()
            await owner.close()

    qloop.run_until_complete(asyncio.wait_for(scenario(), 90))
