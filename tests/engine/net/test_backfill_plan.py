"""The backfill's windows (pure, engine.net.backfill_plan), its progress text, and the bars
decode that gives the loop turns inside a big page (engine.net.bars)."""

from __future__ import annotations

import asyncio

import msgspec

from engine.events import BarKind
from engine.net.backfill_plan import BackfillProgress, feed_note, windows
from engine.net.bars import YIELD_EVERY, decode_bars_page, decode_bars_page_async
from engine.protocol.timestamps import format_rfc3339_ns
from tests.engine.simulator.wsclient import et


def test_a_trading_day_windows_from_four_to_now_and_the_previous_sessions() -> None:
    now = et(2026, 11, 20, 11, 0)  # Friday
    w = windows(now, sessions=10)
    assert (w.intraday_start_ns, w.intraday_end_ns) == (et(2026, 11, 20, 4), now)
    # Ten sessions back from Friday Nov 20, 2026: Thanksgiving is the 26th, so none
    # missing: Nov 6 (Friday) is the earliest.
    assert (w.earlier_start_ns, w.earlier_end_ns) == (et(2026, 11, 6, 4), et(2026, 11, 20, 4))
    assert w.daily_end_ns == et(2026, 11, 20)
    assert w.daily_start_ns == et(2025, 11, 15)  # 370 days before


def test_a_closed_market_windows_the_last_session_up_to_its_end() -> None:
    saturday = windows(et(2026, 11, 21, 13, 0), sessions=1)
    assert str(saturday.day) == "2026-11-20"
    assert saturday.intraday_start_ns == et(2026, 11, 20, 4)
    assert saturday.intraday_end_ns == et(2026, 11, 20, 20)
    assert saturday.earlier_start_ns == et(2026, 11, 19, 4)
    early = windows(et(2026, 11, 30, 3, 59), sessions=2)  # Monday before 04:00
    assert str(early.day) == "2026-11-27"  # the day after Thanksgiving: an early close
    assert early.intraday_end_ns == et(2026, 11, 27, 17)
    assert early.earlier_start_ns == et(2026, 11, 24, 4)  # skips Thanksgiving
    assert windows(et(2026, 11, 20, 11), sessions=0).earlier_start_ns == et(2026, 11, 20, 4)


def test_progress_and_feed_notes_in_words() -> None:
    assert BackfillProgress(120, 500, 0, 40, True).text() == "history 120 of 500 symbols"
    assert BackfillProgress(120, 500, 2, 40, True).text() == "history 120 of 500 symbols, 2 failed"
    assert BackfillProgress(500, 500, 0, 90, False).text() == "history loaded"
    assert BackfillProgress(498, 500, 2, 90, False).text() == (
        "history failed for 2 of 500 symbols (retrying)"
    )
    assert feed_note(None, et(2026, 11, 20, 4)) == "SIP"
    assert feed_note(et(2026, 11, 20, 10, 45), et(2026, 11, 20, 4)) == "SIP to 10:45 ET, IEX after"
    assert feed_note(et(2026, 11, 20, 4), et(2026, 11, 20, 4, 3)) == "IEX"


def test_a_10000_bar_page_decodes_in_slices_with_turns_for_the_loop() -> None:
    bar = {"o": 10.0, "h": 10.5, "l": 9.5, "c": 10.1, "v": 1234, "n": 12, "vw": 10.05}
    rows = {
        f"S{s:02d}": [{**bar, "t": format_rfc3339_ns(et(2026, 11, 2) + i * 60 * 10**9)}
                      for i in range(n)]
        for s, n in enumerate([1, 9_000, 999])
    }  # fmt: skip
    body = msgspec.json.encode({"bars": rows, "next_page_token": "x"})
    turns = 0

    async def ticker() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    async def main() -> tuple[object, ...]:
        task = asyncio.create_task(ticker())
        await asyncio.sleep(0)
        start = turns
        got = await decode_bars_page_async(body, BarKind.MINUTE)
        during = turns - start
        task.cancel()
        return got, during

    got, during = asyncio.run(main())
    assert got == decode_bars_page(body, BarKind.MINUTE)
    assert isinstance(got, tuple)
    assert sum(len(rows) for rows in got[0].values()) == 10_000
    assert got[2] == []  # no problem
    assert isinstance(during, int)
    assert during >= 10_000 // YIELD_EVERY - 1  # the loop ran between slices
