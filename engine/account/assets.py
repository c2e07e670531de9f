"""The tradable US stocks, sans-I/O: the asset list, ranking search, validation, cache file.

Alpaca's `GET /v2/assets?status=active&asset_class=us_equity` lists about 10,000-12,000
US equities with their company names (docs/account-and-history.md, "GET /v2/assets":
fetch rarely and cache). `AssetList` keeps the ones a user can watch and trade (active,
tradable, class `us_equity`), at most `MAX_ASSETS`, and answers two questions without
a network round trip:

- `search(query)`: what the add-symbols field suggests while typing, ranked: the exact
  symbol, then symbols starting with the query (shorter first), then names with a word
  starting with it ("app": "Apple Inc.", "AppLovin Corporation"), then any substring;
  case-insensitive, at most `MAX_RESULTS`. Every tier is a bisect over a presorted index
  or one `str.find` scan, so a keystroke costs microseconds, never a frame
  (tests/benchmarks/bench_search.py).
- `refusals(symbols)`: the symbols that are not on the list, each in words.

The cache file's format (`encode_cache` / `decode_cache`) and the daily refresh rule
(`refresh_due`, `seconds_until_refresh`) live here too, pure; the I/O is
`engine.account.assets_cache`.
"""

from __future__ import annotations

import bisect
import heapq
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

import msgspec

from engine.account.models import Asset

__all__ = [
    "CACHE_VERSION",
    "MAX_ASSETS",
    "MAX_RESULTS",
    "REFRESH_S",
    "AssetList",
    "CachedAssets",
    "decode_cache",
    "encode_cache",
    "is_listable",
    "refresh_due",
    "seconds_until_refresh",
]

MAX_ASSETS = 20_000  # Alpaca lists ~12,000 active US equities; room to grow, still bounded
MAX_RESULTS = 20  # suggestions shown at most
MAX_QUERY = 40  # characters of a query searched (longer input matches nothing anyway)
REFRESH_S = 86_400.0  # the list changes with listings and delistings: once a day is enough
FUTURE_SLACK_S = 300.0  # a cache stamped later than now (clock moved back): refresh
CACHE_VERSION = 1
_WORD = re.compile(r"[a-z0-9]+")
_TOP = "\U0010ffff"  # sorts after every character: the end of a prefix range


def is_listable(asset: Asset) -> bool:
    """Active, tradable and a US equity: what the add-symbols field accepts."""
    return asset.status == "active" and asset.tradable and asset.asset_class == "us_equity"


def _why_not(asset: Asset) -> str:
    if asset.asset_class != "us_equity":
        return f"not a US stock ({asset.asset_class or 'unknown class'})"
    if asset.status != "active":
        return f"{asset.status or 'not active'} on Alpaca"
    return "not tradable on Alpaca"


class AssetList:
    """The listable assets, indexed for search; immutable once built (build it off the
    event loop: ~12,000 assets take tens of milliseconds)."""

    def __init__(self, assets: Iterable[Asset], *, limit: int = MAX_ASSETS) -> None:
        chosen: dict[str, Asset] = {}
        self.excluded = 0  # inactive, not tradable or not a US equity
        self.duplicates = 0
        self._not_listable: dict[str, str] = {}  # symbol -> why, bounded like the list
        for asset in assets:
            symbol = asset.symbol.strip().upper()
            if not symbol:
                self.excluded += 1
                continue
            if not is_listable(asset):
                self.excluded += 1
                if len(self._not_listable) < limit:
                    self._not_listable[symbol] = _why_not(asset)
                continue
            if symbol in chosen:
                self.duplicates += 1
                continue
            chosen[symbol] = asset if asset.symbol == symbol else _renamed(asset, symbol)
        # Rank order: shorter symbols first, then alphabetical. It is the order of the
        # symbol-prefix tier and of the substring tier, and the cap keeps the same ones.
        ordered = sorted(chosen.values(), key=lambda a: (len(a.symbol), a.symbol))
        self.dropped = max(0, len(ordered) - limit)
        self._assets: tuple[Asset, ...] = tuple(ordered[:limit])
        for asset in ordered[limit:]:
            self._not_listable.pop(asset.symbol, None)
        self._rank = {a.symbol: i for i, a in enumerate(self._assets)}
        self._build_symbol_index()
        self._build_word_index()
        self._build_haystack()

    # --- building ------------------------------------------------------------------------

    def _build_symbol_index(self) -> None:
        pairs = sorted((a.symbol.lower(), i) for i, a in enumerate(self._assets))
        self._symbols = [s for s, _ in pairs]
        self._symbol_ranks = [i for _, i in pairs]

    def _build_word_index(self) -> None:
        # One entry per word of each name. Its key orders the name-word tier: a match on
        # the name's first word before a later one, a shorter word (closer to the query)
        # first, then a shorter name, then the symbol's rank.
        entries: list[tuple[int, int, int, int, str]] = []
        for i, asset in enumerate(self._assets):
            lowered = asset.name.lower()
            for position, word in enumerate(_WORD.findall(lowered)):
                entries.append((min(position, 9), len(word), len(lowered), i, word))
        entries.sort()
        self._word_owner = [entry[3] for entry in entries]  # key -> asset rank
        by_word = sorted((entry[4], key) for key, entry in enumerate(entries))
        self._words = [w for w, _ in by_word]
        self._word_keys = [k for _, k in by_word]

    def _build_haystack(self) -> None:
        # One line per asset in rank order: "aapl apple inc.\n"; a query has no newline,
        # so a match never spans two assets.
        lines = [f"{a.symbol.lower()} {a.name.lower()}\n" for a in self._assets]
        self._line_starts: list[int] = []
        offset = 0
        for line in lines:
            self._line_starts.append(offset)
            offset += len(line)
        self._haystack = "".join(lines)

    # --- reading -------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._assets)

    def __contains__(self, symbol: object) -> bool:
        return isinstance(symbol, str) and symbol.upper() in self._rank

    def get(self, symbol: str) -> Asset | None:
        rank = self._rank.get(symbol.upper())
        return None if rank is None else self._assets[rank]

    @property
    def assets(self) -> tuple[Asset, ...]:
        """Every listed asset, shorter symbols first."""
        return self._assets

    def refusal(self, symbol: str) -> str | None:
        """Why `symbol` cannot be added, in words; None if it is on the list."""
        upper = symbol.upper()
        if upper in self._rank:
            return None
        why = self._not_listable.get(upper)
        if why is not None:
            return f"{upper}: {why}"
        return f"{upper}: not a tradable US stock on Alpaca"

    def refusals(self, symbols: Iterable[str]) -> list[str]:
        return [words for s in symbols if (words := self.refusal(s)) is not None]

    def notes(self) -> list[str]:
        """What was left out, in words (for the log)."""
        out = []
        if self.dropped:
            out.append(f"{self.dropped:,} assets over the limit of {len(self._assets):,} left out")
        if self.duplicates:
            out.append(f"{self.duplicates:,} duplicate symbols ignored")
        return out

    # --- search --------------------------------------------------------------------------

    def search(self, query: str, limit: int = MAX_RESULTS) -> list[Asset]:
        """The best `limit` assets for `query`, best first (see the module docstring)."""
        q = " ".join(query.split()).lower()[:MAX_QUERY]
        if not q or limit <= 0:
            return []
        picked: list[int] = []
        seen: set[int] = set()

        def take(ranks: Iterable[int]) -> bool:
            for rank in ranks:
                if rank not in seen:
                    seen.add(rank)
                    picked.append(rank)
                    if len(picked) >= limit:
                        return True
            return False

        symbol_q = q.replace("/", ".")  # brk/b is BRK.B (engine.config.normalise_symbol)
        exact = self._rank.get(symbol_q.upper())
        if (
            (exact is not None and take((exact,)))
            or take(self._symbol_prefix(symbol_q, limit + 1))
            or (" " not in q and take(self._word_prefix(q, limit - len(picked), seen)))
        ):
            return [self._assets[r] for r in picked]
        take(self._substring(q, limit - len(picked), seen))
        return [self._assets[r] for r in picked]

    def _symbol_prefix(self, q: str, count: int) -> list[int]:
        lo = bisect.bisect_left(self._symbols, q)
        hi = bisect.bisect_left(self._symbols, q + _TOP, lo)
        return _smallest(self._symbol_ranks, lo, hi, count)

    def _word_prefix(self, q: str, need: int, seen: Collection[int]) -> list[int]:
        lo = bisect.bisect_left(self._words, q)
        hi = bisect.bisect_left(self._words, q + _TOP, lo)
        # One asset can own several matching words, and some are already picked: ask
        # for more keys until enough distinct new assets are found (or the range ends).
        count = need + len(seen) + 4
        while True:
            keys = _smallest(self._word_keys, lo, hi, count)
            owners = list(dict.fromkeys(self._word_owner[k] for k in keys))
            if len(keys) >= hi - lo or sum(o not in seen for o in owners) >= need:
                return owners
            count *= 2

    def _substring(self, q: str, need: int, seen: Collection[int]) -> list[int]:
        out: list[int] = []
        hay, starts = self._haystack, self._line_starts
        at = hay.find(q)
        while at >= 0 and len(out) < need:
            rank = bisect.bisect_right(starts, at) - 1
            if rank not in seen:
                out.append(rank)
            if rank + 1 >= len(starts):
                break
            at = hay.find(q, starts[rank + 1])
        return out


def _smallest(values: Sequence[int], lo: int, hi: int, count: int) -> list[int]:
    if hi - lo <= count:
        return sorted(values[lo:hi])
    return heapq.nsmallest(count, values[lo:hi])


def _renamed(asset: Asset, symbol: str) -> Asset:
    return Asset(symbol, asset.name, asset.exchange, asset.tradable, asset.status,
                 asset.asset_class)  # fmt: skip


# --- the daily refresh rule --------------------------------------------------------------


def refresh_due(fetched_at: float | None, now: float, max_age_s: float = REFRESH_S) -> bool:
    """A list never fetched, a day old, or stamped in the future (the clock moved back)."""
    if fetched_at is None:
        return True
    return now - fetched_at >= max_age_s or fetched_at - now > FUTURE_SLACK_S


def seconds_until_refresh(
    fetched_at: float | None, now: float, max_age_s: float = REFRESH_S
) -> float:
    if refresh_due(fetched_at, now, max_age_s):
        return 0.0
    assert fetched_at is not None
    return max(0.0, fetched_at + max_age_s - now)


# --- the cache file ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CachedAssets:
    """The listable assets as fetched at `fetched_at` (wall-clock seconds) from `source`
    (the Trading API's host: another server's list is not this one's)."""

    source: str
    fetched_at: float
    assets: tuple[Asset, ...]


def encode_cache(cached: CachedAssets) -> bytes:
    """Compact JSON: only listable assets are kept, so symbol, name, exchange suffice."""
    return msgspec.json.encode(
        {
            "version": CACHE_VERSION,
            "source": cached.source,
            "fetched_at": cached.fetched_at,
            "assets": [[a.symbol, a.name, a.exchange] for a in cached.assets if is_listable(a)],
        }
    )


def decode_cache(data: bytes, limit: int = MAX_ASSETS) -> tuple[CachedAssets | None, list[str]]:
    """The cache file's content, or None and why; a bad row is skipped with a problem."""
    problems: list[str] = []
    try:
        obj = msgspec.json.decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        return None, [f"asset cache: not JSON ({exc})"]
    if not isinstance(obj, dict):
        return None, [f"asset cache: expected an object, got {type(obj).__name__}"]
    if obj.get("version") != CACHE_VERSION:
        return None, [f"asset cache: version {obj.get('version')!r}, expected {CACHE_VERSION}"]
    source, fetched_at, rows = obj.get("source"), obj.get("fetched_at"), obj.get("assets")
    if not isinstance(source, str) or not isinstance(rows, list):
        return None, ["asset cache: source or assets missing"]
    if isinstance(fetched_at, bool) or not isinstance(fetched_at, int | float):
        return None, ["asset cache: fetched_at missing"]
    assets: list[Asset] = []
    for index, row in enumerate(rows[:limit]):
        if (
            isinstance(row, list)
            and len(row) == 3
            and all(isinstance(part, str) for part in row)
            and row[0]
        ):
            assets.append(Asset(row[0], row[1], row[2], True, "active", "us_equity"))
        elif len(problems) < 20:
            problems.append(f"asset cache: row #{index} skipped ({str(row)[:60]})")
    if len(rows) > limit:
        problems.append(f"asset cache: {len(rows) - limit:,} rows over the limit ignored")
    return CachedAssets(source, float(fetched_at), tuple(assets)), problems
