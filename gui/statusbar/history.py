"""History backfill progress: "history 120 of 500 symbols" while the bars load.

Reads the progress of `engine.net.backfill.Backfill` through a getter the composition
root passes (None: no REST, so no history). Shown while loading, and afterwards only
when some symbols failed ("history: 3 symbols failed, retrying"); the tooltip says what
is loaded and from where (docs/account-and-history.md, "Historical bars").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from PySide6.QtWidgets import QWidget

from gui.statusbar.style import Level, StatusLabel


class Progress(Protocol):
    """What the indicator reads (engine.net.backfill.BackfillProgress)."""

    @property
    def done(self) -> int: ...
    @property
    def total(self) -> int: ...
    @property
    def failed(self) -> int: ...
    @property
    def calls(self) -> int: ...
    @property
    def active(self) -> bool: ...
    def text(self) -> str: ...


ProgressSource = Callable[[], Progress | None]

TOOLTIP = (
    "Minute bars of the session so far, a year of daily bars and the previous sessions'\n"
    "15-minute bars, loaded over Alpaca's REST API within the plan's request budget.\n"
    "Charts, sparklines, Rel volume and the 52-week columns fill in as symbols load."
)


class HistoryIndicator(StatusLabel):
    """Backfill progress in words; invisible when nothing is loading and nothing failed."""

    def __init__(self, source: ProgressSource | None = None, parent: QWidget | None = None) -> None:
        super().__init__("historyIndicator", parent=parent)
        self._source = source
        self._shown: tuple[int, int, int, int, bool] | None = None
        self.setVisible(False)  # shown by refresh() once placed

    def set_source(self, source: ProgressSource | None) -> None:
        self._source = source
        self._shown = None
        self.refresh()

    def _read(self) -> Progress | None:
        return self._source() if self._source is not None else None

    def needs_refresh(self) -> bool:
        progress = self._read()
        return self._key(progress) != self._shown

    @staticmethod
    def _key(progress: Progress | None) -> tuple[int, int, int, int, bool] | None:
        if progress is None:
            return None
        return (progress.done, progress.total, progress.failed, progress.calls, progress.active)

    def refresh(self) -> None:
        progress = self._read()
        key = self._key(progress)
        if key == self._shown:
            return
        self._shown = key
        if progress is None or (not progress.active and progress.failed == 0):
            self.setVisible(False)
            return
        level = Level.WARN if progress.failed else Level.INFO
        self.show_level(level, progress.text())
        self.setToolTip(f"{TOOLTIP}\nREST calls for history so far: {progress.calls}")
        self.setVisible(True)
