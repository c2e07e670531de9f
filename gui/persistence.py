"""Persisted user settings: a typed wrapper over QSettings in ini format.

Every setter writes and `sync()`s at once, so a crash loses nothing (DESIGN
invariant 6); QSettings writes the ini file through a temporary file and a rename,
so a half-written file is never left behind. The API secret is never stored here:
it goes to the OS keyring (engine.config.save_credentials) or stays in memory.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, QStandardPaths

FEED_DEFAULT = "iex"
ENCODING_DEFAULT = "json"
FLUSH_MS_DEFAULT = 50
FLUSH_MS_RANGE = (10, 1000)
SETTINGS_ENV = "TICKERDESK_SETTINGS"


def default_settings_path() -> Path:
    """$TICKERDESK_SETTINGS, else <config dir>/tickerdesk/tickerdesk.ini."""
    env = os.environ.get(SETTINGS_ENV)
    if env:
        return Path(env)
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericConfigLocation)
    return Path(base or Path.home() / ".config") / "tickerdesk" / "tickerdesk.ini"


class AppSettings:
    """Watchlist, columns, sort, geometry, feed, encoding, flush rate (never secrets)."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_settings_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._qs = QSettings(str(self.path), QSettings.Format.IniFormat)

    def _write(self, key: str, value: object) -> None:
        self._qs.setValue(key, value)
        self._qs.sync()

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
        """The saved watchlist in display order, or None if never saved."""
        return self._list("watchlist/symbols")

    def set_watchlist(self, symbols: Sequence[str]) -> None:
        self._write("watchlist/symbols", list(symbols))

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
        return self._str("stream/feed", FEED_DEFAULT)

    def set_feed(self, feed: str) -> None:
        self._write("stream/feed", feed)

    def encoding(self) -> str:
        return self._str("stream/encoding", ENCODING_DEFAULT)

    def set_encoding(self, encoding: str) -> None:
        self._write("stream/encoding", encoding)

    def flush_ms(self) -> int:
        try:
            value = int(str(self._qs.value("stream/flush_ms", FLUSH_MS_DEFAULT)))
        except ValueError:
            return FLUSH_MS_DEFAULT
        low, high = FLUSH_MS_RANGE
        return min(high, max(low, value))

    def set_flush_ms(self, ms: int) -> None:
        self._write("stream/flush_ms", int(ms))

    def sync(self) -> None:
        """Flush anything pending to disk."""
        self._qs.sync()

    def status_ok(self) -> bool:
        return self._qs.status() == QSettings.Status.NoError
