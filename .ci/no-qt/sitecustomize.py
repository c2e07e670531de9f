"""Make Qt unimportable, to prove the engine and its tests need none (docs/architecture.md).

.ci/run puts this folder first on PYTHONPATH for one pytest run over tests/engine: Python
imports `sitecustomize` at start-up, and from then on importing PySide6, shiboken6, qasync
or pytest-qt fails exactly as it would on a machine without them.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType

BLOCKED = frozenset({"PySide6", "shiboken6", "qasync", "pytestqt"})


class _NoQt(MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {fullname!r} (blocked: Qt-free run)")
        return None


sys.meta_path.insert(0, _NoQt())
