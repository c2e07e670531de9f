"""Named watchlists as tabs: the union the stream follows, the add bar, the tab widget."""
