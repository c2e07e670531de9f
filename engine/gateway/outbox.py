"""One gateway client's bounded, conflating queue of encoded messages (sans-I/O).

A client that reads slower than the upstream sends falls behind; its pending messages
pile up here (docs/gateway.md, "Fan-out and conflation"). Quotes and bars are states:
only the newest per (type, symbol) matters, so a newer one replaces the pending one
(latest wins; it moves to the back, so what is sent stays in time order). Trades,
statuses, LULD bands, corrections, cancel errors and imbalances are events: each one is
kept, in order, never conflated. When the never-conflated backlog passes `max_pending`,
`put` says so and the caller closes the client with 407 "slow client", as Alpaca does
(docs/protocol.md, "Errors"). Memory is bounded: at most `max_pending` kept events plus
one message per (conflatable type, symbol), plus replaced entries that are compacted away.

`conflate` says whether the client is behind now: the gateway client clears it while its
writer keeps up and sets it while the writer waits for the socket to drain, so a client
that reads as fast as data comes gets every quote; only a client that falls behind gets
the latest ones (issue 15: "when a client falls behind, quotes and bars conflate").

The layout is for speed, since `put` runs once per message per client (fan-out to 10
clients at 50k messages/s): a list of encoded messages read from a head index, a
parallel bytearray of kinds (1 = never conflated) counted in C on `take`, and the
conflation bookkeeping (key -> position) only while conflating.
"""

from __future__ import annotations

__all__ = ["CONFLATED_TAGS", "Outbox"]

# Alpaca `T`s whose newest message replaces a pending one (quotes and bars).
CONFLATED_TAGS: frozenset[str] = frozenset({"q", "b", "u", "d"})

# Compact once this many replaced entries sit in the queue (and they outnumber live ones).
_COMPACT_AFTER = 1024
# Drop taken entries from the front of the list once this many have piled up.
_TRIM_AFTER = 4096

Key = tuple[str, str]


class Outbox:
    """Bounded per-client queue: conflates quotes and bars, keeps every other message."""

    __slots__ = (
        "_base",
        "_dead",
        "_head",
        "_key_at",
        "_kinds",
        "_ordered",
        "_queue",
        "_slots",
        "conflate",
        "conflated",
        "dropped_for_slow",
        "max_pending",
        "pending",
    )

    def __init__(self, *, max_pending: int = 20_000) -> None:
        if max_pending < 1:
            raise ValueError("max_pending must be at least 1")
        self.max_pending = max_pending
        self.conflate = True  # replace pending quotes/bars (the client is behind)
        self.pending = 0  # live messages queued
        self.conflated = 0  # messages replaced by a newer one of the same (type, symbol)
        self.dropped_for_slow = 0  # messages refused or discarded because the client was slow
        self._ordered = 0  # live never-conflated messages queued
        self._dead = 0  # replaced entries (None) still in `_queue`
        self._queue: list[bytes | None] = []
        self._kinds = bytearray()  # per queue entry: 1 never conflated, 0 quote/bar
        self._head = 0  # index in `_queue` of the oldest entry not yet taken
        self._base = 0  # sequence number of `_queue[0]` (sequence numbers never repeat)
        self._slots: dict[Key, int] = {}  # key -> sequence number of its newest entry
        self._key_at: dict[int, Key] = {}  # sequence number -> key, for entries in `_slots`

    def put(self, tag: str, symbol: str, data: bytes) -> bool:
        """Queue one encoded message; False (and nothing queued) when the client is too far
        behind: its never-conflated backlog would pass `max_pending`."""
        if tag in CONFLATED_TAGS:
            if self.conflate:
                self._track((tag, symbol))
            self._queue.append(data)
            self._kinds.append(0)
            self.pending += 1
            return True
        if self._ordered >= self.max_pending:
            self.dropped_for_slow += 1
            return False
        self._queue.append(data)
        self._kinds.append(1)
        self._ordered += 1
        self.pending += 1
        return True

    def extend(self, datas: list[bytes], kinds: bytearray) -> bool:
        """Queue messages in order without conflating: the fast path of a client that
        keeps up (`kinds`: 1 for a never-conflated message, 0 for a quote or bar). False,
        and nothing queued, when the never-conflated backlog would pass `max_pending`."""
        ordered = kinds.count(1)
        if self._ordered + ordered > self.max_pending:
            self.dropped_for_slow += len(datas)
            return False
        self._queue += datas
        self._kinds += kinds
        self._ordered += ordered
        self.pending += len(datas)
        return True

    def _track(self, key: Key) -> None:
        """Register the entry about to be appended as `key`'s newest; replace the old one."""
        old = self._slots.get(key)
        if old is not None:
            self._key_at.pop(old, None)
            pos = old - self._base
            if pos >= self._head and self._queue[pos] is not None:
                self._queue[pos] = None  # latest wins; the old entry becomes a gap
                self.pending -= 1
                self.conflated += 1
                self._dead += 1
                if self._dead > _COMPACT_AFTER and self._dead > self.pending:
                    self._compact()
        seq = self._base + len(self._queue)  # after a compaction: new numbering
        self._slots[key] = seq
        self._key_at[seq] = key

    def take(self, max_messages: int) -> list[bytes]:
        """Up to `max_messages` queued messages, oldest first."""
        out: list[bytes] = []
        queue, kinds = self._queue, self._kinds
        head = self._head
        while len(out) < max_messages and head < len(queue):
            end = min(head + max_messages - len(out), len(queue))
            chunk = queue[head:end]
            self._ordered -= kinds.count(1, head, end)  # counted in C
            if self._key_at:
                self._forget(self._base + head, self._base + end)
            if self._dead:
                size = len(chunk)
                chunk = [data for data in chunk if data is not None]
                self._dead -= size - len(chunk)
            out += chunk  # type: ignore[arg-type]  # the gaps (None) were filtered out
            head = end
        self.pending -= len(out)
        self._advance(head)
        return out

    def _advance(self, end: int) -> None:
        queue = self._queue
        if end >= len(queue):
            self._base += len(queue)
            queue.clear()
            self._kinds.clear()
            self._head = 0
        elif end > _TRIM_AFTER and end > len(queue) // 2:
            del queue[:end]
            del self._kinds[:end]
            self._base += end
            self._head = 0
        else:
            self._head = end

    def _forget(self, first: int, stop: int) -> None:
        """Taken entries leave the conflation bookkeeping."""
        key_at, slots = self._key_at, self._slots
        for seq in range(first, stop):
            key = key_at.pop(seq, None)
            if key is not None and slots.get(key) == seq:
                del slots[key]

    def clear(self) -> int:
        """Discard everything queued (the client is being closed); returns how many."""
        dropped = self.pending
        self.dropped_for_slow += dropped
        self._base += len(self._queue)
        self._queue.clear()
        self._kinds.clear()
        self._slots.clear()
        self._key_at.clear()
        self.pending = self._ordered = self._dead = self._head = 0
        return dropped

    @property
    def backlog(self) -> int:
        """Never-conflated messages queued (what `max_pending` bounds)."""
        return self._ordered

    def _compact(self) -> None:
        """Rebuild the queue without gaps (and without taken entries); new sequence numbers
        continue after the old ones, so none is ever reused."""
        queue, kinds, key_at = self._queue, self._kinds, self._key_at
        base = self._base + len(queue)
        new_queue: list[bytes | None] = []
        new_kinds = bytearray()
        new_key_at: dict[int, Key] = {}
        for pos in range(self._head, len(queue)):
            data = queue[pos]
            if data is None:
                continue
            key = key_at.get(self._base + pos)
            if key is not None:
                new_key_at[base + len(new_queue)] = key
            new_queue.append(data)
            new_kinds.append(kinds[pos])
        self._queue, self._kinds, self._key_at = new_queue, new_kinds, new_key_at
        self._slots = {key: seq for seq, key in new_key_at.items()}
        self._base, self._head, self._dead = base, 0, 0

    def __len__(self) -> int:
        return self.pending
