"""engine.market.volume_profile: average cumulative volume by minute since 04:00 ET."""

from __future__ import annotations

from datetime import date

import pytest

from engine.market.volume_profile import DAY_MINUTES, VolumeProfile
from tests.engine.market.history_bars import WINTER_DAY, et

D1, D2, D3 = date(2024, 3, 7), date(2024, 3, 8), date(2024, 3, 11)  # Thu, Fri, Mon


def profile(bars: list[tuple[int, int]], **kw: object) -> VolumeProfile:
    return VolumeProfile.from_bars([t for t, _ in bars], [v for _, v in bars], **kw)  # type: ignore[arg-type]


def test_one_session_interpolated_inside_each_bucket() -> None:
    p = profile([(et(D1, 4, 0), 150), (et(D1, 4, 15), 300)])
    # minute m's figure is the cumulative volume by its end (04:00 + m + 1 minutes).
    assert p.expected(0) == pytest.approx(150 * 1 / 15)
    assert p.expected(14) == pytest.approx(150)  # 04:15: the first bucket counts fully
    assert p.expected(22) == pytest.approx(150 + 300 * 8 / 15)
    assert p.expected(29) == pytest.approx(450)
    assert p.expected(DAY_MINUTES - 1) == pytest.approx(450)
    assert len(p) == 1


def test_sessions_are_averaged() -> None:
    p = profile([(et(D1, 9, 30), 1_000), (et(D2, 9, 30), 3_000), (et(D2, 10, 0), 600)])
    minute_0945 = (9 * 60 + 45) - 4 * 60 - 1  # the minute ending at 09:45
    assert p.expected(minute_0945) == pytest.approx((1_000 + 3_000) / 2)
    assert p.expected(minute_0945 + 20) == pytest.approx((1_000 + 3_000 + 600 * 5 / 15) / 2)
    assert p.expected(minute_0945 + 30) == pytest.approx((1_000 + 3_600) / 2)
    assert p.sessions == 2
    assert p.days == (D1, D2)


def test_only_the_most_recent_sessions_wanted() -> None:
    p = profile([(et(D1, 5, 0), 900), (et(D2, 5, 0), 30), (et(D3, 5, 0), 60)], sessions_wanted=2)
    assert p.days == (D2, D3)
    assert p.expected(DAY_MINUTES - 1) == pytest.approx(45)


def test_before_leaves_out_today_and_later() -> None:
    p = profile([(et(D2, 5, 0), 30), (et(D3, 5, 0), 6_000)], before=D3)
    assert p.days == (D2,)
    assert p.expected(959) == pytest.approx(30)


def test_no_session_no_figure() -> None:
    p = profile([])
    assert p.expected(100) is None
    assert p.sessions == 0
    # Bars outside 04:00-20:00 or without volume make no session.
    p = profile([(et(D1, 3, 45), 100), (et(D1, 20, 0), 100), (et(D1, 10, 0), 0)])
    assert p.expected(100) is None


def test_a_bucket_off_the_grid_is_spread_linearly() -> None:
    # A 15-minute bar from 04:05: 10 of its 15 minutes have elapsed by 04:15; exact at
    # the grid points, linear between them (Alpaca's bars are on the grid: no loss).
    p = profile([(et(WINTER_DAY, 4, 5), 300)])
    assert p.expected(14) == pytest.approx(200)
    assert p.expected(29) == pytest.approx(300)
    assert p.expected(19) == pytest.approx(200 + 100 * 5 / 15)


def test_minutes_clamp_to_the_day() -> None:
    p = profile([(et(D1, 4, 0), 150)])
    assert p.expected(-5) == p.expected(0)
    assert p.expected(5_000) == p.expected(DAY_MINUTES - 1) == pytest.approx(150)


def test_five_minute_bars() -> None:
    # bar_minutes=5: 04:00-04:05 counts fully by 04:05, a third of the way to 04:15.
    p = profile([(et(D1, 4, 0), 90), (et(D1, 4, 5), 90), (et(D1, 4, 10), 90)], bar_minutes=5)
    assert p.expected(14) == pytest.approx(270)
    assert p.expected(4) == pytest.approx(90)  # interpolated between 0 and 270: 5/15
