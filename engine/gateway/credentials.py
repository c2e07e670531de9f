"""Local credentials of the gateway: the key pair other programs use to connect to it.

They are never the Alpaca key pair (docs/gateway.md, "Credentials"): a client of the
gateway gets a key that opens only this machine's gateway, so a notebook or a bot that
leaks it leaks nothing of the user's Alpaca account. They come from
`TICKERDESK_GATEWAY_KEY` / `TICKERDESK_GATEWAY_SECRET` when both are set; otherwise they
are generated once and kept in `~/.config/tickerdesk/gateway-credentials.json`
(`$XDG_CONFIG_HOME` honoured), a file only the user can read (mode 0600, folder 0700),
written atomically (engine.core.files). A file with a looser mode is tightened; an
unreadable or corrupt file, or one owned by another user, is replaced by new credentials
with a message in words. The secret never appears in a repr, a log line or an exception.
"""

from __future__ import annotations

import dataclasses
import hmac
import json
import logging
import os
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeGuard

from engine.config import Credentials
from engine.core.files import write_json_atomic

__all__ = [
    "ENV_KEY",
    "ENV_SECRET",
    "FILE_NAME",
    "KEY_PREFIX",
    "CredentialFileStats",
    "LocalCredentials",
    "default_path",
    "file_stats",
    "from_env",
    "generate",
    "load_or_create",
    "regenerate",
    "resolve",
    "store",
]

log = logging.getLogger(__name__)

ENV_KEY = "TICKERDESK_GATEWAY_KEY"
ENV_SECRET = "TICKERDESK_GATEWAY_SECRET"
FILE_NAME = "gateway-credentials.json"
KEY_PREFIX = "TDGW"  # says "a Tickerdesk gateway key" wherever it is pasted
FILE_MODE = 0o600
DIR_MODE = 0o700
_MAX_FIELD = 256  # a longer "key" is not a key; bounded memory for a hostile file
_MAX_FILE_BYTES = 4096


@dataclass(frozen=True, slots=True)
class LocalCredentials:
    """The gateway's own key pair. `repr` and `str` never show the secret."""

    key_id: str
    secret: str = field(repr=False)

    def __repr__(self) -> str:
        return f"LocalCredentials(key_id={self.key_id!r}, secret=<hidden>)"

    __str__ = __repr__

    def matches(self, key_id: str, secret: str) -> bool:
        """Both halves equal, compared in constant time (hmac.compare_digest)."""
        key_ok = hmac.compare_digest(key_id.encode(), self.key_id.encode())
        secret_ok = hmac.compare_digest(secret.encode(), self.secret.encode())
        return key_ok and secret_ok


@dataclasses.dataclass(slots=True)
class CredentialFileStats:
    """What happened to credential files in this process (for tests and diagnostics)."""

    created: int = 0
    tightened: int = 0  # files (or folders) whose mode let others read them
    replaced_bad: int = 0  # corrupt, unreadable or foreign files replaced by new credentials


file_stats = CredentialFileStats()


def generate() -> LocalCredentials:
    """New credentials: key "TDGW" + 16 upper-case hex digits, a 256-bit url-safe secret."""
    return LocalCredentials(KEY_PREFIX + secrets.token_hex(8).upper(), secrets.token_urlsafe(32))


def default_path() -> Path:
    """`$XDG_CONFIG_HOME/tickerdesk/gateway-credentials.json` (else under ~/.config)."""
    base = os.environ.get("XDG_CONFIG_HOME", "").strip()
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".config"
    return root / "tickerdesk" / FILE_NAME


def _valid_field(value: object) -> TypeGuard[str]:
    return (
        isinstance(value, str)
        and 0 < len(value) <= _MAX_FIELD
        and value.isprintable()
        and not any(ch.isspace() for ch in value)
    )


def _check_pair(key_id: str, secret: str, where: str) -> LocalCredentials:
    """A pair from the environment, validated; ValueError in words (never the secret)."""
    if not _valid_field(key_id):
        raise ValueError(
            f"{where}: the key must be 1-{_MAX_FIELD} printable characters without spaces"
        )
    if not _valid_field(secret):
        raise ValueError(
            f"{where}: the secret must be 1-{_MAX_FIELD} printable characters without spaces"
        )
    return LocalCredentials(key_id, secret)


def _make_private_dir(folder: Path) -> None:
    """Create missing folders as 0700. Only the app's own folder is tightened when it
    already exists: a path the user chose (say /tmp/x.json) must not chmod /tmp."""
    if not folder.exists():
        folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        return
    if os.name == "posix" and folder == default_path().parent:
        mode = stat.S_IMODE(folder.stat().st_mode)
        if mode & 0o077:
            os.chmod(folder, DIR_MODE)
            file_stats.tightened += 1
            log.warning("gateway credentials folder %s was open to others: now mode 0700", folder)


def store(creds: LocalCredentials, path: Path | None = None) -> Path:
    """Write `creds` to `path` (default_path()) atomically, mode 0600; returns the path."""
    target = path or default_path()
    _make_private_dir(target.parent)
    # mkstemp (engine.core.files) creates the temporary file 0600 whatever the umask,
    # and os.replace keeps that mode: the secret is never readable by others, not even
    # for a moment. The chmod below only states it for file systems that ignore it.
    write_json_atomic(target, {"key_id": creds.key_id, "secret": creds.secret})
    if os.name == "posix":
        os.chmod(target, FILE_MODE)
    return target


def regenerate(path: Path | None = None) -> LocalCredentials:
    """New credentials replacing the stored ones (Settings' "New credentials")."""
    creds = generate()
    store(creds, path)
    file_stats.created += 1
    return creds


def _read(target: Path) -> LocalCredentials | str:
    """The stored pair, or why the file cannot be used (in words, never its content)."""
    try:
        info = target.lstat()
    except OSError as exc:
        return f"cannot be read ({exc.strerror or type(exc).__name__})"
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISREG(info.st_mode):
        return "is not a regular file"
    if os.name == "posix" and info.st_uid != os.getuid():
        return "belongs to another user, who may know its secret"
    if info.st_size > _MAX_FILE_BYTES:
        return f"is too large ({info.st_size} bytes) to be a credentials file"
    if os.name == "posix" and stat.S_IMODE(info.st_mode) & 0o077:
        os.chmod(target, FILE_MODE)
        file_stats.tightened += 1
        log.warning(
            "gateway credentials file %s was readable by others (mode %o): now mode 0600",
            target,
            stat.S_IMODE(info.st_mode),
        )
    try:
        data = json.loads(target.read_bytes())
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return f"is not valid JSON ({type(exc).__name__})"
    if not isinstance(data, dict):
        return "does not hold a JSON object"
    key_id, secret = data.get("key_id"), data.get("secret")
    if not (_valid_field(key_id) and _valid_field(secret)):
        return "lacks a usable key_id and secret"
    return LocalCredentials(key_id, secret)


def load_or_create(path: Path | None = None) -> tuple[LocalCredentials, Path, bool]:
    """(credentials, their file, True if they were created now).

    A missing file is created; a corrupt, foreign or unreadable one is replaced, with a
    warning in words (the clients configured with the old pair must be given the new one).
    """
    target = path or default_path()
    if target.exists() or target.is_symlink():
        found = _read(target)
        if isinstance(found, LocalCredentials):
            return found, target, False
        file_stats.replaced_bad += 1
        log.warning(
            "gateway credentials file %s %s: new local credentials generated; "
            "give the new key and secret to the gateway's clients",
            target,
            found,
        )
        if target.is_symlink():  # never write through a link to somewhere else
            target.unlink()
    creds = generate()
    store(creds, target)
    file_stats.created += 1
    return creds, target, True


def from_env(env: Mapping[str, str]) -> LocalCredentials | None:
    """The pair from TICKERDESK_GATEWAY_KEY/_SECRET, None when neither is set.

    Only one of them set is a mistake, not a reason to fall back silently: ValueError."""
    key_id = env.get(ENV_KEY, "").strip()
    secret = env.get(ENV_SECRET, "").strip()
    if not key_id and not secret:
        return None
    if not key_id or not secret:
        missing = ENV_KEY if not key_id else ENV_SECRET
        present = ENV_SECRET if not key_id else ENV_KEY
        raise ValueError(f"{present} is set but {missing} is not: set both or neither")
    return _check_pair(key_id, secret, f"{ENV_KEY}/{ENV_SECRET}")


def _same_as_alpaca(local: LocalCredentials, alpaca: Credentials) -> bool:
    """Any half of the local pair equal to any half of the Alpaca pair (constant time)."""
    mine = (local.key_id.encode(), local.secret.encode())
    theirs = (alpaca.key_id.encode(), alpaca.secret.encode())
    return any(hmac.compare_digest(a, b) for a in mine for b in theirs)


def resolve(
    env: Mapping[str, str], path: Path | None = None, *, alpaca: Credentials | None
) -> tuple[LocalCredentials, str]:
    """(credentials, where they come from in words).

    "from TICKERDESK_GATEWAY_KEY", or "stored in /path (mode 0600)" with ", new" when
    just created. ValueError (in words, naming no secret) for a half-set environment pair
    or local credentials equal to the Alpaca key id or secret: handing the Alpaca secret
    to every local client is exactly what the gateway exists to avoid."""
    creds = from_env(env)
    if creds is not None:
        where = f"from {ENV_KEY}"
        fix = f"set {ENV_KEY}/{ENV_SECRET} to values of your own, not the Alpaca key pair"
    else:
        creds, target, created = load_or_create(path)
        where = f"stored in {target} (mode 0600{', new' if created else ''})"
        fix = f"delete {target} to have new local credentials generated"
    if alpaca is not None and _same_as_alpaca(creds, alpaca):
        raise ValueError(
            f"the gateway's local credentials ({where}) repeat the Alpaca key id or secret; {fix}"
        )
    return creds, where
