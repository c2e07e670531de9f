"""The market's state, sans-I/O: snapshot model, merge rules, TTL store, history series, calendar.

Nothing here imports asyncio, websockets or httpx (import-linter contract); every
function is data in, data out, with time injected."""
