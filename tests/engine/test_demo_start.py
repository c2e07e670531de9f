"""Where a plain demo's simulated clock starts (engine.demo.default_demo_start): a real
regular session, never an always-open market ticking under "Market closed"."""

from __future__ import annotations

import pytest

from engine.demo import default_demo_start, parse_demo_at


@pytest.mark.parametrize(
    ("now", "start"),
    [
        # In a regular session: now, as it is.
        ("2026-11-20T11:15:00-05:00", "2026-11-20T11:15:00-05:00"),
        # Friday after the close: that day's morning.
        ("2026-11-20T18:00:00-05:00", "2026-11-20T10:30:00-05:00"),
        # Saturday and Sunday: Friday's morning.
        ("2026-12-05T05:19:00-05:00", "2026-12-04T10:30:00-05:00"),
        ("2026-12-06T23:00:00-05:00", "2026-12-04T10:30:00-05:00"),
        # Monday pre-market: the session that ran last (Friday), not today's future.
        ("2026-11-23T07:00:00-05:00", "2026-11-20T10:30:00-05:00"),
        # The day after Thanksgiving before the open: Wednesday (Thursday is a holiday).
        ("2026-11-27T08:00:00-05:00", "2026-11-25T10:30:00-05:00"),
        # Summer time: 10:30 New York time is 14:30 UTC.
        ("2026-07-04T12:00:00-04:00", "2026-07-02T10:30:00-04:00"),
    ],
)
def test_a_plain_demo_starts_in_a_real_regular_session(now: str, start: str) -> None:
    assert default_demo_start(parse_demo_at(now)) == parse_demo_at(start)
