"""Benchmark: symbol search per keystroke over 12,000 assets (engine/account/assets.py).

Run: .venv/bin/python tests/benchmarks/bench_search.py [--assets 12000] [--runs 200]
A deterministic universe the size of Alpaca's active US equities (real names for the
simulator's well-known tickers, made-up multi-word names for the rest). Prints the time to
build the index, then per keystroke of typing queries letter by letter ("a", "ap", "app",
...): the median, 99th percentile and worst in microseconds of `AssetList.search`, and of
the whole field's reaction (search, popup model reset and QCompleter.complete, offscreen
Qt). A frame is 16,667 us at 60 Hz.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import string
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from benchstats import percentile

from engine.account.assets import AssetList
from engine.account.models import Asset
from engine.simulator.trading.assets import NAMES

WORDS = ("Apple", "Applied", "Apex", "Atlas", "American", "Advanced", "Alpha", "Blue", "Bio",
         "Bank", "Capital", "Cedar", "Cloud", "Digital", "Dynamics", "Energy", "Financial",
         "First", "Global", "Granite", "Harbor", "Health", "Holdings", "Industries",
         "International", "Micro", "Materials", "Medical", "Meridian", "National", "Networks",
         "North", "Oil", "Pacific", "Pharma", "Pioneer", "Power", "Realty", "Resources",
         "Semiconductor", "Silver", "Software", "Summit", "Systems", "Technologies",
         "Therapeutics", "Trust", "United", "Vertex", "Water", "Wireless")  # fmt: skip
SUFFIXES = ("Inc.", "Corp.", "Corporation", "Holdings, Inc.", "Ltd.", "PLC",
            "Class A Common Stock", "Common Stock", "ETF", "Trust")  # fmt: skip
QUERIES = ("apple", "micro", "brk.b", "goog", "zzzz", "inc", "qqq", "semico", "therap",
           "msft", "x", "spy")  # fmt: skip


def universe(count: int) -> list[Asset]:
    rng = random.Random(7)
    out = [Asset(s, n, "NASDAQ", True, "active", "us_equity") for s, n in NAMES.items()]
    seen = {a.symbol for a in out}
    while len(out) < count:
        symbol = "".join(rng.choices(string.ascii_uppercase, k=rng.choice((1, 2, 3, 4, 4, 5))))
        if symbol in seen:
            continue
        seen.add(symbol)
        words = " ".join(rng.sample(WORDS, rng.choice((1, 2, 2, 3))))
        out.append(Asset(symbol, f"{words} {rng.choice(SUFFIXES)}", "NYSE", True, "active",
                         "us_equity"))  # fmt: skip
    return out


def keystrokes() -> list[str]:
    return [q[:i] for q in QUERIES for i in range(1, len(q) + 1)]


def bench_engine(assets: AssetList, runs: int) -> list[float]:
    samples: list[float] = []
    for _ in range(runs):
        for typed in keystrokes():
            start = time.perf_counter()
            assets.search(typed)
            samples.append((time.perf_counter() - start) * 1e6)
    return samples


def bench_field(assets: AssetList, runs: int) -> list[float]:
    from PySide6.QtCore import qInstallMessageHandler
    from PySide6.QtWidgets import QApplication

    from gui.watchlists.search import SymbolField

    # The offscreen platform cannot raise the popup or grab the keyboard and says so
    # on every show: keep the report readable.
    qInstallMessageHandler(lambda *_: None)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    field = SymbolField()
    field.search = assets.search
    field.show()
    app.processEvents()
    samples: list[float] = []
    for _ in range(max(1, runs // 10)):
        for typed in keystrokes():
            field.setText(typed)
            start = time.perf_counter()
            field.refresh_popup()
            samples.append((time.perf_counter() - start) * 1e6)
            app.processEvents()
    field.hide_popup()
    field.close()
    return samples


def report(name: str, samples: list[float]) -> None:
    print(f"{name:<44} median {statistics.median(samples):8.1f} us   "
          f"p99 {percentile(samples, 0.99):8.1f} us   max {max(samples):8.1f} us   "
          f"({len(samples):,} keystrokes)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=12_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--no-gui", action="store_true", help="skip the Qt field")
    args = parser.parse_args()
    raw = universe(args.assets)
    start = time.perf_counter()
    assets = AssetList(raw)
    built_ms = (time.perf_counter() - start) * 1000
    print(f"assets: {len(assets):,}; index built in {built_ms:.1f} ms (off the event loop)")
    top = {q: [a.symbol for a in assets.search(q)][:3] for q in ("app", "micro", "brk.b")}
    print(f"first results: {top}")
    report("AssetList.search per keystroke", bench_engine(assets, args.runs))
    if not args.no_gui:
        report("field reaction (search + popup) per keystroke", bench_field(assets, args.runs))


if __name__ == "__main__":
    main()
