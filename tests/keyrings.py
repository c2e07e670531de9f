"""An in-memory keyring backend for tests that store credentials without an OS keyring.

The real Secret Service is exercised by tests/engine/test_keyring_secret_service.py
(docs/reliability.md, "Keyring"); the `memory_keyring` fixture (tests/conftest.py)
installs this backend for one test.
"""

from __future__ import annotations

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class MemoryKeyring(KeyringBackend):
    """Entries in a dict, keyed by (service, username)."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise PasswordDeleteError(username)
