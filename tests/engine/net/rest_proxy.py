"""A fault-injecting HTTP proxy on 127.0.0.1 in front of the simulator's REST endpoint.

The simulator answers snapshot requests as Alpaca does; this proxy stands where the
network or Alpaca's gateway would and, on demand, answers a request itself (a 5xx, a 429
with `Retry-After`, a dropped connection) or rewrites the simulator's answer (e.g. Go's
zero time `0001-01-01T00:00:00Z`). Everything else goes to the real simulator over
loopback. Every request is recorded with the symbols it asked for and its outcome.
Not a mock: the client under test speaks real HTTP over a real socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import http
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import httpx

Symbols = frozenset[str]
DROPPED = 0  # status recorded for a connection closed without an answer


@dataclass
class Fault:
    """Answer matching requests with `status` (or drop them) `times` times (None: always)."""

    status: int
    when: Callable[[Symbols], bool] = lambda symbols: True
    times: int | None = 1
    retry_after: str | None = None
    drop: bool = False


@dataclass
class Seen:
    symbols: Symbols
    status: int


@dataclass
class RestProxy:
    upstream: str
    faults: list[Fault] = field(default_factory=list)
    rewrite: Callable[[bytes], bytes] | None = None
    seen: list[Seen] = field(default_factory=list)
    _server: asyncio.Server | None = None
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)
    _http: httpx.AsyncClient | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        port = next(iter(self._server.sockets)).getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def fail(self, status: int, **kwargs: object) -> Fault:
        fault = Fault(status, **kwargs)  # type: ignore[arg-type]
        self.faults.append(fault)
        return fault

    def requests_for(self, symbol: str) -> list[Seen]:
        return [seen for seen in self.seen if symbol in seen.symbols]

    async def __aenter__(self) -> RestProxy:
        self._http = httpx.AsyncClient(base_url=self.upstream)
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        assert self._http is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await self._server.wait_closed()
        await self._http.aclose()

    def _match(self, symbols: Symbols) -> Fault | None:
        for fault in self.faults:
            if fault.times != 0 and fault.when(symbols):
                if fault.times is not None:
                    fault.times -= 1
                return fault
        return None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                request_line, *lines = head.decode("latin-1").rstrip("\r\n").split("\r\n")
                target = request_line.split(" ")[1]
                headers = dict(line.split(": ", 1) for line in lines if ": " in line)
                query = parse_qs(urlsplit(target).query)
                symbols = frozenset(",".join(query.get("symbols", [])).split(",")) - {""}
                fault = self._match(symbols)
                if fault is not None and fault.drop:
                    self.seen.append(Seen(symbols, DROPPED))
                    return
                extra: list[tuple[str, str]] = []
                if fault is not None:
                    status, body = fault.status, b'{"message":"injected by the test proxy"}'
                    if fault.retry_after is not None:
                        extra.append(("Retry-After", fault.retry_after))
                else:
                    status, body = await self._forward(target, headers)
                self.seen.append(Seen(symbols, status))
                writer.write(_response(status, body, extra))
                await writer.drain()
        finally:
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _forward(self, target: str, headers: dict[str, str]) -> tuple[int, bytes]:
        assert self._http is not None
        passed = {k: v for k, v in headers.items() if k.lower().startswith("apca-")}
        reply = await self._http.get(target, headers=passed)
        body = reply.content
        if reply.status_code == 200 and self.rewrite is not None:
            body = self.rewrite(body)
        return reply.status_code, body


def _response(status: int, body: bytes, extra: list[tuple[str, str]]) -> bytes:
    phrase = http.HTTPStatus(status).phrase
    lines = [
        f"HTTP/1.1 {status} {phrase}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in extra),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
