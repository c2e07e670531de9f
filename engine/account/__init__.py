"""Room for the user's Alpaca account (Trading API client, trade_updates stream, account store).

Empty until the account issue lands; see docs/architecture.md for what belongs here."""
