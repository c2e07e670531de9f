"""Settings: the dialog, persistence (QSettings, atomic), theme and display comfort."""
