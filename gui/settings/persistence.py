"""Persisted user settings: a typed wrapper over QSettings in ini format.

Every setter writes and `sync()`s at once, so a crash loses nothing (docs/design.md,
invariant 6); QSettings writes the ini file through a temporary file and a rename,
so a half-written file is never left behind. The API secret is never stored here:
it goes to the OS keyring (engine.config.save_credentials) or stays in memory.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, QStandardPaths

from engine.account.client import key_opens_live
from engine.config import DEFAULT_FEED, FEEDS, parse_symbols
from engine.plan import PlanLimit, parse_plan

log = logging.getLogger(__name__)

FEED_DEFAULT = DEFAULT_FEED.value
ENCODING_DEFAULT = "json"
FLUSH_MS_DEFAULT = 50
FLUSH_MS_RANGE = (10, 1000)
SETTINGS_ENV = "TICKERDESK_SETTINGS"
# The Trading API (the user's account, read-only; docs/account-and-history.md).
TRADING_API_MODES = ("off", "paper", "live")
GATEWAY_PORT_DEFAULT = 8767  # the local gateway (docs/gateway.md); its secret is not here


def default_settings_path() -> Path:
    """$TICKERDESK_SETTINGS, else <config dir>/tickerdesk/tickerdesk.ini."""
    env = os.environ.get(SETTINGS_ENV)
    if env:
        return Path(env)
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericConfigLocation)
    return Path(base or Path.home() / ".config") / "tickerdesk" / "tickerdesk.ini"


def default_trading_api(key_id: str | None) -> str:
    """The Trading API endpoint when the user never chose one: the one the key opens
    (engine.account.client.key_opens_live)."""
    return "live" if key_opens_live(key_id) else "paper"


def _num(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _json_lists(value: object) -> list[tuple[str, list[str]]] | None:
    # Stored as one JSON string: QSettings ini mangles nested lists and empty lists.
    if not isinstance(value, str):
        return None
    try:
        data = json.loads(value)
    except ValueError:
        return None
    if not isinstance(data, list):
        return None
    lists = []
    for item in data:
        if isinstance(item, dict) and isinstance(item.get("symbols"), list):
            symbols = [str(s) for s in item["symbols"] if isinstance(s, str)]
            lists.append((str(item.get("name", "")), symbols))
    return lists or None


class AppSettings:
    """Watchlist, columns, sort, geometry, feed, encoding, flush rate (never secrets)."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_settings_path()
        self.last_error: str | None = None  # why settings are not being saved, for the UI
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # read-only home, ...: run on defaults, say so
            self._problem(f"cannot create {self.path.parent}: {exc.strerror or exc}")
        self._qs = QSettings(str(self.path), QSettings.Format.IniFormat)
        self._qs.allKeys()  # parse now (QSettings is lazy) so a corrupt file is reported here
        if self._qs.status() == QSettings.Status.FormatError:
            self._problem(f"settings file {self.path} is corrupt; using defaults for it")

    def _problem(self, text: str) -> None:
        if text != self.last_error:
            log.warning("%s", text)
        self.last_error = text

    def _write(self, key: str, value: object) -> None:
        self._qs.setValue(key, value)
        self._qs.sync()
        if self._qs.status() == QSettings.Status.AccessError:
            self._problem(f"settings not saved: cannot write {self.path}")

    def _str(self, key: str, default: str) -> str:
        value = self._qs.value(key, default)
        return value if isinstance(value, str) and value else default

    def _bytes(self, key: str) -> QByteArray | None:
        value = self._qs.value(key)
        if isinstance(value, QByteArray) and not value.isEmpty():
            return value
        return None

    def _list(self, key: str) -> list[str] | None:
        if not self._qs.contains(key):
            return None
        value = self._qs.value(key)
        # QSettings ini turns [] into an empty string and ["A"] into "A".
        if value is None or value == "":
            return []
        if isinstance(value, str):
            return [value]
        if isinstance(value, list):
            return [str(v) for v in value]
        return None

    # --- watchlist ---------------------------------------------------------------
    def watchlist(self) -> list[str] | None:
        """The saved watchlist in display order (invalid entries dropped, logged), or None."""
        saved = self._list("watchlist/symbols")
        if saved is None:
            return None
        parsed = parse_symbols(" ".join(saved))
        if parsed.invalid:  # hand-edited file: keep the good symbols, say which were not
            bad = ", ".join(text for text, _ in parsed.invalid[:5])
            self._problem(f"ignored invalid symbols in {self.path}: {bad}")
        return parsed.valid

    def set_watchlist(self, symbols: Sequence[str]) -> None:
        self._write("watchlist/symbols", list(symbols))

    def watchlists(self) -> tuple[list[tuple[str, list[str]]], int] | None:
        """([(name, symbols)], active index); the old single list reads as "Watchlist"."""
        lists = _json_lists(self._qs.value("watchlists/lists"))
        if lists is None:
            legacy = self.watchlist()
            return None if legacy is None else ([("Watchlist", legacy)], 0)
        checked: list[tuple[str, list[str]]] = []
        for name, symbols in lists:
            parsed = parse_symbols(" ".join(symbols))
            if parsed.invalid:  # hand-edited file: keep the good symbols, say which were not
                bad = ", ".join(text for text, _ in parsed.invalid[:5])
                self._problem(f"ignored invalid symbols in watchlist {name!r}: {bad}")
            checked.append((name.strip()[:60] or "Watchlist", parsed.valid))
        try:
            active = int(str(self._qs.value("watchlists/active", 0)))
        except ValueError:
            active = 0
        return checked, min(max(active, 0), len(checked) - 1)

    def all_watchlist_symbols(self) -> list[str] | None:
        """Every saved list's symbols, once, in tab then row order; None if never saved."""
        saved = self.watchlists()
        if saved is None:
            return None
        return list(dict.fromkeys(s for _name, symbols in saved[0] for s in symbols))

    def set_watchlists(self, lists: Sequence[tuple[str, Sequence[str]]], active: int) -> None:
        """All named lists and the active tab; the first list also goes to the old key."""
        data = [{"name": name, "symbols": list(symbols)} for name, symbols in lists]
        self._qs.setValue("watchlists/lists", json.dumps(data))
        self._qs.setValue("watchlists/active", int(active))
        self.set_watchlist(list(lists[0][1]) if lists else [])  # older versions read this

    def watchlist_sync(self) -> str | None:
        """Which tabs are synced with which Alpaca watchlist and their merge bases, as the
        JSON text engine.account.watchsync reads (it checks every field); None if never saved."""
        value = self._qs.value("watchlists/sync")
        return value if isinstance(value, str) and value else None

    def set_watchlist_sync(self, text: str) -> None:
        self._write("watchlists/sync", text)

    def positions(self) -> dict[str, tuple[float, float | None]]:
        """symbol -> (quantity, cost basis per share or None); {} if none or unreadable."""
        try:
            data = json.loads(str(self._qs.value("positions/book", "{}")))
        except ValueError:
            return {}
        book: dict[str, tuple[float, float | None]] = {}
        if isinstance(data, dict):
            for symbol, pair in data.items():
                if isinstance(pair, list) and len(pair) == 2 and _num(pair[0]) and pair[0]:
                    book[str(symbol)] = (float(pair[0]), float(pair[1]) if _num(pair[1]) else None)
        return book

    def set_positions(self, book: Mapping[str, tuple[float, float | None]]) -> None:
        self._write("positions/book", json.dumps({s: list(v) for s, v in sorted(book.items())}))

    # --- table layout ------------------------------------------------------------
    def header_state(self) -> QByteArray | None:
        """QHeaderView.saveState(): column order, widths and visibility."""
        return self._bytes("table/header_state")

    def set_header_state(self, state: QByteArray) -> None:
        self._write("table/header_state", state)

    def hidden_columns(self) -> list[str] | None:
        """Column keys the user hid (kept apart so it survives a header change)."""
        return self._list("table/hidden_columns")

    def set_hidden_columns(self, keys: Sequence[str]) -> None:
        self._write("table/hidden_columns", list(keys))

    def sort(self) -> tuple[int, bool] | None:
        """(column, descending) or None when unsorted."""
        column = self._qs.value("table/sort_column", -1)
        try:
            col = int(str(column))
        except ValueError:
            return None
        if col < 0:
            return None
        return col, str(self._qs.value("table/sort_descending", "false")).lower() == "true"

    def set_sort(self, column: int, descending: bool) -> None:
        self._qs.setValue("table/sort_column", column)
        self._write("table/sort_descending", descending)

    # Key-based layout (gui.table.header_layout): survives columns added between versions.
    def header_layout(self) -> str | None:
        """The column layout JSON (gui.table.header_layout), or None if never saved."""
        value = self._qs.value("table/layout")
        return value if isinstance(value, str) and value else None

    def set_header_layout(self, text: str) -> None:
        self._write("table/layout", text)

    def sort_key(self) -> tuple[str, bool] | None:
        """(column key, descending); ("", False) = saved as unsorted; None = never saved."""
        if not self._qs.contains("table/sort_key"):
            return None
        key = self._qs.value("table/sort_key")
        descending = str(self._qs.value("table/sort_descending", "false")).lower() == "true"
        return (key if isinstance(key, str) else ""), descending

    def set_sort_key(self, key: str, descending: bool) -> None:
        self._qs.setValue("table/sort_key", key)
        self._write("table/sort_descending", descending)

    # --- window -----------------------------------------------------------------
    def geometry(self) -> QByteArray | None:
        return self._bytes("window/geometry")

    def set_geometry(self, geometry: QByteArray) -> None:
        self._write("window/geometry", geometry)

    def window_state(self) -> QByteArray | None:
        return self._bytes("window/state")

    def set_window_state(self, state: QByteArray) -> None:
        self._write("window/state", state)

    # --- stream -------------------------------------------------------------------
    def feed(self) -> str:
        feed = self._str("stream/feed", FEED_DEFAULT)
        if feed not in FEEDS:
            self._problem(f"unknown feed {feed[:20]!r} in {self.path}; using {FEED_DEFAULT}")
            return FEED_DEFAULT
        return feed

    def set_feed(self, feed: str) -> None:
        self._write("stream/feed", feed)

    def plan(self) -> PlanLimit | None:
        """The market-data plan the user chose, or None if never chosen (then the caller
        picks by feed: engine.plan.default_plan)."""
        text = self._str("stream/plan", "")
        if not text:
            return None
        try:
            return parse_plan(text)
        except ValueError:
            self._problem(f"unknown plan {text[:20]!r} in {self.path}; using the default")
            return None

    def set_plan(self, plan: PlanLimit) -> None:
        self._write("stream/plan", plan.key())

    def encoding(self) -> str:
        encoding = self._str("stream/encoding", ENCODING_DEFAULT)
        if encoding not in ("json", "msgpack"):
            self._problem(f"unknown encoding {encoding[:20]!r} in {self.path}; using json")
            return ENCODING_DEFAULT
        return encoding

    def set_encoding(self, encoding: str) -> None:
        self._write("stream/encoding", encoding)

    def flush_ms(self) -> int:
        try:
            value = int(str(self._qs.value("stream/flush_ms", FLUSH_MS_DEFAULT)))
        except ValueError:
            self._problem(f"flush_ms in {self.path} is not a number; using {FLUSH_MS_DEFAULT}")
            return FLUSH_MS_DEFAULT
        low, high = FLUSH_MS_RANGE
        if not low <= value <= high:
            self._problem(f"flush_ms {value} in {self.path} is outside {low}-{high}; clamped")
        return min(high, max(low, value))

    def set_flush_ms(self, ms: int) -> None:
        self._write("stream/flush_ms", int(ms))

    def trading_api(self) -> str | None:
        """off, paper or live as chosen in Settings; None if never chosen (the caller
        follows the key: `default_trading_api`)."""
        text = self._str("account/trading_api", "")
        if not text:
            return None
        if text not in TRADING_API_MODES:
            self._problem(f"unknown Trading API {text[:20]!r} in {self.path}; following the key")
            return None
        return text

    def set_trading_api(self, mode: str | None) -> None:
        """Save the choice (None: forget it, follow the key again)."""
        if mode is not None and mode not in TRADING_API_MODES:
            raise ValueError(f"Trading API must be one of {TRADING_API_MODES}, got {mode!r}")
        self._write("account/trading_api", mode or "")

    def ca_file(self) -> str | None:
        """The "Trust CA file (test servers)" setting: CAs trusted besides the system's."""
        return self._str("stream/ca_file", "").strip() or None

    def set_ca_file(self, path: str | None) -> None:
        self._write("stream/ca_file", (path or "").strip())

    # --- sharing the connection (gui.settings.gateway_page) -------------------------
    def gateway(self) -> tuple[bool, int]:
        """(local gateway on, its port): off on GATEWAY_PORT_DEFAULT unless chosen."""
        on = str(self._qs.value("share/gateway_enabled", "false")).lower() == "true"
        text = str(self._qs.value("share/gateway_port", GATEWAY_PORT_DEFAULT))
        port = int(text) if text.isdigit() else 0
        if not 1 <= port <= 65535:
            self._problem(f"gateway port {text[:8]!r} in {self.path} is not a port; using 8767")
            port = GATEWAY_PORT_DEFAULT
        return on, port

    def set_gateway(self, enabled: bool, port: int) -> None:
        self._qs.setValue("share/gateway_port", int(port))
        self._write("share/gateway_enabled", bool(enabled))

    # --- appearance (gui.settings.theme, gui.settings.display) ------------------
    def theme(self) -> str:
        """The theme mode: system, light or dark (the caller validates)."""
        return self._str("view/theme", "system")

    def set_theme(self, mode: str) -> None:
        self._write("view/theme", mode)

    def colour_blind(self) -> bool:
        return str(self._qs.value("view/colour_blind", "false")).lower() == "true"

    def set_colour_blind(self, on: bool) -> None:
        self._write("view/colour_blind", bool(on))

    def row_density(self) -> str:
        """Row density: compact or comfortable (the caller validates)."""
        return self._str("view/row_density", "compact")

    def set_row_density(self, density: str) -> None:
        self._write("view/row_density", density)

    def zoom_steps(self) -> int:
        """Font zoom in steps from the default size (0 = default)."""
        try:
            return int(str(self._qs.value("view/zoom_steps", 0)))
        except ValueError:
            return 0

    def set_zoom_steps(self, steps: int) -> None:
        self._write("view/zoom_steps", int(steps))

    def chart_style(self) -> str:
        """The detail chart's style, e.g. "candles:5" (gui.detail.chart.parse_style validates)."""
        return self._str("view/chart_style", "")

    def set_chart_style(self, style: str) -> None:
        self._write("view/chart_style", style)

    def alerts_path(self) -> Path:
        """Alert rules and history (engine.alerts.book JSON) beside the ini: <name>.alerts.json."""
        return self.path.with_name(self.path.stem + ".alerts.json")

    def sync(self) -> None:
        """Flush anything pending to disk."""
        self._qs.sync()

    def status_ok(self) -> bool:
        return self._qs.status() == QSettings.Status.NoError
