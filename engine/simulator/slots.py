"""Connection slots: one stream connection per (key pair, endpoint), as Alpaca's plans allow.

A dead connection keeps its slot for a while at Alpaca (about 90 s, docs/protocol.md
"Errors"): `hold` adds such a phantom holder, so a fast reconnect meets 406 as it would there.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator

__all__ = ["Slots"]


@dataclasses.dataclass(frozen=True, slots=True)
class _Phantom:
    key: str | None  # None = every key
    path: str | None  # None = every endpoint
    until: float  # time.monotonic() deadline


class Slots:
    """Connection slots: one per (key, endpoint), as Alpaca's plans allow."""

    def __init__(self) -> None:
        self._held: dict[tuple[str, str], int] = {}
        self._phantoms: list[_Phantom] = []

    def busy(self, key: str, path: str) -> bool:
        now = time.monotonic()
        self._phantoms = [p for p in self._phantoms if p.until > now]
        if (key, path) in self._held:
            return True
        return any(p.key in (None, key) and p.path in (None, path) for p in self._phantoms)

    def acquire(self, key: str, path: str, session_id: int) -> None:
        self._held[(key, path)] = session_id

    def release(self, key: str, path: str, session_id: int) -> None:
        if self._held.get((key, path)) == session_id:
            del self._held[(key, path)]

    def hold(self, seconds: float, key: str | None = None, path: str | None = None) -> None:
        """A phantom holder (a dead connection the server has not reaped yet)."""
        self._phantoms.append(_Phantom(key, path, time.monotonic() + seconds))

    def holders(self) -> Iterator[tuple[str, str]]:
        return iter(self._held)
