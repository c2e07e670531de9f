"""Positions and their P&L, Qt-free: pure math plus the CSV format (symbol,quantity,cost_basis).

Every function is None-safe: a missing price, previous close or cost basis gives None,
never 0 (a zero P&L would pass as a real number). Short positions have a negative quantity,
so the same formulas hold: qty * (last - cost) is positive when a short's price falls.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from engine.config import InvalidSymbol, normalise_symbol

CSV_HEADER = ("symbol", "quantity", "cost_basis")
# gui.table.columns keys of the position columns (shown once any position exists).
POSITION_COLUMN_KEYS = ("market_value", "day_pnl", "total_pnl")


@dataclass(frozen=True, slots=True)
class Position:
    """Shares held (negative = short) and average cost per share (None = unknown)."""

    quantity: float
    cost_basis: float | None = None


def market_value(position: Position | None, last: float | None) -> float | None:
    """quantity x last price (negative for a short)."""
    if position is None or last is None:
        return None
    return position.quantity * last


def day_pnl(
    position: Position | None, last: float | None, prev_close: float | None
) -> float | None:
    """quantity x (last - previous close); None without a previous close."""
    if position is None or last is None or prev_close is None:
        return None
    return position.quantity * (last - prev_close)


def total_pnl(position: Position | None, last: float | None) -> float | None:
    """quantity x (last - cost basis); None without a cost basis."""
    if position is None or last is None or position.cost_basis is None:
        return None
    return position.quantity * (last - position.cost_basis)


@dataclass(frozen=True, slots=True)
class Total:
    """A column's sum over the rows that have a value, and how many rows lacked one."""

    value: float | None
    counted: int
    missing: int


def sum_values(values: Iterable[float | None]) -> Total:
    """Sum of the non-None values (None when there are none) and the count of Nones."""
    total = 0.0
    counted = missing = 0
    for value in values:
        if value is None:
            missing += 1
        else:
            total += value
            counted += 1
    return Total(total if counted else None, counted, missing)


# --- CSV ------------------------------------------------------------------------------


@dataclass(slots=True)
class ImportResult:
    """Parsed rows (symbol -> Position, None = clear it) and (line, message) per bad row."""

    positions: dict[str, Position | None] = field(default_factory=dict)
    errors: list[tuple[int, str]] = field(default_factory=list)


def _shown(text: str) -> str:
    # A cell can hold 128 KiB (the csv module's field limit): echo only its start.
    stripped = text.strip()
    return repr(stripped if len(stripped) <= 24 else stripped[:21] + "...")


def _number(text: str, what: str) -> float:
    try:
        value = float(text.replace(",", "").replace("$", "").strip())
    except ValueError:
        raise ValueError(f"{what} is not a number: {_shown(text)}") from None
    if not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number: {_shown(text)}")
    return value


def parse_row(cells: list[str]) -> tuple[str, Position | None]:
    """One CSV row -> (symbol, position); quantity 0 clears. Raises ValueError saying why."""
    if len(cells) < 2:
        raise ValueError(f"expected symbol,quantity[,cost_basis], got {len(cells)} column(s)")
    if len(cells) > 3 and any(c.strip() for c in cells[3:]):
        raise ValueError(f"expected at most 3 columns, got {len(cells)}")
    try:
        symbol = normalise_symbol(cells[0])
    except InvalidSymbol as exc:
        raise ValueError(f"bad symbol {exc.text!r}: {exc.reason}") from None
    quantity = _number(cells[1], "quantity")
    cost_text = cells[2].strip() if len(cells) > 2 else ""
    cost = _number(cost_text, "cost_basis") if cost_text else None
    if cost is not None and cost < 0:
        raise ValueError(f"cost_basis must not be negative: {_shown(cost_text)}")
    if quantity == 0:
        return symbol, None
    return symbol, Position(quantity, cost)


def parse_positions_csv(text: str) -> ImportResult:
    """Parse symbol,quantity,cost_basis rows (header optional); bad rows are reported, not fatal."""
    result = ImportResult()
    # newline="": the csv module does its own line splitting (bare \r, quoted newlines).
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = iter(reader)
    while True:
        try:
            cells = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:  # e.g. an unterminated quote: the rest cannot be parsed
            result.errors.append((reader.line_num, f"unreadable CSV: {exc}"))
            break
        line = reader.line_num
        if not cells or all(not c.strip() for c in cells):
            continue
        if line == 1 and cells[0].strip().lower() == "symbol":
            continue  # the header row
        if cells[0].lstrip().startswith("#"):
            continue  # a comment
        try:
            symbol, position = parse_row(cells)
        except ValueError as exc:
            result.errors.append((line, str(exc)))
            continue
        result.positions[symbol] = position
    return result


def apply_import(current: Mapping[str, Position], result: ImportResult) -> dict[str, Position]:
    """The book after an import: imported symbols replaced (or cleared), others kept."""
    book = dict(current)
    for symbol, position in result.positions.items():
        if position is None:
            book.pop(symbol, None)
        else:
            book[symbol] = position
    return book


def _plain(value: float) -> str:
    # 100.0 -> "100", 12.5 -> "12.5": what a person would type in the file.
    return str(int(value)) if value.is_integer() else repr(value)


def format_positions_csv(positions: Mapping[str, Position]) -> str:
    """The book as CSV with a header row, sorted by symbol; round-trips through the parser."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for symbol in sorted(positions):
        pos = positions[symbol]
        cost = "" if pos.cost_basis is None else _plain(pos.cost_basis)
        writer.writerow((symbol, _plain(pos.quantity), cost))
    return out.getvalue()


# --- display ----------------------------------------------------------------------------

_MISSING = "\u2014"  # em dash, as gui.formatting.MISSING: "no value", never 0


def format_money(value: float | None) -> str:
    """Amount with thousands separators and cents, e.g. "-12,345.60"; missing -> em dash."""
    if value is None or not math.isfinite(value):
        return _MISSING
    text = f"{value:,.2f}"
    return text[1:] if text == "-0.00" else text


def format_pnl(value: float | None) -> str:
    """Signed amount, e.g. "+1,234.50" / "-7.00"; zero is "0.00" (no sign)."""
    if value is None or not math.isfinite(value):
        return _MISSING
    if round(value, 2) == 0:
        return "0.00"
    return f"{value:+,.2f}"


def format_quantity(value: float | None) -> str:
    """Share count: whole numbers without decimals, fractional shares with up to 4."""
    if value is None or not math.isfinite(value):
        return _MISSING
    if value.is_integer():
        return f"{int(value):,}"
    return f"{value:,.4f}".rstrip("0")
