"""The simulator's symbol universe: well-known names with plausible prices, and the rule
for names outside it.

Rule: a symbol exists if it is in the configured universe; a valid-looking symbol
(`^[A-Z]{1,5}([.][A-Z]{1,2})?$`) subscribed on the stream, or asked for over REST
(snapshots, bars), joins the universe (base price from a hash of its name): the
simulator makes a market for any well-formed ticker, so the demo accepts COIN or PLTR
like AAPL. The one exception is the unlisted block: tickers starting with
`UNLISTED_PREFIX` ("ZZZ") are never listed over REST, so a client's unknown-symbol path
stays testable (docs/simulator.md, "Any well-formed ticker"). Anything else is absent
from REST snapshots and silent on the stream.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
from typing import NamedTuple


class Listing(NamedTuple):
    base: float  # typical price, the random walk's anchor
    tape: str  # A = NYSE, B = Arca/other, C = Nasdaq
    adv: int  # typical daily volume, shares


KNOWN: dict[str, Listing] = {
    # Nasdaq-listed (tape C)
    "AAPL": Listing(230.0, "C", 55_000_000),
    "MSFT": Listing(420.0, "C", 21_000_000),
    "NVDA": Listing(130.0, "C", 250_000_000),
    "AMZN": Listing(190.0, "C", 40_000_000),
    "GOOGL": Listing(170.0, "C", 25_000_000),
    "GOOG": Listing(172.0, "C", 18_000_000),
    "META": Listing(560.0, "C", 12_000_000),
    "TSLA": Listing(250.0, "C", 90_000_000),
    "AVGO": Listing(170.0, "C", 25_000_000),
    "AMD": Listing(150.0, "C", 45_000_000),
    "NFLX": Listing(700.0, "C", 3_000_000),
    "INTC": Listing(22.0, "C", 60_000_000),
    "CSCO": Listing(55.0, "C", 18_000_000),
    "ADBE": Listing(500.0, "C", 3_000_000),
    "PEP": Listing(165.0, "C", 6_000_000),
    "COST": Listing(880.0, "C", 2_000_000),
    "QCOM": Listing(165.0, "C", 8_000_000),
    "PYPL": Listing(75.0, "C", 14_000_000),
    "SBUX": Listing(95.0, "C", 9_000_000),
    "QQQ": Listing(480.0, "C", 35_000_000),
    # NYSE-listed (tape A)
    "JPM": Listing(220.0, "A", 9_000_000),
    "V": Listing(290.0, "A", 6_000_000),
    "MA": Listing(500.0, "A", 3_000_000),
    "WMT": Listing(80.0, "A", 15_000_000),
    "XOM": Listing(115.0, "A", 16_000_000),
    "CVX": Listing(150.0, "A", 8_000_000),
    "KO": Listing(68.0, "A", 13_000_000),
    "DIS": Listing(95.0, "A", 9_000_000),
    "BA": Listing(160.0, "A", 8_000_000),
    "BAC": Listing(42.0, "A", 35_000_000),
    "JNJ": Listing(160.0, "A", 7_000_000),
    "PG": Listing(170.0, "A", 7_000_000),
    "UNH": Listing(580.0, "A", 3_500_000),
    "HD": Listing(400.0, "A", 3_500_000),
    "BRK.B": Listing(460.0, "A", 3_500_000),
    "NKE": Listing(80.0, "A", 11_000_000),
    "T": Listing(22.0, "A", 33_000_000),
    "F": Listing(11.0, "A", 50_000_000),
    "GE": Listing(180.0, "A", 5_000_000),
    "PFE": Listing(29.0, "A", 35_000_000),
    "ORCL": Listing(170.0, "A", 8_000_000),
    "CRM": Listing(290.0, "A", 6_000_000),
    "IBM": Listing(220.0, "A", 4_000_000),
    # NYSE Arca ETFs (tape B)
    "SPY": Listing(570.0, "B", 45_000_000),
    "IWM": Listing(220.0, "B", 28_000_000),
    "DIA": Listing(420.0, "B", 3_000_000),
    "GLD": Listing(245.0, "B", 7_000_000),
    "XLF": Listing(47.0, "B", 40_000_000),
    "TLT": Listing(95.0, "B", 30_000_000),
    "VOO": Listing(525.0, "B", 5_000_000),
}

DEFAULT_SYMBOLS: tuple[str, ...] = tuple(KNOWN)

# Alpaca's always-on test stream symbol (docs/protocol.md, "Endpoints").
TEST_SYMBOL = "FAKEPACA"

_VALID = re.compile(r"^[A-Z]{1,5}([.][A-Z]{1,2})?$")


def is_valid_symbol(symbol: str) -> bool:
    """True for names that look like US equity tickers (`AAPL`, `BRK.B`)."""
    return _VALID.fullmatch(symbol) is not None


# No exchange lists these (ZZZZ, ZZZZQ): the simulator's stand-in for a ticker that does
# not exist, refused over REST like Alpaca refuses an unknown symbol.
UNLISTED_PREFIX = "ZZZ"


def is_listable(symbol: str) -> bool:
    """True for a well-formed ticker outside the unlisted block: the simulator makes a
    market for it when a client asks (docs/simulator.md, "Any well-formed ticker")."""
    return is_valid_symbol(symbol) and not symbol.startswith(UNLISTED_PREFIX)


def listing(symbol: str) -> Listing:
    """Known listing, or a deterministic one from a hash of the name (same on every run)."""
    known = KNOWN.get(symbol)
    if known is not None:
        return known
    if symbol == TEST_SYMBOL:
        return Listing(100.0, "C", 1_000_000)
    digest = hashlib.blake2b(symbol.encode(), digest_size=8).digest()
    h = int.from_bytes(digest, "big")
    # log-uniform $5..$500, so most invented names look like mid-caps
    base = round(math.exp(math.log(5.0) + (h % 10_000) / 10_000 * math.log(100.0)), 2)
    tape = "ABC"[(h >> 16) % 3]
    adv = 200_000 + (h >> 24) % 20_000_000
    return Listing(base, tape, adv)


def synthetic_symbols(count: int) -> tuple[str, ...]:
    """`count` distinct valid tickers, the known names first, then AAAA, AAAB, ... (stable)."""
    names = list(KNOWN)[:count]
    known = set(names)
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for a, b, c, d in itertools.product(letters, repeat=4):
        if len(names) >= count:
            break
        name = a + b + c + d
        if name not in known:
            names.append(name)
    return tuple(names)
