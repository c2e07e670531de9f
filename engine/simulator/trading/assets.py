"""`/v2/assets`: the simulator's universe as Alpaca asset objects, with company names.

The common tickers carry their real names (AAPL "Apple Inc."); a synthetic symbol gets a
made-up but stable name from a hash of its ticker (docs/simulator.md, "Trading API and
trade_updates"). Every asset is `active`, `tradable`, class `us_equity`.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import parse_qs, unquote

from engine.simulator.market import Market
from engine.simulator.trading.fmt import NOT_FOUND, Reply, stable_id
from engine.simulator.universe import TEST_SYMBOL, listing

NAMES: dict[str, str] = {
    "AAPL": "Apple Inc.", "MSFT": "Microsoft Corporation", "NVDA": "NVIDIA Corporation",
    "AMZN": "Amazon.com, Inc.", "GOOGL": "Alphabet Inc. Class A Common Stock",
    "GOOG": "Alphabet Inc. Class C Capital Stock",
    "META": "Meta Platforms, Inc. Class A Common Stock", "TSLA": "Tesla, Inc.",
    "AVGO": "Broadcom Inc.", "AMD": "Advanced Micro Devices, Inc.", "NFLX": "Netflix, Inc.",
    "INTC": "Intel Corporation", "CSCO": "Cisco Systems, Inc.", "ADBE": "Adobe Inc.",
    "PEP": "PepsiCo, Inc.", "COST": "Costco Wholesale Corporation",
    "QCOM": "QUALCOMM Incorporated", "PYPL": "PayPal Holdings, Inc.",
    "SBUX": "Starbucks Corporation", "QQQ": "Invesco QQQ Trust, Series 1",
    "JPM": "JPMorgan Chase & Co.", "V": "Visa Inc.", "MA": "Mastercard Incorporated",
    "WMT": "Walmart Inc.", "XOM": "Exxon Mobil Corporation", "CVX": "Chevron Corporation",
    "KO": "The Coca-Cola Company", "DIS": "The Walt Disney Company",
    "BA": "The Boeing Company", "BAC": "Bank of America Corporation",
    "JNJ": "Johnson & Johnson", "PG": "The Procter & Gamble Company",
    "UNH": "UnitedHealth Group Incorporated", "HD": "The Home Depot, Inc.",
    "BRK.B": "Berkshire Hathaway Inc. Class B", "NKE": "NIKE, Inc.", "T": "AT&T Inc.",
    "F": "Ford Motor Company", "GE": "GE Aerospace", "PFE": "Pfizer Inc.",
    "ORCL": "Oracle Corporation", "CRM": "Salesforce, Inc.",
    "IBM": "International Business Machines Corporation",
    "SPY": "SPDR S&P 500 ETF Trust", "IWM": "iShares Russell 2000 ETF",
    "DIA": "SPDR Dow Jones Industrial Average ETF Trust", "GLD": "SPDR Gold Shares",
    "XLF": "Financial Select Sector SPDR Fund", "TLT": "iShares 20+ Year Treasury Bond ETF",
    "VOO": "Vanguard S&P 500 ETF",
}  # fmt: skip

_FIRST = ("North", "Blue", "Summit", "Silver", "Granite", "Harbor", "Pioneer", "Cedar",
          "Atlas", "Vertex", "Meridian", "Beacon", "Crescent", "Liberty", "Orion")  # fmt: skip
_SECOND = ("Dynamics", "Holdings", "Technologies", "Industries", "Systems", "Energy",
           "Therapeutics", "Logistics", "Networks", "Brands", "Materials", "Capital")  # fmt: skip
_SUFFIX = ("Inc.", "Corp.", "Co.", "Group, Inc.", "Ltd.", "PLC")
EXCHANGES = {"A": "NYSE", "B": "ARCA", "C": "NASDAQ"}


def company_name(symbol: str) -> str:
    known = NAMES.get(symbol)
    if known is not None:
        return known
    h = int.from_bytes(hashlib.blake2b(symbol.encode(), digest_size=8).digest(), "big")
    first, second = _FIRST[h % len(_FIRST)], _SECOND[(h >> 8) % len(_SECOND)]
    return f"{first} {second} {_SUFFIX[(h >> 16) % len(_SUFFIX)]}"


def asset_id(symbol: str) -> str:
    return stable_id("asset", symbol)


def exchange(symbol: str) -> str:
    return EXCHANGES.get(listing(symbol).tape, "NASDAQ")


def asset_json(symbol: str) -> dict[str, Any]:
    return {
        "id": asset_id(symbol), "class": "us_equity", "exchange": exchange(symbol),
        "symbol": symbol, "name": company_name(symbol), "status": "active",
        "tradable": True, "marginable": True, "maintenance_margin_requirement": 30,
        "shortable": True, "easy_to_borrow": True, "fractionable": True, "attributes": [],
    }  # fmt: skip


class AssetBook:
    """Asset objects of the market's universe, cached per symbol (bounded by the universe)."""

    def __init__(self, market: Market) -> None:
        self._market = market
        self._cache: dict[str, dict[str, Any]] = {}

    def exists(self, symbol: str) -> bool:
        return symbol != TEST_SYMBOL and symbol in self._market

    def get(self, symbol: str) -> dict[str, Any] | None:
        if not self.exists(symbol):
            return None
        cached = self._cache.get(symbol)
        if cached is None:
            cached = self._cache[symbol] = asset_json(symbol)
        return cached

    def find(self, ref: str) -> dict[str, Any] | None:
        """By symbol or by asset id (`GET /v2/assets/{symbol_or_asset_id}`)."""
        found = self.get(ref.upper())
        if found is None and len(ref) == 36:
            found = next((a for s in self._market.symbols() if (a := self.get(s)) and
                          a["id"] == ref), None)  # fmt: skip
        return found

    def handle(self, rest: str, query: str) -> Reply:
        """`GET /v2/assets[?status=&asset_class=&exchange=]` or `/v2/assets/{ref}`."""
        if rest:
            asset = self.find(unquote(rest))
            if asset is None:
                return 404, {"code": 40410000, "message": "asset not found"}, []
            return 200, asset, []
        params = {k: v[-1] for k, v in parse_qs(query).items()}
        if params.get("status", "active") not in ("active", ""):
            return 200, [], []  # nothing in the simulator is inactive
        if params.get("asset_class", "us_equity") not in ("us_equity", ""):
            return 200, [], []
        wanted = params.get("exchange")
        out = [a for s in self._market.symbols() if (a := self.get(s)) is not None]
        if wanted:
            out = [a for a in out if a["exchange"] == wanted]
        return 200, out, []


__all__ = ["NOT_FOUND", "AssetBook", "asset_json", "company_name"]
