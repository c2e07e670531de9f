"""The detail chart's visible window on the session-minute axis: pan, zoom, follow (Qt-free).

Until the user pans or zooms, the window is "auto": today's data from its first minute to
the newest, with a little room on the right, as the chart always showed. Zooming fixes the
span; panning fixes the right edge, unless it is dragged back to the live edge, where the
window follows new data again. Home (or a double click) returns to auto.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Bounds", "ChartView"]

MIN_CANDLES = 6  # zoomed in fully, still a few candles across
PAN_FRACTION = 0.1  # one arrow key press
ZOOM_STEP = 1.25  # one wheel notch or +/- press


@dataclass(frozen=True, slots=True)
class Bounds:
    """Where data is, in axis minutes: `first` of all sessions, today's `auto_left`, and
    the `live` right edge (newest data plus room)."""

    first: float
    auto_left: float
    live: float


class ChartView:
    """Pan / zoom state; `window(bounds)` -> (left, right) in axis minutes."""

    def __init__(self) -> None:
        self.span: float | None = None  # None: auto (today's data)
        self.right: float | None = None  # None: follow the live edge

    @property
    def auto(self) -> bool:
        return self.span is None and self.right is None

    def reset(self) -> None:
        self.span = self.right = None

    def window(self, b: Bounds) -> tuple[float, float]:
        if self.auto:
            return b.auto_left, b.live
        span = self.span if self.span is not None else b.live - b.auto_left
        right = self.right if self.right is not None else b.live
        return right - span, right

    def zoom(self, factor: float, anchor: float, b: Bounds, minutes: int) -> None:
        """Zoom in (`factor` > 1) or out around `anchor` (0..1 across the window)."""
        left, right = self.window(b)
        span = right - left
        most = max(b.live - b.first, MIN_CANDLES * minutes) * 1.05
        new_span = min(most, max(MIN_CANDLES * minutes, span / factor))
        at = left + anchor * span
        new_left = at - anchor * new_span
        following = self.right is None and anchor > 0.9  # zooming at the live edge
        self.span = new_span
        self._set_right(b.live if following else new_left + new_span, b)

    def pan(self, minutes: float, b: Bounds) -> None:
        """Move the window by `minutes` (negative: back in time)."""
        left, right = self.window(b)
        self.span = right - left
        self._set_right(right + minutes, b)

    def pan_steps(self, steps: int, b: Bounds) -> None:
        left, right = self.window(b)
        self.pan(steps * PAN_FRACTION * (right - left), b)

    def _set_right(self, right: float, b: Bounds) -> None:
        span = self.span or 0.0
        low = b.first + span * 0.9  # at most a tenth of the window empty on the left
        right = max(low, right)
        if span >= b.live - b.first:  # the whole history fits: show all of it
            right = b.live
        self.right = None if right >= b.live - 1e-6 else right  # back at live: follow
