"""LogThrottle with an injected clock: the first few lines of a window in full, then one
summary line per window (issue 12, #17); no sleeping."""

from __future__ import annotations

import logging

import pytest

from engine.core.logthrottle import LogThrottle
from tests.conftest import FakeClock

LOGGER = "tests.logthrottle"


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == LOGGER]


def test_a_flood_is_a_few_full_lines_and_one_summary_per_window(
    caplog: pytest.LogCaptureFixture, clock: FakeClock
) -> None:
    throttle = LogThrottle(logging.getLogger(LOGGER), burst=3, window=10.0, clock=clock)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        written = [throttle.log("bad message %d", n) for n in range(1535)]
        assert written == [True] * 3 + [False] * 1532
        assert _lines(caplog) == ["bad message 0", "bad message 1", "bad message 2"]
        assert throttle.suppressed == 1532
        clock.advance(9.9)
        throttle.flush()  # the window is not over yet
        assert len(_lines(caplog)) == 3
        clock.advance(0.1)
        throttle.flush()
        assert _lines(caplog)[3:] == ["1,532 more like this in the last 10 s"]
        assert throttle.suppressed == 0
        throttle.flush()  # nothing more to say
        assert len(_lines(caplog)) == 4


def test_the_next_line_after_a_window_writes_its_summary_first(
    caplog: pytest.LogCaptureFixture, clock: FakeClock
) -> None:
    throttle = LogThrottle(logging.getLogger(LOGGER), burst=1, window=10.0, clock=clock)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        throttle.log("first")
        throttle.log("second")
        throttle.log("third")
        clock.advance(60.0)  # long quiet: the summary still names the window's length
        throttle.log("fourth")
        assert _lines(caplog) == ["first", "2 more like this in the last 10 s", "fourth"]


def test_a_quiet_stream_logs_every_line_and_no_summary(
    caplog: pytest.LogCaptureFixture, clock: FakeClock
) -> None:
    throttle = LogThrottle(logging.getLogger(LOGGER), burst=2, window=10.0, clock=clock)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        for n in range(5):
            throttle.log("line %d", n)
            clock.advance(6.0)
        throttle.flush(force=True)
        assert _lines(caplog) == [f"line {n}" for n in range(5)]


def test_force_flush_at_shutdown_says_how_long_the_window_ran(
    caplog: pytest.LogCaptureFixture, clock: FakeClock
) -> None:
    throttle = LogThrottle(logging.getLogger(LOGGER), burst=1, window=10.0, clock=clock)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        throttle.log("a")
        throttle.log("b")
        clock.advance(3.2)
        throttle.flush(force=True)
        assert _lines(caplog) == ["a", "1 more like this in the last 3 s"]


def test_a_topic_names_the_summary(caplog: pytest.LogCaptureFixture, clock: FakeClock) -> None:
    logger = logging.getLogger(LOGGER)
    throttle = LogThrottle(logger, burst=1, topic="skipped undecodable message", clock=clock)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        for _ in range(3):
            throttle.log("skipped undecodable message (missing field)")
        throttle.flush(force=True)
        assert _lines(caplog)[-1] == "skipped undecodable message: 2 more like this in the last 1 s"


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="burst"):
        LogThrottle(logging.getLogger(LOGGER), burst=0)
    with pytest.raises(ValueError, match="window"):
        LogThrottle(logging.getLogger(LOGGER), window=0.0)
