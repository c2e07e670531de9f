"""Settings: the dialog and its connection probe, persistence (QSettings), theme, display."""
