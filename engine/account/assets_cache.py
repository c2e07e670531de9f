"""SymbolDirectory: the tradable-asset list, cached on disk and refreshed once a day.

The list (engine.account.assets) comes from the Trading API's `GET /v2/assets`
(docs/account-and-history.md: ~12,000 assets, fetch rarely and cache). At start the
cache file is read; the list is fetched again at once if the file is missing, unusable,
from another server, or a day old, and then every day. A failed refresh keeps the list
it had and says so once (`note`, logged) until a refresh works again.

All file work and index building run in a worker thread (engine.core.threads, which
pauses the cyclic GC meanwhile: docs/qt.md): a 1 MB
file and ~12,000 assets indexed must not stall the event loop (docs/design.md).
The wait between checks is short (`CHECK_S`) and measured on the wall clock, so a laptop
that slept through the night still refreshes when it wakes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from engine.account.assets import (
    MAX_ASSETS,
    REFRESH_S,
    AssetList,
    CachedAssets,
    decode_cache,
    encode_cache,
    refresh_due,
    seconds_until_refresh,
)
from engine.account.models import Asset
from engine.core.files import write_bytes_atomic
from engine.core.tasks import TaskSet
from engine.core.threads import run_in_thread

__all__ = ["CHECK_S", "RETRY_S", "AssetSource", "SymbolDirectory", "source_of"]

log = logging.getLogger(__name__)

CHECK_S = 900.0  # how often the wall clock is looked at while waiting for the next refresh
RETRY_S = 1_800.0  # after a failed refresh: the old list serves meanwhile
MAX_CACHE_BYTES = 16 * 1024 * 1024  # 20,000 assets are ~1.5 MB; a bigger file is not ours


class AssetSource(Protocol):
    """What the directory needs of `engine.account.client.TradingRest`."""

    @property
    def base_url(self) -> str: ...

    async def assets(self) -> list[Asset]: ...


def source_of(base_url: str) -> str:
    """The server a list belongs to: the host (a demo simulator's port changes each run,
    its universe does not)."""
    return (urlsplit(base_url).hostname or base_url).lower()


def _build(assets: list[Asset] | tuple[Asset, ...], limit: int) -> AssetList:
    return AssetList(assets, limit=limit)


def _read_cache(path: Path, limit: int) -> tuple[CachedAssets | None, AssetList | None, str]:
    """(cache, its list, why not) from the file; runs in a worker thread."""
    try:
        size = path.stat().st_size
        if size > MAX_CACHE_BYTES:
            return None, None, f"{size:,} bytes, more than an asset list can be"
        data = path.read_bytes()
    except FileNotFoundError:
        return None, None, "no cache file yet"
    except OSError as exc:
        return None, None, f"unreadable ({exc})"
    cached, problems = decode_cache(data, limit)
    if cached is None:
        return None, None, "; ".join(problems)
    for problem in problems[:3]:
        log.warning("asset cache %s: %s", path, problem)
    return cached, _build(cached.assets, limit), ""


def _write_cache(path: Path, cached: CachedAssets) -> None:
    write_bytes_atomic(path, encode_cache(cached))


class SymbolDirectory:
    """The asset list the add-symbols field searches and validates against.

    `assets` is None until a list is loaded (no account, not loaded yet): callers then
    fall back to the REST snapshot check. Listeners (`add_listener`) are called on the
    event loop after the list or the note changed.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        max_age_s: float = REFRESH_S,
        retry_s: float = RETRY_S,
        check_s: float = CHECK_S,
        limit: int = MAX_ASSETS,
    ) -> None:
        self._clock = clock  # wall clock: the cache's age survives restarts
        self._sleep = sleep
        self.max_age_s = max_age_s
        self.retry_s = retry_s
        self.check_s = check_s
        self.limit = limit
        self.assets: AssetList | None = None
        self.fetched_at: float | None = None
        self.source: str | None = None
        self.refreshes = 0  # lists fetched and published
        self.failures = 0  # refreshes that failed, every one
        self.cache_problems = 0  # cache files unusable or unwritable
        self.last_error: str | None = None
        self.note: str | None = None  # said once per run of failures, then None
        self.version = 0  # +1 whenever assets or note change
        self._listeners: list[Callable[[], None]] = []
        self._tasks = TaskSet()
        self._rest: AssetSource | None = None
        self._path: Path | None = None
        self._failing = False

    def add_listener(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def take_note(self) -> str | None:
        """The pending note (a failed refresh), once: later calls return None."""
        note, self.note = self.note, None
        return note

    def describe(self) -> str:
        """One line for a tooltip: how many, from when."""
        if self.assets is None:
            return "Symbol list not loaded: symbols are checked over REST"
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.fetched_at or 0))
        return f"{len(self.assets):,} tradable US stocks on Alpaca (list of {when})"

    # --- lifecycle -----------------------------------------------------------------------

    def start(self, rest: AssetSource | None, cache_path: Path | None) -> None:
        """Load the cache and keep the list fresh over `rest` (None: no account, so no
        list: the snapshot check stays in charge). `cache_path` None keeps it in memory
        (the demo's simulator answers at once)."""
        self._rest = rest
        self._path = cache_path
        if rest is None:
            return
        self._tasks.spawn(self._run(rest, cache_path), name="tickerdesk-assets")

    async def stop(self) -> None:
        """Stop refreshing and forget the list (the next account may be another server)."""
        await self._tasks.cancel_all()
        self._rest = None
        if self.assets is not None or self.note is not None:
            self.assets, self.fetched_at, self.source, self.note = None, None, None, None
            self._changed()

    async def _run(self, rest: AssetSource, path: Path | None) -> None:
        source = source_of(rest.base_url)
        if path is not None:
            await self._load(path, source)
        while True:
            if refresh_due(self.fetched_at, self._clock(), self.max_age_s) and not (
                await self.refresh(rest, path)
            ):
                await self._sleep(self.retry_s)  # the old list (if any) serves meanwhile
                continue
            wait = seconds_until_refresh(self.fetched_at, self._clock(), self.max_age_s)
            await self._sleep(max(1.0, min(wait, self.check_s)))

    async def _load(self, path: Path, source: str) -> None:
        cached, assets, why = await run_in_thread(_read_cache, path, self.limit)
        if cached is None or assets is None:
            if why != "no cache file yet":
                self.cache_problems += 1
                log.warning("asset cache %s not used: %s", path, why)
            return
        if cached.source != source:
            log.info("asset cache %s is %s's list, not %s's: fetching", path, cached.source,
                     source)  # fmt: skip
            return
        if len(assets) == 0:
            return
        self._publish(assets, cached.fetched_at, source)
        log.info("symbol list: %s from the cache", f"{len(assets):,}")

    async def refresh(self, rest: AssetSource, path: Path | None) -> bool:
        """Fetch the list now; True if a new one is in use (and saved, if it could be)."""
        source = source_of(rest.base_url)
        try:
            fetched = await rest.assets()
            assets = await run_in_thread(_build, fetched, self.limit)
            if len(assets) == 0:
                raise ValueError(f"the server listed no tradable US stocks ({len(fetched)} assets)")
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # RestError in words, a network error, an empty list
            self._failed(f"{exc}" or type(exc).__name__)
            return False
        now = self._clock()
        for note in assets.notes():
            log.warning("symbol list: %s", note)
        self._failing = False
        self.refreshes += 1
        self.last_error = None
        self._publish(assets, now, source)
        log.info("symbol list: %s tradable US stocks fetched", f"{len(assets):,}")
        if path is not None:
            try:
                await run_in_thread(_write_cache, path, CachedAssets(source, now, assets.assets))
            except OSError as exc:
                self.cache_problems += 1
                log.warning("asset cache %s not written: %s", path, exc)
        return True

    def _failed(self, why: str) -> None:
        self.failures += 1
        self.last_error = why
        if self._failing:  # said already: once per run of failures
            return
        self._failing = True
        if self.assets is None:
            self.note = f"Symbol list not loaded ({why}): symbols are checked over REST"
        else:
            when = time.strftime("%Y-%m-%d", time.localtime(self.fetched_at or 0))
            self.note = f"Symbol list not refreshed ({why}): still using the list of {when}"
        log.warning("%s", self.note)
        self._changed()

    def _publish(self, assets: AssetList, fetched_at: float, source: str) -> None:
        self.assets, self.fetched_at, self.source = assets, fetched_at, source
        self._changed()

    def _changed(self) -> None:
        self.version += 1
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:  # a broken listener must not stop the refreshes
                log.exception("symbol list listener failed")
