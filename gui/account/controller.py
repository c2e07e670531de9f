"""`AccountPanels`: the account docks and fill notifications over one coalescing timer.

The composition root makes the engine objects (AccountBook, AccountService, the trade
stream's StreamHealth) and hands them here; this builds the two docks and the
FillNotifier and drives them from one 4 Hz timer: the orders dock re-reads the book
only when `AccountBook.version` moved, the positions dock re-reads its few symbols'
prices from the store (prices move without the book changing), queued fill
notifications are shown, and order ages tick once a second. Wire
`AccountService(on_fill=panels.on_fill)` and `theme_changed` to `set_palette`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer

from engine.market.store import MarketDataStore
from gui.account.notify import FillNotifier
from gui.account.orders_panel import OrdersPanel
from gui.account.positions_panel import AccountPositionsPanel
from gui.settings.theme import Palette

if TYPE_CHECKING:
    from engine.account.book import AccountBook
    from engine.account.models import Fill
    from gui.alerts.notify import Notifier

TICK_MS = 250  # 4 Hz: a fill shows within a quarter second, the book is read at most 4x/s
AGE_EVERY = 4  # ticks: ages repaint once a second


class AccountPanels(QObject):
    """Builds `positions` and `orders` (docks for the window to place) and `fills`."""

    def __init__(
        self,
        book: AccountBook,
        store: MarketDataStore,
        paper: bool,
        notifier: Notifier | None,
        clock: Callable[[], float] = time.monotonic,
        wall_ns: Callable[[], int] = time.time_ns,
        start_timer: bool = True,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.book = book
        self.positions = AccountPositionsPanel(book, store, paper, clock)
        self.orders = OrdersPanel(book, wall_ns)
        self.fills = FillNotifier(notifier, paper)
        self.ticks = 0
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.tick)
        if start_timer:
            self.timer.start()

    def on_fill(self, fill: Fill) -> None:
        """AccountService's `on_fill` callback: a new fill, notified on the next tick."""
        self.fills.add(fill)

    def tick(self) -> None:
        self.ticks += 1
        self.orders.refresh()
        self.positions.refresh()
        if self.ticks % AGE_EVERY == 0:
            self.orders.tick_ages()
        self.fills.flush()

    def set_paper(self, paper: bool) -> None:
        self.positions.set_paper(paper)
        self.fills.paper = paper

    def set_palette(self, palette: Palette) -> None:
        """Theme switch (ThemeController.theme_changed)."""
        self.positions.set_palette(palette)
        self.orders.set_palette(palette)

    def stop(self) -> None:
        self.timer.stop()
