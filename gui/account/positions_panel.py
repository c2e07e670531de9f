"""The account positions dock: equity, buying power and day P&L, flags, positions with live P&L.

Reads the engine's AccountBook (written by AccountService) and the TTL store; it owns
no timer: `gui.account.controller.AccountPanels` calls `refresh()` on its coalescing
tick. Manual positions (other brokers) stay in the watchlist table, clearly apart;
this dock shows only the account's, and says that it is read-only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from engine.market.store import MarketDataStore
from gui.account.figures import (
    MANUAL_POSITIONS_NOTE,
    READ_ONLY_NOTE,
    PositionTotals,
    account_flags,
    account_header,
    live_equity,
    position_rows,
    totals,
    totals_text,
)
from gui.account.positions_model import AccountPositionsModel
from gui.settings.theme import LIGHT, Palette

if TYPE_CHECKING:
    from engine.account.book import AccountBook


class AccountPositionsPanel(QDockWidget):
    """Dock "Account positions"; `refresh()` re-reads the book and the store's prices."""

    def __init__(
        self,
        book: AccountBook,
        store: MarketDataStore,
        paper: bool,
        clock: Callable[[], float] = time.monotonic,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(_title(paper), parent)
        self.setObjectName("accountPositionsDock")
        self.book = book
        self.store = store
        self.paper = paper
        self._clock = clock
        self.theme_palette = LIGHT
        self.totals: PositionTotals | None = None
        self.header = QLabel(self)
        self.header.setObjectName("accountHeader")
        font = self.header.font()
        font.setBold(True)
        self.header.setFont(font)
        self.flags = QLabel(self)
        self.flags.setObjectName("accountFlags")
        self.flags.setWordWrap(True)
        self.flags.hide()
        self.model = AccountPositionsModel(self)
        self.view = QTableView(self)
        self.view.setObjectName("accountPositionsTable")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().setVisible(False)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.summary = QLabel(self)
        self.summary.setObjectName("accountPositionsTotals")
        self.summary.setWordWrap(True)
        self.note = QLabel(f"{READ_ONLY_NOTE} {MANUAL_POSITIONS_NOTE}", self)
        self.note.setObjectName("accountReadOnlyNote")
        self.note.setWordWrap(True)
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        for widget in (self.header, self.flags):
            layout.addWidget(widget)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.note)
        self.setWidget(body)
        self.set_palette(LIGHT)
        self.refresh()

    def set_paper(self, paper: bool) -> None:
        self.paper = paper
        self.setWindowTitle(_title(paper))

    def set_palette(self, palette: Palette) -> None:
        """Theme switch (ThemeController.theme_changed)."""
        self.theme_palette = palette
        self.model.set_palette(palette)
        self._style_flags()
        self.note.setStyleSheet(f"QLabel {{ color: {palette.placeholder}; }}")

    def _style_flags(self) -> None:
        # Blocked: nothing can trade (the bad colour); PDT or a status: worth knowing (warn).
        account = self.book.account
        blocked = account is not None and (account.account_blocked or account.trading_blocked)
        colour = self.theme_palette.levels["bad" if blocked else "warn"]
        css = f"QLabel {{ color: {colour}; font-weight: bold; }}"
        if self.flags.styleSheet() != css:
            self.flags.setStyleSheet(css)

    def refresh(self) -> int:
        """Re-read account and prices; returns how many position rows changed."""
        book = self.book
        rows = position_rows(book.positions.values(), self.store, self._clock())
        header = account_header(book.account, live_equity(book.account, rows))
        if self.header.text() != header:
            self.header.setText(header)
        flags = account_flags(book.account)
        if self.flags.text() != flags:
            self.flags.setText(flags)
            self.flags.setVisible(bool(flags))
            self._style_flags()
        changed = self.model.set_rows(rows)
        self.totals = totals(rows)
        summary = totals_text(self.totals, len(rows))
        if self.summary.text() != summary:
            self.summary.setText(summary)
        return changed


def _title(paper: bool) -> str:
    return f"Account positions ({'paper' if paper else 'LIVE'})"
