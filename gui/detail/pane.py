"""Detail pane (dock): the selected symbol's fields, intraday chart and time & sales.

Read-only and pulled, like the table: the main window calls `show_symbol()` on selection
and on its timer; a throttled timer here (LIVE_REFRESH_MS, ~8 Hz) repaints the chart and
catches up time & sales only when the selected symbol's history moved, and does nothing
while the pane is hidden. Expired data is shown as missing (docs/design.md, invariant 4).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from engine.market.history import PriceHistory, SymbolHistory, TapeState
from engine.market.store import Freshness, MarketDataStore, Source, SymbolSnapshot
from gui import formatting as fmt
from gui.detail.chart import IntradayChart
from gui.detail.chart_controls import ChartControls
from gui.detail.pane_fields import FieldGrid, FieldsArea, ValueLabel
from gui.detail.time_sales import TimeSalesModel
from gui.detail.time_sales_live import TimeSalesPanel
from gui.settings.persistence import AppSettings

MIN_WIDTH = 260  # as narrow as a dock gets (gui/window/geometry.py, DOCK_MIN_WIDTH)
SPLIT_FIELDS_MIN = 100  # px: the fields' least share of a short pane before they scroll
LIVE_REFRESH_MS = 125  # chart/time & sales at most 8 Hz: smooth, and bounded cost
NO_SELECTION = "Select a row"
# Not any history or snapshot (None included): the chart and tape show nothing yet for
# the symbol in the title, so the next live tick points them at it whatever it has.
_UNSHOWN = object()
_Row = tuple[str, Callable[[SymbolSnapshot], str]]
PREV_CLOSE_TIP = (
    "Previous trading day's close (Alpaca snapshot prevDailyBar): the reference for "
    "Change and Change %"
)


def _size(value: int | None) -> str:
    return fmt.format_size(value)


def _pair(price: float | None, size: int | None) -> str:
    if price is None:
        return fmt.MISSING
    return f"{fmt.format_price(price)} x {_size(size)}"


def _status(snap: SymbolSnapshot) -> str:
    if snap.halted:
        return f"HALTED — {snap.halt_reason or snap.status_message or 'no reason given'}"
    if snap.source is Source.SIMULATOR:  # the demo: no real market (issue 18, #7d)
        return (
            f"simulated session · {snap.status_message}"
            if snap.status_message
            else ("simulated session")
        )
    return snap.status_message or "trading"


def _band(snap: SymbolSnapshot) -> str:
    if snap.luld_down is None or snap.luld_up is None:
        return fmt.MISSING
    return f"{fmt.format_price(snap.luld_down)} to {fmt.format_price(snap.luld_up)}"


def _range(snap: SymbolSnapshot) -> str:
    if snap.low is None or snap.high is None:
        return fmt.MISSING
    return f"{fmt.format_price(snap.low)} to {fmt.format_price(snap.high)}"


ROWS: tuple[_Row, ...] = (
    ("Last", lambda s: fmt.format_price(None if s.last_cancelled else s.last_price)),
    ("Size", lambda s: _size(s.last_size)),
    ("Exchange", lambda s: fmt.format_text(s.last_exchange)),
    ("Trade time (ET)", lambda s: fmt.format_time_eastern(s.last_trade_ns)),
    ("Bid x size", lambda s: _pair(s.bid_price, s.bid_size)),
    ("Ask x size", lambda s: _pair(s.ask_price, s.ask_size)),
    ("Spread", lambda s: fmt.format_spread(s.spread)),
    ("Quote time (ET)", lambda s: fmt.format_time_eastern(s.quote_ns)),
    ("Change", lambda s: fmt.format_change(s.change)),
    ("Change %", lambda s: fmt.format_percent(s.change_pct)),
    ("Open", lambda s: fmt.format_price(s.open)),
    ("Day range", _range),
    ("High", lambda s: fmt.format_price(s.high)),
    ("Low", lambda s: fmt.format_price(s.low)),
    ("Prev close", lambda s: fmt.format_price(s.prev_close)),
    ("Volume", lambda s: fmt.format_volume(s.volume)),
    ("VWAP", lambda s: fmt.format_price(s.vwap)),
    ("Status", _status),
    ("LULD band", _band),
    ("Source", lambda s: str(s.source.value)),
    ("Updates", lambda s: f"{s.updates:,}"),
)
_TIPS = {"Prev close": PREV_CLOSE_TIP, "Change": PREV_CLOSE_TIP, "Change %": PREV_CLOSE_TIP}


def last_trade_note(history: SymbolHistory | None) -> str:
    """Note for the Last field, e.g. " (102.00 cancelled)", when the newest print was amended."""
    if history is None or not history.tape:
        return ""
    newest = history.tape[-1]
    if newest.state is TapeState.CORRECTED:
        return f" (corrected from {fmt.format_price(newest.original_price)})"
    if newest.state in (TapeState.CANCELLED, TapeState.ERROR):
        return f" ({fmt.format_price(newest.price)} {newest.state.value})"
    return ""


class DetailPane(QDockWidget):
    """Shows one symbol; `show_symbol(None)` shows the empty hint."""

    def __init__(
        self,
        store: MarketDataStore,
        clock: Callable[[], float] = time.monotonic,
        parent: QWidget | None = None,
        history: PriceHistory | None = None,
        live_interval_ms: int = LIVE_REFRESH_MS,
        settings: AppSettings | None = None,
    ) -> None:
        super().__init__("Detail", parent)
        self.setObjectName("detailPane")
        self._store = store
        self._clock = clock
        self._history = history
        self.symbol: str | None = None
        self._sources: tuple[object, object] = (_UNSHOWN, _UNSHOWN)  # (history, snapshot) shown
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 4, 6, 4)
        self.title = QLabel(NO_SELECTION, body)
        self.title.setStyleSheet("QLabel { font-weight: bold; font-size: 13pt; }")
        layout.addWidget(self.title)
        # The fields: wrapped values that never ask for width, in a grid that picks its
        # shape from the pane's width (gui/detail/pane_fields.py, docs/ui.md).
        names = [name for name, _ in ROWS] + ["Freshness", "Age"]
        self.fields = FieldGrid(names, _TIPS)
        self.values: dict[str, ValueLabel] = self.fields.values
        self.fields_area = FieldsArea(self.fields, body)
        # The chart with its style row (1m / 5m / 15m / Line, saved in `settings`).
        chart_box = QWidget(body)
        chart_layout = QVBoxLayout(chart_box)
        chart_layout.setContentsMargins(0, 0, 0, 0)
        chart_layout.setSpacing(1)
        self.chart = IntradayChart(chart_box)
        self.chart_controls = ChartControls(self.chart, settings, chart_box)
        chart_layout.addWidget(self.chart_controls)
        chart_layout.addWidget(self.chart, 1)
        self.time_sales_model = TimeSalesModel(self)
        # The list under its live/paused bar (issue 18 #2).
        self.time_sales_panel = TimeSalesPanel(self.time_sales_model, body)
        self.time_sales = self.time_sales_panel.view
        splitter = QSplitter(Qt.Orientation.Vertical, body)
        splitter.setObjectName("detailSplitter")
        splitter.addWidget(self.fields_area)
        splitter.addWidget(chart_box)
        splitter.addWidget(self.time_sales_panel)
        splitter.setCollapsible(0, False)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 3)
        splitter.setStretchFactor(2, 2)
        self.splitter = splitter
        self.split_by_hand = False  # the user dragged a handle: their sizes stay
        splitter.splitterMoved.connect(self._on_split_moved)
        splitter.installEventFilter(self)
        self._split_timer = QTimer(self)
        self._split_timer.setSingleShot(True)
        self._split_timer.setInterval(0)
        self._split_timer.timeout.connect(self.split)
        self.fields_area.height_changed.connect(self._split_timer.start)
        layout.addWidget(splitter, 1)
        self.setWidget(body)
        self.setMinimumWidth(MIN_WIDTH)
        self._tab_order()
        self._live_timer = QTimer(self)
        self._live_timer.setInterval(live_interval_ms)
        self._live_timer.timeout.connect(self.refresh_live)
        if live_interval_ms > 0:
            self._live_timer.start()

    def stop(self) -> None:
        """Stop the live timer (shutdown)."""
        self._live_timer.stop()

    def show_symbol(self, symbol: str | None) -> None:
        if symbol != self.symbol:
            self.symbol = symbol
            # Issue 18 #7b: (None, None) here let a symbol with no data (or no selection)
            # keep the previous symbol's chart under the new title.
            self._sources = (_UNSHOWN, _UNSHOWN)
            self.chart.empty_text = (
                f"No trades or bars yet for {symbol}" if symbol else "Select a row to chart it"
            )
        self.refresh()
        self.refresh_live()

    def refresh(self) -> None:
        """Re-read the snapshot into the field labels (cheap: labels change only on change)."""
        symbol = self.symbol
        snap = self._store.get(symbol) if symbol else None
        self.title.setText(symbol or NO_SELECTION)
        now = self._clock()
        freshness = self._store.freshness(symbol, now) if symbol else Freshness.EMPTY
        expired = freshness is Freshness.EXPIRED
        for name, render in ROWS:
            text = render(snap) if snap is not None and not expired else fmt.MISSING
            if name == "Last" and snap is not None and not expired:
                text += last_trade_note(self._symbol_history())
            self._set(name, text)
        self._set("Freshness", str(freshness.value))
        self._set("Age", fmt.format_age(self._store.age(symbol, now) if symbol else None))

    def refresh_live(self) -> None:
        """Throttled tick: chart and time & sales follow the selected symbol's history."""
        if self.isHidden():
            return
        symbol = self.symbol
        history = self._symbol_history()
        snap = self._store.get(symbol) if symbol else None
        if snap is not None and self._store.freshness(symbol or "") is Freshness.EXPIRED:
            history, snap = None, None  # invariant 4: expired data is not drawn
        shown_history, shown_snap = self._sources
        if history is not shown_history or snap is not shown_snap:  # identity, not ==
            # New selection, first data for it, or the store/history was reset.
            self._sources = (history, snap)
            self.chart.set_source(history, snap)
            self.time_sales_model.set_history(history)
            return
        self.chart.refresh()
        self.time_sales_model.sync()

    def _symbol_history(self) -> SymbolHistory | None:
        if self._history is None or not self.symbol:
            return None
        return self._history.get(self.symbol)

    def _set(self, name: str, text: str) -> None:
        self.values[name].set_value(text)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.splitter and event.type() == QEvent.Type.Resize:
            self._split_timer.start()  # after the splitter's own share-out of the change
        return super().eventFilter(watched, event)

    def split(self) -> None:
        """Share the splitter's height: the fields what they need, up to half (a narrow pane
        lays them out taller; they scroll beyond that), then chart 3 : time & sales 2.
        Until the user drags a handle; then their sizes stay."""
        total = self.splitter.height() - 2 * self.splitter.handleWidth()
        if self.split_by_hand or total <= 0:
            return
        fields = min(self.fields_area.maximumHeight(), max(total // 2, SPLIT_FIELDS_MIN))
        rest = max(0, total - fields)
        self.splitter.setSizes([fields, rest * 3 // 5, rest - rest * 3 // 5])

    def _on_split_moved(self, _pos: int, _index: int) -> None:
        self.split_by_hand = True

    def _tab_order(self) -> None:
        # Top to bottom as drawn: the style buttons, the chart (arrows pan, +/- zoom), the
        # time & sales list, its "jump to latest" (the chart is built before its buttons).
        chain = [*self.chart_controls.buttons.values(), self.chart, self.time_sales,
                 self.time_sales_panel.jump]  # fmt: skip
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)
