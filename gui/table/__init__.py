"""The watchlist table: model over the store, columns, sorting, delegates, view, flush pacing."""
