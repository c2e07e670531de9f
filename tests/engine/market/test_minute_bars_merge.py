"""engine.market.minute_bars: REST bars merged with live ones (issue 13: backfill, gap fill).

No duplicate minute and no hole, whatever the overlap; the live minute in progress is
the stream's; every column stays aligned (the source mark included); max_bars holds.
"""

from __future__ import annotations

import math
import random

from engine.events import Bar, BarKind
from engine.market.minute_bars import IEX, LIVE, MINUTE_NS, SIP, MinuteBars
from tests.engine.market.history_bars import DAY, MIN, bar, et, minutes

T = et(DAY, 10, 0)


def columns_aligned(bars: MinuteBars) -> bool:
    n = len(bars.times)
    return all(
        len(c) == n for c in (bars.open, bars.high, bars.low, bars.close, bars.volume, bars.source)
    )


def strictly_increasing(bars: MinuteBars) -> bool:
    t = bars.times
    return all(t[i] < t[i + 1] for i in range(len(t) - 1))


def live(bars: MinuteBars, start_ns: int, count: int, price: float = 50.0) -> None:
    for i in range(count):
        bars.add_trade(start_ns + i * MIN + 5 * 1_000_000_000, price + i, 10)


def test_merge_into_empty_adds_every_minute_as_sip() -> None:
    bars = MinuteBars(960)
    assert bars.merge(minutes(T, 5), SIP) == 5
    assert list(bars.times) == [T + i * MIN for i in range(5)]
    assert list(bars.source) == [SIP] * 5
    assert columns_aligned(bars)


def test_older_bars_go_before_the_live_ones() -> None:
    bars = MinuteBars(960)
    live(bars, T, 3)
    assert bars.merge(minutes(T - 5 * MIN, 5), SIP) == 5
    assert list(bars.times) == [T + i * MIN for i in range(-5, 3)]
    assert list(bars.source) == [SIP] * 5 + [LIVE] * 3
    assert strictly_increasing(bars)
    assert columns_aligned(bars)


def test_bars_between_fill_the_hole_without_duplicates() -> None:
    bars = MinuteBars(960)
    bars.add_trade(T + 1, 50.0, 10)
    bars.add_trade(T + 5 * MIN + 1, 55.0, 10)  # an outage: 10:01-10:04 missing
    added = bars.merge(minutes(T, 6, close=70.0), SIP)
    assert added == 4  # 10:01..10:04 added; 10:00 replaced; 10:05 is live and newest
    assert list(bars.times) == [T + i * MIN for i in range(6)]
    assert bars.close[0] == 70.0
    assert bars.source[0] == SIP
    assert bars.close[5] == 55.0
    assert bars.source[5] == LIVE
    assert strictly_increasing(bars)
    assert columns_aligned(bars)


def test_bars_after_the_kept_ones_are_appended() -> None:
    bars = MinuteBars(960)
    bars.merge(minutes(T, 2), SIP)
    assert bars.merge(minutes(T + 2 * MIN, 3), IEX) == 3
    assert list(bars.source) == [SIP, SIP, IEX, IEX, IEX]
    assert len(bars) == 5


def test_overlapping_bars_replace_all_but_the_live_minute_in_progress() -> None:
    bars = MinuteBars(960)
    live(bars, T, 4)  # 10:00..10:03 folded from prints since launch (partial minutes)
    in_progress = (bars.open[-1], bars.high[-1], bars.low[-1], bars.close[-1], bars.volume[-1])
    added = bars.merge(minutes(T - 2 * MIN, 6, close=80.0, volume=999), SIP)  # 09:58..10:03
    assert added == 2
    assert list(bars.times) == [T + i * MIN for i in range(-2, 4)]
    assert list(bars.volume[:5]) == [999] * 5
    assert list(bars.source[:5]) == [SIP] * 5
    last = (bars.open[-1], bars.high[-1], bars.low[-1], bars.close[-1], bars.volume[-1])
    assert last == in_progress
    assert bars.source[-1] == LIVE


def test_the_newest_minute_is_replaced_when_it_is_rest_history() -> None:
    bars = MinuteBars(960)
    bars.merge([bar(T, 10.0)], SIP)
    assert bars.merge([bar(T, 11.0)], IEX) == 0
    assert list(bars.close) == [11.0]
    assert list(bars.source) == [IEX]


def test_prints_after_the_merge_keep_folding_into_the_newest_minute() -> None:
    bars = MinuteBars(960)
    bars.add_trade(T + 1, 50.0, 10)
    bars.merge(minutes(T - 3 * MIN, 3), SIP)
    bars.add_trade(T + 30 * 1_000_000_000, 52.0, 5)  # the fast path: same minute
    assert bars.close[-1] == 52.0
    assert bars.volume[-1] == 15
    assert bars.high[-1] == 52.0
    bars.add_trade(T + MIN + 1, 53.0, 1)  # a new minute: appended as LIVE
    assert list(bars.source) == [SIP, SIP, SIP, LIVE, LIVE]
    assert columns_aligned(bars)
    assert strictly_increasing(bars)


def test_a_stream_bar_replacing_a_rest_minute_marks_it_live() -> None:
    bars = MinuteBars(960)
    bars.merge(minutes(T, 3), SIP)
    assert bars.add(Bar(BarKind.UPDATED, "AAPL", 1, 2, 1, 2, 7, T + MIN))
    assert list(bars.source) == [SIP, LIVE, SIP]
    assert bars.volume[1] == 7


def test_max_bars_keeps_the_newest_and_counts_only_kept_additions() -> None:
    bars = MinuteBars(10)
    live(bars, T, 2)
    added = bars.merge(minutes(T - 20 * MIN, 20), SIP)  # 09:40..09:59, 22 minutes in all
    assert len(bars) == 10
    assert list(bars.times) == [T + i * MIN for i in range(-8, 2)]
    assert added == 8  # 09:52..09:59 kept; the older twelve were dropped at once
    assert columns_aligned(bars)


def test_iex_from_marks_the_recent_bars_iex() -> None:
    bars = MinuteBars(960)
    bars.merge(minutes(T, 20), SIP, iex_from_ns=T + 15 * MIN)
    assert list(bars.source) == [SIP] * 15 + [IEX] * 5


def test_duplicates_in_the_input_take_the_later_and_unsorted_input_is_sorted() -> None:
    bars = MinuteBars(960)
    added = bars.merge([bar(T + MIN, 2.0), bar(T, 1.0), bar(T + MIN, 3.0)], SIP)
    assert added == 2
    assert list(bars.times) == [T, T + MIN]
    assert list(bars.close) == [1.0, 3.0]


def test_a_stamp_with_seconds_meets_its_minute() -> None:
    bars = MinuteBars(960)
    bars.add_trade(T + 1, 50.0, 1)
    bars.add_trade(T + MIN + 1, 51.0, 1)
    bars.merge([bar(T + 30 * 1_000_000_000, 9.0)], SIP)
    assert list(bars.times) == [T, T + MIN]
    assert bars.close[0] == 9.0


def test_bad_bars_are_skipped_and_counted_in_words() -> None:
    bars = MinuteBars(960)
    bad = [bar(T, math.nan), bar(T + MIN, math.inf), bar(T + 2 * MIN, -1.0)]
    assert bars.merge([*bad, bar(T + 3 * MIN, 5.0)], SIP) == 1
    assert bars.problems == 3
    assert bars.last_problem is not None
    assert "skipped a REST bar" in bars.last_problem
    assert list(bars.times) == [T + 3 * MIN]
    assert bars.merge([], SIP) == 0


def test_readers_holding_the_columns_see_the_merged_bars() -> None:
    bars = MinuteBars(960)
    times, source = bars.times, bars.source
    bars.merge(minutes(T, 3), SIP)
    assert list(times) == [T, T + MIN, T + 2 * MIN]
    assert list(source) == [SIP] * 3


def test_day_slice_bisects_the_half_open_range() -> None:
    bars = MinuteBars(960)
    bars.merge(minutes(T, 10), SIP)
    assert bars.day_slice(T + 2 * MIN, T + 5 * MIN) == (2, 5)
    assert bars.day_slice(T + 2 * MIN + 1, T + 5 * MIN + 1) == (3, 6)
    assert bars.day_slice(0, T) == (0, 0)
    assert bars.day_slice(T + 10 * MIN, T + 99 * MIN) == (10, 10)


def test_random_merges_never_duplicate_or_lose_a_minute() -> None:
    rng = random.Random(13)
    for _ in range(300):
        max_bars = rng.randint(5, 60)
        bars = MinuteBars(max_bars)
        kept_minutes = sorted(rng.sample(range(80), rng.randint(0, 40)))
        for m in kept_minutes:
            bars.add_trade(T + m * MIN + 1, 50.0, 1)
        before = list(bars.times)
        newest_live = before[-1] if before else None
        live_close = bars.close[-1] if before else None
        rest = sorted(rng.sample(range(80), rng.randint(0, 40)))
        bars.merge([bar(T + m * MIN, 100.0 + m) for m in rest], SIP)
        union = sorted(set(before) | {T + m * MIN for m in rest})
        assert list(bars.times) == union[-max_bars:]
        assert strictly_increasing(bars)
        assert columns_aligned(bars)
        if newest_live is not None and newest_live in bars.times:
            i = bars.times.index(newest_live)
            assert bars.close[i] == live_close
            assert bars.source[i] == LIVE
        for i, t in enumerate(bars.times):
            if t != newest_live and (t - T) // MINUTE_NS in rest:
                assert bars.source[i] == SIP
                assert bars.close[i] == 100.0 + (t - T) // MIN
