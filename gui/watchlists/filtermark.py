"""The filter's visible state: "Filter on · 9 hidden" next to the field, and Esc to clear it.

A filter that hides rows must never be invisible (issue 18, #3: a ticker typed into the
Filter field by mistake "emptied" the table with nothing saying why). While the filter
holds text, the field is framed in the theme's warning colour and the mark beside it
says how many of the list's rows it hides; Esc in the table or in the field clears it.
The count reads two row counts when rows come or go, never on a price update (the filter
matches symbols only: gui.table.sort.TickerFilterProxy).
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QLineEdit, QToolBar, QWidget

from gui.settings.theme import LIGHT, Palette


class FilterMark(QLabel):
    """The mark beside `field`; `clear_action` (Esc) empties the field."""

    def __init__(self, field: QLineEdit, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("filterMark")
        self.setTextFormat(Qt.TextFormat.PlainText)  # the tooltip echoes the filter text
        self.field = field
        self.palette_in_use = LIGHT
        self.hidden_rows = 0
        self.total_rows = 0
        self._proxy: QAbstractItemModel | None = None
        self._slot: QAction | None = None  # the toolbar's action holding this label
        self.clear_action = QAction("Clear filter", self)
        self.clear_action.setShortcut(QKeySequence("Esc"))
        # Only where the filter matters: in the add field Esc closes its search popup.
        self.clear_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.clear_action.setEnabled(False)  # Esc goes on to the widget while no filter
        self.clear_action.triggered.connect(self.field.clear)
        field.addAction(self.clear_action)
        field.textChanged.connect(self.refresh)

    def place_in(self, toolbar: QToolBar) -> None:
        """Add to `toolbar`: there a widget is shown and hidden through its action."""
        self._slot = toolbar.addWidget(self)
        self._show(self.active())

    def _show(self, on: bool) -> None:
        if self._slot is not None:  # not QWidget.setVisible: the toolbar would undo it
            self._slot.setVisible(on)

    def watch(self, proxy: QAbstractItemModel, view: QWidget) -> None:
        """Count `proxy`'s hidden rows (its source's rows minus its own) and let Esc in
        `view` clear the filter too."""
        self._proxy = proxy
        view.addAction(self.clear_action)
        for model in (proxy, getattr(proxy, "sourceModel", lambda: None)()):
            if isinstance(model, QAbstractItemModel):
                model.rowsInserted.connect(self.refresh)
                model.rowsRemoved.connect(self.refresh)
                model.modelReset.connect(self.refresh)
                model.layoutChanged.connect(self.refresh)
        self.refresh()

    def active(self) -> bool:
        return bool(self.field.text().strip())

    def refresh(self, *_args: object) -> None:
        active = self.active()
        self.clear_action.setEnabled(active)
        proxy = self._proxy
        source = getattr(proxy, "sourceModel", lambda: None)() if proxy is not None else None
        shown = proxy.rowCount() if proxy is not None else 0
        total = source.rowCount() if isinstance(source, QAbstractItemModel) else shown
        self.total_rows, self.hidden_rows = total, max(0, total - shown) if active else 0
        if not active:
            self._show(False)
            self.field.setStyleSheet("")
            self.setToolTip("")
            return
        text = self.field.text().strip()
        self.setText(f"Filter on · {self.hidden_rows:,} hidden")
        self.setToolTip(
            f"Filter \u201c{text}\u201d shows {shown:,} of {total:,} rows; "
            "Esc (in the table or the filter) clears it"
        )
        self._paint()
        self._show(True)

    def set_palette(self, palette: Palette) -> None:
        self.palette_in_use = palette
        if self.active():
            self._paint()

    def _paint(self) -> None:
        warn = self.palette_in_use.levels["warn"]
        self.setStyleSheet(f"QLabel {{ color: {warn}; font-weight: bold; padding: 0 4px; }}")
        self.field.setStyleSheet(f"QLineEdit {{ border: 2px solid {warn}; }}")


__all__ = ["FilterMark"]
