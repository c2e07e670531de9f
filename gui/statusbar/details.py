"""Stream > Connection details: endpoint, subscription, counters, transitions, latency histogram.

Reads StreamHealth and the client's server-confirmed subscription; refreshes at 1 Hz only
while shown (the timer stops on hide). The histogram buckets exchange-to-receive latency
on a 1-2-5 scale (pure `latency_buckets`), drawn with QPainter.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections.abc import Callable, Iterable
from itertools import pairwise

from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QHideEvent, QPainter, QPaintEvent, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QListWidget,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from engine.events import Subscription
from engine.net.health import StreamHealth

REFRESH_MS = 1000
# Upper bucket edges in ms (1-2-5 steps); the last bucket is everything slower.
BUCKET_EDGES_MS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000)
CHANNELS = ("trades", "quotes", "bars", "updated_bars", "daily_bars", "statuses", "lulds",
            "corrections", "cancel_errors")  # fmt: skip


def _ms(edge: int) -> str:
    return f"{edge / 1000:g}s" if edge >= 1000 else str(edge)


def bucket_labels() -> list[str]:
    """Short axis labels in ms ("1-2", "500-1s", "≥2s"): they must fit under narrow bars."""
    labels = [f"<{_ms(BUCKET_EDGES_MS[0])}"]
    labels += [f"{_ms(a)}-{_ms(b)}" for a, b in pairwise(BUCKET_EDGES_MS)]
    labels.append(f"≥{_ms(BUCKET_EDGES_MS[-1])}")
    return labels


def latency_buckets(samples_ns: Iterable[int]) -> tuple[list[int], int]:
    """(counts per bucket in BUCKET_EDGES_MS order, negatives): a negative latency means the
    exchange clock is ahead of ours, so it is counted apart rather than as "fast"."""
    counts = [0] * (len(BUCKET_EDGES_MS) + 1)
    negative = 0
    for ns in samples_ns:
        if ns < 0:
            negative += 1
            continue
        counts[bisect_right(BUCKET_EDGES_MS, ns / 1e6)] += 1
    return counts, negative


def subscription_lines(sub: Subscription) -> list[str]:
    """One line per non-empty channel: 'quotes: AAPL, MSFT'."""
    lines = []
    for name in CHANNELS:
        symbols = getattr(sub, name)
        if symbols:
            lines.append(f"{name}: {', '.join(sorted(symbols))}")
    return lines or ["(nothing confirmed by the server yet)"]


class LatencyHistogram(QWidget):
    """Bar chart of bucket counts; labels under the bars, counts above them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("latencyHistogram")
        self.counts: list[int] = [0] * (len(BUCKET_EDGES_MS) + 1)
        self.labels = bucket_labels()
        self.setMinimumSize(560, 170)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_counts(self, counts: list[int]) -> None:
        if counts != self.counts:
            self.counts = counts
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        pal = self.palette()
        metrics = painter.fontMetrics()
        line = metrics.height()
        area = QRectF(self.rect()).adjusted(4, line + 4, -4, -(line + 6))
        n = len(self.counts)
        slot = area.width() / n
        top = max(self.counts) or 1
        painter.setPen(pal.color(pal.ColorRole.WindowText))
        for i, count in enumerate(self.counts):
            x = area.left() + i * slot
            height = area.height() * count / top
            bar = QRectF(x + slot * 0.15, area.bottom() - height, slot * 0.7, height)
            painter.fillRect(bar, pal.color(pal.ColorRole.Highlight))
            label_box = QRectF(x, area.bottom() + 2, slot, line)
            label = metrics.elidedText(self.labels[i], Qt.TextElideMode.ElideRight, int(slot))
            painter.drawText(label_box, Qt.AlignmentFlag.AlignCenter, label)
            if count:
                count_box = QRectF(x, bar.top() - line - 1, slot, line)
                painter.drawText(count_box, Qt.AlignmentFlag.AlignCenter, str(count))
        painter.drawLine(area.bottomLeft(), area.bottomRight())
        painter.end()


class ConnectionDetailsDialog(QDialog):
    """Non-modal; `refresh()` re-reads everything (1 Hz timer while visible)."""

    def __init__(
        self,
        health: StreamHealth,
        subscription: Callable[[], Subscription],
        clock: Callable[[], float] = time.monotonic,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("connectionDetails")
        self.setWindowTitle("Connection details")
        self.setModal(False)
        self.health = health
        self.subscription = subscription
        self.clock = clock
        self.fields: dict[str, QLabel] = {}
        form = QFormLayout()
        for key, title in (
            ("endpoint", "Endpoint"), ("feed", "Feed"), ("encoding", "Encoding"),
            ("state", "State"), ("last_error", "Last error"), ("messages", "Messages"),
            ("frames", "Frames"), ("decode_errors", "Decode errors"),
            ("unknown_messages", "Unknown messages"), ("server_errors", "Server errors"),
            ("reconnects", "Reconnects"), ("falling_behind_events", "Falling behind"),
            ("rate", "Rate"), ("latency", "Latency p50 / p95"),
        ):  # fmt: skip
            label = QLabel(self)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setWordWrap(key in ("last_error", "endpoint"))
            self.fields[key] = label
            form.addRow(title, label)
        self.subscription_list = QListWidget(self)
        self.subscription_list.setObjectName("subscriptionList")
        self.subscription_list.setMaximumHeight(120)
        self.subscription_list.setWordWrap(True)
        self.transitions_list = QListWidget(self)
        self.transitions_list.setObjectName("transitionsList")
        self.transitions_list.setMaximumHeight(130)
        self.histogram = LatencyHistogram(self)
        self.skew_label = QLabel(self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("Subscription confirmed by the server", self))
        layout.addWidget(self.subscription_list)
        layout.addWidget(QLabel("State transitions (newest first)", self))
        layout.addWidget(self.transitions_list)
        layout.addWidget(QLabel("Exchange-to-receive latency (ms, recent messages)", self))
        layout.addWidget(self.histogram, 1)
        layout.addWidget(self.skew_label)
        layout.addWidget(buttons)
        self.resize(660, 820)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.refreshes = 0
        self.refresh()

    def refresh(self) -> None:
        h = self.health
        now = self.clock()
        p50, p95 = h.latency_percentile_ms(0.5), h.latency_percentile_ms(0.95)
        values = {
            "endpoint": h.endpoint or "—", "feed": h.feed or "—",
            "encoding": h.encoding + (" (insecure ws://)" if h.insecure else ""),
            "state": f"{h.state.value} for {max(0.0, now - h.state_changed_at):.0f} s",
            "last_error": h.last_error or "none", "messages": f"{h.messages:,}",
            "frames": f"{h.frames:,}", "decode_errors": f"{h.decode_errors:,}",
            "unknown_messages": f"{h.unknown_messages:,}",
            "server_errors": f"{h.server_errors:,}", "reconnects": f"{h.reconnects:,}",
            "falling_behind_events": f"{h.falling_behind_events:,}"
            + (" (now)" if h.falling_behind else ""),
            "rate": f"{h.message_rate(now):,.1f} msg/s",
            "latency": "—" if p50 is None or p95 is None else f"{p50:,.1f} / {p95:,.1f} ms",
        }  # fmt: skip
        for key, text in values.items():
            if self.fields[key].text() != text:
                self.fields[key].setText(text)
        _set_lines(self.subscription_list, subscription_lines(self.subscription()))
        _set_lines(
            self.transitions_list,
            [f"{now - at:7.1f} s ago  {state.value}" for at, state in reversed(h.transitions)]
            or ["(none yet)"],
        )
        counts, negative = latency_buckets(h.latency_samples)
        self.histogram.set_counts(counts)
        skew = f"{negative} samples negative (exchange clock ahead of ours)" if negative else ""
        self.skew_label.setText(skew)
        self.refreshes += 1

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()
        self.timer.start()

    def hideEvent(self, event: QHideEvent) -> None:
        self.timer.stop()  # no work while closed
        super().hideEvent(event)


def _set_lines(widget: QListWidget, lines: list[str]) -> None:
    current = [widget.item(i).text() for i in range(widget.count())]
    if current != lines:
        widget.clear()
        widget.addItems(lines)
