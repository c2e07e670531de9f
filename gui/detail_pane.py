"""Detail pane (dock): every snapshot field of the selected symbol, read from the store.

Read-only and pulled on selection and on a timer by the main window, like the table:
the store is never asked to push. Expired data is shown as missing (DESIGN invariant 4).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtWidgets import QDockWidget, QFormLayout, QLabel, QWidget

from engine.store import Freshness, MarketDataStore, SymbolSnapshot
from gui import formatting as fmt

_Row = tuple[str, Callable[[SymbolSnapshot], str]]


def _size(value: int | None) -> str:
    return fmt.format_size(value)


def _pair(price: float | None, size: int | None) -> str:
    if price is None:
        return fmt.MISSING
    return f"{fmt.format_price(price)} x {_size(size)}"


def _status(snap: SymbolSnapshot) -> str:
    if snap.halted:
        return f"HALTED — {snap.halt_reason or snap.status_message or 'no reason given'}"
    return snap.status_message or "trading"


def _band(snap: SymbolSnapshot) -> str:
    if snap.luld_down is None or snap.luld_up is None:
        return fmt.MISSING
    return f"{fmt.format_price(snap.luld_down)} to {fmt.format_price(snap.luld_up)}"


ROWS: tuple[_Row, ...] = (
    ("Last", lambda s: fmt.format_price(s.last_price)),
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


class DetailPane(QDockWidget):
    """Shows one symbol; `show_symbol(None)` shows the empty hint."""

    def __init__(
        self,
        store: MarketDataStore,
        clock: Callable[[], float] = time.monotonic,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Detail", parent)
        self.setObjectName("detailPane")
        self._store = store
        self._clock = clock
        self.symbol: str | None = None
        body = QWidget(self)
        form = QFormLayout(body)
        self.title = QLabel("Select a row", body)
        self.title.setStyleSheet("QLabel { font-weight: bold; font-size: 13pt; }")
        form.addRow(self.title)
        self.values: dict[str, QLabel] = {}
        for name, _ in (*ROWS, ("Freshness", None), ("Age", None)):
            label = QLabel(fmt.MISSING, body)
            self.values[name] = label
            form.addRow(name, label)
        self.setWidget(body)
        self.setMinimumWidth(200)

    def show_symbol(self, symbol: str | None) -> None:
        self.symbol = symbol
        self.refresh()

    def refresh(self) -> None:
        symbol = self.symbol
        snap = self._store.get(symbol) if symbol else None
        self.title.setText(symbol or "Select a row")
        now = self._clock()
        freshness = self._store.freshness(symbol, now) if symbol else Freshness.EMPTY
        expired = freshness is Freshness.EXPIRED
        for name, render in ROWS:
            text = render(snap) if snap is not None and not expired else fmt.MISSING
            self._set(name, text)
        self._set("Freshness", str(freshness.value))
        self._set("Age", fmt.format_age(self._store.age(symbol, now) if symbol else None))

    def _set(self, name: str, text: str) -> None:
        label = self.values[name]
        if label.text() != text:
            label.setText(text)
