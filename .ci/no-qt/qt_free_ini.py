"""A pytest plugin for the Qt-free run: knows pytest-qt's ini keys without loading pytest-qt.

pyproject.toml sets `qt_api` and `qt_log_level_fail` for the GUI tests; with pytest-qt
disabled (`-p no:pytest-qt`) and `--strict-config` they would be unknown and fail the run.
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("qt_api", "pytest-qt's Qt binding (unused here: Qt is blocked)")
    parser.addini("qt_log_level_fail", "pytest-qt's log level (unused here: Qt is blocked)")
