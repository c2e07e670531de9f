"""engine.gateway.outbox: a bounded per-client queue where quotes and bars conflate (latest
wins, time order kept) and trades, statuses, LULDs, corrections, cancel errors and
imbalances are never conflated; overflow of those says 407."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from engine.gateway import outbox as outbox_module
from engine.gateway.outbox import CONFLATED_TAGS, Outbox


def test_quotes_and_bars_conflate_to_the_latest_per_symbol_in_time_order() -> None:
    box = Outbox()
    assert box.put("q", "AAPL", b"q1")
    assert box.put("t", "AAPL", b"t1")
    assert box.put("q", "MSFT", b"m1")
    assert box.put("q", "AAPL", b"q2")  # replaces q1, goes to the back
    assert box.put("b", "AAPL", b"b1")
    assert box.put("b", "AAPL", b"b2")
    assert box.pending == 4
    assert box.conflated == 2
    assert box.take(100) == [b"t1", b"m1", b"q2", b"b2"]
    assert box.pending == 0
    assert len(box) == 0


@pytest.mark.parametrize("tag", ["t", "s", "l", "c", "x", "i"])
def test_events_are_never_conflated(tag: str) -> None:
    box = Outbox()
    for n in range(5):
        assert box.put(tag, "AAPL", f"{tag}{n}".encode())
    assert box.conflated == 0
    assert box.take(100) == [f"{tag}{n}".encode() for n in range(5)]


def test_conflated_tags() -> None:
    assert {"q", "b", "u", "d"} == CONFLATED_TAGS


def test_take_is_bounded_and_oldest_first() -> None:
    box = Outbox()
    for n in range(10):
        box.put("t", "A", bytes([n]))
    assert box.take(3) == [b"\x00", b"\x01", b"\x02"]
    assert box.pending == 7
    assert box.take(100) == [bytes([n]) for n in range(3, 10)]
    assert box.take(5) == []


def test_overflow_of_never_conflated_messages_refuses_and_counts() -> None:
    box = Outbox(max_pending=3)
    assert all(box.put("t", "A", b"t") for _ in range(3))
    assert box.put("q", "A", b"q")  # quotes never overflow: one per symbol at most
    assert box.put("t", "A", b"t4") is False
    assert box.dropped_for_slow == 1
    assert box.backlog == 3
    assert box.take(1) == [b"t"]
    assert box.put("t", "A", b"t5") is True


def test_clear_counts_what_was_dropped() -> None:
    box = Outbox()
    box.put("t", "A", b"1")
    box.put("q", "A", b"2")
    assert box.clear() == 2
    assert box.dropped_for_slow == 2
    assert box.pending == 0
    assert box.take(10) == []
    assert box.put("q", "A", b"3")
    assert box.take(10) == [b"3"]


def test_not_conflating_while_the_client_keeps_up() -> None:
    box = Outbox()
    box.conflate = False  # the writer keeps up: every quote goes out
    box.put("q", "A", b"1")
    box.put("q", "A", b"2")
    box.conflate = True  # behind from here: quotes queued from now on conflate
    box.put("t", "A", b"t")
    box.put("q", "A", b"3")
    box.put("q", "A", b"4")
    assert box.conflated == 1
    assert box.take(10) == [b"1", b"2", b"t", b"4"]
    box.put("q", "A", b"5")
    box.put("q", "A", b"6")
    assert box.take(10) == [b"6"]


def test_extend_queues_a_frame_at_once_and_bounds_the_backlog() -> None:
    box = Outbox(max_pending=3)
    box.conflate = False
    assert box.extend([b"q1", b"t1", b"t2"], bytearray([0, 1, 1]))
    assert box.pending == 3
    assert box.backlog == 2
    assert box.extend([b"t3", b"t4"], bytearray([1, 1])) is False  # 4 > 3: nothing queued
    assert box.dropped_for_slow == 2
    assert box.take(10) == [b"q1", b"t1", b"t2"]
    assert box.backlog == 0


def test_a_taken_quote_is_not_replaced_by_the_next() -> None:
    box = Outbox()
    box.put("q", "A", b"1")
    box.put("t", "A", b"t1")
    assert box.take(1) == [b"1"]
    box.put("q", "A", b"2")  # the first one is gone already: nothing to replace
    assert box.conflated == 0
    assert box.take(10) == [b"t1", b"2"]


def test_a_batch_with_gaps_is_still_full() -> None:
    box = Outbox()
    for n in range(10):
        box.put("q", "A", str(n).encode())  # nine gaps, one live quote
        box.put("t", "A", b"t%d" % n)
    assert box.take(4) == [b"t0", b"t1", b"t2", b"t3"]
    assert box.pending == 7
    assert box.take(100) == [b"t4", b"t5", b"t6", b"t7", b"t8", b"9", b"t9"]
    assert box.backlog == 0


def test_memory_stays_bounded_under_endless_conflation() -> None:
    box = Outbox(max_pending=10)
    for n in range(100_000):
        box.put("q", f"S{n % 50}", str(n).encode())
    assert box.pending == 50
    assert len(box._queue) <= 50 + 1100  # gaps are compacted away
    out = box.take(1000)
    assert sorted(out, key=int) == [str(100_000 - 50 + k).encode() for k in range(50)]
    assert box._slots == {}
    assert box._key_at == {}


def test_max_pending_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Outbox(max_pending=0)


class _Model:
    """The outbox's rules, written the slow and obvious way."""

    def __init__(self, max_pending: int) -> None:
        self.max_pending = max_pending
        self.entries: list[list[object]] = []  # [data, key or None]
        self.slots: dict[tuple[str, str], list[object]] = {}
        self.conflated = 0

    def put(self, tag: str, symbol: str, data: bytes, conflate: bool) -> bool:
        if tag in CONFLATED_TAGS:
            entry: list[object] = [data, (tag, symbol)]
            if conflate:
                old = self.slots.get((tag, symbol))
                if old is not None and any(e is old for e in self.entries):
                    self.entries = [e for e in self.entries if e is not old]
                    self.conflated += 1
                self.slots[(tag, symbol)] = entry
            self.entries.append(entry)
            return True
        if self.backlog() >= self.max_pending:
            return False
        self.entries.append([data, None])
        return True

    def backlog(self) -> int:
        return sum(1 for e in self.entries if e[1] is None)

    def take(self, count: int) -> list[object]:
        taken, self.entries = self.entries[:count], self.entries[count:]
        for entry in taken:
            key = entry[1]
            if key is not None and self.slots.get(key) is entry:  # type: ignore[call-overload]
                del self.slots[key]  # type: ignore[arg-type]
        return [e[0] for e in taken]


_PUT = st.tuples(st.just("put"), st.sampled_from("qqqbts"), st.sampled_from("AB"))
_OPS = st.lists(
    st.one_of(
        _PUT,
        _PUT,
        _PUT,
        _PUT,  # mostly puts: enough gaps to compact
        st.tuples(st.just("take"), st.integers(1, 6)),
        st.tuples(st.just("extend"), st.lists(st.sampled_from("qt"), max_size=4)),
        st.tuples(st.just("conflate"), st.sampled_from([True, True, True, False])),
    ),
    max_size=300,
)


@settings(max_examples=500, deadline=None)
@given(ops=_OPS)
@example(ops=[("put", "q", "B"), *[("put", "q", "A")] * 10, ("put", "q", "B"), ("take", 6)])
def test_outbox_behaves_as_the_model(ops: list[tuple[object, ...]]) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(outbox_module, "_COMPACT_AFTER", 2)  # compact and trim all the time
        mp.setattr(outbox_module, "_TRIM_AFTER", 3)
        box, model = Outbox(max_pending=8), _Model(8)
        conflate = True
        for n, op in enumerate(ops):
            if op[0] == "put":
                tag, symbol = str(op[1]), str(op[2])
                data = f"{tag}{symbol}{n}".encode()
                assert box.put(tag, symbol, data) == model.put(tag, symbol, data, conflate)
            elif op[0] == "extend":
                tags = list(op[1])  # type: ignore[call-overload]
                datas = [f"{tag}A{n}.{k}".encode() for k, tag in enumerate(tags)]
                kinds = bytearray(0 if tag == "q" else 1 for tag in tags)
                if conflate:
                    continue  # the server uses extend only for a client that keeps up
                fits = model.backlog() + kinds.count(1) <= model.max_pending
                assert box.extend(datas, kinds) == fits
                if fits:
                    for tag, data in zip(tags, datas, strict=True):
                        model.put(tag, "A", data, conflate)
            elif op[0] == "take":
                count = int(op[1])  # type: ignore[call-overload]
                assert box.take(count) == model.take(count)
            else:
                conflate = box.conflate = bool(op[1])
            assert box.pending == len(model.entries)
            assert box.conflated == model.conflated
            assert box.backlog == sum(1 for e in model.entries if e[1] is None)
        assert box.take(10_000) == model.take(10_000)
