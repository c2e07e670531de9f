"""The user's Alpaca account in the window, read-only (issue 14; docs/account-and-history.md).

`figures` (Qt-free: position P&L from the store's prices, order rows, words), the
positions dock (`positions_model`, `positions_panel`), the orders dock (`orders_model`,
`orders_panel`), fill notifications (`notify`) and `controller.AccountPanels`, which
builds them over the engine's AccountBook and refreshes them on one coalescing timer.
Tickerdesk never places, changes or cancels orders.
"""
