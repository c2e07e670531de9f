"""Where the bus is and how to log in: `BusOptions`, checked before any connection.

Secrets come from the environment (TICKERDESK_BUS_PASSWORD / TICKERDESK_BUS_TOKEN), never
from the command line or the URL, and never appear in a repr (docs/bus.md, "Auth and
TLS"). TLS always verifies the server (the system's CAs, or `--bus-ca`).
"""

from __future__ import annotations

import ipaddress
import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

__all__ = ["PASSWORD_ENV", "TOKEN_ENV", "BusOptions"]

PASSWORD_ENV = "TICKERDESK_BUS_PASSWORD"
TOKEN_ENV = "TICKERDESK_BUS_TOKEN"
_SCHEMES = ("nats", "tls")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class BusOptions:
    """Where the NATS server is and how to log in. Secrets come from the environment
    (`from_env`), never from the command line, and are left out of the repr."""

    url: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    name: str = "tickerdesk"
    insecure: bool = False
    connect_timeout: float = 2.0
    reconnect_wait: float = 1.0

    @classmethod
    def from_env(cls, url: str, env: Mapping[str, str] = os.environ, **kwargs: Any) -> BusOptions:
        return cls(
            url, password=env.get(PASSWORD_ENV) or None, token=env.get(TOKEN_ENV) or None, **kwargs
        )

    @property
    def tls(self) -> bool:
        return self.url.startswith("tls://") or self.ca_file is not None

    @property
    def display_url(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.hostname}:{parts.port or 4222}"

    def problem(self) -> str | None:
        """Why these options must not be used, in words; None if fine."""
        try:
            parts = urlsplit(self.url)
            parts.port  # noqa: B018 - raises for a bad port
        except ValueError as exc:
            return f"bad bus URL: {exc}"
        if parts.scheme not in _SCHEMES:
            return f"bus URL must start with nats:// or tls://, not {parts.scheme or 'nothing'}"
        if not parts.hostname:
            return "no host in the bus URL"
        if parts.username or parts.password:
            return (
                "no credentials in the bus URL: use --bus-user and the environment "
                f"variable {PASSWORD_ENV} (or {TOKEN_ENV})"
            )
        if self.token and (self.user or self.password):
            return f"give either {TOKEN_ENV} or a user and password, not both"
        if self.password and not self.user:
            return f"{PASSWORD_ENV} is set but no --bus-user is given"
        secret = self.password or self.token
        if secret and not self.tls and not self.insecure and not _is_loopback(parts.hostname):
            return (
                f"refusing to send the bus password unencrypted to {parts.hostname}: use "
                "tls:// or --bus-ca (or --insecure)"
            )
        for path in (self.ca_file, self.cert_file, self.key_file):
            if path is not None and not os.path.isfile(path):
                return f"no such file: {path}"
        if (self.cert_file is None) != (self.key_file is None):
            return "a client certificate needs both --bus-cert and --bus-key"
        return None

    def ssl_context(self) -> ssl.SSLContext | None:
        """A verifying TLS context (system CAs, or `ca_file`); verification is never off."""
        if not self.tls:
            return None
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=self.ca_file)
        if self.cert_file is not None and self.key_file is not None:
            context.load_cert_chain(self.cert_file, self.key_file)
        return context
