"""The ticker table view: fixed rows, movable/hideable columns, persisted header layout.

Column order, widths, visibility and the sort indicator are written to AppSettings
when they change (debounced: header drags fire per pixel), so a crash loses nothing.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QMenu, QTableView, QWidget

from gui.persistence import AppSettings
from gui.ticker_model import TickerFilterProxy, TickerTableModel

ROW_HEIGHT_PX = 22
SAVE_DEBOUNCE_MS = 400
# Typical widest values per column key, for first-run column widths.
COLUMN_SAMPLES = {
    "symbol": "BRK.B ",
    "change_pct": "+88.88%",
    "bid_size": "88,888",
    "ask_size": "88,888",
    "volume": "888.8M",
    "trade_time": "00:00:00.000",
    "market_value": "8,888,888.88",
    "day_pnl": "+888,888.88",
    "total_pnl": "+888,888.88",
    "age": "88.8 s",
    "status": "EXPIRED",
    "spark": "8888888888888",  # sparkline: ~100 px of polyline
}
_DEFAULT_SAMPLE = "88,888.88"


class TickerView(QTableView):
    """QTableView over TickerFilterProxy with a column chooser and saved layout."""

    def __init__(
        self,
        model: TickerTableModel,
        proxy: TickerFilterProxy,
        settings: AppSettings,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("tickerTable")
        self.ticker_model = model
        self._settings = settings
        self.setModel(proxy)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        rows = self.verticalHeader()
        # Fixed row heights: ResizeToContents on live data costs 80-180 ms per flush.
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(ROW_HEIGHT_PX)
        rows.setVisible(False)
        # Drag reorder: the model implements mime drag/drop of whole rows.
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropOverwriteMode(False)
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        header = self.horizontalHeader()
        header.setSectionsMovable(True)
        header.setSortIndicatorClearable(True)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        # Header clicks reach TickerTableModel.sort through the proxy (-1 = unsorted);
        # the proxy itself never sorts ticking columns (QT_NOTES: ~145 ms per flush).
        self.setSortingEnabled(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setMinimumSectionSize(36)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(SAVE_DEBOUNCE_MS)
        self._save_timer.timeout.connect(self.save_layout)

    def restore_layout(self) -> None:
        """Apply the saved header state, hidden columns and sort; first run: sample widths."""
        header = self.horizontalHeader()
        state = self._settings.header_state()
        if state is None or not header.restoreState(state):
            self.size_columns_to_samples()
        hidden = set(self._settings.hidden_columns() or ())
        for i, column in enumerate(self.ticker_model.columns):
            header.setSectionHidden(i, column.key in hidden)
        sort = self._settings.sort()
        if sort is not None and sort[0] < len(self.ticker_model.columns):
            order = Qt.SortOrder.DescendingOrder if sort[1] else Qt.SortOrder.AscendingOrder
            header.setSortIndicator(sort[0], order)  # the view then sorts the model
        # Connected after restoring, so restoring does not write straight back.
        header.customContextMenuRequested.connect(self._on_header_menu)
        header.sectionMoved.connect(self._on_header_changed)
        header.sectionResized.connect(self._on_header_changed)
        header.sortIndicatorChanged.connect(self._on_sort_changed)

    def size_columns_to_samples(self) -> None:
        """Widths from typical values, once (never ResizeToContents on live data)."""
        header = self.horizontalHeader()
        metrics = self.fontMetrics()
        header_metrics = header.fontMetrics()
        for i, column in enumerate(self.ticker_model.columns):
            sample = COLUMN_SAMPLES.get(column.key, _DEFAULT_SAMPLE)
            width = max(
                metrics.horizontalAdvance(sample) + 12,
                header_metrics.horizontalAdvance(column.header) + 16,
            )
            header.resizeSection(i, width)

    def save_layout(self) -> None:
        self._save_timer.stop()
        header = self.horizontalHeader()
        self._settings.set_header_state(header.saveState())
        columns = self.ticker_model.columns
        hidden = [c.key for i, c in enumerate(columns) if header.isSectionHidden(i)]
        self._settings.set_hidden_columns(hidden)

    def stop(self) -> None:
        """Flush a pending debounced save (shutdown)."""
        if self._save_timer.isActive():
            self.save_layout()

    def fill_columns_menu(self, menu: QMenu) -> None:
        """Checkable show/hide entry per column (the chooser of header and View menu)."""
        menu.clear()
        header = self.horizontalHeader()
        visible = sum(not header.isSectionHidden(i) for i in range(header.count()))
        for i, column in enumerate(self.ticker_model.columns):
            action = menu.addAction(column.header)
            action.setCheckable(True)
            action.setChecked(not header.isSectionHidden(i))
            action.setToolTip(column.tooltip)
            # The last visible column cannot be hidden: an empty table looks broken.
            action.setEnabled(header.isSectionHidden(i) or visible > 1)
            action.toggled.connect(lambda on, col=i: self.set_column_visible(col, on))

    def set_column_visible(self, column: int, visible: bool) -> None:
        self.horizontalHeader().setSectionHidden(column, not visible)
        self.save_layout()

    def _on_header_menu(self, pos: QPoint) -> None:
        menu = QMenu(self)
        self.fill_columns_menu(menu)
        menu.popup(self.horizontalHeader().mapToGlobal(pos))

    def _on_header_changed(self, *_args: int) -> None:
        self._save_timer.start()

    def _on_sort_changed(self, column: int, order: Qt.SortOrder) -> None:
        self._settings.set_sort(column, order == Qt.SortOrder.DescendingOrder)
