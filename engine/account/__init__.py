"""The user's Alpaca account, read-only (docs/account-and-history.md, "How Tickerdesk
reads the account").

Sans-I/O: `models` (the data), `fields` and `decode` (Trading API answers), `book`
(AccountBook, what the GUI reads), `tradeproto` (the trade_updates conversation),
`calcheck` (server calendar vs local rules). I/O: `client` (TradingRest), `stream`
(TradeUpdatesClient), `service` (AccountService: REST + stream + reconcile loop).
"""
