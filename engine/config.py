"""Settings and credential resolution: symbols, feeds, endpoints, secrets.

Credentials come from the environment (`APCA_API_KEY_ID`/`APCA_API_SECRET_KEY`, the
names Alpaca's own tools use, then the older `ALPACA_API_KEY`/`ALPACA_API_SECRET`),
then the OS keyring. The secret never appears in a repr, a log line or an exception.
"""

from __future__ import annotations

import contextlib
import enum
import ipaddress
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

LIVE_STREAM_URL = "wss://stream.data.alpaca.markets"
LIVE_REST_URL = "https://data.alpaca.markets"


class Feed(enum.StrEnum):
    """Alpaca's stock stream feeds (docs/protocol.md, "Endpoints"): the one list and default."""

    IEX = "iex"  # free: one exchange
    SIP = "sip"  # paid plan: all US exchanges
    DELAYED_SIP = "delayed_sip"  # SIP, 15 minutes behind
    TEST = "test"  # Alpaca's always-on test stream, symbol FAKEPACA


DEFAULT_FEED = Feed.IEX
FEEDS: tuple[str, ...] = tuple(feed.value for feed in Feed)
DEFAULT_SYMBOLS: tuple[str, ...] = (
    "AAPL",
    "MSFT",
    "NVDA",
    "AMZN",
    "GOOGL",
    "META",
    "TSLA",
    "SPY",
    "QQQ",
    "AMD",
)
KEYRING_SERVICE = "tickerdesk"
# The keyring stores the key id under this user name so a later run can find the pair.
_KEYRING_KEY_ID_ENTRY = "__key_id__"

# US equity symbols as Alpaca spells them: 1-5 letters (root), optional share class after
# a dot (BRK.B). Some vendors write the class with a slash (BRK/B): accepted, normalised.
SYMBOL_PATTERN = re.compile(r"^[A-Z]{1,5}(?:\.[A-Z]{1,2})?$")
_MAX_SYMBOL_TEXT = 12
_SEPARATORS = re.compile(r"[\s,;]+")


class InvalidSymbol(ValueError):
    """A string that cannot be a US equity symbol; `reason` says why in words."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(f"{text!r}: {reason}")
        self.text = text
        self.reason = reason


def normalise_symbol(text: str) -> str:
    """Upper-cased, validated symbol (`brk/b` -> `BRK.B`); raises InvalidSymbol."""
    shown = text if len(text) <= 20 else text[:17] + "..."
    stripped = text.strip()
    if not stripped:
        raise InvalidSymbol(shown, "empty symbol")
    if len(stripped) > _MAX_SYMBOL_TEXT:
        raise InvalidSymbol(shown, f"too long ({len(stripped)} characters; symbols have 1-5)")
    if not stripped.isascii():
        raise InvalidSymbol(shown, "only the letters A-Z are allowed in symbols")
    candidate = stripped.upper().replace("/", ".")
    if SYMBOL_PATTERN.fullmatch(candidate):
        return candidate
    if any(ch.isdigit() for ch in candidate):
        reason = "digits are not allowed in US equity symbols"
    elif candidate.count(".") > 1 or candidate.startswith(".") or candidate.endswith("."):
        reason = "a share class is one dot and a letter or two, as in BRK.B"
    elif not all(ch.isalpha() or ch == "." for ch in candidate):
        reason = "only the letters A-Z and a share-class dot are allowed"
    else:
        reason = "a symbol is 1-5 letters, optionally with a share class (BRK.B)"
    raise InvalidSymbol(shown, reason)


@dataclass(frozen=True, slots=True)
class SymbolParseResult:
    """Outcome of parsing user text: accepted symbols in order and refused pieces."""

    valid: list[str] = field(default_factory=list)
    invalid: list[tuple[str, str]] = field(default_factory=list)
    truncated: int = 0


def parse_symbols(text: str, limit: int = 500) -> SymbolParseResult:
    """Split comma/space/newline separated text into normalised symbols (deduplicated)."""
    valid: list[str] = []
    invalid: list[tuple[str, str]] = []
    seen: set[str] = set()
    truncated = 0
    for piece in _SEPARATORS.split(text):
        if not piece:
            continue
        try:
            symbol = normalise_symbol(piece)
        except InvalidSymbol as exc:
            invalid.append((exc.text, exc.reason))
            continue
        if symbol in seen:
            continue
        if len(valid) >= limit:
            truncated += 1
            continue
        seen.add(symbol)
        valid.append(symbol)
    return SymbolParseResult(valid=valid, invalid=invalid, truncated=truncated)


@dataclass(frozen=True, slots=True)
class Credentials:
    """An Alpaca API key pair. `repr` and `str` never show the secret."""

    key_id: str
    secret: str = field(repr=False)

    def __repr__(self) -> str:
        return f"Credentials(key_id={self.key_id!r}, secret=<hidden>)"

    __str__ = __repr__

    @property
    def masked_key_id(self) -> str:
        """Key id with all but the last four characters hidden, for the UI."""
        if len(self.key_id) <= 4:
            return "*" * len(self.key_id)
        return "*" * (len(self.key_id) - 4) + self.key_id[-4:]


_ENV_PAIRS: tuple[tuple[str, str], ...] = (
    ("APCA_API_KEY_ID", "APCA_API_SECRET_KEY"),
    ("ALPACA_API_KEY", "ALPACA_API_SECRET"),
)


def credentials_from_env(env: Mapping[str, str]) -> Credentials | None:
    """The first complete key pair found in `env`, or None."""
    for key_var, secret_var in _ENV_PAIRS:
        key_id = env.get(key_var, "").strip()
        secret = env.get(secret_var, "").strip()
        if key_id and secret:
            return Credentials(key_id, secret)
    return None


def keyring_available() -> bool:
    """True when an OS keyring backend that can store secrets is present."""
    try:
        import keyring
        from keyring.backends import fail
    except Exception:  # pragma: no cover - keyring is a dependency
        return False
    try:
        backend = keyring.get_keyring()
    except Exception:
        return False
    if isinstance(backend, fail.Keyring):
        return False
    priority = getattr(backend, "priority", 0)
    try:
        return float(priority) > 0
    except (TypeError, ValueError):
        return True


NO_KEYRING_WORDS = (
    "No OS keyring is available: the secret is kept for this session only and never "
    "written to disk."
)
KEYRING_LOCKED_WORDS = (
    "The OS keyring is locked: the secret is kept for this session only and never "
    "written to disk. Unlock the keyring (your login keyring) to store it."
)


def keyring_problem() -> str | None:
    """Why a secret would not be stored in the OS keyring now, in words; None if it would.

    A locked Secret Service collection is a backend that is present but refuses (the
    keyring library raises KeyringLocked once its unlock prompt fails or is dismissed):
    the secret is then session-only, like without a backend (docs/reliability.md,
    "Keyring")."""
    if not keyring_available():
        return NO_KEYRING_WORDS
    import keyring
    from keyring.errors import KeyringLocked

    try:
        keyring.get_password(KEYRING_SERVICE, _KEYRING_KEY_ID_ENTRY)
    except KeyringLocked:
        return KEYRING_LOCKED_WORDS
    except Exception as exc:
        return (
            f"The OS keyring cannot be read ({type(exc).__name__}): the secret is kept for "
            "this session only and never written to disk."
        )
    return None


def credentials_from_keyring() -> Credentials | None:
    """The key pair saved by `save_credentials`, or None (no backend, nothing saved)."""
    if not keyring_available():
        return None
    import keyring
    from keyring.errors import KeyringLocked

    try:
        key_id = keyring.get_password(KEYRING_SERVICE, _KEYRING_KEY_ID_ENTRY)
        if not key_id:
            return None
        secret = keyring.get_password(KEYRING_SERVICE, key_id)
    except KeyringLocked:
        log.warning("the OS keyring is locked: saved credentials are not used until it is unlocked")
        return None
    except Exception as exc:
        log.warning("could not read the OS keyring: %s", type(exc).__name__)
        return None
    if not secret:
        return None
    return Credentials(key_id, secret)


def save_credentials(creds: Credentials) -> bool:
    """Store the pair in the OS keyring; False when no backend can hold it.

    The secret is stored under its key id, so a new key id would leave the previous
    pair's secret behind: a rotated secret must not stay stored. The previous entry is
    removed once the new pair is saved.
    """
    if not keyring_available():
        return False
    import keyring
    from keyring.errors import KeyringLocked

    try:
        previous = keyring.get_password(KEYRING_SERVICE, _KEYRING_KEY_ID_ENTRY)
    except KeyringLocked:
        log.warning("the OS keyring is locked: the secret is kept for this session only")
        return False
    except Exception as exc:
        log.warning("could not read the OS keyring: %s", type(exc).__name__)
        previous = None
    try:
        keyring.set_password(KEYRING_SERVICE, creds.key_id, creds.secret)
        keyring.set_password(KEYRING_SERVICE, _KEYRING_KEY_ID_ENTRY, creds.key_id)
    except Exception as exc:
        # The exception text of some backends echoes arguments: log only its type.
        log.warning("could not write the OS keyring: %s", type(exc).__name__)
        return False
    if previous and previous not in (creds.key_id, _KEYRING_KEY_ID_ENTRY):
        from keyring.errors import PasswordDeleteError

        try:
            keyring.delete_password(KEYRING_SERVICE, previous)
        except PasswordDeleteError:
            pass  # already gone, which is the goal
        except Exception as exc:
            log.warning("could not remove the previous secret: %s", type(exc).__name__)
    return True


def delete_credentials() -> bool:
    """Remove the saved pair (the secret and the key id entry) from the OS keyring; True
    when nothing of it is left there (already absent included)."""
    if not keyring_available():
        return False
    import keyring
    from keyring.errors import PasswordDeleteError

    try:
        key_id = keyring.get_password(KEYRING_SERVICE, _KEYRING_KEY_ID_ENTRY)
        for entry in (key_id, _KEYRING_KEY_ID_ENTRY):
            if entry:
                with contextlib.suppress(PasswordDeleteError):  # already gone: the goal
                    keyring.delete_password(KEYRING_SERVICE, entry)
    except Exception as exc:
        log.warning("could not remove the credentials from the OS keyring: %s", type(exc).__name__)
        return False
    return True


def resolve_credentials(
    env: Mapping[str, str] | None = None, use_keyring: bool = True
) -> tuple[Credentials | None, str]:
    """(credentials, where they came from: "environment", "keyring" or "none")."""
    creds = credentials_from_env(os.environ if env is None else env)
    if creds is not None:
        return creds, "environment"
    if use_keyring:
        creds = credentials_from_keyring()
        if creds is not None:
            return creds, "keyring"
    return None, "none"


def is_loopback_host(host: str) -> bool:
    """True for localhost and any 127.0.0.0/8 or ::1 address."""
    if host.lower() in {"localhost", "localhost.localdomain"}:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url_security(url: str, insecure: bool) -> str | None:
    """Why `url` must not be used (plain ws/http to a remote host), or None if fine."""
    parts = urlsplit(url)
    if parts.scheme not in {"ws", "wss", "http", "https"}:
        return f"unsupported URL scheme {parts.scheme!r} in {url!r} (use wss:// or ws://)"
    if not parts.hostname:
        return f"no host in URL {url!r}"
    if parts.scheme in {"wss", "https"} or insecure or is_loopback_host(parts.hostname):
        return None
    return (
        f"refusing unencrypted {parts.scheme}:// to {parts.hostname}: only loopback "
        "addresses (the simulator) may be used without TLS; pass --insecure to override"
    )


def stream_url(base_url: str, feed: str) -> str:
    """Websocket URL of the stock stream for `feed` under `base_url` (ws[s]://host[:port])."""
    base = base_url.rstrip("/")
    if feed.startswith("v1beta1/"):
        return f"{base}/{feed}"
    return f"{base}/v2/{feed}"


# --- log redaction --------------------------------------------------------------------

_SECRET_HEADERS = ("secret", "authorization", "key")


class RedactFrames(logging.Filter):
    """websockets' DEBUG lines print frame payloads and HTTP headers, which carry the
    auth message and APCA-API-SECRET-KEY: log their size/name only, never the content."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg in ("> %s", "< %s") and len(record.args or ()) == 1:
            frame = record.args[0]  # type: ignore[index]
            data = getattr(frame, "data", None)
            if isinstance(data, bytes | bytearray | memoryview):
                opcode = getattr(getattr(frame, "opcode", None), "name", "frame")
                record.args = (f"{opcode} [{len(data)} bytes, content not logged]",)
        elif record.msg in ("> %s: %s", "< %s: %s") and len(record.args or ()) == 2:
            name, _ = record.args  # type: ignore[misc]
            if any(word in str(name).lower() for word in _SECRET_HEADERS):
                record.args = (name, "<redacted>")
        return True


def install_log_redaction() -> None:
    """Attach RedactFrames to websockets' client and server loggers (idempotent)."""
    for name in ("websockets.client", "websockets.server"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactFrames) for f in logger.filters):
            logger.addFilter(RedactFrames())
