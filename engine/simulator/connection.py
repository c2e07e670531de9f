"""The simulator's HTTP side of a connection: its ServerConnection class and JSON answers.

websockets parses only body-less requests (a handshake has no body), but the Trading API
(engine.simulator.trading) takes JSON bodies on POST and PUT. `SimConnection` takes the
body off the bytes before websockets sees them (`http_body`; None when larger than
`MAX_BODY`) and hands on the head without its Content-Length, so `process_request`
sees an ordinary request. Each answer closes its connection (`Connection: close`), so
one connection carries one request. An open websocket skips all this (one flag test).
"""

from __future__ import annotations

import asyncio
import http
import re
from typing import Protocol

import msgspec
from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.http11 import Response

MAX_BODY = 64 * 1024
MAX_HEAD = 16 * 1024
_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*([0-9]+)[ \t]*(?=\r\n)", re.IGNORECASE)


class _Registry(Protocol):
    paused: bool
    _conns: set[ServerConnection]


def split_request(buf: bytes) -> tuple[bytes, bytes | None] | None:
    """(bytes for websockets, body) once the head (and its body) is complete, else None.

    No Content-Length (or 0): everything as it came and an empty body. A body over
    `MAX_BODY`: the head alone and None (the route answers 413)."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return (buf, b"") if len(buf) > MAX_HEAD else None  # websockets refuses it
    head, rest = buf[: end + 2], buf[end + 4 :]
    match = _LENGTH.search(head)
    length = int(match.group(1)) if match else 0
    if length == 0:
        return buf, b""
    stripped = _LENGTH.sub(b"", head) + b"\r\n"
    if length > MAX_BODY:
        return stripped, None
    if len(rest) < length:
        return None
    return stripped + rest[length:], rest[:length]


def connection_class(sim: _Registry) -> type[ServerConnection]:
    """ServerConnection that registers itself, so pause() also stalls handshakes."""

    class SimConnection(ServerConnection):
        http_body: bytes | None = b""
        _pending: bytes | None = b""  # None once the request head went to websockets

        def data_received(self, data: bytes) -> None:
            if self._pending is None:
                super().data_received(data)  # the hot path: an open websocket
                return
            split = split_request(self._pending + data)
            if split is None:
                self._pending += data
                return
            self._pending = None
            passed, self.http_body = split
            super().data_received(passed)

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)
            sim._conns.add(self)
            if sim.paused and isinstance(transport, asyncio.ReadTransport):
                transport.pause_reading()  # a half-dead server: not even the upgrade

        def connection_lost(self, exc: Exception | None) -> None:
            sim._conns.discard(self)
            super().connection_lost(exc)

    return SimConnection


def json_response(
    conn: ServerConnection, status: int, body: object, extra: list[tuple[str, str]] | None = None
) -> Response:
    """A JSON answer that closes the connection; `body` None: no content (204)."""
    data = b"" if body is None else msgspec.json.encode(body)
    phrase = http.HTTPStatus(status).phrase
    headers = Headers(
        [("Content-Type", "application/json; charset=utf-8"),
         ("Content-Length", str(len(data))), ("Connection", "close"), *(extra or ())]
    )  # fmt: skip
    del conn  # the response does not depend on the connection
    return Response(status, phrase, headers, data)
