"""engine.market.freshness: the TTL classification as a pure function of the snapshot and now."""

from __future__ import annotations

import pytest

from engine.market.freshness import DEFAULT_TTLS, TtlPolicy, classify
from engine.market.snapshot import Freshness, Source, SymbolSnapshot


def received(at: float, source: Source = Source.STREAM, epoch: int = 0) -> SymbolSnapshot:
    snap = SymbolSnapshot("AAPL", source=source, received_at=at)
    snap._epoch = epoch
    return snap


def test_a_snapshot_without_data_is_empty() -> None:
    assert classify(SymbolSnapshot("AAPL"), 1e9, DEFAULT_TTLS, True, 0) is Freshness.EMPTY


@pytest.mark.parametrize(
    ("source", "age", "expected"),
    [
        (Source.STREAM, 299.0, Freshness.FRESH),
        (Source.STREAM, 300.0, Freshness.STALE),
        (Source.SIMULATOR, 1799.0, Freshness.STALE),
        (Source.STREAM, 1800.0, Freshness.EXPIRED),
        (Source.REST, 59.0, Freshness.FRESH),
        (Source.REST, 60.0, Freshness.STALE),
        (Source.REST, 600.0, Freshness.EXPIRED),
    ],
)
def test_ages_against_the_default_ttls(source: Source, age: float, expected: Freshness) -> None:
    assert classify(received(100.0, source), 100.0 + age, DEFAULT_TTLS, True, 0) is expected


def test_stream_data_is_stale_while_disconnected_or_from_before_a_gap() -> None:
    snap = received(100.0, epoch=1)
    assert classify(snap, 101.0, DEFAULT_TTLS, True, 1) is Freshness.FRESH
    assert classify(snap, 101.0, DEFAULT_TTLS, False, 1) is Freshness.STALE
    assert classify(snap, 101.0, DEFAULT_TTLS, True, 2) is Freshness.STALE
    assert classify(snap, 2000.0, DEFAULT_TTLS, False, 1) is Freshness.EXPIRED


def test_rest_data_does_not_care_about_the_stream_link() -> None:
    snap = received(100.0, Source.REST)
    assert classify(snap, 101.0, DEFAULT_TTLS, False, 5) is Freshness.FRESH


def test_custom_policies_are_used_and_checked() -> None:
    ttls = {**DEFAULT_TTLS, Source.STREAM: TtlPolicy(stale_after=1.0, expired_after=2.0)}
    assert classify(received(0.0), 1.5, ttls, True, 0) is Freshness.STALE
    with pytest.raises(ValueError, match="stale_after"):
        TtlPolicy(stale_after=5.0, expired_after=1.0)
