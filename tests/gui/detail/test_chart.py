"""Detail chart with a whole session loaded: timeframes, pan/zoom over earlier sessions,
crosshair read-out, session shading, IEX marks, labels that never overlap, cached repaints."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QRectF, Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest

from engine.market.history import PriceHistory
from gui.detail.chart import STYLES, IntradayChart, parse_style
from gui.detail.chart_controls import ChartControls
from gui.detail.chart_crosshair import readout
from gui.detail.chart_data import build_series
from gui.settings.persistence import AppSettings
from tests.gui.detail.chart_day import DAY, at, loaded_history, store_with_levels


@pytest.fixture
def chart(qapp: Any) -> Any:
    history = loaded_history()
    store = store_with_levels(history)
    widget = IntradayChart()
    widget.resize(600, 300)
    widget.set_source(history.get("AAPL"), store.get("AAPL"))
    yield widget
    widget.deleteLater()


def _pairs_overlap(rects: list[tuple[str, QRectF]]) -> list[tuple[str, str]]:
    return [(a, b) for (a, ra), (b, rb) in combinations(rects, 2) if ra.intersects(rb)]


@pytest.mark.parametrize(("style", "minutes", "candles"), [
    ("candles", 1, 960), ("candles", 5, 192), ("candles", 15, 64), ("line", 1, 960),
])  # fmt: skip
def test_a_full_session_at_each_timeframe(
    chart: IntradayChart, style: str, minutes: int, candles: int
) -> None:
    chart.set_style(style, minutes)
    chart.grab()
    assert chart.drawn["bars"] == candles  # 04:00-20:00 grouped into 1, 5 or 15 minutes
    assert chart.drawn["volume"] == candles
    assert chart.drawn["iex_note"] == 1  # the last 15 minutes came from IEX
    series = build_series(chart.history, minutes)  # type: ignore[arg-type]
    assert sum(series.volume[series.today :]) == sum(chart.history.bars.volume)  # type: ignore[union-attr]
    assert series.iex[-1]
    assert not series.iex[series.today]


def test_earlier_sessions_keep_their_15_minute_bars_at_every_timeframe(
    chart: IntradayChart,
) -> None:
    history = chart.history
    assert history is not None
    for minutes in (1, 5, 15):
        series = build_series(history, minutes)
        assert [slot.day.day for slot in series.slots] == [11, 12, 13]
        assert series.today == 128  # two earlier sessions of 64 quarter hours
        assert set(series.width[:128]) == {15.0}
        assert set(series.width[128:]) == {float(minutes)}
        # Back to back on the axis: each session is 960 minutes wide, nights take no room.
        assert series.axis_of(at(DAY, 4, 0)) == 2 * 960
        assert series.axis_of(at(DAY, 9, 30)) == 2 * 960 + 330


def test_pan_and_zoom_reach_the_earlier_sessions_and_home_returns(chart: IntradayChart) -> None:
    chart.grab()
    assert "sessions" not in chart.drawn  # auto: today only
    wide = chart.frame.right - chart.frame.left  # type: ignore[union-attr]
    QTest.keyClick(chart, Qt.Key.Key_Plus)
    chart.grab()
    assert chart.frame.right - chart.frame.left < wide  # type: ignore[union-attr]
    for _ in range(40):  # back in time, past today's 04:00
        QTest.keyClick(chart, Qt.Key.Key_Left)
    chart.grab()
    assert chart.drawn.get("sessions")
    assert chart.frame.left < 2 * 960  # type: ignore[union-attr]
    for _ in range(12):
        QTest.keyClick(chart, Qt.Key.Key_Minus)
    chart.grab()
    assert chart.drawn["bars"] == 960 + 128  # everything held
    QTest.keyClick(chart, Qt.Key.Key_Home)
    chart.grab()
    assert chart.view.auto
    assert chart.drawn["bars"] == 960


def test_wheel_zooms_and_drag_pans(chart: IntradayChart, qapp: Any) -> None:
    chart.show()
    chart.grab()
    frame = chart.frame
    assert frame is not None
    before = (frame.left, frame.right)
    centre = frame.plot.center().toPoint()
    chart.zoom(1.25**3, 0.5)  # what three wheel notches do at the middle
    chart.grab()
    assert chart.frame.right - chart.frame.left < before[1] - before[0]  # type: ignore[union-attr]
    zoomed = (chart.frame.left, chart.frame.right)  # type: ignore[union-attr]
    QTest.mousePress(chart, Qt.MouseButton.LeftButton, pos=centre)
    QTest.mouseMove(chart, centre + QPoint(120, 0))
    QTest.mouseRelease(chart, Qt.MouseButton.LeftButton, pos=centre + QPoint(120, 0))
    chart.grab()
    assert chart.frame.left < zoomed[0]  # type: ignore[union-attr]  # dragged right: earlier
    chart.hide()


def test_crosshair_reads_out_time_ohlc_and_volume(chart: IntradayChart) -> None:
    chart.set_style("candles", 5)
    chart.grab()
    frame = chart.frame
    assert frame is not None
    x = frame.series.axis_of(at(DAY, 10, 2))  # inside the 10:00-10:05 candle
    lines = readout(frame, x, 5)
    assert lines[0].startswith("10:00-10:05 ET  V ")
    i = frame.series.at(x)
    assert i is not None
    s = frame.series
    assert (
        lines[1]
        == f"O {s.open[i]:,.2f}  H {s.high[i]:,.2f}  L {s.low[i]:,.2f}  C {s.close[i]:,.2f}"
    )
    last = readout(frame, frame.series.axis_of(at(DAY, 19, 58)), 5)[0]
    assert last.startswith("19:55-20:00 ET IEX  V ")  # the Basic plan's IEX tail, marked
    earlier = readout(frame, 960 + 400, 5)[0]  # Thu Jun 12, 10:40 ET: a 15-minute bar
    assert earlier.startswith("Thu Jun 12 10:30-10:45 ET  V ")


def test_hover_repaints_from_the_cache(chart: IntradayChart, qapp: Any) -> None:
    chart.show()
    qapp.processEvents()
    chart.grab()
    renders, builds = chart.renders, chart._series.builds
    frame = chart.frame
    assert frame is not None
    for dx in range(0, 200, 20):
        QTest.mouseMove(chart, frame.plot.center().toPoint() + QPoint(dx - 100, 0))
        chart.grab()
    assert chart.pointer is not None
    assert chart.renders == renders  # the crosshair draws over the cached render
    assert chart._series.builds == builds
    assert not chart.refresh()  # no new data: nothing to repaint
    chart.hide()


def test_pre_market_and_after_hours_are_shaded(chart: IntradayChart) -> None:
    image = chart.grab().toImage()
    frame = chart.frame
    assert frame is not None
    y = int(frame.plot.top()) + 1  # above every candle (5 % padding), below no label here
    base = QColor(chart.palette().base().color())

    def pixel(hh: int, mm: int) -> QColor:
        return image.pixelColor(int(frame.x_of(frame.series.axis_of(at(DAY, hh, mm)))), y)

    assert pixel(7, 7) != base  # pre-market
    assert pixel(18, 7) != base  # after-hours
    assert pixel(12, 7) == base  # regular session: plain


@pytest.mark.parametrize("size", [(300, 150), (360, 220), (600, 300), (1000, 400)])
@pytest.mark.parametrize("choice", STYLES)
def test_labels_never_overlap(chart: IntradayChart, size: tuple[int, int],
                              choice: tuple[str, int]) -> None:  # fmt: skip
    chart.resize(*size)
    chart.set_style(*choice)
    for zoom in (None, 1 / 1.25**12, 1.25**6):  # today, everything held, a close-up
        if zoom is not None:
            chart.zoom(zoom, 0.3)
        chart.grab()
        frame = chart.frame
        assert frame is not None
        assert frame.labels, "some labels fit"
        assert _pairs_overlap(frame.labels) == []
        widget = QRectF(chart.rect())
        assert all(widget.contains(rect) for _, rect in frame.labels)
        times = [t for t, r in frame.labels if r.top() > frame.plot.bottom() + 10]
        assert times, "the time axis keeps some labels"


def test_style_choice_persists(qapp: Any, tmp_path: Path) -> None:
    settings = AppSettings(tmp_path / "t.ini")
    chart = IntradayChart()
    controls = ChartControls(chart, settings)
    assert (chart.chart_style, chart.minutes) == ("candles", 1)  # the default
    controls.buttons[("candles", 5)].click()
    assert settings.chart_style() == "candles:5"
    again = IntradayChart()
    ChartControls(again, AppSettings(tmp_path / "t.ini"))
    assert (again.chart_style, again.minutes) == ("candles", 5)
    assert parse_style("bogus") == ("candles", 1)
    assert parse_style("line:1") == ("line", 1)


def test_today_only_streamed_still_charts(qapp: Any) -> None:
    # No REST history: the chart holds only what streamed (one minute folded from prints).
    history = PriceHistory()
    store = store_with_levels(history)
    chart = IntradayChart()
    chart.resize(300, 150)
    chart.set_source(history.get("AAPL"), store.get("AAPL"))
    chart.grab()
    assert chart.drawn["trades"] >= 1
    assert chart.frame is not None
    assert _pairs_overlap(chart.frame.labels) == []
    # The REST snapshot's trade: a point, no bar yet; the read-out gives the time.
    assert readout(chart.frame, chart.frame.series.axis_of(at(DAY, 19, 59)), 1) == ["19:59 ET"]
