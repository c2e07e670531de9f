"""Credentials in a real Secret Service: gnome-keyring-daemon on a private D-Bus session
bus started by .ci/keyring-session (docs/reliability.md, "Keyring").

Only a bus named by TICKERDESK_TEST_KEYRING (set by that script) is written to, never the
developer's own keyring. Without one the tests skip with the reason, unless
TICKERDESK_REQUIRE_SECRET_SERVICE=1 (CI), where they fail instead.
"""

from __future__ import annotations

import gc
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from engine.config import (
    KEYRING_LOCKED_WORDS,
    KEYRING_SERVICE,
    NO_KEYRING_WORDS,
    Credentials,
    credentials_from_keyring,
    delete_credentials,
    keyring_problem,
    resolve_credentials,
    save_credentials,
)

REPO = Path(__file__).resolve().parents[2]
KEY_ID_ENTRY = "__key_id__"
KEY, SECRET = "PKKEYRINGTEST0001", "keyring-secret-7d1e"
NEW_KEY, NEW_SECRET = "PKKEYRINGTEST0002", "keyring-secret-rotated-44a0"


def _unavailable(reason: str) -> None:
    if os.environ.get("TICKERDESK_REQUIRE_SECRET_SERVICE") == "1":
        pytest.fail(f"a Secret Service is required here: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def secret_service() -> Iterator[None]:
    """The private test Secret Service as keyring's backend, or skip (fail in CI)."""
    address = os.environ.get("TICKERDESK_TEST_KEYRING")
    if not address or address != os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        _unavailable(
            "no private test Secret Service: run under .ci/keyring-session "
            "(these tests never write to your own keyring)"
        )
    import secretstorage
    from keyring.backends import SecretService

    with secretstorage.dbus_init() as conn:
        if not secretstorage.check_service_availability(conn):
            _unavailable("the test bus has no Secret Service (gnome-keyring-daemon)")
    previous = keyring.get_keyring()
    keyring.set_keyring(SecretService.Keyring())  # type: ignore[no-untyped-call]
    try:
        yield
    finally:
        keyring.set_keyring(previous)


def stored() -> dict[str, str]:
    """What the Secret Service holds for Tickerdesk, read over D-Bus (not via keyring)."""
    import secretstorage

    with secretstorage.dbus_init() as conn:
        items = secretstorage.search_items(conn, {"service": KEYRING_SERVICE})
        return {item.get_attributes()["username"]: item.get_secret().decode() for item in items}


def _collection_lock(lock: bool) -> None:
    """Lock the default collection over D-Bus, or unlock it with the test password
    (gnome-keyring's own unlock call: no prompt is possible without a display)."""
    import secretstorage
    from jeepney import DBusAddress, new_method_call  # type: ignore[import-untyped]
    from jeepney.io.blocking import open_dbus_connection  # type: ignore[import-untyped]

    with secretstorage.dbus_init() as conn:
        collection = secretstorage.get_default_collection(conn)
        if lock:
            collection.lock()
            assert collection.is_locked()
            return
        path = collection.collection_path
    password = os.environ["TICKERDESK_TEST_KEYRING_PASSWORD"].encode()
    service = "org.freedesktop.secrets"
    with open_dbus_connection(bus="SESSION") as bus:
        secrets = DBusAddress("/org/freedesktop/secrets", service, "org.freedesktop.Secret.Service")
        reply = bus.send_and_get_reply(
            new_method_call(secrets, "OpenSession", "sv", ("plain", ("s", "")))
        )
        session = reply.body[1]
        internal = DBusAddress(
            "/org/freedesktop/secrets",
            service,
            "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface",
        )
        if path.startswith("/org/freedesktop/secrets/aliases/"):
            path = "/org/freedesktop/secrets/collection/login"
        bus.send_and_get_reply(
            new_method_call(
                internal,
                "UnlockWithMasterPassword",
                "o(oayays)",
                (path, (session, b"", password, "text/plain")),
            )
        )
    with secretstorage.dbus_init() as conn:
        assert not secretstorage.get_default_collection(conn).is_locked()


@pytest.fixture
def clean(secret_service: None) -> Iterator[None]:
    delete_credentials()
    assert stored() == {}
    yield
    delete_credentials()


def _python(code: str, env: dict[str, str] | None = None) -> str:
    run_env = dict(os.environ if env is None else env)
    for name in ("APCA_API_KEY_ID", "APCA_API_SECRET_KEY", "ALPACA_API_KEY", "ALPACA_API_SECRET"):
        run_env.pop(name, None)
    run_env["PYTHONPATH"] = str(REPO)
    done = subprocess.run(
        [sys.executable, "-c", code], env=run_env, capture_output=True, text=True, timeout=60,
        check=True, cwd=REPO,
    )  # fmt: skip
    return done.stdout.strip()


def test_store_puts_the_pair_in_the_secret_service(clean: None) -> None:
    assert keyring_problem() is None
    assert save_credentials(Credentials(KEY, SECRET))
    assert stored() == {KEY_ID_ENTRY: KEY, KEY: SECRET}
    assert credentials_from_keyring() == Credentials(KEY, SECRET)
    if shutil.which("secret-tool"):  # libsecret's own client agrees
        found = subprocess.run(
            ["secret-tool", "lookup", "service", KEYRING_SERVICE, "username", KEY],
            capture_output=True, text=True, timeout=10, check=True,
        )  # fmt: skip
        assert found.stdout == SECRET


def test_read_after_restart_in_a_new_process(clean: None) -> None:
    assert save_credentials(Credentials(KEY, SECRET))
    out = _python(
        "from engine.config import resolve_credentials\n"
        "creds, origin = resolve_credentials({})\n"
        f"print(origin, creds.key_id, creds.secret == {SECRET!r}, repr(creds))\n"
    )
    assert out == f"keyring {KEY} True Credentials(key_id={KEY!r}, secret=<hidden>)"


def test_rotate_removes_the_old_entry(clean: None) -> None:
    assert save_credentials(Credentials(KEY, SECRET))
    assert save_credentials(Credentials(NEW_KEY, NEW_SECRET))
    assert stored() == {KEY_ID_ENTRY: NEW_KEY, NEW_KEY: NEW_SECRET}
    assert resolve_credentials({}) == (Credentials(NEW_KEY, NEW_SECRET), "keyring")


def test_delete_removes_the_secret_and_the_key_id(clean: None) -> None:
    assert save_credentials(Credentials(KEY, SECRET))
    assert delete_credentials()
    assert stored() == {}
    assert resolve_credentials({}) == (None, "none")
    assert delete_credentials()  # nothing left to delete is fine


# keyring's SecretService backend leaves its D-Bus connection open when it raises
# KeyringLocked (closed only on success); collected at the end of the test, not leaked.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_locked_keyring_is_said_in_words_and_the_secret_is_session_only(
    clean: None, caplog: pytest.LogCaptureFixture
) -> None:
    assert save_credentials(Credentials(KEY, SECRET))
    _collection_lock(True)
    try:
        caplog.set_level(logging.WARNING, logger="engine.config")
        assert keyring_problem() == KEYRING_LOCKED_WORDS
        assert "locked" in KEYRING_LOCKED_WORDS
        assert "this session only" in KEYRING_LOCKED_WORDS
        assert credentials_from_keyring() is None
        assert not save_credentials(Credentials(NEW_KEY, NEW_SECRET))
        words = [r.getMessage() for r in caplog.records]
        assert any("keyring is locked: saved credentials are not used" in w for w in words)
        assert any("keyring is locked: the secret is kept for this session only" in w
                   for w in words)  # fmt: skip
        assert all(SECRET not in w and NEW_SECRET not in w for w in words)
    finally:
        _collection_lock(False)
        gc.collect()  # the backend's unclosed connections, while the filters above apply
    # Nothing was written while locked: the stored pair is the one from before.
    assert stored() == {KEY_ID_ENTRY: KEY, KEY: SECRET}
    assert keyring_problem() is None


def test_no_backend_is_session_only_in_words(tmp_path: Path) -> None:
    """No Secret Service on the bus (none at all here): not stored, said in words."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "DBUS_SESSION_BUS_ADDRESS": f"unix:path={tmp_path / 'no-bus'}",
    }
    out = _python(
        "from engine.config import Credentials, keyring_available, keyring_problem, "
        "resolve_credentials, save_credentials\n"
        "print(keyring_available())\n"
        "print(save_credentials(Credentials('PKNOBACKEND', 'no-backend-secret')))\n"
        "print(resolve_credentials({}))\n"
        "print(keyring_problem())\n",
        env,
    )
    assert out.splitlines() == ["False", "False", "(None, 'none')", NO_KEYRING_WORDS]
    assert "this session only" in NO_KEYRING_WORDS
    assert "no-backend-secret" not in out
