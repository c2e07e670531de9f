"""The detail pane for the selected symbol: chart, time and sales, quote and day figures."""
