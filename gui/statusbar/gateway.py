"""Sharing the connection in the status bar: the local gateway's clients and the NATS bus.

Both read a small view the composition root's sharing part (gui.runtime_gateway) builds
on each refresh; the labels know nothing of the gateway or the bus themselves. Hidden
while the gateway is off and without `--bus` (docs/gateway.md, docs/bus.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape

from PySide6.QtWidgets import QWidget

from gui.statusbar.style import Level, StatusLabel

__all__ = ["BusIndicator", "BusView", "GatewayIndicator", "GatewayView", "clients_text"]

_REPORT_ROWS = 10  # clients listed in the tooltip at most (the rest counted)


@dataclass(frozen=True, slots=True)
class GatewayView:
    """What the gateway indicator shows; None from the source = gateway off (hidden)."""

    url: str  # where clients connect: ws://127.0.0.1:8767/v2/iex
    clients: int = 0  # authenticated now
    report: Sequence[Mapping[str, object]] = ()  # GatewayServer.client_report()
    slow_closed: int = 0  # clients closed with 407 so far
    simulated: bool = False  # the upstream is the demo's simulator
    error: str | None = None  # why it is not serving (port in use, ...)
    notes: Sequence[str] = field(default_factory=tuple)  # e.g. clients closed on a feed change


@dataclass(frozen=True, slots=True)
class BusView:
    """What the bus indicator shows; None from the source = no bus (hidden)."""

    url: str  # nats://host:4222 (never with a password: BusOptions keeps it apart)
    state: str  # "owner streaming", "owner silent 6 s", "data from the bus (owner X)"
    level: Level = Level.OK
    detail: str = ""  # the tooltip's further lines


def clients_text(count: int) -> str:
    return f"{count} client" if count == 1 else f"{count} clients"


class GatewayIndicator(StatusLabel):
    """ "gateway: 3 clients" (tooltip: the URL, each client's symbols, pending messages and
    conflations, slow-client closes); hidden while the gateway is off."""

    def __init__(
        self, source: Callable[[], GatewayView | None], parent: QWidget | None = None
    ) -> None:
        super().__init__("gatewayIndicator", parent=parent)
        self._source = source
        self._shown: GatewayView | None = None
        self.setVisible(False)

    def needs_refresh(self) -> bool:
        """A client came or went, or the gateway started, stopped or failed (fast tick)."""
        view = self._source()
        shown = self._shown
        if view is None or shown is None:
            return (view is None) != (shown is None)
        return (view.clients, view.error, view.url) != (shown.clients, shown.error, shown.url)

    def refresh(self) -> None:
        view = self._source()
        self._shown = view
        if view is None:
            self.setVisible(False)
            return
        self.setVisible(True)
        if view.error:
            self.show_level(Level.BAD, "gateway: not serving")
        else:
            text = f"gateway: {clients_text(view.clients)}"
            self.show_level(Level.INFO, f"{text} · simulated" if view.simulated else text)
        self.setToolTip(gateway_tooltip(view))


def gateway_tooltip(view: GatewayView) -> str:
    """The tooltip as rich text: where, who, how far behind (never a secret)."""
    lines = [f"<b>Local gateway</b> at {escape(view.url)}"]
    if view.error:
        lines.append(f"Not serving: {escape(view.error)}")
    if view.simulated:
        lines.append("Serves simulated data from the built-in simulator, not real prices.")
    lines.append(f"{clients_text(view.clients)} connected")
    for row in list(view.report)[:_REPORT_ROWS]:
        lines.append("&nbsp;&nbsp;" + escape(_client_line(row)))
    if len(view.report) > _REPORT_ROWS:
        lines.append(f"&nbsp;&nbsp;… and {len(view.report) - _REPORT_ROWS} more")
    if view.slow_closed:
        lines.append(f"{view.slow_closed} slow clients closed (407: could not keep up)")
    lines.extend(escape(note) for note in view.notes)
    # nowrap: Qt wraps rich-text tooltips at a narrow width, splitting a client's line.
    return "<p style='white-space:pre'>" + "<br>".join(lines) + "</p>"


def _client_line(row: Mapping[str, object]) -> str:
    """One client: "#2 127.0.0.1:5140 json · AAPL, MSFT · 0 pending · 12 conflated"."""
    symbols = row.get("symbols", ())
    if isinstance(symbols, str):
        names = symbols
    elif isinstance(symbols, Sequence | set | frozenset):
        items = sorted(str(s) for s in symbols)
        names = ", ".join(items[:8]) + (f" +{len(items) - 8}" if len(items) > 8 else "")
    else:
        names = str(symbols)
    head = " ".join(
        (f"#{row[key]}" if key == "id" else str(row[key]))
        for key in ("id", "remote", "encoding")
        if row.get(key) not in (None, "")
    )
    return (
        f"{head} · {names or 'no symbols'} · {row.get('pending', 0)} pending · "
        f"{row.get('conflated', 0)} conflated"
    )


class BusIndicator(StatusLabel):
    """ "bus: nats://host:4222 · owner streaming"; warns when the owner is silent or NATS
    is down; hidden without `--bus`."""

    def __init__(self, source: Callable[[], BusView | None], parent: QWidget | None = None):
        super().__init__("busIndicator", parent=parent)
        self._source = source
        self._shown: BusView | None = None
        self.setVisible(False)

    def needs_refresh(self) -> bool:
        return self._source() != self._shown

    def refresh(self) -> None:
        view = self._source()
        self._shown = view
        self.setVisible(view is not None)
        if view is None:
            return
        self.show_level(view.level, f"bus: {view.url} · {view.state}")
        tip = f"NATS bus at {view.url}: {view.state}"
        self.setToolTip(f"{tip}\n{view.detail}" if view.detail else tip)
