"""The reliability tests drive the real app: they use the GUI's Qt fixtures."""

from tests.gui.conftest import make_window, qloop_fixture, window_symbols

__all__ = ["make_window", "qloop_fixture", "window_symbols"]
