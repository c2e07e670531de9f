"""Connection details: buckets, counters, transitions, subscription, 1 Hz refresh while open."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtGui import QColor, QPalette

from engine.events import Subscription
from engine.net.health import ConnectionState, StreamHealth
from gui.statusbar.details import (
    BUCKET_EDGES_MS,
    ConnectionDetailsDialog,
    bucket_labels,
    latency_buckets,
    subscription_lines,
)

OFFSCREEN_SHOW = pytest.mark.qt_log_ignore("This plugin does not support")
MS = 1_000_000


def test_latency_buckets_on_a_1_2_5_scale() -> None:
    counts, negative = latency_buckets([0, int(0.5 * MS), 1 * MS, 3 * MS, 60 * MS, 5000 * MS, -MS])
    assert len(counts) == len(BUCKET_EDGES_MS) + 1 == len(bucket_labels())
    assert counts[0] == 2  # < 1 ms
    assert counts[1] == 1  # 1-2 ms (edges belong to the bucket above)
    assert counts[bucket_labels().index("2-5")] == 1
    assert counts[bucket_labels().index("50-100")] == 1
    assert counts[-1] == 1  # >= 2 s
    assert bucket_labels()[-3:] == ["500-1s", "1s-2s", "≥2s"]
    assert negative == 1  # exchange clock ahead: kept apart, not "fast"
    assert sum(counts) + negative == 7


def test_subscription_lines() -> None:
    sub = Subscription(trades=frozenset({"MSFT", "AAPL"}), quotes=frozenset({"AAPL"}))
    assert subscription_lines(sub) == ["trades: AAPL, MSFT", "quotes: AAPL"]
    assert subscription_lines(Subscription()) == ["(nothing confirmed by the server yet)"]


@OFFSCREEN_SHOW
def test_dialog_shows_health_and_refreshes_only_while_open(qtbot: Any, clock: Any) -> None:
    health = StreamHealth(clock=clock, endpoint="ws://127.0.0.1:1/v2/iex", feed="iex")
    health.set_state(ConnectionState.CONNECTING)
    clock.advance(1)
    health.set_state(ConnectionState.STREAMING)
    health.record_frame(3)
    for ms in (1.5, 1.7, 30.0):
        health.record_latency_ns(int(ms * MS))
    sub = [Subscription(trades=frozenset({"AAPL"}))]
    dialog = ConnectionDetailsDialog(health, lambda: sub[0], clock)
    qtbot.addWidget(dialog)
    assert dialog.fields["endpoint"].text() == "ws://127.0.0.1:1/v2/iex"
    assert dialog.fields["messages"].text() == "3"
    assert dialog.fields["state"].text().startswith("streaming")
    assert dialog.transitions_list.item(0).text().endswith("streaming")  # newest first
    assert dialog.transitions_list.item(1).text().endswith("connecting")
    assert dialog.histogram.counts[1] == 2
    assert dialog.subscription_list.item(0).text() == "trades: AAPL"

    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.timer.isActive()
    assert dialog.timer.interval() == 1000
    health.decode_errors = 2
    health.reconnects = 1
    health.record_latency_ns(-3 * MS)
    sub[0] = Subscription(trades=frozenset({"AAPL", "SPY"}))
    before = dialog.refreshes
    qtbot.waitUntil(lambda: dialog.refreshes > before, timeout=5000)  # the 1 Hz timer
    assert dialog.fields["decode_errors"].text() == "2"
    assert dialog.fields["reconnects"].text() == "1"
    assert dialog.subscription_list.item(0).text() == "trades: AAPL, SPY"
    assert "1 samples negative" in dialog.skew_label.text()
    image = dialog.histogram.grab().toImage()  # paintEvent draws the bars
    bar_colour = dialog.histogram.palette().color(QPalette.ColorRole.Highlight)
    assert any(
        image.pixelColor(x, y) == bar_colour
        for x in range(0, image.width(), 2)
        for y in range(0, image.height(), 2)
    )
    assert bar_colour != QColor("#000000")
    dialog.close()
    assert not dialog.timer.isActive()  # no work while closed
