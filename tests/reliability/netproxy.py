"""A hostile network on loopback: an asyncio TCP proxy between the app and the simulator.

The proxy listens on 127.0.0.1 and forwards every connection to the simulator's port.
Faults are knobs changed while connections are open:

- `latency_s` / `jitter_s`: each chunk is delivered that much later (order kept, as TCP
  keeps it: a chunk never overtakes the one before);
- `bandwidth`: server-to-client bytes per second. The proxy then reads the server only
  as fast as it writes the client, with a small receive buffer, so the backlog builds
  up in the simulator (backpressure), never in the proxy;
- `segment_bytes`: server-to-client data written in tiny TCP segments (1..n bytes each,
  TCP_NODELAY), so websocket frames arrive split at every possible byte;
- `stall_mid_frame(seconds)`: the next websocket frame from the server stops half way
  (the cut is found by following the frames' headers), then the rest follows;
- `reset_handshakes`: the next connections are reset (RST) in the middle of the opening
  handshake, after part of the server's HTTP 101 answer;
- `blackhole`: nothing moves either way and nothing is closed: no FIN, no RST. New
  connections are accepted but their bytes vanish too. Lifted, the bytes waiting in the
  sockets move again (what TCP retransmission would deliver).

Every queue is bounded: a stalled direction stops reading its source.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

_CHUNK = 16 * 1024
_QUEUE_CHUNKS = 64
_SMALL_RCVBUF = 16 * 1024  # upstream receive buffer: a cap's backlog builds in the server


@dataclass
class ProxyStats:
    connections: int = 0
    bytes_up: int = 0  # client -> server
    bytes_down: int = 0  # server -> client
    segments_down: int = 0
    stalled_mid_frame: int = 0  # frames cut in two by stall_mid_frame
    handshake_resets: int = 0
    resets: int = 0  # connections reset by reset_all


class FrameCursor:
    """Follows the server's byte stream (HTTP answer, then websocket frames) to find an
    offset strictly inside a frame's payload."""

    def __init__(self) -> None:
        self.in_http = True
        self._tail = b""
        self._header = bytearray()
        self._left = 0  # payload bytes left in the current frame

    def advance(self, data: bytes) -> int | None:
        """Consume `data`; the first offset in it inside a payload, with payload bytes on
        both sides within `data`, or None."""
        i = 0
        cut: int | None = None
        if self.in_http:
            end = (self._tail + data).find(b"\r\n\r\n")
            if end < 0:
                self._tail = (self._tail + data)[-3:]
                return None
            i = end + 4 - len(self._tail)
            self.in_http = False
        while i < len(data):
            if self._left == 0:
                self._header.append(data[i])
                i += 1
                size = _header_size(self._header)
                if size is not None and len(self._header) == size:
                    self._left = _payload_size(self._header)
                    self._header.clear()
                continue
            take = min(self._left, len(data) - i)
            if cut is None and take >= 2:
                cut = i + take // 2
            i += take
            self._left -= take
        return cut


def _header_size(header: bytearray) -> int | None:
    if len(header) < 2:
        return None
    short = header[1] & 0x7F
    extra = 2 if short == 126 else 8 if short == 127 else 0
    return 2 + extra + (4 if header[1] & 0x80 else 0)


def _payload_size(header: bytearray) -> int:
    short = header[1] & 0x7F
    if short == 126:
        return int(struct.unpack("!H", header[2:4])[0])
    if short == 127:
        return int(struct.unpack("!Q", header[2:10])[0])
    return short


class NetProxy:
    """One listening port on 127.0.0.1 forwarding to `target_port`; see the module doc."""

    def __init__(self, target_port: int, seed: int = 17) -> None:
        self.target_port = target_port
        self.port = 0
        self.latency_s = 0.0
        self.jitter_s = 0.0
        self.bandwidth: float | None = None  # server -> client bytes/s
        self.segment_bytes: int | None = None
        self.reset_handshakes = 0
        self.stats = ProxyStats()
        self._stall_s = 0.0
        self._open = asyncio.Event()  # set: not blackholed
        self._open.set()
        self._rng = random.Random(seed)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    # --- knobs -----------------------------------------------------------------------------

    @property
    def blackhole(self) -> bool:
        return not self._open.is_set()

    @blackhole.setter
    def blackhole(self, on: bool) -> None:
        if on:
            self._open.clear()
        else:
            self._open.set()

    def stall_mid_frame(self, seconds: float) -> None:
        """Cut the next server frame in two and hold its second half `seconds`."""
        self._stall_s = seconds

    def clear(self) -> None:
        """A good network again."""
        self.latency_s = self.jitter_s = 0.0
        self.bandwidth = None
        self.segment_bytes = None
        self.reset_handshakes = 0
        self._stall_s = 0.0
        self.blackhole = False

    def reset_all(self) -> None:
        """Reset (RST) every client connection now."""
        for writer in list(self._writers):
            self.stats.resets += 1
            _rst(writer)

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self.clear()
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _accept(self, c_reader: asyncio.StreamReader, c_writer: asyncio.StreamWriter) -> None:
        self.stats.connections += 1
        self._writers.add(c_writer)
        reset_after = None
        if self.reset_handshakes > 0:
            self.reset_handshakes -= 1
            reset_after = 12  # "HTTP/1.1 101" and no more
        sock = c_writer.get_extra_info("socket")
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            up = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            up.setblocking(False)
            # Small, so that a bandwidth cap set later backs up into the server at once.
            up.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _SMALL_RCVBUF)
            await asyncio.get_running_loop().sock_connect(up, ("127.0.0.1", self.target_port))
            s_reader, s_writer = await asyncio.open_connection(sock=up, limit=_CHUNK)
        except OSError:
            _rst(c_writer)  # the server is gone: the client sees its connection refused-ish
            self._writers.discard(c_writer)
            return
        done = asyncio.Event()
        self._spawn(self._pipe(c_reader, s_writer, down=False, done=done))
        self._spawn(self._pipe(s_reader, c_writer, down=True, done=done, reset_after=reset_after))
        try:
            await done.wait()
        finally:
            self._writers.discard(c_writer)
            for writer in (c_writer, s_writer):
                writer.transport.abort()

    async def _pipe(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        down: bool,
        done: asyncio.Event,
        reset_after: int | None = None,
    ) -> None:
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue(_QUEUE_CHUNKS)
        deliver = asyncio.get_running_loop().create_task(
            self._deliver(queue, writer, down, reset_after)
        )
        try:
            last_due = 0.0
            while not done.is_set():
                await self._open.wait()
                size = _CHUNK
                if down and self.bandwidth is not None:
                    size = max(1, min(_CHUNK, int(self.bandwidth / 20)))
                data = await reader.read(size)
                if not data:
                    break
                await self._open.wait()  # bytes read as the hole opened vanish till it closes
                delay = self.latency_s + (
                    self._rng.uniform(-self.jitter_s, self.jitter_s) if self.jitter_s else 0.0
                )
                due = max(last_due, time.monotonic() + max(0.0, delay))
                last_due = due
                await queue.put((due, data))
            await queue.put((0.0, b""))
            await deliver
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            deliver.cancel()
            with contextlib.suppress(BaseException):
                await deliver
            done.set()

    async def _deliver(
        self,
        queue: asyncio.Queue[tuple[float, bytes]],
        writer: asyncio.StreamWriter,
        down: bool,
        reset_after: int | None,
    ) -> None:
        cursor = FrameCursor() if down else None
        sent = 0
        while True:
            due, data = await queue.get()
            if not data:
                return
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            await self._open.wait()
            if reset_after is not None and sent + len(data) >= reset_after:
                writer.write(data[: reset_after - sent])
                await writer.drain()
                await asyncio.sleep(0.05)
                self.stats.handshake_resets += 1
                _rst(writer)
                return
            sent += len(data)
            cut = cursor.advance(data) if cursor is not None else None
            if down and self._stall_s > 0 and cut is not None:
                stall, self._stall_s = self._stall_s, 0.0
                await self._write(writer, data[:cut], down)
                self.stats.stalled_mid_frame += 1
                await asyncio.sleep(stall)
                data = data[cut:]
            await self._write(writer, data, down)
            if down:
                self.stats.bytes_down += len(data)
            else:
                self.stats.bytes_up += len(data)

    async def _write(self, writer: asyncio.StreamWriter, data: bytes, down: bool) -> None:
        if not down:
            writer.write(data)
            await writer.drain()
            return
        view = memoryview(data)
        while view:
            size = len(view)
            if self.segment_bytes is not None:
                size = min(size, self._rng.randint(1, self.segment_bytes))
            rate = self.bandwidth
            if rate is not None:
                size = min(size, max(1, int(rate / 20)))
            writer.write(view[:size])
            await writer.drain()
            self.stats.segments_down += 1
            view = view[size:]
            if rate is not None:
                await asyncio.sleep(size / rate)
            elif self.segment_bytes is not None:
                await asyncio.sleep(0)  # one segment per write: let the kernel send it


def _rst(writer: asyncio.StreamWriter) -> None:
    """Close with RST (SO_LINGER 0), not FIN."""
    sock = writer.get_extra_info("socket")
    with contextlib.suppress(OSError):
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
