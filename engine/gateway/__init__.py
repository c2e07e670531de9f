"""Room for the local Alpaca-compatible gateway that shares one upstream connection.

Empty until the gateway issue lands; see docs/architecture.md for what belongs here."""
