"""The market's state, sans-I/O: snapshot model, merge rules, TTL store, history series, calendar.

Where things are: `snapshot` (SymbolSnapshot, Source, Freshness), `merge` (one pure rule
per event type: trade, quote, bars, status, LULD, correction, cancel, REST snapshot)
with `merge_day` (the day roll, daily and minute bars, late prints), `merge_halts`
(status, LULD, a halt ended by a print) and `outcome` (what a rule did), `trading_day`
(an exchange time's New York day, cached), `freshness` (TTL policies,
classification), `store` (MarketDataStore: watchlist, apply, observers, change sets,
sweep), `history` (PriceHistory observer) with its series `sparkline`, `tape` and
`minute_bars`, and `calendar` (NYSE sessions).

Nothing here imports asyncio, websockets or httpx (import-linter contract); every
function is data in, data out, with time injected."""
