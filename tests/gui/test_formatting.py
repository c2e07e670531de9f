"""Pure formatting: rounding, signs, compact volumes, missing values, Eastern time with DST."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from gui import formatting as fmt

EM = "\u2014"


def _ns(year: int, month: int, day: int, hour: int, minute: int, second: int, ms: int) -> int:
    moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    return int(moment.timestamp()) * 1_000_000_000 + ms * 1_000_000 + 987_654  # sub-ms dropped


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (187.456, "187.46"),
        (187.4549, "187.45"),
        (1234567.891, "1,234,567.89"),
        (1.0, "1.00"),
        (0.12345, "0.1235"),
        (-3.217, "-3.22"),
        (0.0, "0.0000"),
    ],
)
def test_format_price_rounds_and_groups(value: float, text: str) -> None:
    assert fmt.format_price(value) == text


@pytest.mark.parametrize("bad", [None, math.nan, math.inf, -math.inf])
def test_missing_and_non_finite_values_are_an_em_dash(bad: float | None) -> None:
    for formatter in (
        fmt.format_price,
        fmt.format_spread,
        fmt.format_change,
        fmt.format_percent,
        fmt.format_volume,
        fmt.format_age,
    ):
        assert formatter(bad) == EM, formatter.__name__
    assert fmt.format_size(None) == EM
    assert fmt.format_time_eastern(None) == EM


def test_nan_is_never_shown_as_a_number() -> None:
    assert "nan" not in fmt.format_price(math.nan).lower()
    assert "inf" not in fmt.format_volume(math.inf).lower()


@pytest.mark.parametrize(
    ("value", "text"),
    [(1.234, "+1.23"), (-1.236, "-1.24"), (0.0, "0.00"), (-0.001, "-0.0010"), (-0.00001, "0.0000")],
)
def test_format_change_is_signed_without_negative_zero(value: float, text: str) -> None:
    assert fmt.format_change(value) == text


@pytest.mark.parametrize(
    ("value", "text"), [(1.256, "+1.26%"), (-0.5, "-0.50%"), (0.0, "0.00%"), (-0.001, "0.00%")]
)
def test_format_percent(value: float, text: str) -> None:
    assert fmt.format_percent(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (9_999, "9,999"),
        (12_345, "12.3K"),
        (1_200_000, "1.2M"),
        (1_249_999, "1.2M"),
        (999_960, "1.0M"),  # not "1000.0K"
        (3_400_000_000, "3.4B"),
    ],
)
def test_format_volume_compact(value: int, text: str) -> None:
    assert fmt.format_volume(value) == text


def test_format_size_and_spread() -> None:
    assert fmt.format_size(1200) == "1,200"
    assert fmt.format_spread(0.01) == "0.01"
    assert fmt.format_spread(0.0049) == "0.0049"
    assert fmt.format_spread(0.0) == "0.00"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.0, "0.0 s"),
        (0.4, "0.4 s"),
        (100.6 - 100.0, "0.6 s"),  # float subtraction error must not show 0.5
        (9.99, "9.9 s"),
        (12.7, "12 s"),
        (59.9, "59 s"),
        (180.0, "3 m"),
        (7_300.0, "2 h"),
        (3 * 86_400.0, "3 d"),
        (-0.2, "0.0 s"),  # a clock read before the receive time
    ],
)
def test_format_age(seconds: float, text: str) -> None:
    assert fmt.format_age(seconds) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.4, "0.4 s"),
        (5.4, "5.4 s"),
        (9.96, "10.0 s"),  # rounded, where the short style truncates
        (35.4, "35 s"),
        (235.4, "3 min 55 s"),
        (7_260.0, "2 h 01 min"),
        (-0.2, "0.0 s"),
    ],
)
def test_format_age_long_style_for_sentences(seconds: float, text: str) -> None:
    assert fmt.format_age(seconds, "long") == text
    assert fmt.format_age(None, "long") == EM


def test_eastern_time_in_winter_is_utc_minus_5() -> None:
    assert fmt.format_time_eastern(_ns(2024, 1, 16, 14, 30, 5, 123)) == "09:30:05.123"


def test_eastern_time_in_summer_is_utc_minus_4() -> None:
    assert fmt.format_time_eastern(_ns(2024, 7, 16, 13, 30, 5, 7)) == "09:30:05.007"


def test_eastern_time_across_the_dst_switch() -> None:
    # 2024-03-10 02:00 EST clocks jumped to 03:00 EDT (06:59:59 UTC -> 07:00:00 UTC).
    assert fmt.format_time_eastern(_ns(2024, 3, 10, 6, 59, 59, 0)) == "01:59:59.000"
    assert fmt.format_time_eastern(_ns(2024, 3, 10, 7, 0, 0, 0)) == "03:00:00.000"


def test_eastern_time_rejects_nonsense_without_raising() -> None:
    assert fmt.format_time_eastern(0) == EM
    assert fmt.format_time_eastern(-5) == EM
    assert fmt.format_time_eastern(10**30) == EM


def test_format_text() -> None:
    assert fmt.format_text("AAPL") == "AAPL"
    assert fmt.format_text("") == EM
    assert fmt.format_text(None) == EM


def test_one_cent_spread_from_float_subtraction_shows_two_decimals() -> None:
    from gui.formatting import format_change, format_spread

    assert format_spread(170.25 - 170.24) == "0.01"
    assert format_change(170.25 - 170.24) == "+0.01"
    assert format_spread(0.0042) == "0.0042"


def test_large_changes_keep_thousands_separators() -> None:
    from gui.formatting import format_change, format_percent

    assert format_change(1234.5) == "+1,234.50"
    assert format_change(-12345.678) == "-12,345.68"
    assert format_percent(1234.5) == "+1,234.50%"
    assert format_change(-0.0000001) == "0.0000"
    assert format_percent(-0.001) == "0.00%"
