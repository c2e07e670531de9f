"""Tickerdesk's Qt layer: the table model, the main window and the app's composition root."""
