"""The sparkline series: last trade price per time bucket over a sliding window.

A symbol's sparkline costs the same at 1,000 prints a second as at one: each bucket
keeps only its last price. Corrections and cancels of the newest print are applied in
place so the line never shows a voided price. `seed` fills it from REST minute bars at
launch and after a gap (each bar's close at its minute's last second), never over a
bucket the stream already filled.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable

from engine.market.snapshot import SymbolSnapshot

__all__ = ["PriceSeries"]


class PriceSeries:
    """Last trade price per time bucket over a sliding window, in flat arrays.

    `array` rather than `deque`: 16 bytes a bucket instead of ~72 (a deque holds a boxed
    int and a boxed float per bucket), which is most of a symbol's history at scale
    (tests/benchmarks/bench_memory.py). Dropping the oldest bucket is a memmove of at
    most `window` doubles, once per new bucket at most.
    """

    __slots__ = ("bucket_ns", "buckets", "last_exchange", "last_trade_id", "prices", "window")

    def __init__(self, bucket_ns: int, window_buckets: int) -> None:
        self.bucket_ns = bucket_ns
        self.window = window_buckets
        self.buckets = array("q")
        self.prices = array("d")
        # The newest bucket's print, by trade id and exchange (ids are unique per venue).
        self.last_trade_id: int | None = None
        self.last_exchange = ""

    def add(
        self, timestamp_ns: int, price: float, trade_id: int | None, exchange: str = ""
    ) -> bool:
        """Record a print; False (ignored) when it is older than the newest bucket."""
        bucket = timestamp_ns // self.bucket_ns
        buckets = self.buckets
        if buckets and bucket <= buckets[-1]:
            if bucket < buckets[-1]:
                # Older than the newest bucket (a late print, or one older than the
                # history just loaded, which never holds a point in the future): the
                # line only moves forward in time.
                return False
            self.prices[-1] = price
        else:
            buckets.append(bucket)
            self.prices.append(price)
            oldest = bucket - self.window
            if buckets[0] < oldest:  # the window is time, not only count
                keep = bisect_left(buckets, oldest)
                del buckets[:keep]
                del self.prices[:keep]
        self.last_trade_id = trade_id
        self.last_exchange = exchange
        return True

    def seed(self, points: Iterable[tuple[int, float]]) -> bool:
        """Merge (time ns, price) points from history; True if the series changed.

        A bucket that already holds a price keeps it (the stream's print is newer
        information than a bar's close); points outside the window are dropped. Points
        newer than every bucket become the newest (the caller never passes a point in
        the future: engine.market.history_load).
        """
        step = self.bucket_ns
        merged = dict(zip(self.buckets, self.prices, strict=True))
        changed = False
        for timestamp_ns, price in points:
            bucket = timestamp_ns // step
            if bucket not in merged:
                merged[bucket] = price
                changed = True
        if not changed:
            return False
        top_before = self.buckets[-1] if self.buckets else None
        ordered = sorted(merged)
        oldest = ordered[-1] - self.window
        ordered = ordered[bisect_left(ordered, oldest) :]
        if ordered == self.buckets.tolist():
            return False  # every new point fell outside the window
        self.buckets[:] = array("q", ordered)
        self.prices[:] = array("d", [merged[b] for b in ordered])
        if ordered and ordered[-1] != top_before:
            # The newest price is a bar's close now: no print to correct or cancel there.
            self.last_trade_id = None
            self.last_exchange = ""
        return True

    def correct(
        self, original_id: int, corrected_id: int, price: float, exchange: str = ""
    ) -> bool:
        """Apply a correction if it names the newest bucket's print; True if it did."""
        if self.last_trade_id != original_id or self.last_exchange != exchange:
            return False
        if not self.buckets:
            return False
        self.prices[-1] = price
        self.last_trade_id = corrected_id
        return True

    def void(self, trade_id: int, snap: SymbolSnapshot, exchange: str = "") -> bool:
        """Drop a cancelled/errored print if it is the newest bucket's; True if it was.

        `snap` is the store's snapshot after the cancel, which has reverted to the print
        before the voided one (if it kept one): that print is this bucket's price if it
        fell in the same bucket, otherwise the bucket held only the voided print and goes.
        """
        if self.last_trade_id != trade_id or self.last_exchange != exchange:
            return False
        if not self.buckets:
            return False
        last_ns = snap.last_trade_ns
        same = last_ns is not None and last_ns // self.bucket_ns == self.buckets[-1]
        if same and not snap.last_cancelled and snap.last_price is not None:
            self.prices[-1] = snap.last_price
        else:
            self.pop()
        self.last_trade_id = None if snap.last_cancelled else snap.last_trade_id
        self.last_exchange = snap.last_exchange or ""
        return True

    def pop(self) -> None:
        """Drop the newest bucket (its only print was cancelled)."""
        self.buckets.pop()
        self.prices.pop()

    def __len__(self) -> int:
        return len(self.buckets)

    def points(self) -> tuple[list[int], list[float]]:
        """(bucket start times in ns, last price in each bucket), oldest first."""
        step = self.bucket_ns
        return [b * step for b in self.buckets], self.prices.tolist()
