"""Tickerdesk's Qt-free engine: Alpaca protocol, TTL store, stream client, simulator."""
