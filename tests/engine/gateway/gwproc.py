"""`tickerdesk-gateway` and `tickerdesk-watch` as real subprocesses, for the gateway tests.

The gateway's first stdout line is its websocket base URL (docs/gateway.md,
"tickerdesk-gateway"): `start_gateway` reads it, then the credentials line, and keeps
collecting both streams in the background so the child never blocks on a full pipe.
The child runs with this interpreter (`-m engine.gateway_cli`), so no installed entry
point is needed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]
WAIT = 30.0  # generous bound for a child to start (2 busy cores)


def child_env(extra: Mapping[str, str], config_home: Path) -> dict[str, str]:
    """A clean environment: no Alpaca or gateway credentials unless `extra` sets them, and
    a private XDG_CONFIG_HOME so the user's own credentials file is never touched."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("APCA_", "ALPACA_", "TICKERDESK_GATEWAY_"))
    }
    env["XDG_CONFIG_HOME"] = str(config_home)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


class Child:
    """A running subprocess whose stdout/stderr lines are collected as they come."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.out: list[str] = []
        self.err: list[str] = []
        self.url = ""  # a gateway's first line
        self.credentials_line = ""  # and its second
        self._new = asyncio.Event()
        assert proc.stdout is not None
        assert proc.stderr is not None
        self._readers = [
            asyncio.get_running_loop().create_task(self._pump(proc.stdout, self.out)),
            asyncio.get_running_loop().create_task(self._pump(proc.stderr, self.err)),
        ]

    async def _pump(self, stream: asyncio.StreamReader, into: list[str]) -> None:
        while line := await stream.readline():
            into.append(line.decode(errors="replace").rstrip("\n"))
            self._new.set()
        self._new.set()

    async def line(self, index: int, within: float = WAIT) -> str:
        """stdout line `index` (0-based), waiting for it."""
        async with asyncio.timeout(within):
            while len(self.out) <= index:
                if self.proc.returncode is not None and all(r.done() for r in self._readers):
                    raise AssertionError(f"child exited {self.proc.returncode}: {self.err}")
                self._new.clear()
                await self._new.wait()
        return self.out[index]

    async def wait_for_out(self, needle: str, within: float = WAIT) -> str:
        async with asyncio.timeout(within):
            while True:
                for text in self.out:
                    if needle in text:
                        return text
                if all(r.done() for r in self._readers):
                    raise AssertionError(f"{needle!r} never printed: {self.out} {self.err}")
                self._new.clear()
                await self._new.wait()

    async def finish(self, within: float = WAIT) -> int:
        """Wait for the exit and the last output."""
        async with asyncio.timeout(within):
            code = await self.proc.wait()
            await asyncio.gather(*self._readers)
        return code

    async def stop(self, signum: int = signal.SIGTERM) -> int:
        if self.proc.returncode is None:
            self.proc.send_signal(signum)
        return await self.finish()

    async def kill(self) -> None:
        """Last resort in a test's finally: the child's own pid only."""
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
        with contextlib.suppress(TimeoutError, Exception):
            await self.finish(5.0)
        for task in self._readers:
            task.cancel()


async def spawn(args: list[str], env: Mapping[str, str]) -> Child:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env=dict(env), cwd=REPO,
    )  # fmt: skip
    return Child(proc)


async def start_gateway(args: list[str], env: Mapping[str, str]) -> Child:
    """`tickerdesk-gateway ARGS`; returns once its URL and credentials lines are out."""
    gateway = await spawn(["-m", "engine.gateway_cli", *args], env)
    try:
        gateway.url = await gateway.line(0)
        gateway.credentials_line = await gateway.line(1)
    except BaseException:
        await gateway.kill()
        raise
    return gateway


def stored_credentials(config_home: Path) -> tuple[str, str]:
    """The local pair the gateway wrote under XDG_CONFIG_HOME (the test is the user)."""
    data: dict[str, Any] = json.loads(
        (config_home / "tickerdesk" / "gateway-credentials.json").read_text()
    )
    return data["key_id"], data["secret"]


async def run_watch(
    url: str, symbols: list[str], key: str, secret: str, seconds: float, config_home: Path
) -> tuple[dict[str, Any], Child]:
    """`tickerdesk-watch --url URL --feed iex --seconds N --json SYMBOLS` with the gateway's
    LOCAL credentials in APCA_API_KEY_ID/APCA_API_SECRET_KEY; its JSON document."""
    env = child_env({"APCA_API_KEY_ID": key, "APCA_API_SECRET_KEY": secret}, config_home)
    child = await spawn(
        ["-m", "engine.watch", "--url", url, "--feed", "iex", "--no-history",
         "--seconds", str(seconds), "--json", *symbols],
        env,
    )  # fmt: skip
    code = await child.finish(within=seconds + WAIT)
    assert code == 0, child.err
    document: dict[str, Any] = json.loads("\n".join(child.out))
    return document, child
