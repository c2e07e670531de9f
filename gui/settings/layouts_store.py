"""Window layouts in the settings file: named layouts, the session's windows, per-tab columns.

Kept out of gui.settings.persistence (near its 400-line limit) but in the same ini file,
under the `layouts/` group, through a QSettings on the same path: QSettings objects of one
process share one parsed copy of a file, and every write here syncs at once like
AppSettings' own (docs/design.md, invariant 6). Each value is one JSON string (ini
mangles nested and empty lists); a bad value reads as absent, is logged and counted,
and never breaks the start.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from PySide6.QtCore import QSettings

from gui.settings.persistence import AppSettings

log = logging.getLogger(__name__)

MAX_LAYOUTS = 50  # named layouts kept at most (a menu, not a database)
MAX_NAME_LENGTH = 60
_NAMED = "layouts/named"
_SESSION = "layouts/session"
_TAB_COLUMNS = "layouts/position_columns"


class LayoutsStore:
    """Typed access to the layout keys; values are JSON-ready dicts."""

    def __init__(self, settings: AppSettings) -> None:
        self._settings = settings
        self._qs = QSettings(str(settings.path), QSettings.Format.IniFormat)
        self.bad_values = 0  # saved values that were not what they should be (counter)

    def _read(self, key: str) -> Any:
        value = self._qs.value(key)
        if not isinstance(value, str) or not value:
            return None
        try:
            return json.loads(value)
        except ValueError:
            self.bad_values += 1
            log.warning("settings %s: %s is not valid JSON; ignored", self._settings.path, key)
            return None

    def _write(self, key: str, data: object) -> None:
        self._qs.setValue(key, json.dumps(data, sort_keys=True))
        self._qs.sync()
        if self._qs.status() == QSettings.Status.AccessError:
            log.warning("layout not saved: cannot write %s", self._settings.path)

    # --- named layouts -------------------------------------------------------------

    def named(self) -> dict[str, dict[str, Any]]:
        data = self._read(_NAMED)
        if not isinstance(data, dict):
            return {}
        return {str(k): v for k, v in data.items() if isinstance(v, dict)}

    def names(self) -> list[str]:
        return sorted(self.named(), key=str.casefold)

    def get(self, name: str) -> dict[str, Any] | None:
        return self.named().get(name)

    @staticmethod
    def name_problem(name: str) -> str | None:
        text = name.strip()
        if not text:
            return "A layout needs a name"
        if len(text) > MAX_NAME_LENGTH:
            return f"Name too long ({len(text)} characters; at most {MAX_NAME_LENGTH})"
        return None

    def save(self, name: str, layout: dict[str, Any]) -> str | None:
        """Save (or replace) `name`; returns why not, or None when saved."""
        problem = self.name_problem(name)
        layouts = self.named()
        if problem is None and name.strip() not in layouts and len(layouts) >= MAX_LAYOUTS:
            problem = f"At most {MAX_LAYOUTS} layouts; delete one first"
        if problem is not None:
            return problem
        layouts[name.strip()] = layout
        self._write(_NAMED, layouts)
        return None

    def delete(self, name: str) -> bool:
        layouts = self.named()
        if layouts.pop(name, None) is None:
            return False
        self._write(_NAMED, layouts)
        return True

    # --- the session's layout (detached windows reopen at the next start) ------------

    def session(self) -> dict[str, Any] | None:
        data = self._read(_SESSION)
        return data if isinstance(data, dict) else None

    def set_session(self, layout: dict[str, Any]) -> None:
        self._write(_SESSION, layout)

    # --- position columns per tab (the user's choice where it differs from the default)

    def position_columns(self) -> dict[str, bool]:
        data = self._read(_TAB_COLUMNS)
        if not isinstance(data, dict):
            return {}
        return {str(k): v for k, v in data.items() if isinstance(v, bool)}

    def set_position_columns(self, choices: dict[str, bool]) -> None:
        self._write(_TAB_COLUMNS, choices)
