"""Non-modal dialog to set or clear the position (quantity, cost basis) of one symbol.

Opened with open(), never exec() (qasync #59). Input goes through the same parser as the
CSV import (gui.positions.book.parse_row), so both accept and refuse exactly the same things.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from gui.positions.book import Position, format_quantity, parse_row
from gui.window.mnemonics import buddy_mnemonics

_ERROR_CSS = "QLabel { color: #d32f2f; }"


def _plain(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if value.is_integer() else repr(value)


class PositionDialog(QDialog):
    """Emits `position_chosen(symbol, Position | None)`: None clears the position."""

    position_chosen = Signal(str, object)

    def __init__(
        self, symbol: str, current: Position | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("positionDialog")
        self.setWindowTitle(f"Position in {symbol}")
        self.symbol = symbol
        self.quantity_field = QLineEdit(_plain(current.quantity if current else None), self)
        self.quantity_field.setObjectName("positionQuantity")
        self.quantity_field.setPlaceholderText("e.g. 100, or -50 for a short")
        self.cost_field = QLineEdit(_plain(current.cost_basis if current else None), self)
        self.cost_field.setObjectName("positionCost")
        self.cost_field.setPlaceholderText("average price paid per share (optional)")
        self.error = QLabel(self)
        self.error.setObjectName("positionError")
        self.error.setStyleSheet(_ERROR_CSS)
        self.error.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Symbol:", QLabel(symbol, self))
        form.addRow("Quantity:", self.quantity_field)
        form.addRow("Cost basis / share:", self.cost_field)
        held = "none" if current is None else format_quantity(current.quantity) + " shares"
        form.addRow("Now held:", QLabel(held, self))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save
            | QDialogButtonBox.StandardButton.Reset
            | QDialogButtonBox.StandardButton.Cancel,
            self,
        )
        self.clear_button = buttons.button(QDialogButtonBox.StandardButton.Reset)
        self.clear_button.setText("Clear position")
        self.clear_button.setEnabled(current is not None)
        self.clear_button.clicked.connect(self.clear)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        buddy_mnemonics(self)  # Alt+Q quantity, Alt+C cost basis (docs/keyboard.md)

    def accept(self) -> None:
        """Save if the fields parse; otherwise say why and stay open."""
        quantity = self.quantity_field.text().strip()
        if not quantity:
            self.error.setText("Enter a quantity (0 clears the position)")
            return
        try:
            _symbol, position = parse_row([self.symbol, quantity, self.cost_field.text()])
        except ValueError as exc:
            self.error.setText(str(exc))
            return
        self.position_chosen.emit(self.symbol, position)
        super().accept()

    def clear(self) -> None:
        self.position_chosen.emit(self.symbol, None)
        super().accept()
